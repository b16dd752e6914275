//! The client configuration and its builder.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

use crate::data_source_config::DataSourceConfig;
use crate::data_store_config::DataStoreConfig;
use crate::{
    ApplicationInfo, BigSegmentsConfig, EventsConfig, EventsConfigError, Hook, HttpOptions,
    HttpOptionsError, InvalidUri, ServiceEndpoints, TagError,
};
use ld_eval::BigSegmentProvider;
use ld_store::{DataStore, PersistentDataStore, PersistentDataStoreWrapper};

/// How long [`global::set_config`](crate::global::set_config) waits for flags by default.
pub const DEFAULT_START_WAIT: Duration = Duration::from_secs(5);

/// An invalid configuration, reported by [`ConfigBuilder::build`].
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The SDK key is empty (allowed only in offline mode).
    #[error("the SDK key is empty; set one, or use offline mode")]
    EmptySdkKey,
    /// The SDK key contains whitespace or control characters (it is sent as an HTTP header).
    #[error("the SDK key contains whitespace or control characters")]
    InvalidSdkKey,
    /// An application tag breaks LaunchDarkly's rules.
    #[error(transparent)]
    ApplicationTag(#[from] TagError),
    /// A service endpoint is not a valid base URI.
    #[error(transparent)]
    Endpoint(#[from] InvalidUri),
    /// An HTTP setting is invalid.
    #[error(transparent)]
    Http(#[from] HttpOptionsError),
    /// An events setting is invalid.
    #[error(transparent)]
    Events(#[from] EventsConfigError),
    /// A data source setting is invalid.
    #[error(transparent)]
    DataSource(#[from] crate::DataSourceConfigError),
    /// The wrapper name or version contains characters that cannot go in an HTTP header.
    #[error("wrapper name and version must be non-empty and free of control characters and '/'")]
    InvalidWrapper,
}

/// The complete, validated configuration of a [`Client`](crate::Client). Build one with
/// [`Config::builder`].
#[derive(Clone)]
pub struct Config {
    pub(crate) sdk_key: String,
    pub(crate) offline: bool,
    pub(crate) send_events: bool,
    pub(crate) start_wait: Duration,
    pub(crate) data_source: DataSourceConfig,
    pub(crate) events: EventsConfig,
    pub(crate) endpoints: ServiceEndpoints,
    pub(crate) application: ApplicationInfo,
    pub(crate) wrapper: Option<(String, Option<String>)>,
    pub(crate) http: HttpOptions,
    pub(crate) hooks: Vec<Arc<dyn Hook>>,
    pub(crate) data_store: Option<DataStoreConfig>,
    pub(crate) big_segments: Option<BigSegmentsConfig>,
    pub(crate) big_segment_provider: Option<Arc<dyn BigSegmentProvider + Send + Sync>>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the SDK key.
        f.debug_struct("Config")
            .field("offline", &self.offline)
            .field("send_events", &self.send_events)
            .field("start_wait", &self.start_wait)
            .field("data_source", &self.data_source)
            .field("events", &self.events)
            .field("endpoints", &self.endpoints)
            .field("application", &self.application)
            .field("wrapper", &self.wrapper)
            .field("http", &self.http)
            .field("hooks", &self.hooks.len())
            .field("data_store", &self.data_store)
            .field("big_segments", &self.big_segments)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Starts a configuration for this SDK key with LaunchDarkly's defaults: streaming, events
    /// sent, LaunchDarkly's own service endpoints.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ld_sdk::Config;
    ///
    /// let config = Config::builder("sdk-key-123")
    ///     .connect_timeout(Duration::from_secs(5))
    ///     .application_id("checkout")
    ///     .application_version("1.2.3")
    ///     .build()
    ///     .expect("valid configuration");
    /// assert!(!config.is_offline());
    /// ```
    pub fn builder(sdk_key: impl Into<String>) -> ConfigBuilder {
        ConfigBuilder {
            config: Config {
                sdk_key: sdk_key.into(),
                offline: false,
                send_events: true,
                start_wait: DEFAULT_START_WAIT,
                data_source: DataSourceConfig::default(),
                events: EventsConfig::default(),
                endpoints: ServiceEndpoints::default(),
                application: ApplicationInfo::default(),
                wrapper: None,
                http: HttpOptions::default(),
                hooks: Vec::new(),
                data_store: None,
                big_segments: None,
                big_segment_provider: None,
            },
            data_source_chosen: false,
        }
    }

    /// The SDK key. Handle with care: never log it.
    pub fn sdk_key(&self) -> &str {
        &self.sdk_key
    }

    /// Whether the client makes no connection at all and serves defaults.
    pub fn is_offline(&self) -> bool {
        self.offline
    }

    /// Whether analytics events are sent (false when offline).
    pub fn sends_events(&self) -> bool {
        self.send_events && !self.offline
    }

    /// How long the global client waits for flags before it is returned.
    pub fn start_wait(&self) -> Duration {
        self.start_wait
    }

    /// Where flags come from.
    pub fn data_source(&self) -> &DataSourceConfig {
        &self.data_source
    }

    /// The events settings.
    pub fn events(&self) -> &EventsConfig {
        &self.events
    }

    /// The service endpoints.
    pub fn service_endpoints(&self) -> &ServiceEndpoints {
        &self.endpoints
    }

    /// The application metadata.
    pub fn application_info(&self) -> &ApplicationInfo {
        &self.application
    }

    /// The wrapper library name and version, if the SDK is wrapped by another library.
    pub fn wrapper(&self) -> Option<(&str, Option<&str>)> {
        self.wrapper
            .as_ref()
            .map(|(name, version)| (name.as_str(), version.as_deref()))
    }

    /// The `X-LaunchDarkly-Wrapper` header value (`name` or `name/version`), if any.
    pub fn wrapper_header(&self) -> Option<String> {
        self.wrapper.as_ref().map(|(name, version)| match version {
            Some(v) => format!("{name}/{v}"),
            None => name.clone(),
        })
    }

    /// The HTTP settings.
    pub fn http(&self) -> &HttpOptions {
        &self.http
    }

    /// The big segments settings, if a big segment store is configured.
    pub fn big_segments(&self) -> Option<&BigSegmentsConfig> {
        self.big_segments.as_ref()
    }
}

/// Builds a [`Config`]; every setting is checked by [`ConfigBuilder::build`].
#[must_use = "call build() to get the configuration"]
pub struct ConfigBuilder {
    config: Config,
    data_source_chosen: bool,
}

impl ConfigBuilder {
    /// Offline mode: no network connection at all, every evaluation returns the default value,
    /// no events.
    pub fn offline(mut self, offline: bool) -> Self {
        self.config.offline = offline;
        self
    }

    /// Whether to send analytics events (default true).
    pub fn send_events(mut self, send: bool) -> Self {
        self.config.send_events = send;
        self
    }

    /// How long [`global::set_config`](crate::global::set_config) waits for flags before
    /// returning (default 5 s). Zero means do not wait.
    pub fn start_wait(mut self, wait: Duration) -> Self {
        self.config.start_wait = wait;
        self
    }

    /// How long to wait for a network connection (a shortcut for the HTTP options' setting).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.http = self.config.http.connect_timeout(timeout);
        self
    }

    /// Where flags come from: streaming (the default with the `http` feature), polling, files,
    /// [`TestData`](crate::TestData), a custom source, or none.
    pub fn data_source(mut self, source: impl Into<DataSourceConfig>) -> Self {
        self.config.data_source = source.into();
        self.data_source_chosen = true;
        self
    }

    /// The events settings.
    pub fn events(mut self, events: EventsConfig) -> Self {
        self.config.events = events;
        self
    }

    /// The base URIs of LaunchDarkly's services.
    pub fn service_endpoints(mut self, endpoints: ServiceEndpoints) -> Self {
        self.config.endpoints = endpoints;
        self
    }

    /// Connects to a Relay Proxy for all three services.
    pub fn relay_proxy(self, uri: impl Into<String>) -> Self {
        self.service_endpoints(ServiceEndpoints::relay_proxy(uri))
    }

    /// The application id sent as a tag (validated).
    pub fn application_id(mut self, id: impl Into<String>) -> Self {
        self.config.application = self.config.application.id(id);
        self
    }

    /// The application version sent as a tag (validated).
    pub fn application_version(mut self, version: impl Into<String>) -> Self {
        self.config.application = self.config.application.version(version);
        self
    }

    /// Replaces the application metadata as a whole.
    pub fn application_info(mut self, info: ApplicationInfo) -> Self {
        self.config.application = info;
        self
    }

    /// Identifies a library wrapping this SDK (sent as `X-LaunchDarkly-Wrapper`).
    pub fn wrapper(mut self, name: impl Into<String>, version: Option<String>) -> Self {
        self.config.wrapper = Some((name.into(), version));
        self
    }

    /// The HTTP settings.
    pub fn http(mut self, http: HttpOptions) -> Self {
        self.config.http = http;
        self
    }

    /// Keeps flag data in a persistent database (such as Redis) shared with other processes,
    /// behind an in-memory cache that evaluations read.
    ///
    /// The cache is loaded from the database when the client starts, so stored flags are served
    /// (with a warning) before the data source connects. With
    /// [`DataSourceConfig::External`] (daemon mode: a Relay Proxy or another SDK fills the
    /// database) the cache is reloaded every `refresh_interval`.
    pub fn persistent_store<P: PersistentDataStore + 'static>(
        mut self,
        database: P,
        refresh_interval: Duration,
    ) -> Self {
        let store = Arc::new(PersistentDataStoreWrapper::new(database));
        let reload = store.clone();
        self.config.data_store = Some(DataStoreConfig {
            store,
            refresh: Some((Arc::new(move || reload.refresh()), refresh_interval)),
        });
        self
    }

    /// Uses this [`DataStore`] instead of the in-memory store (for stores that keep their own
    /// snapshot current).
    pub fn data_store(mut self, store: Arc<dyn DataStore>) -> Self {
        self.config.data_store = Some(DataStoreConfig {
            store,
            refresh: None,
        });
        self
    }

    /// Big segments (segments too large to ship with the flags, kept in a store such as
    /// Redis): the store and its cache and polling options. Without big segments, rules using
    /// them do not match and reasons say `bigSegmentsStatus: NOT_CONFIGURED`.
    ///
    /// With the `redis` feature, LaunchDarkly's Redis schema is
    /// `BigSegmentsConfig::builder(ld_sdk::redis::RedisBigSegmentStore::new(options)?)`. The
    /// client then reports the store's health through
    /// [`Client::big_segment_store_status`](crate::Client::big_segment_store_status).
    pub fn big_segments(mut self, config: BigSegmentsConfig) -> Self {
        self.config.big_segments = Some(config);
        self.config.big_segment_provider = None;
        self
    }

    /// Answers big segment membership with a provider of your own, which does its own hashing,
    /// caching and status (the evaluator's raw seam; most applications want
    /// [`ConfigBuilder::big_segments`] with a [`BigSegmentStore`](crate::BigSegmentStore)
    /// instead). The client then has no big segment store status.
    pub fn big_segment_provider(
        mut self,
        provider: Arc<dyn BigSegmentProvider + Send + Sync>,
    ) -> Self {
        self.config.big_segment_provider = Some(provider);
        self.config.big_segments = None;
        self
    }

    /// Adds an evaluation/track hook; hooks run in the order they were added.
    pub fn hook(mut self, hook: impl Hook + 'static) -> Self {
        self.config.hooks.push(Arc::new(hook));
        self
    }

    /// Adds an already shared hook.
    pub fn shared_hook(mut self, hook: Arc<dyn Hook>) -> Self {
        self.config.hooks.push(hook);
        self
    }

    /// Checks every setting and returns the configuration, or the first problem found.
    pub fn build(self) -> Result<Config, ConfigError> {
        let mut config = self.config;
        if !config.offline {
            if config.sdk_key.is_empty() {
                return Err(ConfigError::EmptySdkKey);
            }
            if config
                .sdk_key
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(ConfigError::InvalidSdkKey);
            }
        }
        config.application = config.application.validated()?;
        config.endpoints.validate()?;
        config.http = config.http.validated()?;
        config.events.validate()?;
        if !self.data_source_chosen && !cfg!(feature = "http") && !config.offline {
            return Err(crate::DataSourceConfigError::NoDataSource.into());
        }
        config.data_source.validate(&config.endpoints)?;
        if let Some((_, interval)) = config.data_store.as_ref().and_then(|s| s.refresh.as_ref())
            && interval.is_zero()
        {
            return Err(
                crate::DataSourceConfigError::Zero("persistent store refresh interval").into(),
            );
        }
        if let Some((name, version)) = &config.wrapper {
            let bad = |s: &str| s.is_empty() || s.chars().any(|c| c.is_control() || c == '/');
            if bad(name) || version.as_deref().is_some_and(bad) {
                return Err(ConfigError::InvalidWrapper);
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A builder that does not depend on the `http` feature's default data source.
    fn builder(sdk_key: &str) -> ConfigBuilder {
        Config::builder(sdk_key).data_source(DataSourceConfig::External)
    }

    #[test]
    fn an_empty_sdk_key_is_an_error_unless_offline() {
        assert!(matches!(builder("").build(), Err(ConfigError::EmptySdkKey)));
        assert!(builder("").offline(true).build().is_ok());
    }

    #[test]
    fn an_sdk_key_with_a_newline_is_rejected() {
        assert!(matches!(
            builder("key\nX-Evil: 1").build(),
            Err(ConfigError::InvalidSdkKey)
        ));
    }

    #[test]
    fn a_bad_application_tag_is_a_typed_error() {
        let err = builder("k")
            .application_id("has spaces")
            .build()
            .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::ApplicationTag(TagError::InvalidCharacter { .. })
        ));
    }

    #[test]
    fn a_bad_relay_uri_is_a_typed_error() {
        let err = builder("k").relay_proxy("relay:8030").build().unwrap_err();
        assert!(matches!(err, ConfigError::Endpoint(_)), "{err}");
    }

    #[test]
    fn the_debug_form_never_shows_the_sdk_key() {
        let config = builder("sdk-very-secret").build().unwrap();
        assert!(!format!("{config:?}").contains("very-secret"));
    }

    #[test]
    fn offline_mode_sends_no_events() {
        let config = builder("k").offline(true).build().unwrap();
        assert!(!config.sends_events());
    }

    #[test]
    fn wrapper_header_joins_name_and_version() {
        let config = builder("k")
            .wrapper("my-wrapper", Some("2.0".into()))
            .build()
            .unwrap();
        assert_eq!(config.wrapper_header().as_deref(), Some("my-wrapper/2.0"));
        assert!(matches!(
            builder("k").wrapper("a/b", None).build(),
            Err(ConfigError::InvalidWrapper)
        ));
    }
}
