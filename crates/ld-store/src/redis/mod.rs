//! Redis persistence, interoperable with the LaunchDarkly Relay Proxy and the other LaunchDarkly
//! server-side SDKs (enabled by the `redis` cargo feature).
//!
//! - [`SerializedRedisStore`]: async, item-at-a-time access in the shared schema (see [`keys`](RedisKeys)).
//!   `init` is one MULTI/EXEC transaction; `upsert` is a server-side Lua script that writes only a
//!   newer version, so racing writers never regress an item.
//! - [`RedisBigSegmentStore`]: big segment membership and the synchronized-on time, with a
//!   membership cache and a stale/available status.
//!
//! Key schema facts (key names, tombstones, the context hash) come from LaunchDarkly's public Go
//! Redis integration and Relay Proxy documentation.

mod big_segment_store;
mod cache_mode;
mod connection;
mod context_hash;
mod data_store;
mod error;
mod io_runtime;
mod keys;
mod options;
mod persistent_store;
mod serialized_item;
mod serialized_store;

pub use big_segment_store::{
    BigSegmentMembership, BigSegmentStoreStatus, DEFAULT_CONTEXT_CACHE_SIZE,
    DEFAULT_CONTEXT_CACHE_TIME, DEFAULT_STALE_AFTER, DEFAULT_STATUS_POLL_INTERVAL,
    RedisBigSegmentStore, RedisBigSegmentStoreBuilder,
};
pub use cache_mode::{CacheMode, DEFAULT_CACHE_TTL};
pub use context_hash::context_hash;
pub use data_store::{
    DEFAULT_AVAILABILITY_POLL_INTERVAL, RedisDataStore, RedisDataStoreBuilder, RedisDataStoreStatus,
};
pub use error::RedisStoreError;
pub use keys::{DEFAULT_PREFIX, RedisKeys};
pub use options::{DEFAULT_URL, RedisOptions};
pub use persistent_store::RedisPersistentStore;
pub use serialized_item::{parse_item, tombstone};
pub use serialized_store::{SerializedRedisStore, StoredDataSet};
