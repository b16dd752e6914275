//! Where Redis is and how long to wait for it: the settings both Redis stores share.

use std::time::Duration;

use super::DEFAULT_PREFIX;

/// The Redis URL LaunchDarkly SDKs default to.
pub const DEFAULT_URL: &str = "redis://localhost:6379";

/// Connection settings shared by [`RedisDataStoreBuilder`](super::RedisDataStoreBuilder) and
/// [`RedisBigSegmentStore::new`](super::RedisBigSegmentStore::new).
///
/// ```
/// use std::time::Duration;
/// use ld_store::redis::RedisOptions;
/// let opts = RedisOptions::new()
///     .url("redis://127.0.0.1:6380/2")
///     .prefix("my-env")
///     .connect_timeout(Duration::from_millis(500));
/// assert_eq!(opts.prefix_or_default(), "my-env");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisOptions {
    pub(crate) url: String,
    pub(crate) prefix: String,
    pub(crate) connect_timeout: Duration,
    pub(crate) response_timeout: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            url: DEFAULT_URL.to_owned(),
            prefix: DEFAULT_PREFIX.to_owned(),
            connect_timeout: Duration::from_secs(2),
            response_timeout: Duration::from_secs(2),
        }
    }
}

impl RedisOptions {
    /// Defaults: [`DEFAULT_URL`], prefix [`DEFAULT_PREFIX`], 2 s connect and response timeouts.
    pub fn new() -> Self {
        Self::default()
    }

    /// The Redis URL (`redis://[user:password@]host[:port][/db]`, or `rediss://` is rejected
    /// unless the redis crate was built with TLS).
    #[must_use]
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = url.into();
        self
    }

    /// The key prefix; must match what the Relay Proxy or other SDKs use for the same
    /// environment. Empty means [`DEFAULT_PREFIX`].
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long to wait for a TCP connection to Redis.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long to wait for an answer to one command.
    #[must_use]
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// The prefix that will actually be used.
    pub fn prefix_or_default(&self) -> &str {
        if self.prefix.is_empty() {
            DEFAULT_PREFIX
        } else {
            &self.prefix
        }
    }
}
