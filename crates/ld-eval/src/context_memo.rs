//! A word of memo a [`Context`](crate::Context) carries for the code that consumes it.
//!
//! Applications usually evaluate several flags for the same context object (a request's
//! context, a service's own context). Whatever a consumer works out about a context once, such as
//! the event processor's "my context-key cache already holds this context", it would otherwise
//! look up again on every evaluation. The memo lets it write that fact on the context itself and
//! read it back with one load. It is not part of the context's value: equality ignores it, it is
//! never serialized, and a clone starts with the same memo (it describes the same keys and kinds).
//!
//! The evaluator never reads or writes it; its meaning belongs to whoever writes it, who must
//! make the value self-checking (include its own identity), since any other consumer may
//! overwrite it.

use std::sync::atomic::{AtomicU64, Ordering};

/// The memo word of a [`Context`](crate::Context) (see [`Context::memo`](crate::Context::memo)).
/// 0 means nothing is noted.
///
/// ```
/// use ld_eval::ContextBuilder;
/// let context = ContextBuilder::new("user-1").build().unwrap();
/// assert_eq!(context.memo().get(), 0);
/// context.memo().set(42);
/// assert_eq!(context.memo().get(), 42);
/// assert_eq!(context.clone().memo().get(), 42);
/// assert_eq!(context, ContextBuilder::new("user-1").build().unwrap(), "not part of the value");
/// ```
#[derive(Default)]
pub struct ContextMemo(AtomicU64);

impl ContextMemo {
    /// The value last [`set`](ContextMemo::set) by any thread (0 if none).
    #[inline(always)]
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Notes `value`, replacing what was there.
    #[inline]
    pub fn set(&self, value: u64) {
        self.0.store(value, Ordering::Relaxed);
    }
}

impl Clone for ContextMemo {
    fn clone(&self) -> Self {
        ContextMemo(AtomicU64::new(self.get()))
    }
}

impl PartialEq for ContextMemo {
    /// Always true: the memo is not part of a context's value.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for ContextMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ContextMemo")
    }
}
