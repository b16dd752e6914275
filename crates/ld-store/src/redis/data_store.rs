//! [`RedisDataStore`]: the [`DataStore`] backed by Redis, with a read cache of prepared
//! snapshots, daemon-mode reads, and outage handling.
//!
//! **Design.** Evaluation never talks to Redis while the cache is warm: the cache *is* a
//! [`Snapshot`] (prepared flags and segments behind an `Arc`), swapped atomically exactly like
//! the in-memory store's, so `snapshot()` is one atomic load plus an atomic timestamp check.
//! Expiry (`CacheMode::Ttl`) triggers a single background re-read; readers keep the old snapshot
//! until the new one is prepared.
//!
//! **Writes** go to Redis first (`init` as one MULTI/EXEC, `upsert` as a server-side
//! version-checked script), then into the cache. A write that fails because Redis is unreachable
//! still updates the cache (so this process keeps evaluating the newest data it was given),
//! is remembered, and is retried when Redis is back; with `CacheMode::Forever` the whole cached
//! data set is written back instead. The outage is logged once when it starts and once when it
//! ends; the store status ([`RedisDataStore::status`]) says whether Redis is available.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use serde::Serialize;
use tokio::runtime::Handle;

use crate::model::{Flag, Segment};
use crate::snapshot::ItemMap;
use crate::{
    AllData, DataStore, ItemDescriptor, Snapshot, StoreError, flag_from_json, segment_from_json,
};

use super::io_runtime::IoRuntime;
use super::{CacheMode, RedisOptions, RedisStoreError, SerializedRedisStore, tombstone};
use crate::{Broadcaster, DataKind, SerializedAllData, SerializedItem};
use std::sync::mpsc::Receiver;

/// How often Redis is probed during an outage.
pub const DEFAULT_AVAILABILITY_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// How long a "not initialized" answer is trusted with `CacheMode::Forever`.
const FOREVER_INIT_RECHECK: Duration = Duration::from_secs(1);

/// Whether Redis is currently usable, as seen by a [`RedisDataStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedisDataStoreStatus {
    /// `false` from the first failed operation until Redis answers again and pending writes
    /// have been written.
    pub available: bool,
}

/// Configures a [`RedisDataStore`].
///
/// ```no_run
/// use std::time::Duration;
/// use ld_store::DataStore;
/// use ld_store::redis::{RedisDataStoreBuilder, RedisOptions};
///
/// // Daemon mode: another process (a Relay Proxy) writes; this one only reads.
/// let store = RedisDataStoreBuilder::new(RedisOptions::new().url("redis://127.0.0.1:6379").prefix("prod"))
///     .cache_ttl(Duration::from_secs(30))
///     .build()?;
/// if store.initialized() {
///     let snapshot = store.snapshot();
///     println!("{} flags", snapshot.flags().count());
/// }
/// # Ok::<(), ld_store::redis::RedisStoreError>(())
/// ```
#[derive(Debug, Clone)]
pub struct RedisDataStoreBuilder {
    options: RedisOptions,
    cache: CacheMode,
    poll_interval: Duration,
}

impl RedisDataStoreBuilder {
    /// LaunchDarkly's defaults: a 15 s cache.
    pub fn new(options: RedisOptions) -> Self {
        Self {
            options,
            cache: CacheMode::default(),
            poll_interval: DEFAULT_AVAILABILITY_POLL_INTERVAL,
        }
    }

    /// Any cache mode.
    #[must_use]
    pub fn cache(mut self, mode: CacheMode) -> Self {
        self.cache = mode;
        self
    }

    /// Cache for `ttl` (zero means no cache).
    #[must_use]
    pub fn cache_ttl(self, ttl: Duration) -> Self {
        self.cache(if ttl.is_zero() {
            CacheMode::Disabled
        } else {
            CacheMode::Ttl(ttl)
        })
    }

    /// Cache forever: read Redis once, survive outages, write everything back afterwards.
    #[must_use]
    pub fn cache_forever(self) -> Self {
        self.cache(CacheMode::Forever)
    }

