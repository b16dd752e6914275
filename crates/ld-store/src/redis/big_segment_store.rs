//! Big segments on Redis: per-context membership sets written by the Relay Proxy, read with a
//! small membership cache, and a store status (available / stale) from the synchronized-on time.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ld_eval::{BigSegmentAnswer, BigSegmentProvider, BigSegmentsStatus, Segment, big_segment_ref};

use super::connection::RedisConnection;
use super::io_runtime::IoRuntime;
use super::{RedisKeys, RedisOptions, RedisStoreError, context_hash};
use crate::Broadcaster;
use std::sync::mpsc::Receiver;

/// Default number of contexts whose membership is cached.
pub const DEFAULT_CONTEXT_CACHE_SIZE: usize = 1000;
/// Default time a cached membership is used before it is read again.
pub const DEFAULT_CONTEXT_CACHE_TIME: Duration = Duration::from_secs(5);
/// Default interval between status polls of the synchronized-on time.
pub const DEFAULT_STATUS_POLL_INTERVAL: Duration = Duration::from_secs(5);
/// Default age of the last synchronization after which big segment data counts as stale.
pub const DEFAULT_STALE_AFTER: Duration = Duration::from_secs(120);

/// Which big segments one context is explicitly included in or excluded from.
///
/// Keys are segment refs, `<segment key>.g<generation>` (see [`segment_ref`](Self::segment_ref)).
/// A ref listed as both included and excluded counts as included.
///
/// ```
/// use ld_store::redis::BigSegmentMembership;
/// let m = BigSegmentMembership::from_refs(["a.g1", "b.g2"], ["b.g2", "c.g1"]);
/// assert_eq!(m.check("a.g1"), Some(true));
/// assert_eq!(m.check("b.g2"), Some(true));
/// assert_eq!(m.check("c.g1"), Some(false));
/// assert_eq!(m.check("d.g1"), None);
/// assert_eq!(BigSegmentMembership::segment_ref("a", 1), "a.g1");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BigSegmentMembership {
    refs: HashMap<String, bool>,
}

impl BigSegmentMembership {
    /// Membership from the include and exclude sets.
    pub fn from_refs<I, E>(included: I, excluded: E) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
        E: IntoIterator,
        E::Item: Into<String>,
    {
        let mut refs = HashMap::new();
        for r in excluded {
            refs.insert(r.into(), false);
        }
        for r in included {
            refs.insert(r.into(), true);
        }
        Self { refs }
    }

    /// `Some(true)` if included, `Some(false)` if excluded, `None` if neither.
    pub fn check(&self, segment_ref: &str) -> Option<bool> {
        self.refs.get(segment_ref).copied()
    }

    /// The ref naming one generation of a big segment.
    pub fn segment_ref(segment_key: &str, generation: u64) -> String {
        format!("{segment_key}.g{generation}")
    }
}

/// The health of the big segment store as last polled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BigSegmentStoreStatus {
    /// Redis answered the last poll.
    pub available: bool,
    /// The data was last synchronized longer ago than `stale_after` (or never).
    pub stale: bool,
}

/// Configures a [`RedisBigSegmentStore`].
///
/// ```no_run
/// use std::time::Duration;
/// use ld_store::redis::{RedisBigSegmentStoreBuilder, RedisOptions};
/// let store = RedisBigSegmentStoreBuilder::new(RedisOptions::new().url("redis://127.0.0.1:6379"))
///     .context_cache_time(Duration::from_secs(10))
///     .stale_after(Duration::from_secs(300))
///     .build()?;
/// let (membership, status) = store.query("user-key");
/// let included = membership.and_then(|m| m.check("my-big-segment.g1"));
/// # Ok::<(), ld_store::redis::RedisStoreError>(())
/// ```
#[derive(Debug, Clone)]
pub struct RedisBigSegmentStoreBuilder {
    options: RedisOptions,
    context_cache_size: usize,
    context_cache_time: Duration,
    status_poll_interval: Duration,
    stale_after: Duration,
}

impl RedisBigSegmentStoreBuilder {
    /// LaunchDarkly's defaults: 1000 cached contexts for 5 s, status polled every 5 s, stale after 2 min.
    pub fn new(options: RedisOptions) -> Self {
        Self {
            options,
            context_cache_size: DEFAULT_CONTEXT_CACHE_SIZE,
            context_cache_time: DEFAULT_CONTEXT_CACHE_TIME,
            status_poll_interval: DEFAULT_STATUS_POLL_INTERVAL,
            stale_after: DEFAULT_STALE_AFTER,
        }
    }

    /// How many contexts' memberships to cache (0 disables the cache).
    #[must_use]
    pub fn context_cache_size(mut self, size: usize) -> Self {
        self.context_cache_size = size;
        self
    }

