//! The Redis store behind ld-store's generic [`PersistentDataStore`] seam, for use with
//! [`PersistentDataStoreWrapper`](crate::PersistentDataStoreWrapper).
//!
//! [`RedisDataStore`](super::RedisDataStore) is the full-featured choice (TTL cache, outage
//! handling, status); this adapter exists so that anything written against the generic seam
//! (tests, tools, a future wrapper) can use Redis too.

use super::io_runtime::IoRuntime;
use super::{RedisOptions, RedisStoreError, SerializedRedisStore};
use crate::{DataKind, PersistentDataStore, SerializedAllData, SerializedItem, StoreError};

/// Blocking access to LaunchDarkly data in Redis, implementing [`PersistentDataStore`].
///
/// ```no_run
/// use ld_store::{DataStore, PersistentDataStoreWrapper};
/// use ld_store::redis::{RedisOptions, RedisPersistentStore};
/// let store = PersistentDataStoreWrapper::new(RedisPersistentStore::new(&RedisOptions::new())?);
/// store.refresh()?; // load what another process wrote
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RedisPersistentStore {
    redis: SerializedRedisStore,
    runtime: IoRuntime,
}

impl std::fmt::Debug for RedisPersistentStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RedisPersistentStore")
            .field(&self.redis)
            .finish()
    }
}

impl RedisPersistentStore {
    /// A store for `options`; connects on first use.
    ///
    /// # Errors
    /// [`RedisStoreError::InvalidUrl`] or [`RedisStoreError::Runtime`].
    pub fn new(options: &RedisOptions) -> Result<Self, RedisStoreError> {
        Ok(Self {
            redis: SerializedRedisStore::new(options)?,
            runtime: IoRuntime::new("ld-redis-persistent")?,
        })
    }

    fn run<T, F>(&self, op: impl FnOnce(SerializedRedisStore) -> F) -> Result<T, StoreError>
    where
        F: Future<Output = Result<T, RedisStoreError>> + Send + 'static,
        T: Send + 'static,
    {
        self.runtime
            .block_on(op(self.redis.clone()))
            .and_then(|r| r)
            .map_err(|e| StoreError::new(e.to_string()))
    }
}

impl PersistentDataStore for RedisPersistentStore {
    fn init(&self, data: SerializedAllData) -> Result<(), StoreError> {
        self.run(|redis| async move { redis.init(&data).await })
    }

    fn get(&self, kind: DataKind, key: &str) -> Result<Option<SerializedItem>, StoreError> {
        let key = key.to_owned();
        self.run(|redis| async move { redis.get(kind, &key).await })
    }

    fn get_all(&self, kind: DataKind) -> Result<Vec<(String, SerializedItem)>, StoreError> {
        let items = self.run(|redis| async move { redis.get_all(kind).await })?;
        Ok(items
            .into_iter()
            .filter_map(|(key, item)| match item {
                Ok(item) => Some((key, item)),
                Err(e) => {
                    tracing::warn!(error = %e, "skipping malformed item stored in Redis");
                    None
                }
            })
            .collect())
    }

    fn upsert(&self, kind: DataKind, key: &str, item: SerializedItem) -> Result<bool, StoreError> {
        let key = key.to_owned();
        self.run(|redis| async move { redis.upsert(kind, &key, &item).await })
    }

    fn initialized(&self) -> Result<bool, StoreError> {
        self.run(|redis| async move { redis.is_initialized().await })
    }
}