    /// No cache: every snapshot reads Redis.
    #[must_use]
    pub fn no_cache(self) -> Self {
        self.cache(CacheMode::Disabled)
    }

    /// How often Redis is probed while it is unavailable.
    #[must_use]
    pub fn availability_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval.max(Duration::from_millis(10));
        self
    }

    /// Creates the store. Does not connect: an unreachable Redis is an outage, not an error here.
    ///
    /// # Errors
    /// [`RedisStoreError::InvalidUrl`] or [`RedisStoreError::Runtime`].
    pub fn build(self) -> Result<RedisDataStore, RedisStoreError> {
        let runtime = IoRuntime::new("ld-redis-store")?;
        let redis = SerializedRedisStore::new(&self.options)?;
        tracing::info!(url = %redis.redacted_url(), prefix = %redis.keys().prefix(), "using Redis data store");
        let shared = Arc::new(Shared {
            redis,
            mode: self.cache,
            poll_interval: self.poll_interval,
            epoch: Instant::now(),
            current: ArcSwap::from_pointee(Snapshot::default()),
            loaded: AtomicBool::new(false),
            expired: AtomicBool::new(false),
            load_seq: AtomicU64::new(0),
            writer: Mutex::new(WriteCounters::default()),
            refreshing: AtomicBool::new(false),
            available: AtomicBool::new(true),
            inited: AtomicBool::new(false),
            init_checked_at: AtomicU64::new(NEVER),
            outage: Mutex::new(Outage::default()),
            status: Broadcaster::new(),
            handle: runtime.handle().clone(),
        });
        Ok(RedisDataStore { shared, runtime })
    }
}

/// A [`DataStore`] that keeps flags and segments in Redis, shared with other SDK instances
/// and the LaunchDarkly Relay Proxy (see the [module docs](super) for the schema).
///
/// Use it with a data source to persist what the source delivers, or with no data source
/// ("daemon mode") to evaluate whatever another process keeps in Redis. All methods may be
/// called from any thread, including tokio worker threads.
pub struct RedisDataStore {
    shared: Arc<Shared>,
    runtime: IoRuntime,
}

const NEVER: u64 = 0;

#[derive(Default)]
struct WriteCounters {
    /// Bumped by every change to the cached snapshot.
    writes: u64,
    /// Bumped by every `init` (a full replacement).
    inits: u64,
}

#[derive(Default)]
struct Outage {
    /// A recovery task is running.
    recovering: bool,
    /// An `init` that could not be written.
    pending_init: Option<SerializedAllData>,
    /// Upserts that could not be written, the newest version per item.
    pending: HashMap<(DataKind, String), SerializedItem>,
}

struct Shared {
    redis: SerializedRedisStore,
    mode: CacheMode,
    poll_interval: Duration,
    epoch: Instant,
    current: ArcSwap<Snapshot>,
    /// The snapshot holds a full data set (read from Redis or written by `init`).
    loaded: AtomicBool,
    /// The TTL has passed since it was loaded (set by a timer, so readers never read a clock).
    expired: AtomicBool,
    /// Bumped on every load, so that an old timer cannot expire a newer load.
    load_seq: AtomicU64,
    writer: Mutex<WriteCounters>,
    refreshing: AtomicBool,
    available: AtomicBool,
    inited: AtomicBool,
    init_checked_at: AtomicU64,
    outage: Mutex<Outage>,
    status: Broadcaster<RedisDataStoreStatus>,
    handle: Handle,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl std::fmt::Debug for RedisDataStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisDataStore")
            .field("redis", &self.shared.redis)
            .field("cache", &self.shared.mode)
            .field("status", &self.status())
            .finish()
    }
}

impl RedisDataStore {
    /// A builder with LaunchDarkly's defaults.
    pub fn builder(options: RedisOptions) -> RedisDataStoreBuilder {
        RedisDataStoreBuilder::new(options)
    }