    /// How long a cached membership is used.
    #[must_use]
    pub fn context_cache_time(mut self, time: Duration) -> Self {
        self.context_cache_time = time;
        self
    }

    /// How often the synchronized-on time is polled for [`RedisBigSegmentStore::status`].
    #[must_use]
    pub fn status_poll_interval(mut self, interval: Duration) -> Self {
        self.status_poll_interval = interval.max(Duration::from_millis(10));
        self
    }

    /// How old the last synchronization may be before the data counts as stale.
    #[must_use]
    pub fn stale_after(mut self, age: Duration) -> Self {
        self.stale_after = age;
        self
    }

    /// Creates the store and starts polling its status in the background.
    ///
    /// # Errors
    /// [`RedisStoreError::InvalidUrl`] or [`RedisStoreError::Runtime`]; an unreachable Redis is
    /// not an error here (it shows in the status).
    pub fn build(self) -> Result<RedisBigSegmentStore, RedisStoreError> {
        let runtime = IoRuntime::new("ld-redis-bigseg")?;
        let inner = Arc::new(Inner {
            conn: RedisConnection::new(&self.options)?,
            keys: RedisKeys::new(self.options.prefix_or_default()),
            cache: Mutex::new(MembershipCache::new(
                self.context_cache_size,
                self.context_cache_time,
            )),
            stale_after: self.stale_after,
            status: Mutex::new(None),
            status_changes: Broadcaster::new(),
        });
        let weak = Arc::downgrade(&inner);
        runtime
            .handle()
            .spawn(poll_status(weak, self.status_poll_interval));
        Ok(RedisBigSegmentStore { inner, runtime })
    }
}

struct Inner {
    conn: RedisConnection,
    keys: RedisKeys,
    cache: Mutex<MembershipCache>,
    stale_after: Duration,
    status: Mutex<Option<BigSegmentStoreStatus>>,
    status_changes: Broadcaster<BigSegmentStoreStatus>,
}

