//! Caching and status on top of any [`BigSegmentStore`]: what evaluation actually talks to.
//!
//! The wrapper hashes context keys ([`context_hash`]), keeps recently queried memberships in an
//! LRU cache, polls the store's metadata on a background thread to know whether it is
//! available and up to date, broadcasts status changes, and answers the evaluator as an
//! [`ld_eval::BigSegmentProvider`] with LaunchDarkly's `bigSegmentsStatus` semantics.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ld_eval::{BigSegmentAnswer, BigSegmentProvider, BigSegmentsStatus, Segment};
use parking_lot::Mutex;

use crate::membership_cache::MembershipCache;
use crate::{
    BigSegmentMembership, BigSegmentStore, BigSegmentStoreError, BigSegmentStoreStatus,
    Broadcaster, context_hash,
};

/// Default number of contexts whose membership is cached.
pub const DEFAULT_CONTEXT_CACHE_SIZE: usize = 1000;
/// Default time a cached membership is used before the store is asked again.
pub const DEFAULT_CONTEXT_CACHE_TIME: Duration = Duration::from_secs(5);
/// Default interval between polls of the store's metadata.
pub const DEFAULT_STATUS_POLL_INTERVAL: Duration = Duration::from_secs(5);
/// Default age of the store's last update after which its data counts as stale.
pub const DEFAULT_STALE_AFTER: Duration = Duration::from_secs(120);

/// How a [`BigSegmentStoreWrapper`] caches and polls, with LaunchDarkly's defaults.
///
/// ```
/// use std::time::Duration;
/// use ld_store::BigSegmentsOptions;
/// let options = BigSegmentsOptions::default()
///     .context_cache_size(10_000)
///     .stale_after(Duration::from_secs(300));
/// assert_eq!(options.context_cache_time, Duration::from_secs(5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BigSegmentsOptions {
    /// How many contexts' memberships are cached (0 disables the cache). Default 1000.
    pub context_cache_size: usize,
    /// How long a cached membership is used. Default 5 s.
    pub context_cache_time: Duration,
    /// How often the store's metadata is polled for the status. Default 5 s.
    pub status_poll_interval: Duration,
    /// How old the store's last update may be before its data counts as stale. Default 2 min.
    pub stale_after: Duration,
}

impl Default for BigSegmentsOptions {
    fn default() -> Self {
        Self {
            context_cache_size: DEFAULT_CONTEXT_CACHE_SIZE,
            context_cache_time: DEFAULT_CONTEXT_CACHE_TIME,
            status_poll_interval: DEFAULT_STATUS_POLL_INTERVAL,
            stale_after: DEFAULT_STALE_AFTER,
        }
    }
}

impl BigSegmentsOptions {
    /// How many contexts' memberships to cache; 0 disables the cache.
    #[must_use]
    pub fn context_cache_size(mut self, size: usize) -> Self {
        self.context_cache_size = size;
        self
    }

    /// How long a cached membership is used; zero means the default (5 s).
    #[must_use]
    pub fn context_cache_time(mut self, time: Duration) -> Self {
        self.context_cache_time = or_default(time, DEFAULT_CONTEXT_CACHE_TIME);
        self
    }

    /// How often to poll the store's metadata; zero means the default (5 s).
    #[must_use]
    pub fn status_poll_interval(mut self, interval: Duration) -> Self {
        self.status_poll_interval = or_default(interval, DEFAULT_STATUS_POLL_INTERVAL);
        self
    }

    /// How old the store's data may be before it counts as stale; zero means the default
    /// (2 min).
    #[must_use]
    pub fn stale_after(mut self, age: Duration) -> Self {
        self.stale_after = or_default(age, DEFAULT_STALE_AFTER);
        self
    }
}

fn or_default(value: Duration, default: Duration) -> Duration {
    if value.is_zero() { default } else { value }
}

struct Shared {
    store: Arc<dyn BigSegmentStore>,
    cache: Mutex<MembershipCache>,
    stale_after: Duration,
    status: Mutex<Option<BigSegmentStoreStatus>>,
    changes: Broadcaster<BigSegmentStoreStatus>,
    /// The last membership query failed (so the next failure is not logged as news).
    membership_failing: AtomicBool,
    /// Membership queries under way, by context key, with their shared answer.
    in_flight: Mutex<HashMap<String, Arc<Flight>>>,
}