    /// Whether Redis is currently available.
    pub fn status(&self) -> RedisDataStoreStatus {
        RedisDataStoreStatus {
            available: self.shared.available.load(Ordering::Acquire),
        }
    }

    /// A channel receiving every status change from now on (an outage starting or ending).
    pub fn subscribe_status(&self) -> Receiver<RedisDataStoreStatus> {
        self.shared.status.subscribe()
    }

    /// Re-reads the whole data set from Redis now, waiting for it.
    ///
    /// # Errors
    /// Connection or command errors (the cached data is kept).
    pub fn refresh(&self) -> Result<(), RedisStoreError> {
        self.shared.load_blocking(&self.runtime)
    }

    /// Reads one flag straight from Redis, bypassing the cache (parsed and prepared).
    ///
    /// # Errors
    /// Connection or command errors, or a malformed stored flag.
    pub fn fetch_flag(&self, key: &str) -> Result<Option<ItemDescriptor<Flag>>, RedisStoreError> {
        let redis = self.shared.redis.clone();
        let owned = key.to_owned();
        let stored = self
            .runtime
            .block_on(async move { redis.get(DataKind::Flag, &owned).await })??;
        stored
            .map(|item| {
                flag_from_json(&item.json).map_err(|e| RedisStoreError::MalformedItem {
                    kind: Some(DataKind::Flag),
                    key: key.to_owned(),
                    message: e.to_string(),
                })
            })
            .transpose()
    }

    /// The underlying serialized store (for tools and tests).
    pub fn serialized_store(&self) -> &SerializedRedisStore {
        &self.shared.redis
    }

    fn upsert<T: Serialize + Send + Sync + 'static>(
        &self,
        kind: DataKind,
        key: &str,
        item: ItemDescriptor<T>,
        select: fn(&mut Snapshot) -> &mut Arc<ItemMap<T>>,
        parse: fn(&str) -> Result<ItemDescriptor<T>, serde_json::Error>,
    ) -> Result<bool, StoreError> {
        let serialized = serialize_item(key, &item).map_err(|e| StoreError::new(e.to_string()))?;
        let shared = &self.shared;
        let redis = shared.redis.clone();
        let (owned_key, to_write) = (key.to_owned(), serialized.clone());
        // During an outage writes are not attempted (each attempt could wait for a connect
        // timeout); the recovery task writes them when Redis is back.
        if shared.queue_upsert_during_outage(kind, key, &serialized) {
            shared.apply(key, item, select);
            return Err(StoreError::new(format!(
                "Redis is unavailable; {kind} {key:?} is kept in the cache and will be written when it returns"
            )));
        }
        let result = self
            .runtime
            .block_on(async move { redis.upsert(kind, &owned_key, &to_write).await })
            .and_then(|r| r);
        match result {
            Ok(true) => {
                shared.apply(key, item, select);
                Ok(true)
            }
            Ok(false) => {
                // Redis already has this version or a newer one (another writer got there
                // first): bring the cache in line with Redis.
                if shared.mode != CacheMode::Disabled {
                    let redis = shared.redis.clone();
                    let owned_key = key.to_owned();
                    let stored = self
                        .runtime
                        .block_on(async move { redis.get(kind, &owned_key).await });
                    if let Ok(Ok(Some(stored))) = stored
                        && let Ok(desc) = parse(&stored.json)
                    {
                        shared.apply(key, desc, select);
                    }
                }
                Ok(false)
            }
            Err(err) => {
                let applied = shared.apply(key, item, select);
                shared.queue_upsert(kind, key, serialized);
                shared.fail(&err, "upsert");
                tracing::debug!(%kind, key, applied, "upsert kept in cache, to be written when Redis returns");
                Err(StoreError::new(format!(
                    "could not write {kind} {key:?} to Redis: {err}"
                )))
            }
        }
    }
}

