//! What the processor needs from a context, as a trait so that the calling-thread path can read a
//! context in place (kinds, keys, anonymity) and copy it only when an event must carry it.
//!
//! Implemented for [`EventContext`] and for `ld_eval::Context`.

use std::borrow::Cow;

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

    /// The fully-qualified key (the key of a `user` context, otherwise `kind:key` with `%` and
    /// `:` escaped, members joined by `:` in kind order). Borrowed when the context keeps it.
    fn fully_qualified_key(&self) -> Cow<'_, str>;

    /// `ld_eval::Context::hash_key` of the fully-qualified key: the identity the processor
    /// deduplicates contexts by. Implementations that keep it precomputed (as
    /// `ld_eval::Context` does) save reading and hashing the key on every evaluation.
    fn fully_qualified_key_hash(&self) -> u64 {
        ld_eval::Context::hash_key(&self.fully_qualified_key())
    }

    /// The context's memo word (`ld_eval::Context::memo`), on which the processor notes that
    /// its context-key cache holds the context, so that the next evaluation with the same
    /// context object skips that lookup; `None` (the default) when the context has none.
    fn memo(&self) -> Option<&ld_eval::ContextMemo> {
        None
    }
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

    fn fully_qualified_key(&self) -> Cow<'_, str> {
        let individuals = self.individuals();
        if let [single] = individuals
            && single.kind == "user"
        {
            return Cow::Borrowed(&single.key);
        }
        let mut sorted: Vec<_> = individuals.iter().collect();
        sorted.sort_by(|a, b| a.kind.cmp(&b.kind));
        let mut out = String::new();
        for (i, c) in sorted.iter().enumerate() {
            if i > 0 {
                out.push(':');
            }
            out.push_str(&c.kind);
            out.push(':');
            for ch in c.key.chars() {
                match ch {
                    '%' => out.push_str("%25"),
                    ':' => out.push_str("%3A"),
                    other => out.push(other),
                }
            }
        }
        Cow::Owned(out)
    }
}
