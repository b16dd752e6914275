//! Big segments on Redis: the per-context membership sets and the synchronized-on time the
//! Relay Proxy writes, read as a raw [`BigSegmentStore`]. Caching and status come from
//! [`BigSegmentStoreWrapper`](crate::BigSegmentStoreWrapper), as for any other store.

use std::sync::Arc;

use super::connection::RedisConnection;
use super::io_runtime::IoRuntime;
use super::{RedisKeys, RedisOptions, RedisStoreError};
use crate::{BigSegmentMembership, BigSegmentStore, BigSegmentStoreError};

struct Inner {
    conn: RedisConnection,
    keys: RedisKeys,
}

/// Big segment memberships read from Redis in LaunchDarkly's schema.
///
/// Every call reads Redis (the wrapper caches). Calls may come from any thread, including
/// tokio worker threads: I/O runs on the store's own one-thread runtime.
///
/// ```no_run
/// use std::sync::Arc;
/// use ld_store::{BigSegmentStore, BigSegmentStoreWrapper, BigSegmentsOptions, context_hash};
/// use ld_store::redis::{RedisBigSegmentStore, RedisOptions};
///
/// let store = RedisBigSegmentStore::new(RedisOptions::new().url("redis://127.0.0.1:6379"))?;
/// let raw = store.get_membership(&context_hash("user-key"))?;
/// // What an SDK evaluates with: cached, with a polled status.
/// let wrapper = BigSegmentStoreWrapper::new(Arc::new(store), BigSegmentsOptions::default())?;
/// let included = wrapper.context_membership("user-key")?.check("my-big-segment.g1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RedisBigSegmentStore {
    inner: Arc<Inner>,
    runtime: IoRuntime,
}

impl std::fmt::Debug for RedisBigSegmentStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBigSegmentStore")
            .field("url", &self.inner.conn.redacted_url())
            .field("prefix", &self.inner.keys.prefix())
            .finish()
    }
}

impl RedisBigSegmentStore {
    /// A store reading the keys under `options`' prefix. Does not connect yet.
    ///
    /// # Errors
    /// [`RedisStoreError::InvalidUrl`] or [`RedisStoreError::Runtime`]; an unreachable Redis is
    /// not an error here (reads fail, and the wrapper's status says so).
    pub fn new(options: RedisOptions) -> Result<Self, RedisStoreError> {
        Ok(Self {
            inner: Arc::new(Inner {
                conn: RedisConnection::new(&options)?,
                keys: RedisKeys::new(options.prefix_or_default()),
            }),
            runtime: IoRuntime::new("ld-redis-bigseg")?,
        })
    }

    /// The memberships stored for `context_hash` (see [`context_hash`](crate::context_hash)).
    ///
    /// # Errors
    /// Connection or command errors.
    pub fn membership(&self, context_hash: &str) -> Result<BigSegmentMembership, RedisStoreError> {
        let inner = Arc::clone(&self.inner);
        let hash = context_hash.to_owned();
        self.runtime
            .block_on(async move { inner.fetch_membership(&hash).await })?
    }

    /// When the Relay Proxy last synchronized big segments (Unix milliseconds), if ever.
    ///
    /// # Errors
    /// Connection or command errors, or a value that is not a number.
    pub fn synchronized_on(&self) -> Result<Option<u64>, RedisStoreError> {
        let inner = Arc::clone(&self.inner);
        self.runtime
            .block_on(async move { inner.synchronized_on().await })?
    }
}

impl BigSegmentStore for RedisBigSegmentStore {
    fn get_metadata(&self) -> Result<Option<u64>, BigSegmentStoreError> {
        self.synchronized_on()
            .map_err(BigSegmentStoreError::from_source)
    }

    fn get_membership(
        &self,
        context_hash: &str,
    ) -> Result<BigSegmentMembership, BigSegmentStoreError> {
        self.membership(context_hash)
            .map_err(BigSegmentStoreError::from_source)
    }
}

impl Inner {
    async fn fetch_membership(&self, hash: &str) -> Result<BigSegmentMembership, RedisStoreError> {
        let include = self.keys.big_segment_include(hash);
        let exclude = self.keys.big_segment_exclude(hash);
        let (included, excluded): (Vec<String>, Vec<String>) = self
            .conn
            .run(|mut c| async move {
                redis::pipe()
                    .smembers(include)
                    .smembers(exclude)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        Ok(BigSegmentMembership::from_refs(included, excluded))
    }

    async fn synchronized_on(&self) -> Result<Option<u64>, RedisStoreError> {
        let key = self.keys.big_segments_synchronized_on();
        let raw: Option<String> = self
            .conn
            .run(|mut c| async move { redis::cmd("GET").arg(key).query_async(&mut c).await })
            .await?;
        raw.map(|s| {
            s.trim()
                .parse::<u64>()
                .map_err(|e| RedisStoreError::MalformedItem {
                    kind: None,
                    key: key.to_owned(),
                    message: format!("synchronized-on time {s:?} is not a number: {e}"),
                })
        })
        .transpose()
    }
}
