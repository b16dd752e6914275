//! Configuration of the event processor.

use std::fmt;
use std::time::Duration;

use serde_json::{Map, Value};

/// The default events service.
pub const DEFAULT_EVENTS_BASE_URI: &str = "https://events.launchdarkly.com";

/// How analytics events are recorded and delivered.
///
/// ```
/// use std::time::Duration;
/// use ld_events::EventsConfig;
///
/// let mut config = EventsConfig::new("sdk-key");
/// config.flush_interval = Duration::from_secs(2);
/// config.private_attributes = vec!["email".into(), "/address/street".into()];
/// assert_eq!(config.capacity, 10_000);
/// ```
#[derive(Clone)]
pub struct EventsConfig {
    /// The SDK key, sent as `Authorization`. Never logged.
    pub sdk_key: String,
    /// Base URI of the events service; payloads go to `{base}/bulk`, diagnostics to
    /// `{base}/diagnostic`.
    pub events_base_uri: String,
    /// The `User-Agent` header, such as `RustServerClient/0.1.0`.
    pub user_agent: String,
    /// Further headers sent with every request (wrapper, application tags).
    pub extra_headers: Vec<(String, String)>,
    /// Maximum number of buffered events (default 10,000); beyond it events are dropped and
    /// counted. Summary counters are not limited by it.
    pub capacity: usize,
    /// Time between automatic flushes (default 5 s).
    pub flush_interval: Duration,
    /// How many context keys the index-event LRU remembers (default 1,000).
    pub context_keys_capacity: usize,
    /// How often the index-event LRU is cleared (default 5 minutes).
    pub context_keys_flush_interval: Duration,
    /// Redact every optional attribute of every context.
    pub all_attributes_private: bool,
    /// Attribute references (`"email"`, `"/address/street"`) redacted from every context.
    pub private_attributes: Vec<String>,
    /// Leave anonymous contexts out of index and identify events.
    pub omit_anonymous_contexts: bool,
    /// Gzip request bodies (`Content-Encoding: gzip`).
    pub compress_events: bool,
    /// Maximum number of payloads being delivered at once (default 5). A flush that finds them
    /// all busy leaves its events buffered for the next one.
    pub max_in_flight: usize,
    /// Delay before the single retry of a failed delivery (default 1 s).
    pub retry_delay: Duration,
    /// Upper bound on how long `close()` waits for the final delivery (default 5 s).
    pub close_timeout: Duration,
    /// Diagnostic events; `None` opts out.
    pub diagnostics: Option<DiagnosticsConfig>,
    /// Interval of periodic `diagnostic` events (default 15 minutes). Not clamped here: the SDK
    /// facade enforces LaunchDarkly's one-minute minimum.
    pub diagnostic_recording_interval: Duration,
}

impl EventsConfig {
    /// The defaults LaunchDarkly's server-side SDKs use, with diagnostics off until
    /// [`EventsConfig::diagnostics`] is set.
    pub fn new(sdk_key: impl Into<String>) -> Self {
        Self {
            sdk_key: sdk_key.into(),
            events_base_uri: DEFAULT_EVENTS_BASE_URI.to_owned(),
            user_agent: format!("RustServerClient/{}", env!("CARGO_PKG_VERSION")),
            extra_headers: Vec::new(),
            capacity: 10_000,
            flush_interval: Duration::from_secs(5),
            context_keys_capacity: 1_000,
            context_keys_flush_interval: Duration::from_secs(300),
            all_attributes_private: false,
            private_attributes: Vec::new(),
            omit_anonymous_contexts: false,
            compress_events: false,
            max_in_flight: 5,
            retry_delay: Duration::from_secs(1),
            close_timeout: Duration::from_secs(5),
            diagnostics: None,
            diagnostic_recording_interval: Duration::from_secs(15 * 60),
        }
    }
}

impl fmt::Debug for EventsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The SDK key stays out of logs and panic messages.
        f.debug_struct("EventsConfig")
            .field("sdk_key", &"<redacted>")
            .field("events_base_uri", &self.events_base_uri)
            .field("user_agent", &self.user_agent)
            .field("capacity", &self.capacity)
            .field("flush_interval", &self.flush_interval)
            .field("context_keys_capacity", &self.context_keys_capacity)
            .field(
                "context_keys_flush_interval",
                &self.context_keys_flush_interval,
            )
            .field("all_attributes_private", &self.all_attributes_private)
            .field("private_attributes", &self.private_attributes)
            .field("omit_anonymous_contexts", &self.omit_anonymous_contexts)
            .field("compress_events", &self.compress_events)
            .field("max_in_flight", &self.max_in_flight)
            .field("diagnostics", &self.diagnostics.is_some())
            .finish_non_exhaustive()
    }
}

/// What the diagnostic events say about the SDK. The facade fills `configuration` with the
/// LaunchDarkly diagnostic configuration fields it knows (`customBaseURI`, `streamingDisabled`,
/// `eventsCapacity`, …).
#[derive(Debug, Clone, Default)]
pub struct DiagnosticsConfig {
    /// SDK name, such as `rust-server-sdk`.
    pub sdk_name: String,
    /// SDK version.
    pub sdk_version: String,
    /// Wrapper library name, if any.
    pub wrapper_name: Option<String>,
    /// Wrapper library version, if any.
    pub wrapper_version: Option<String>,
    /// The `configuration` object of `diagnostic-init`.
    pub configuration: Map<String, Value>,
}