impl DataStore for RedisDataStore {
    fn init(&self, data: AllData) -> Result<(), StoreError> {
        let set = serialize_all(&data).map_err(|e| StoreError::new(e.to_string()))?;
        let count = set.flags.len() + set.segments.len();
        let snapshot = Snapshot {
            flags: Arc::new(data.flags),
            segments: Arc::new(data.segments),
            initialized: true,
            generation: 0,
        };
        let redis = self.shared.redis.clone();
        let to_write = set.clone();
        let result = if self.shared.queue_init_during_outage(&set) {
            Err(RedisStoreError::Unavailable(
                "an outage is in progress".to_owned(),
            ))
        } else {
            self.runtime
                .block_on(async move { redis.init(&to_write).await })
                .and_then(|r| r)
        };
        self.shared.install(snapshot, true);
        self.shared.inited.store(true, Ordering::Release);
        let mut outage = lock(&self.shared.outage);
        outage.pending.clear();
        match result {
            Ok(()) => {
                outage.pending_init = None;
                drop(outage);
                tracing::debug!(items = count, "initialized Redis data store");
                Ok(())
            }
            Err(err) => {
                outage.pending_init = Some(set);
                drop(outage);
                self.shared.fail(&err, "init");
                Err(StoreError::new(format!(
                    "could not write the data set to Redis: {err}"
                )))
            }
        }
    }

    fn upsert_flag(&self, key: &str, item: ItemDescriptor<Flag>) -> Result<bool, StoreError> {
        self.upsert(DataKind::Flag, key, item, |s| &mut s.flags, flag_from_json)
    }

    fn upsert_segment(&self, key: &str, item: ItemDescriptor<Segment>) -> Result<bool, StoreError> {
        self.upsert(
            DataKind::Segment,
            key,
            item,
            |s| &mut s.segments,
            segment_from_json,
        )
    }

    fn initialized(&self) -> bool {
        let shared = &self.shared;
        if shared.inited.load(Ordering::Acquire) {
            return true;
        }
        let recheck = match shared.mode {
            CacheMode::Ttl(ttl) => ttl,
            CacheMode::Forever => FOREVER_INIT_RECHECK,
            CacheMode::Disabled => Duration::ZERO,
        };
        if shared
            .age(&shared.init_checked_at)
            .is_some_and(|age| age < recheck)
            || !shared.available.load(Ordering::Acquire)
        {
            return false;
        }
        let redis = shared.redis.clone();
        match self
            .runtime
            .block_on(async move { redis.is_initialized().await })
            .and_then(|r| r)
        {
            Ok(true) => {
                shared.inited.store(true, Ordering::Release);
                if !shared.current.load().initialized && shared.mode != CacheMode::Disabled {
                    // Another process (a Relay Proxy) has written a data set since we last read:
                    // load it even if the cache would not expire yet (or ever).
                    Arc::clone(shared).refresh_in_background();
                }
                true
            }
            Ok(false) => {
                shared
                    .init_checked_at
                    .store(shared.now(), Ordering::Release);
                false
            }
            Err(err) => {
                shared.fail(&err, "initialized check");
                false
            }
        }
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        let shared = &self.shared;
        if shared.available.load(Ordering::Acquire) {
            if shared.mode == CacheMode::Disabled || !shared.loaded.load(Ordering::Acquire) {
                // No cache, or nothing read yet (daemon mode start): read now.
                let _ = shared.load_blocking(&self.runtime);
            } else if shared.expired.load(Ordering::Acquire) {
                Arc::clone(shared).refresh_in_background();
            }
        }
        shared.current.load_full()
    }
}