/// The answer of one membership query, shared by everyone who asked while it ran (errors as
/// their message).
type Flight = OnceLock<Result<Arc<BigSegmentMembership>, String>>;

/// A [`BigSegmentStore`] with a per-context membership cache and a polled status; hand it to
/// the evaluator as its [`BigSegmentProvider`].
///
/// Status polling runs on a thread of its own (so it works with or without a tokio runtime)
/// every `status_poll_interval` (at most every `stale_after`), starting one interval after
/// creation; until the first poll, asking for the status queries the store at once. The thread
/// stops on [`close`](Self::close) or drop.
///
/// ```
/// use std::sync::Arc;
/// use ld_store::{BigSegmentMembership, BigSegmentStore, BigSegmentStoreError, BigSegmentStoreWrapper, BigSegmentsOptions};
///
/// struct UpToDate;
/// impl BigSegmentStore for UpToDate {
///     fn get_metadata(&self) -> Result<Option<u64>, BigSegmentStoreError> {
///         let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
///         Ok(Some(now.as_millis() as u64))
///     }
///     fn get_membership(&self, _hash: &str) -> Result<BigSegmentMembership, BigSegmentStoreError> {
///         Ok(BigSegmentMembership::from_refs(["beta.g1"], Vec::<String>::new()))
///     }
/// }
///
/// let wrapper = BigSegmentStoreWrapper::new(Arc::new(UpToDate), BigSegmentsOptions::default())?;
/// let status = wrapper.status();
/// assert!(status.available && !status.stale);
/// assert_eq!(wrapper.context_membership("alice")?.check("beta.g1"), Some(true));
/// wrapper.close();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct BigSegmentStoreWrapper {
    shared: Arc<Shared>,
    stop: Mutex<Option<Sender<()>>>,
}

impl std::fmt::Debug for BigSegmentStoreWrapper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BigSegmentStoreWrapper")
            .field("status", &*self.shared.status.lock())
            .finish_non_exhaustive()
    }
}

impl BigSegmentStoreWrapper {
    /// Wraps `store` and starts the status poller thread.
    ///
    /// # Errors
    /// The poller thread could not be started.
    pub fn new(
        store: Arc<dyn BigSegmentStore>,
        options: BigSegmentsOptions,
    ) -> std::io::Result<Self> {
        let stale_after = or_default(options.stale_after, DEFAULT_STALE_AFTER);
        let shared = Arc::new(Shared {
            store,
            cache: Mutex::new(MembershipCache::new(
                options.context_cache_size,
                options.context_cache_time,
            )),
            stale_after,
            status: Mutex::new(None),
            changes: Broadcaster::new(),
            membership_failing: AtomicBool::new(false),
            in_flight: Mutex::new(HashMap::new()),
        });
        let interval =
            or_default(options.status_poll_interval, DEFAULT_STATUS_POLL_INTERVAL).min(stale_after);
        let (stop, stopped) = channel();
        let poller = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("ld-bigseg-status".into())
            .spawn(move || poll_until_stopped(&poller, interval, &stopped))?;
        Ok(Self {
            shared,
            stop: Mutex::new(Some(stop)),
        })
    }

