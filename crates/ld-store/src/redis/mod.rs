//! Redis persistence, interoperable with the LaunchDarkly Relay Proxy and the other LaunchDarkly
//! server-side SDKs (enabled by the `redis` cargo feature).
//!
//! **What is here:**
//! - [`RedisDataStore`] (built with [`RedisDataStoreBuilder`]): the [`DataStore`](crate::DataStore)
//!   an SDK uses to persist flags in Redis, or, with no data source ("daemon mode"), to evaluate
//!   what a Relay Proxy keeps there. A read cache of *prepared* snapshots ([`CacheMode`]: TTL
//!   (default 15 s), forever, or none) makes warm evaluation as cheap as the in-memory store.
//!   Outages are survived: reads come from the cache, failed writes are retried (with
//!   `CacheMode::Forever`, or if Redis came back empty, the whole cached data set is written
//!   back), the status ([`RedisDataStoreStatus`]) says Redis is unavailable, and each outage is
//!   logged once when it starts and once when it ends.
//! - [`RedisBigSegmentStore`]: big segment memberships and the synchronized-on time, as a raw
//!   [`BigSegmentStore`](crate::BigSegmentStore); wrap it in a
//!   [`BigSegmentStoreWrapper`](crate::BigSegmentStoreWrapper) (or hand it to `ld-sdk`'s
//!   `BigSegmentsConfig`) for the per-context cache, the available/stale status and evaluation.
//! - [`SerializedRedisStore`]: async, item-at-a-time access in the shared schema, and
//!   [`RedisPersistentStore`], the same behind the generic
//!   [`PersistentDataStore`](crate::PersistentDataStore) seam.
//!
//! How an application (or `ld-sdk`'s config) wires them up; both are shareable across threads:
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::time::Duration;
//! use ld_store::{BigSegmentStoreWrapper, BigSegmentsOptions, DataStore};
//! use ld_store::redis::{RedisBigSegmentStore, RedisDataStore, RedisOptions};
//!
//! let options = RedisOptions::new().url("redis://127.0.0.1:6379").prefix("my-env");
//! let store: Arc<dyn DataStore> =
//!     Arc::new(RedisDataStore::builder(options.clone()).cache_ttl(Duration::from_secs(30)).build()?);
//! let big_segments: Arc<dyn ld_eval::BigSegmentProvider + Send + Sync> = Arc::new(
//!     BigSegmentStoreWrapper::new(Arc::new(RedisBigSegmentStore::new(options)?), BigSegmentsOptions::default())?,
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Schema** (see [`RedisKeys`]): hashes `<prefix>:features` and `<prefix>:segments` (item
//! key → item JSON, deletions as tombstones `{"key":…,"version":N,"deleted":true}`), the marker
//! `<prefix>:$inited`, and for big segments `<prefix>:big_segments_synchronized_on` and the sets
//! `<prefix>:big_segment_include:<hash>` / `<prefix>:big_segment_exclude:<hash>` where `<hash>`
//! is [`context_hash`] of the context key. The default prefix is `launchdarkly`.
//!
//! **Atomicity:** `init` is one MULTI/EXEC transaction (delete both hashes, write every item, set
//! `$inited`); `upsert` is a server-side Lua script that writes only a strictly newer version,
//! so any number of racing writers (SDK instances, Relay Proxies) can never regress an item.
//!
//! **Threading:** each store owns a one-thread tokio runtime for its I/O, so its synchronous
//! methods work from plain threads and from inside any tokio runtime alike.
//!
//! Schema facts (key names, tombstones, the context hash, membership refs `<key>.g<generation>`)
//! come from LaunchDarkly's public Go Redis integration; no code was copied.

mod big_segment_store;
mod cache_mode;
mod connection;
mod data_store;
mod error;
mod io_runtime;
mod keys;
mod options;
mod persistent_store;
mod serialized_item;
mod serialized_store;

/// The generic big segment types, re-exported here for code written against this module.
pub use crate::{BigSegmentMembership, BigSegmentStoreStatus, context_hash};
pub use big_segment_store::RedisBigSegmentStore;
pub use cache_mode::{CacheMode, DEFAULT_CACHE_TTL};
pub use data_store::{
    DEFAULT_AVAILABILITY_POLL_INTERVAL, RedisDataStore, RedisDataStoreBuilder, RedisDataStoreStatus,
};
pub use error::RedisStoreError;
pub use keys::{DEFAULT_PREFIX, RedisKeys};
pub use options::{DEFAULT_URL, RedisOptions};
pub use persistent_store::RedisPersistentStore;
pub use serialized_item::{parse_item, tombstone};
pub use serialized_store::{SerializedRedisStore, StoredDataSet};