impl Shared {
    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX - 1) + 1
    }

    fn age(&self, at: &AtomicU64) -> Option<Duration> {
        match at.load(Ordering::Acquire) {
            NEVER => None,
            t => Some(Duration::from_nanos(self.now().saturating_sub(t))),
        }
    }

    /// Applies one item to the cached snapshot if it is newer; returns whether it was.
    fn apply<T>(
        &self,
        key: &str,
        item: ItemDescriptor<T>,
        select: fn(&mut Snapshot) -> &mut Arc<ItemMap<T>>,
    ) -> bool {
        let mut counters = lock(&self.writer);
        let mut next = (**self.current.load()).clone();
        let map = select(&mut next);
        if map.get(key).is_some_and(|d| d.version >= item.version) {
            return false;
        }
        Arc::make_mut(map).insert(Arc::from(key), item);
        self.current.store(Arc::new(next));
        counters.writes += 1;
        true
    }

    /// Replaces the cached snapshot (after an init or a full read).
    fn install(self: &Arc<Self>, snapshot: Snapshot, is_init: bool) {
        let mut counters = lock(&self.writer);
        counters.writes += 1;
        if is_init {
            counters.inits += 1;
        }
        self.current.store(Arc::new(snapshot));
        self.mark_loaded();
    }

    /// Records a fresh full data set and, with a TTL, arms the timer that expires it.
    fn mark_loaded(self: &Arc<Self>) {
        let seq = self.load_seq.fetch_add(1, Ordering::AcqRel) + 1;
        self.expired.store(false, Ordering::Release);
        self.loaded.store(true, Ordering::Release);
        if let CacheMode::Ttl(ttl) = self.mode {
            let weak = Arc::downgrade(self);
            self.handle.spawn(async move {
                tokio::time::sleep(ttl).await;
                if let Some(shared) = weak.upgrade()
                    && shared.load_seq.load(Ordering::Acquire) == seq
                {
                    shared.expired.store(true, Ordering::Release);
                }
            });
        }
    }

    fn counters(&self) -> (u64, u64) {
        let c = lock(&self.writer);
        (c.writes, c.inits)
    }

    /// Installs a data set read from Redis, unless the cache changed while it was being read:
    /// after a local `init` the read is obsolete; after local upserts the newer version of each
    /// item wins.
    fn install_loaded(self: &Arc<Self>, mut loaded: Snapshot, before: (u64, u64)) {
        let mut counters = lock(&self.writer);
        if counters.inits != before.1 {
            return;
        }
        if counters.writes != before.0 {
            let current = self.current.load();
            merge_newer(&mut loaded.flags, &current.flags);
            merge_newer(&mut loaded.segments, &current.segments);
        }
        if loaded.initialized {
            self.inited.store(true, Ordering::Release);
        }
        loaded.initialized |= self.inited.load(Ordering::Acquire);
        counters.writes += 1;
        self.current.store(Arc::new(loaded));
        self.mark_loaded();
    }

    fn load_blocking(self: &Arc<Self>, runtime: &IoRuntime) -> Result<(), RedisStoreError> {
        let before = self.counters();
        let redis = self.redis.clone();
        match runtime
            .block_on(async move { load(&redis).await })
            .and_then(|r| r)
        {
            Ok(loaded) => {
                self.install_loaded(loaded, before);
                Ok(())
            }
            Err(err) => {
                self.fail(&err, "read");
                Err(err)
            }
        }
    }

    fn refresh_in_background(self: Arc<Self>) {
        if self.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let handle = self.handle.clone();
        handle.spawn(async move {
            let before = self.counters();
            match load(&self.redis).await {
                Ok(loaded) => self.install_loaded(loaded, before),
                Err(err) => self.fail(&err, "background read"),
            }
            self.refreshing.store(false, Ordering::Release);
        });
    }

    /// During an outage, queues the write for the recovery task (atomically with respect to
    /// the end of the outage, so no write is lost) and returns true.
    fn queue_upsert_during_outage(&self, kind: DataKind, key: &str, item: &SerializedItem) -> bool {
        let mut outage = lock(&self.outage);
        if self.available.load(Ordering::Acquire) {
            return false;
        }
        let slot = outage
            .pending
            .entry((kind, key.to_owned()))
            .or_insert_with(|| item.clone());
        if item.version > slot.version {
            *slot = item.clone();
        }
        true
    }

    /// Like [`queue_upsert_during_outage`](Self::queue_upsert_during_outage) for a full data set.
    fn queue_init_during_outage(&self, set: &SerializedAllData) -> bool {
        let mut outage = lock(&self.outage);
        if self.available.load(Ordering::Acquire) {
            return false;
        }
        outage.pending_init = Some(set.clone());
        outage.pending.clear();
        true
    }

    fn queue_upsert(&self, kind: DataKind, key: &str, item: SerializedItem) {
        let mut outage = lock(&self.outage);
        let slot = outage
            .pending
            .entry((kind, key.to_owned()))
            .or_insert_with(|| item.clone());
        if item.version > slot.version {
            *slot = item;
        }
    }

    /// Records a failed operation. Connection failures start an outage (logged once) and the
    /// recovery task; other failures are logged as they come.
    fn fail(self: &Arc<Self>, err: &RedisStoreError, operation: &str) {
        if !err.is_unavailable() {
            tracing::warn!(error = %err, operation, "Redis data store operation failed");
            return;
        }
        let mut outage = lock(&self.outage);
        if self.available.swap(false, Ordering::AcqRel) {
            tracing::error!(
                error = %err,
                operation,
                "Redis data store unavailable; serving cached data and retrying writes when it returns"
            );
            self.status
                .broadcast(&RedisDataStoreStatus { available: false });
        } else {
            tracing::debug!(error = %err, operation, "Redis still unavailable");
        }
        if !outage.recovering {
            outage.recovering = true;
            self.handle.spawn(recover(Arc::downgrade(self)));
        }
    }

    /// Writes what the outage left unwritten. With `CacheMode::Forever`, or when Redis came
    /// back empty (restarted without persistence), that is the whole cached data set; otherwise
    /// the failed writes are replayed (version-checked, so newer data written meanwhile by
    /// others wins). On failure, everything not yet written is kept for the next attempt.
    async fn write_back(&self) -> Result<(), RedisStoreError> {
        let have_data = self.inited.load(Ordering::Acquire);
        let full =
            have_data && (self.mode == CacheMode::Forever || !self.redis.is_initialized().await?);
        if full {
            let set = serialize_snapshot(&self.current.load_full())
                .map_err(|e| RedisStoreError::Command(e.to_string()))?;
            let count = set.flags.len() + set.segments.len();
            self.redis.init(&set).await?;
            let mut outage = lock(&self.outage);
            outage.pending_init = None;
            outage.pending.clear();
            tracing::info!(items = count, "wrote the cached data set back to Redis");
            return Ok(());
        }
        let (init, pending) = {
            let mut outage = lock(&self.outage);
            (
                outage.pending_init.take(),
                std::mem::take(&mut outage.pending),
            )
        };
        if let Some(set) = &init
            && let Err(err) = self.redis.init(set).await
        {
            self.requeue(init, pending);
            return Err(err);
        }
        let mut remaining = pending;
        let keys: Vec<(DataKind, String)> = remaining.keys().cloned().collect();
        for (kind, key) in keys {
            let Some(item) = remaining.get(&(kind, key.clone())) else {
                continue;
            };
            if let Err(err) = self.redis.upsert(kind, &key, item).await {
                self.requeue(None, remaining);
                return Err(err);
            }
            remaining.remove(&(kind, key));
        }
        Ok(())
    }

    fn requeue(
        &self,
        init: Option<SerializedAllData>,
        pending: HashMap<(DataKind, String), SerializedItem>,
    ) {
        let mut outage = lock(&self.outage);
        if outage.pending_init.is_none() {
            outage.pending_init = init;
        }
        for ((kind, key), item) in pending {
            let slot = outage
                .pending
                .entry((kind, key))
                .or_insert_with(|| item.clone());
            if item.version > slot.version {
                *slot = item;
            }
        }
    }
}

