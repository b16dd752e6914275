//! What the processor needs from a context, as a trait so that the calling-thread path can read a
//! context in place (kinds, keys, anonymity) and copy it only when an event must carry it.
//!
//! Implemented for [`EventContext`] and for `ld_eval::Context`.

use crate::event_context::EventContext;

/// One single-kind part of a context, as read on the calling thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextPart<'a> {
    /// The kind.
    pub kind: &'a str,
    /// The key.
    pub key: &'a str,
    /// Whether this part is anonymous.
    pub anonymous: bool,
}

/// A context the event processor can summarize, deduplicate and copy.
pub trait EventContextSource {
    /// The single-kind parts, without allocating.
    fn parts(&self) -> impl Iterator<Item = ContextPart<'_>> + Clone;

    /// An owned copy with every attribute, for an event that carries the context.
    fn to_event_context(&self) -> EventContext;
}

impl EventContextSource for EventContext {
    fn parts(&self) -> impl Iterator<Item = ContextPart<'_>> + Clone {
        self.individuals().iter().map(|c| ContextPart {
            kind: &c.kind,
            key: &c.key,
            anonymous: c.anonymous,
        })
    }

    fn to_event_context(&self) -> EventContext {
        self.clone()
    }
}
