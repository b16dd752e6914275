//! The Redis key schema shared with the LaunchDarkly Relay Proxy and the other LaunchDarkly SDKs.
//!
//! Everything lives under one prefix (default [`DEFAULT_PREFIX`]):
//!
//! | key | type | contents |
//! |---|---|---|
//! | `<prefix>:features` | hash | flag key → flag JSON (or a tombstone) |
//! | `<prefix>:segments` | hash | segment key → segment JSON (or a tombstone) |
//! | `<prefix>:$inited` | string | present once a full data set has been written |
//! | `<prefix>:big_segments_synchronized_on` | string | Unix milliseconds of the last big segment sync |
//! | `<prefix>:big_segment_include:<hash>` | set | segment refs (`<key>.g<generation>`) the context is in |
//! | `<prefix>:big_segment_exclude:<hash>` | set | segment refs the context is excluded from |
//!
//! `<hash>` is [`context_hash`](super::context_hash), the base64 SHA-256 of the context key.

use crate::DataKind;

/// The prefix LaunchDarkly SDKs and the Relay Proxy use when none is configured.
pub const DEFAULT_PREFIX: &str = "launchdarkly";

/// Both kinds, segments first (the order LaunchDarkly SDKs write them in, so that a flag never
/// refers to a segment that is not stored yet).
pub(crate) const KINDS: [DataKind; 2] = [DataKind::Segment, DataKind::Flag];

/// The full Redis key names for one prefix, built once.
///
/// ```
/// use ld_store::DataKind;
/// use ld_store::redis::RedisKeys;
/// let keys = RedisKeys::new("launchdarkly");
/// assert_eq!(keys.items(DataKind::Flag), "launchdarkly:features");
/// assert_eq!(keys.inited(), "launchdarkly:$inited");
/// assert_eq!(keys.big_segment_include("abc="), "launchdarkly:big_segment_include:abc=");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisKeys {
    prefix: String,
    features: String,
    segments: String,
    inited: String,
    synchronized_on: String,
}

impl RedisKeys {
    /// Key names under `prefix` (an empty prefix means [`DEFAULT_PREFIX`]).
    pub fn new(prefix: &str) -> Self {
        let prefix = if prefix.is_empty() {
            DEFAULT_PREFIX
        } else {
            prefix
        };
        Self {
            prefix: prefix.to_owned(),
            features: format!("{prefix}:features"),
            segments: format!("{prefix}:segments"),
            inited: format!("{prefix}:$inited"),
            synchronized_on: format!("{prefix}:big_segments_synchronized_on"),
        }
    }

    /// The prefix itself.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The hash holding items of `kind`.
    pub fn items(&self, kind: DataKind) -> &str {
        match kind {
            DataKind::Flag => &self.features,
            DataKind::Segment => &self.segments,
        }
    }

    /// The key whose existence means "a full data set has been stored".
    pub fn inited(&self) -> &str {
        &self.inited
    }

    /// The key holding the Unix-millisecond time big segments were last synchronized.
    pub fn big_segments_synchronized_on(&self) -> &str {
        &self.synchronized_on
    }

    /// The set of segment refs a context (by [`context_hash`](super::context_hash)) is included in.
    pub fn big_segment_include(&self, context_hash: &str) -> String {
        format!("{}:big_segment_include:{context_hash}", self.prefix)
    }

    /// The set of segment refs a context (by [`context_hash`](super::context_hash)) is excluded from.
    pub fn big_segment_exclude(&self, context_hash: &str) -> String {
        format!("{}:big_segment_exclude:{context_hash}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_prefix_falls_back_to_the_launchdarkly_default() {
        let keys = RedisKeys::new("");
        assert_eq!(keys.items(DataKind::Segment), "launchdarkly:segments");
        assert_eq!(
            keys.big_segments_synchronized_on(),
            "launchdarkly:big_segments_synchronized_on"
        );
    }

    #[test]
    fn custom_prefix_is_used_for_every_key() {
        let keys = RedisKeys::new("app1");
        assert_eq!(keys.items(DataKind::Flag), "app1:features");
        assert_eq!(keys.inited(), "app1:$inited");
        assert_eq!(keys.big_segment_exclude("h"), "app1:big_segment_exclude:h");
    }
}