/// Probes Redis until it answers and the pending writes are written, then ends the outage.
async fn recover(weak: Weak<Shared>) {
    loop {
        let Some(interval) = weak.upgrade().map(|s| s.poll_interval) else {
            return;
        };
        tokio::time::sleep(interval).await;
        let Some(shared) = weak.upgrade() else { return };
        if !shared.redis.is_available().await {
            continue;
        }
        if let Err(err) = shared.write_back().await {
            tracing::debug!(error = %err, "Redis answered but writing back failed; will retry");
            continue;
        }
        {
            let mut outage = lock(&shared.outage);
            if outage.pending_init.is_some() || !outage.pending.is_empty() {
                continue; // written meanwhile: write those too before ending the outage
            }
            outage.recovering = false;
            shared.available.store(true, Ordering::Release);
        }
        shared
            .status
            .broadcast(&RedisDataStoreStatus { available: true });
        tracing::warn!("Redis data store available again");
        if shared.mode != CacheMode::Forever {
            // Other writers may have changed Redis meanwhile.
            Arc::clone(&shared).refresh_in_background();
        }
        return;
    }
}

/// Reads both kinds from Redis and prepares them. Malformed items are logged and left out.
async fn load(redis: &SerializedRedisStore) -> Result<Snapshot, RedisStoreError> {
    let stored = redis.get_data_set().await?;
    let mut malformed = stored.malformed;
    let mut flags: ItemMap<Flag> =
        HashMap::with_capacity_and_hasher(stored.items.flags.len(), Default::default());
    for (key, item) in stored.items.flags {
        match flag_from_json(&item.json) {
            Ok(desc) => {
                flags.insert(Arc::from(key), desc);
            }
            Err(e) => malformed.push(RedisStoreError::MalformedItem {
                kind: Some(DataKind::Flag),
                key,
                message: e.to_string(),
            }),
        }
    }
    let mut segments: ItemMap<Segment> =
        HashMap::with_capacity_and_hasher(stored.items.segments.len(), Default::default());
    for (key, item) in stored.items.segments {
        match segment_from_json(&item.json) {
            Ok(desc) => {
                segments.insert(Arc::from(key), desc);
            }
            Err(e) => malformed.push(RedisStoreError::MalformedItem {
                kind: Some(DataKind::Segment),
                key,
                message: e.to_string(),
            }),
        }
    }
    for err in &malformed {
        tracing::warn!(error = %err, "skipping malformed item stored in Redis");
    }
    Ok(Snapshot {
        flags: Arc::new(flags),
        segments: Arc::new(segments),
        initialized: stored.initialized,
        generation: 0,
    })
}