/// Big segment membership read from Redis in LaunchDarkly's schema.
///
/// Synchronous methods ([`query`](Self::query), [`membership`](Self::membership),
/// [`status`](Self::status)) may be called from any thread, including tokio worker threads;
/// a cache hit does no I/O.
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
    /// A builder with LaunchDarkly's defaults.
    pub fn builder(options: RedisOptions) -> RedisBigSegmentStoreBuilder {
        RedisBigSegmentStoreBuilder::new(options)
    }

    /// The membership of the context with key `context_key`, from the cache or from Redis.
    ///
    /// # Errors
    /// [`RedisStoreError::Unavailable`] and friends when Redis cannot be read and nothing is cached.
    pub fn context_membership(
        &self,
        context_key: &str,
    ) -> Result<Arc<BigSegmentMembership>, RedisStoreError> {
        if let Some(hit) = self.lock_cache().get(context_key) {
            return Ok(hit);
        }
        let inner = Arc::clone(&self.inner);
        let hash = context_hash(context_key);
        let membership = Arc::new(
            self.runtime
                .block_on(async move { inner.fetch_membership(&hash).await })??,
        );
        self.lock_cache()
            .insert(context_key, Arc::clone(&membership));
        Ok(membership)
    }

    /// Membership plus the status an evaluation reports: `StoreError` if it could not be read,
    /// `Stale` if the data has not been synchronized within `stale_after`, else `Healthy`.
    pub fn query(
        &self,
        context_key: &str,
    ) -> (Option<Arc<BigSegmentMembership>>, BigSegmentsStatus) {
        match self.context_membership(context_key) {
            Err(_) => (None, BigSegmentsStatus::StoreError),
            Ok(m) => {
                let status = if self.status().stale {
                    BigSegmentsStatus::Stale
                } else {
                    BigSegmentsStatus::Healthy
                };
                (Some(m), status)
            }
        }
    }

    /// The latest polled status (polls now if no poll has finished yet).
    pub fn status(&self) -> BigSegmentStoreStatus {
        if let Some(status) = *lock(&self.inner.status) {
            return status;
        }
        let inner = Arc::clone(&self.inner);
        self.runtime
            .block_on(async move { inner.poll_once().await })
            .unwrap_or_default()
    }

    /// A channel receiving every status change from now on.
    pub fn subscribe_status(&self) -> Receiver<BigSegmentStoreStatus> {
        self.inner.status_changes.subscribe()
    }

    /// When the Relay Proxy last synchronized big segments (Unix milliseconds), read from Redis now.
    ///
    /// # Errors
    /// Connection or command errors, or a value that is not a number.
    pub fn synchronized_on(&self) -> Result<Option<u64>, RedisStoreError> {
        let inner = Arc::clone(&self.inner);
        self.runtime
            .block_on(async move { inner.synchronized_on().await })?
    }

    /// Drops every cached membership.
    pub fn clear_cache(&self) {
        self.lock_cache().clear();
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, MembershipCache> {
        self.inner
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Lets the evaluator ask the store directly: pass the store to `ld_eval::Evaluator` as its
/// big segment provider.
impl BigSegmentProvider for RedisBigSegmentStore {
    fn membership(&self, context_key: &str, segment: &Segment) -> BigSegmentAnswer {
        let (membership, status) = self.query(context_key);
        let membership = membership.and_then(|m| m.check(&big_segment_ref(segment)));
        BigSegmentAnswer { membership, status }
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

    async fn poll_once(&self) -> BigSegmentStoreStatus {
        let status = match self.synchronized_on().await {
            Ok(time) => BigSegmentStoreStatus {
                available: true,
                stale: is_stale(time, self.stale_after),
            },
            Err(err) => {
                if lock(&self.status).is_none_or(|s| s.available) {
                    tracing::warn!(error = %err, "big segment store unavailable");
                }
                BigSegmentStoreStatus {
                    available: false,
                    stale: false,
                }
            }
        };
        let changed = lock(&self.status).replace(status) != Some(status);
        if changed {
            self.status_changes.broadcast(&status);
        }
        status
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn is_stale(synchronized_on_ms: Option<u64>, stale_after: Duration) -> bool {
    let Some(ms) = synchronized_on_ms else {
        return true;
    };
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let age_ms = now_ms.saturating_sub(u128::from(ms));
    age_ms > stale_after.as_millis()
}

async fn poll_status(inner: Weak<Inner>, interval: Duration) {
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        strong.poll_once().await;
        drop(strong);
        tokio::time::sleep(interval).await;
    }
}

/// A bounded, time-limited map of context key → membership; the oldest entry goes first.
struct MembershipCache {
    entries: HashMap<String, (Instant, u64, Arc<BigSegmentMembership>)>,
    order: VecDeque<(String, u64)>,
    next_seq: u64,
    capacity: usize,
    ttl: Duration,
}

impl MembershipCache {
    fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            entries: HashMap::new(),
            order: VecDeque::new(),
            next_seq: 0,
            capacity,
            ttl,
        }
    }

    fn get(&self, key: &str) -> Option<Arc<BigSegmentMembership>> {
        let (at, _, m) = self.entries.get(key)?;
        (at.elapsed() < self.ttl).then(|| Arc::clone(m))
    }

    fn insert(&mut self, key: &str, membership: Arc<BigSegmentMembership>) {
        if self.capacity == 0 || self.ttl.is_zero() {
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.entries
            .insert(key.to_owned(), (Instant::now(), seq, membership));
        self.order.push_back((key.to_owned(), seq));
        while self.entries.len() > self.capacity {
            let Some((old_key, old_seq)) = self.order.pop_front() else {
                break;
            };
            if self
                .entries
                .get(&old_key)
                .is_some_and(|(_, s, _)| *s == old_seq)
            {
                self.entries.remove(&old_key);
            }
        }
        // Superseded order entries of re-inserted keys would otherwise accumulate.
        if self.order.len() > self.capacity.saturating_mul(2) + 16 {
            let entries = &self.entries;
            self.order
                .retain(|(k, s)| entries.get(k).is_some_and(|(_, cur, _)| cur == s));
        }
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_evicts_the_oldest_context_when_full() {
        let mut cache = MembershipCache::new(2, Duration::from_secs(60));
        let m = Arc::new(BigSegmentMembership::default());
        cache.insert("a", Arc::clone(&m));
        cache.insert("b", Arc::clone(&m));
        cache.insert("a", Arc::clone(&m)); // refresh a: b is now oldest
        cache.insert("c", Arc::clone(&m));
        assert!(cache.get("a").is_some());
        assert!(cache.get("b").is_none());
        assert!(cache.get("c").is_some());
    }

    #[test]
    fn cache_entries_expire_after_their_time() {
        let mut cache = MembershipCache::new(10, Duration::from_millis(0));
        cache.insert("a", Arc::new(BigSegmentMembership::default()));
        assert!(cache.get("a").is_none());
    }

    #[test]
    fn never_synchronized_or_old_data_is_stale() {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        assert!(is_stale(None, DEFAULT_STALE_AFTER));
        assert!(is_stale(Some(now_ms - 121_000), DEFAULT_STALE_AFTER));
        assert!(!is_stale(Some(now_ms - 1_000), DEFAULT_STALE_AFTER));
    }
}