    /// The membership of the context with key `context_key`: from the cache, or from the store
    /// (queried with the key's hash, then cached). Errors are not cached.
    ///
    /// # Errors
    /// The store could not be read.
    pub fn context_membership(
        &self,
        context_key: &str,
    ) -> Result<Arc<BigSegmentMembership>, BigSegmentStoreError> {
        if let Some(hit) = self.shared.cache.lock().get(context_key) {
            return Ok(hit);
        }
        // One store query per context key at a time: concurrent misses for the same key wait
        // for the first one's answer instead of querying again.
        let flight = Arc::clone(
            self.shared
                .in_flight
                .lock()
                .entry(context_key.to_owned())
                .or_default(),
        );
        let mut own_error = None;
        let answer = flight
            .get_or_init(|| {
                // A query that finished since the first look may have filled the cache.
                if let Some(hit) = self.shared.cache.lock().get(context_key) {
                    return Ok(hit);
                }
                let hash = context_hash(context_key);
                tracing::debug!(context_hash = %hash, "querying big segment memberships");
                match self.shared.store.get_membership(&hash) {
                    Ok(m) => {
                        let m = Arc::new(m);
                        self.shared.cache.lock().insert(context_key, Arc::clone(&m));
                        Ok(m)
                    }
                    Err(e) => {
                        let message = e.to_string();
                        own_error = Some(e);
                        Err(message)
                    }
                }
            })
            .clone();
        {
            let mut in_flight = self.shared.in_flight.lock();
            if in_flight
                .get(context_key)
                .is_some_and(|f| Arc::ptr_eq(f, &flight))
            {
                in_flight.remove(context_key);
            }
        }
        match (answer, own_error) {
            (Ok(m), _) => Ok(m),
            (Err(_), Some(e)) => Err(e),
            (Err(message), None) => Err(BigSegmentStoreError::new(message)),
        }
    }

    /// The membership and the status an evaluation reports with it: `StoreError` if the store
    /// could not be read, else `Stale` or `Healthy` from the store status.
    pub fn query(
        &self,
        context_key: &str,
    ) -> (Option<Arc<BigSegmentMembership>>, BigSegmentsStatus) {
        match self.context_membership(context_key) {
            Err(err) => {
                // Once per run of failures, not once per evaluation.
                if !self.shared.membership_failing.swap(true, Ordering::Relaxed) {
                    tracing::warn!(error = %err, "big segment membership query failed");
                } else {
                    tracing::debug!(error = %err, "big segment membership query failed");
                }
                (None, BigSegmentsStatus::StoreError)
            }
            Ok(m) => {
                self.shared
                    .membership_failing
                    .store(false, Ordering::Relaxed);
                let status = if self.status().stale {
                    BigSegmentsStatus::Stale
                } else {
                    BigSegmentsStatus::Healthy
                };
                (Some(m), status)
            }
        }
    }

    /// The latest polled status; if no poll has finished yet, the store is queried now.
    pub fn status(&self) -> BigSegmentStoreStatus {
        if let Some(status) = *self.shared.status.lock() {
            return status;
        }
        self.shared.poll_once()
    }

    /// A channel receiving every status change from now on.
    pub fn subscribe_status(&self) -> Receiver<BigSegmentStoreStatus> {
        self.shared.changes.subscribe()
    }

    /// Drops every cached membership.
    pub fn clear_cache(&self) {
        self.shared.cache.lock().clear();
    }

    /// Stops status polling (idempotent). Queries still work afterwards.
    pub fn close(&self) {
        self.stop.lock().take();
    }
}

impl Drop for BigSegmentStoreWrapper {
    fn drop(&mut self) {
        self.close();
    }
}

/// Answers the evaluator from the cache or the store, with LaunchDarkly's status semantics.
impl BigSegmentProvider for BigSegmentStoreWrapper {
    fn membership(&self, context_key: &str, segment: &Segment) -> BigSegmentAnswer {
        let (membership, status) = self.query(context_key);
        BigSegmentAnswer {
            // The evaluator asks only about segments that have a generation.
            membership: membership
                .and_then(|m| m.check_segment(&segment.key, segment.generation.unwrap_or(0))),
            status,
        }
    }
}

impl Shared {
    fn poll_once(&self) -> BigSegmentStoreStatus {
        let status = match self.store.get_metadata() {
            Ok(last_up_to_date) => BigSegmentStoreStatus {
                available: true,
                stale: is_stale(last_up_to_date, self.stale_after),
            },
            Err(err) => {
                if self.status.lock().is_none_or(|s| s.available) {
                    tracing::warn!(error = %err, "big segment store unavailable");
                }
                BigSegmentStoreStatus {
                    available: false,
                    stale: false,
                }
            }
        };
        let previous = self.status.lock().replace(status);
        if previous != Some(status) {
            if previous.is_some_and(|p| !p.available) && status.available {
                tracing::info!("big segment store available again");
            }
            self.changes.broadcast(&status);
        }
        status
    }
}

