//! The owned copy of an evaluation context that an analytics event carries to the background.
//!
//! The calling thread copies a context only when an event actually needs it (a new context for an
//! index event, a tracked or debugged evaluation, `track`, `identify`); summary-only evaluations
//! never build one. Redaction happens later, when the payload is written (see `context_formatter`).

use std::hash::Hasher;

use serde_json::Value;

use ld_eval::AttrRef;

use crate::fast_hash::FastHasher;

/// One single-kind context inside an [`EventContext`].
#[derive(Debug, Clone, PartialEq)]
pub struct IndividualContext {
    /// The context kind, such as `"user"` or `"org"`.
    pub kind: String,
    /// The context key.
    pub key: String,
    /// The optional `name` attribute.
    pub name: Option<String>,
    /// Whether the context is anonymous.
    pub anonymous: bool,
    /// Custom attributes in the order they are written to events.
    pub attributes: Vec<(String, Value)>,
    /// The context's own private attributes (its `_meta.privateAttributes`).
    pub private_attributes: Vec<AttrRef>,
}

impl IndividualContext {
    /// A context of `kind` with `key` and no other attributes.
    ///
    /// ```
    /// use ld_events::IndividualContext;
    /// let c = IndividualContext::new("org", "org-key");
    /// assert_eq!(c.kind, "org");
    /// assert!(!c.anonymous);
    /// ```
    pub fn new(kind: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            key: key.into(),
            name: None,
            anonymous: false,
            attributes: Vec::new(),
            private_attributes: Vec::new(),
        }
    }
}

/// A single-kind or multi-kind context as carried by an event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventContext {
    individuals: Vec<IndividualContext>,
    multi: bool,
}

impl EventContext {
    /// A single-kind context.
    pub fn single(context: IndividualContext) -> Self {
        Self {
            individuals: vec![context],
            multi: false,
        }
    }

    /// A multi-kind context. Kinds are kept in the order given; a list of one is written as a
    /// single-kind context, the way LaunchDarkly SDKs treat a one-kind multi context.
    ///
    /// ```
    /// use ld_events::{EventContext, IndividualContext};
    /// let c = EventContext::multi(vec![
    ///     IndividualContext::new("org", "o"),
    ///     IndividualContext::new("user", "u"),
    /// ]);
    /// assert!(c.is_multi());
    /// assert_eq!(c.individuals().len(), 2);
    /// ```
    pub fn multi(individuals: Vec<IndividualContext>) -> Self {
        let multi = individuals.len() > 1;
        Self { individuals, multi }
    }

    /// Whether this is written as a multi-kind context.
    pub fn is_multi(&self) -> bool {
        self.multi
    }

    /// The single-kind contexts, one for a single-kind context.
    pub fn individuals(&self) -> &[IndividualContext] {
        &self.individuals
    }

    /// The context with its anonymous parts removed, or `None` when nothing is left (the
    /// omit-anonymous-contexts option).
    pub fn without_anonymous(&self) -> Option<Self> {
        if !self.individuals.iter().any(|c| c.anonymous) {
            return Some(self.clone());
        }
        let kept: Vec<_> = self
            .individuals
            .iter()
            .filter(|c| !c.anonymous)
            .cloned()
            .collect();
        if kept.is_empty() {
            None
        } else {
            Some(Self::multi(kept))
        }
    }

    /// The identity hash the context-key cache knows this context by (its kinds and keys, in any
    /// order).
    pub fn identity_hash(&self) -> u64 {
        identity_hash(
            self.individuals
                .iter()
                .map(|c| (c.kind.as_str(), c.key.as_str())),
        )
    }
}

/// Hash identifying a context by its fully-qualified key, computed from its `(kind, key)` pairs
/// without building the key string.
///
/// Two contexts hash equal exactly when they have the same set of kinds with the same keys, in any
/// order (per-kind hashes are combined with a commutative sum, so a multi context need not be
/// sorted first). A 64-bit collision would only suppress one index event.
pub(crate) fn identity_hash<'a>(parts: impl Iterator<Item = (&'a str, &'a str)>) -> u64 {
    let mut sum = 0u64;
    for (kind, key) in parts {
        let mut h = FastHasher::default();
        h.write(kind.as_bytes());
        h.write(key.as_bytes());
        sum = sum.wrapping_add(h.finish());
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anon(kind: &str, key: &str) -> IndividualContext {
        IndividualContext {
            anonymous: true,
            ..IndividualContext::new(kind, key)
        }
    }

    #[test]
    fn identity_ignores_kind_order_but_not_kinds_or_keys() {
        let a = EventContext::multi(vec![
            IndividualContext::new("org", "1"),
            IndividualContext::new("user", "2"),
        ]);
        let b = EventContext::multi(vec![
            IndividualContext::new("user", "2"),
            IndividualContext::new("org", "1"),
        ]);
        let c = EventContext::multi(vec![
            IndividualContext::new("user", "1"),
            IndividualContext::new("org", "2"),
        ]);
        assert_eq!(a.identity_hash(), b.identity_hash());
        assert_ne!(a.identity_hash(), c.identity_hash());
        let single = EventContext::single(IndividualContext::new("user", "2"));
        assert_ne!(single.identity_hash(), a.identity_hash());
    }

    #[test]
    fn without_anonymous_drops_anonymous_kinds_and_collapses_to_single() {
        let c = EventContext::multi(vec![anon("user", "u"), IndividualContext::new("org", "o")]);
        let kept = c.without_anonymous().unwrap();
        assert!(!kept.is_multi());
        assert_eq!(kept.individuals()[0].kind, "org");
        assert!(
            EventContext::single(anon("user", "u"))
                .without_anonymous()
                .is_none()
        );
    }
}