/// Keeps every item of `current` that is newer than (or missing from) `loaded`.
fn merge_newer<T>(loaded: &mut Arc<ItemMap<T>>, current: &ItemMap<T>) {
    for (key, desc) in current {
        if loaded.get(key).is_none_or(|l| l.version < desc.version) {
            Arc::make_mut(loaded).insert(Arc::clone(key), desc.clone());
        }
    }
}

fn serialize_item<T: Serialize>(
    key: &str,
    item: &ItemDescriptor<T>,
) -> Result<SerializedItem, serde_json::Error> {
    Ok(match item.item() {
        None => tombstone(key, item.version),
        Some(value) => SerializedItem {
            version: item.version,
            deleted: false,
            json: serde_json::to_string(value)?,
        },
    })
}

fn serialize_map<'a, K: AsRef<str> + 'a, T: Serialize + 'a>(
    items: impl Iterator<Item = (&'a K, &'a ItemDescriptor<T>)>,
) -> Result<Vec<(String, SerializedItem)>, serde_json::Error> {
    items
        .map(|(k, d)| Ok((k.as_ref().to_owned(), serialize_item(k.as_ref(), d)?)))
        .collect()
}

fn serialize_all(data: &AllData) -> Result<SerializedAllData, serde_json::Error> {
    Ok(SerializedAllData {
        flags: serialize_map(data.flags.iter())?,
        segments: serialize_map(data.segments.iter())?,
    })
}

fn serialize_snapshot(snapshot: &Snapshot) -> Result<SerializedAllData, serde_json::Error> {
    Ok(SerializedAllData {
        flags: serialize_map(snapshot.flags.iter())?,
        segments: serialize_map(snapshot.segments.iter())?,
    })
}
