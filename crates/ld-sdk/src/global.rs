//! An opt-in, process-wide client, like the Python SDK's `ldclient.set_config()` / `ldclient.get()`.
//!
//! Most Rust applications pass a [`Client`] around (it is a cheap, shareable handle). This module
//! is for code that prefers one well-known instance: [`set_config`] creates it (replacing and
//! closing any previous one), [`get`] returns it anywhere in the program.
//!
//! ```
//! use ld_sdk::{Config, ContextBuilder, global};
//!
//! global::set_config(Config::builder("sdk-key").offline(true).build()?)?;
//!
//! let client = global::get().expect("configured above");
//! let user = ContextBuilder::new("aa0ceb").build()?;
//! assert!(!client.bool_variation("your.feature.key", &user, false));
//! global::close();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use parking_lot::Mutex;

use crate::{Client, ClientError, Config};

static CLIENT: Mutex<Option<Client>> = Mutex::new(None);

/// Creates the global client from `config`, waits up to the configuration's
/// [`start_wait`](crate::ConfigBuilder::start_wait) for its flags, and makes it the one
/// [`get`] returns. A previous global client is closed.
///
/// A client that did not initialize in time is still installed (it keeps trying in the
/// background and serves defaults meanwhile); the reason is logged. Waiting blocks the calling
/// thread, so set `start_wait` to zero when calling this from async code.
pub fn set_config(config: Config) -> Result<Client, ClientError> {
    let wait = config.start_wait();
    let client = Client::new(config)?;
    if !wait.is_zero()
        && let Err(e) = client.wait_for_initialization(wait)
    {
        tracing::warn!("the global LaunchDarkly client is not initialized yet: {e}");
    }
    let previous = CLIENT.lock().replace(client.clone());
    if let Some(previous) = previous {
        previous.close();
    }
    Ok(client)
}

/// The global client, or `None` if [`set_config`] was never called (or [`close`] was).
pub fn get() -> Option<Client> {
    CLIENT.lock().clone()
}

/// Closes and removes the global client, if there is one.
pub fn close() {
    let previous = CLIENT.lock().take();
    if let Some(previous) = previous {
        previous.close();
    }
}
