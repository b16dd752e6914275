//! Hello, flags: evaluate flags read from a local file, with no LaunchDarkly connection and no
//! analytics events.
//!
//! ```text
//! cargo run -p ld-sdk --example hello                # uses a sample file it writes to a temp dir
//! cargo run -p ld-sdk --example hello -- flags.json  # or your own file
//! ```

use std::time::Duration;

use ld_sdk::{Client, Config, ContextBuilder, DataSourceConfig};
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sample_dir = tempfile::tempdir()?;
    let path = match std::env::args().nth(1) {
        Some(path) => path.into(),
        None => {
            let path = sample_dir.path().join("flags.json");
            std::fs::write(
                &path,
                serde_json::to_vec_pretty(&json!({
                    "flagValues": {"show-greeting": true, "greeting": "Hello, flags!"},
                    "flags": {
                        "beta-banner": {
                            "key": "beta-banner", "on": true, "variations": [false, true],
                            "fallthrough": {"variation": 0},
                            "targets": [{"values": ["aa0ceb"], "variation": 1}]
                        }
                    }
                }))?,
            )?;
            path
        }
    };

    let config = Config::builder("any-sdk-key")
        .data_source(DataSourceConfig::files([path], false))
        .send_events(false)
        .build()?;
    let client = Client::new(config)?;
    client.wait_for_initialization(Duration::from_secs(5))?;

    let user = ContextBuilder::new("aa0ceb")
        .name("Ernestina Evans")
        .build()?;
    if client.bool_variation("show-greeting", &user, false) {
        println!("{}", client.string_variation("greeting", &user, "Hi"));
    }
    let banner = client.bool_variation_detail("beta-banner", &user, false);
    println!(
        "beta-banner = {} (reason {})",
        banner.value,
        serde_json::to_string(&banner.reason)?
    );
    let missing = client.bool_variation_detail("no-such-flag", &user, false);
    println!(
        "no-such-flag = {} (reason {})",
        missing.value,
        serde_json::to_string(&missing.reason)?
    );
    client.close();
    Ok(())
}