fn poll_until_stopped(shared: &Shared, interval: Duration, stopped: &Receiver<()>) {
    loop {
        match stopped.recv_timeout(interval) {
            Err(RecvTimeoutError::Timeout) => {
                shared.poll_once();
            }
            // The wrapper was closed or dropped.
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Whether data last updated at `last_up_to_date_ms` (never, if `None`) is older than
/// `stale_after`.
fn is_stale(last_up_to_date_ms: Option<u64>, stale_after: Duration) -> bool {
    let Some(ms) = last_up_to_date_ms else {
        return true;
    };
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    now_ms.saturating_sub(u128::from(ms)) >= stale_after.as_millis()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// An in-memory store whose answers and failures tests change while it runs.
    #[derive(Default)]
    struct FakeStore {
        memberships: parking_lot::Mutex<HashMap<String, BigSegmentMembership>>,
        last_up_to_date: parking_lot::Mutex<Option<u64>>,
        fail_metadata: std::sync::atomic::AtomicBool,
        fail_membership: std::sync::atomic::AtomicBool,
        membership_queries: parking_lot::Mutex<Vec<String>>,
        metadata_queries: AtomicUsize,
    }

    impl FakeStore {
        fn up_to_date() -> Arc<Self> {
            let store = Arc::new(Self::default());
            store.set_last_up_to_date(Some(now_ms()));
            store
        }
        fn include(&self, key: &str, segment_ref: &str) {
            self.memberships.lock().insert(
                context_hash(key),
                BigSegmentMembership::from_refs([segment_ref], Vec::<String>::new()),
            );
        }
        fn set_last_up_to_date(&self, ms: Option<u64>) {
            *self.last_up_to_date.lock() = ms;
        }
        fn queries(&self) -> Vec<String> {
            self.membership_queries.lock().clone()
        }
    }

    impl BigSegmentStore for FakeStore {
        fn get_metadata(&self) -> Result<Option<u64>, BigSegmentStoreError> {
            self.metadata_queries.fetch_add(1, Ordering::SeqCst);
            if self.fail_metadata.load(Ordering::SeqCst) {
                return Err(BigSegmentStoreError::new("metadata unavailable"));
            }
            Ok(*self.last_up_to_date.lock())
        }
        fn get_membership(&self, hash: &str) -> Result<BigSegmentMembership, BigSegmentStoreError> {
            self.membership_queries.lock().push(hash.to_owned());
            if self.fail_membership.load(Ordering::SeqCst) {
                return Err(BigSegmentStoreError::new("membership unavailable"));
            }
            Ok(self
                .memberships
                .lock()
                .get(hash)
                .cloned()
                .unwrap_or_default())
        }
    }

    fn now_ms() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
    }

    fn wrap(store: &Arc<FakeStore>, options: BigSegmentsOptions) -> BigSegmentStoreWrapper {
        BigSegmentStoreWrapper::new(store.clone(), options).unwrap()
    }

    fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !condition() {
            assert!(std::time::Instant::now() < deadline, "timed out: {what}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn segment(key: &str, generation: u64) -> Segment {
        serde_json::from_value(serde_json::json!({
            "key": key, "unbounded": true, "generation": generation
        }))
        .unwrap()
    }

    #[test]
    fn the_store_is_queried_with_the_base64_sha256_of_the_context_key() {
        let store = FakeStore::up_to_date();
        store.include("user-key", "s.g1");
        let wrapper = wrap(&store, BigSegmentsOptions::default());
        assert_eq!(
            wrapper
                .context_membership("user-key")
                .unwrap()
                .check("s.g1"),
            Some(true)
        );
        // The hash the conformance harness expects for "user-key".
        assert_eq!(
            store.queries(),
            ["CEXjZY7cHJG/ydFy7q4+YEFwVrG3/pkJwA4FAjrbfx0="]
        );
    }

    #[test]
    fn a_cached_membership_is_served_without_querying_the_store_again() {
        let store = FakeStore::up_to_date();
        store.include("u", "s.g1");
        let wrapper = wrap(&store, BigSegmentsOptions::default());
        assert_eq!(
            wrapper.context_membership("u").unwrap().check("s.g1"),
            Some(true)
        );
        store.memberships.lock().clear();
        assert_eq!(
            wrapper.context_membership("u").unwrap().check("s.g1"),
            Some(true),
            "served from the cache"
        );
        assert_eq!(store.queries().len(), 1);
        wrapper.clear_cache();
        assert_eq!(wrapper.context_membership("u").unwrap().check("s.g1"), None);
        assert_eq!(store.queries().len(), 2);
    }

    #[test]
    fn a_cached_membership_expires_after_the_context_cache_time() {
        let store = FakeStore::up_to_date();
        store.include("u", "s.g1");
        let wrapper = wrap(
            &store,
            BigSegmentsOptions::default().context_cache_time(Duration::from_millis(20)),
        );
        assert_eq!(
            wrapper.context_membership("u").unwrap().check("s.g1"),
            Some(true)
        );
        store.memberships.lock().clear();
        wait_for("the cached membership to expire", || {
            wrapper
                .context_membership("u")
                .unwrap()
                .check("s.g1")
                .is_none()
        });
    }

    #[test]
    fn the_least_recently_used_context_is_evicted_from_a_full_cache() {
        let store = FakeStore::up_to_date();
        let wrapper = wrap(&store, BigSegmentsOptions::default().context_cache_size(2));
        for key in ["u1", "u2", "u2", "u3", "u1"] {
            wrapper.context_membership(key).unwrap();
        }
        let hashes: Vec<String> = ["u1", "u2", "u3", "u1"]
            .iter()
            .map(|k| context_hash(k))
            .collect();
        assert_eq!(store.queries(), hashes);
    }

    #[test]
    fn concurrent_misses_for_one_context_share_a_single_store_query() {
        /// A store whose membership query blocks until released.
        struct Gate {
            inner: Arc<FakeStore>,
            release: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
        }
        impl BigSegmentStore for Gate {
            fn get_metadata(&self) -> Result<Option<u64>, BigSegmentStoreError> {
                self.inner.get_metadata()
            }
            fn get_membership(
                &self,
                hash: &str,
            ) -> Result<BigSegmentMembership, BigSegmentStoreError> {
                let _ = self
                    .release
                    .lock()
                    .unwrap()
                    .recv_timeout(Duration::from_secs(5));
                self.inner.get_membership(hash)
            }
        }
        let inner = FakeStore::up_to_date();
        inner.include("u", "s.g1");
        let (release, gate) = channel();
        let wrapper = Arc::new(
            BigSegmentStoreWrapper::new(
                Arc::new(Gate {
                    inner: inner.clone(),
                    release: std::sync::Mutex::new(gate),
                }),
                BigSegmentsOptions::default(),
            )
            .unwrap(),
        );
        let askers: Vec<_> = (0..4)
            .map(|_| {
                let w = Arc::clone(&wrapper);
                std::thread::spawn(move || w.context_membership("u").unwrap().check("s.g1"))
            })
            .collect();
        // Askers join the one query under way; any that start after it finished find the cache.
        // (The pause only gives them a chance to pile up; the outcome does not depend on it.)
        wait_for("the first query to start", || {
            wrapper.shared.in_flight.lock().contains_key("u")
        });
        std::thread::sleep(Duration::from_millis(50));
        release.send(()).unwrap();
        for asker in askers {
            assert_eq!(asker.join().unwrap(), Some(true));
        }
        assert_eq!(
            inner.queries().len(),
            1,
            "one query, shared (later askers hit the cache)"
        );
        assert!(wrapper.shared.in_flight.lock().is_empty());
    }

    #[test]
    fn store_errors_give_store_error_and_are_not_cached() {
        let store = FakeStore::up_to_date();
        store.include("u", "s.g1");
        store.fail_membership.store(true, Ordering::SeqCst);
        let wrapper = wrap(&store, BigSegmentsOptions::default());
        let answer = wrapper.membership("u", &segment("s", 1));
        assert_eq!(answer.membership, None);
        assert_eq!(answer.status, BigSegmentsStatus::StoreError);

        store.fail_membership.store(false, Ordering::SeqCst);
        let answer = wrapper.membership("u", &segment("s", 1));
        assert_eq!(answer.membership, Some(true));
        assert_eq!(answer.status, BigSegmentsStatus::Healthy);
    }

    #[test]
    fn the_answer_checks_the_segment_generation() {
        let store = FakeStore::up_to_date();
        store.include("u", "s.g2");
        let wrapper = wrap(&store, BigSegmentsOptions::default());
        assert_eq!(
            wrapper.membership("u", &segment("s", 2)).membership,
            Some(true)
        );
        assert_eq!(wrapper.membership("u", &segment("s", 1)).membership, None);
    }

    #[test]
    fn old_or_missing_update_times_are_stale() {
        let store = Arc::new(FakeStore::default());
        let wrapper = wrap(&store, BigSegmentsOptions::default());
        assert_eq!(
            wrapper.status(),
            BigSegmentStoreStatus {
                available: true,
                stale: true
            },
            "never updated"
        );
        assert_eq!(
            wrapper.membership("u", &segment("s", 1)).status,
            BigSegmentsStatus::Stale
        );

        assert!(is_stale(Some(1), DEFAULT_STALE_AFTER));
        assert!(is_stale(Some(now_ms() - 121_000), DEFAULT_STALE_AFTER));
        assert!(!is_stale(Some(now_ms() - 1_000), DEFAULT_STALE_AFTER));
    }

    #[test]
    fn polling_detects_staleness_outages_and_recovery_and_broadcasts_each_change() {
        let store = FakeStore::up_to_date();
        let wrapper = wrap(
            &store,
            BigSegmentsOptions::default().status_poll_interval(Duration::from_millis(10)),
        );
        let healthy = BigSegmentStoreStatus {
            available: true,
            stale: false,
        };
        assert_eq!(wrapper.status(), healthy);
        let changes = wrapper.subscribe_status();

        store.set_last_up_to_date(Some(1));
        let stale = BigSegmentStoreStatus {
            available: true,
            stale: true,
        };
        assert_eq!(changes.recv_timeout(Duration::from_secs(5)).unwrap(), stale);
        assert_eq!(wrapper.status(), stale);

        store.fail_metadata.store(true, Ordering::SeqCst);
        let down = BigSegmentStoreStatus {
            available: false,
            stale: false,
        };
        assert_eq!(changes.recv_timeout(Duration::from_secs(5)).unwrap(), down);

        store.fail_metadata.store(false, Ordering::SeqCst);
        store.set_last_up_to_date(Some(now_ms()));
        assert_eq!(
            changes.recv_timeout(Duration::from_secs(5)).unwrap(),
            healthy
        );
    }

    #[test]
    fn status_is_queried_once_on_demand_and_then_only_at_the_poll_interval() {
        let store = FakeStore::up_to_date();
        let wrapper = wrap(
            &store,
            BigSegmentsOptions::default().status_poll_interval(Duration::from_secs(3600)),
        );
        for key in ["a", "b", "c"] {
            wrapper.membership(key, &segment("s", 1));
        }
        wrapper.status();
        assert_eq!(store.metadata_queries.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn closing_stops_the_poller() {
        let store = FakeStore::up_to_date();
        let wrapper = wrap(
            &store,
            BigSegmentsOptions::default().status_poll_interval(Duration::from_millis(5)),
        );
        wait_for("a poll", || {
            store.metadata_queries.load(Ordering::SeqCst) > 0
        });
        wrapper.close();
        // The poller may be finishing one poll; after that, the count stays put.
        std::thread::sleep(Duration::from_millis(20));
        let after_close = store.metadata_queries.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(store.metadata_queries.load(Ordering::SeqCst), after_close);
    }

    #[test]
    fn zero_durations_fall_back_to_the_defaults() {
        let o = BigSegmentsOptions::default()
            .context_cache_time(Duration::ZERO)
            .status_poll_interval(Duration::ZERO)
            .stale_after(Duration::ZERO);
        assert_eq!(o, BigSegmentsOptions::default());
    }
}
