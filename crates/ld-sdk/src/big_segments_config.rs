//! Big segments configuration: which store holds the memberships, and how the client caches
//! and polls it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ld_store::{BigSegmentStore, BigSegmentsOptions};

/// Big segments settings for [`ConfigBuilder::big_segments`](crate::ConfigBuilder::big_segments):
/// the store (any [`BigSegmentStore`], such as `ld_sdk::redis::RedisBigSegmentStore` with the
/// `redis` feature) and LaunchDarkly's standard options, with LaunchDarkly's defaults.
///
/// The client wraps the store with a per-context membership cache (`context_cache_size`
/// contexts, each for `context_cache_time`) and polls its metadata every
/// `status_poll_interval` to report [`Client::big_segment_store_status`](crate::Client::big_segment_store_status);
/// data older than `stale_after` makes evaluations report `bigSegmentsStatus: STALE`.
///
/// ```
/// use std::time::Duration;
/// use ld_sdk::{BigSegmentMembership, BigSegmentStore, BigSegmentStoreError, BigSegmentsConfig, Config};
///
/// struct MyStore;
/// impl BigSegmentStore for MyStore {
///     fn get_metadata(&self) -> Result<Option<u64>, BigSegmentStoreError> { Ok(None) }
///     fn get_membership(&self, _hash: &str) -> Result<BigSegmentMembership, BigSegmentStoreError> {
///         Ok(BigSegmentMembership::default())
///     }
/// }
///
/// let config = Config::builder("sdk-key")
///     .big_segments(
///         BigSegmentsConfig::builder(MyStore)
///             .context_cache_size(5_000)
///             .context_cache_time(Duration::from_secs(30))
///             .status_poll_interval(Duration::from_secs(10))
///             .stale_after(Duration::from_secs(300)),
///     )
///     .offline(true)
///     .build()?;
/// assert_eq!(config.big_segments().unwrap().options().context_cache_size, 5_000);
/// # Ok::<(), ld_sdk::ConfigError>(())
/// ```
#[derive(Clone)]
#[must_use = "pass it to ConfigBuilder::big_segments"]
pub struct BigSegmentsConfig {
    store: Arc<dyn BigSegmentStore>,
    options: BigSegmentsOptions,
}

impl fmt::Debug for BigSegmentsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BigSegmentsConfig")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl BigSegmentsConfig {
    /// Big segments from `store`, with LaunchDarkly's default options (1000 contexts cached for
    /// 5 s, status polled every 5 s, stale after 2 min).
    pub fn builder(store: impl BigSegmentStore + 'static) -> Self {
        Self::shared(Arc::new(store))
    }

    /// [`BigSegmentsConfig::builder`] for a store that is already shared.
    pub fn shared(store: Arc<dyn BigSegmentStore>) -> Self {
        Self {
            store,
            options: BigSegmentsOptions::default(),
        }
    }

    /// How many contexts' memberships to cache (default 1000; 0 disables the cache).
    pub fn context_cache_size(mut self, size: usize) -> Self {
        self.options = self.options.context_cache_size(size);
        self
    }

    /// How long a cached membership is used before the store is asked again (default 5 s;
    /// zero means the default).
    pub fn context_cache_time(mut self, time: Duration) -> Self {
        self.options = self.options.context_cache_time(time);
        self
    }

    /// How often the store's metadata is polled for its status (default 5 s; zero means the
    /// default).
    pub fn status_poll_interval(mut self, interval: Duration) -> Self {
        self.options = self.options.status_poll_interval(interval);
        self
    }

    /// How old the store's last update may be before its data counts as stale (default 2 min;
    /// zero means the default).
    pub fn stale_after(mut self, age: Duration) -> Self {
        self.options = self.options.stale_after(age);
        self
    }

    /// The cache and polling options.
    pub fn options(&self) -> &BigSegmentsOptions {
        &self.options
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn BigSegmentStore> {
        &self.store
    }
}
