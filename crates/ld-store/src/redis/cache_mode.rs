//! How long a [`RedisDataStore`](super::RedisDataStore) trusts what it has read from Redis.

use std::time::Duration;

/// The default cache time of LaunchDarkly SDKs' persistent stores.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(15);

/// The read cache in front of Redis.
///
/// The cache holds a complete, *prepared* snapshot (flags parsed, regexes compiled, etc.), so
/// evaluation against a warm cache is exactly as cheap as against the in-memory store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheMode {
    /// Re-read the whole data set from Redis when the snapshot is older than this. The refresh
    /// happens in the background: readers keep the current snapshot meanwhile and never wait
    /// (except for the very first read, which has nothing to serve yet).
    Ttl(Duration),
    /// Read Redis once and then rely on this process's own writes. Survives Redis outages
    /// completely: the whole cached data set is written back when Redis returns.
    Forever,
    /// No cache: every snapshot reads the whole data set from Redis (slow; for processes that
    /// must see every change made by other writers immediately). During an outage the last
    /// data read is served.
    Disabled,
}

impl Default for CacheMode {
    fn default() -> Self {
        Self::Ttl(DEFAULT_CACHE_TTL)
    }
}

impl CacheMode {
    /// The TTL, if this mode expires entries.
    pub fn ttl(self) -> Option<Duration> {
        match self {
            Self::Ttl(ttl) => Some(ttl),
            Self::Forever | Self::Disabled => None,
        }
    }
}
