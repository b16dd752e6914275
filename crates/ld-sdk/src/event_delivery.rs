//! Builds the client's event processor: the facade's events settings mapped onto `ld-events`, and
//! (with the `http` feature) delivery over `ld-http`.

use ld_events::EventProcessor;
use tokio::runtime::Handle;

use crate::Config;

/// The SDK name LaunchDarkly sees in diagnostic events.
#[cfg(feature = "http")]
pub(crate) const SDK_NAME: &str = "rust-server-sdk";
/// This SDK's version.
#[cfg(feature = "http")]
pub(crate) const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The `User-Agent` of every request.
#[cfg(feature = "http")]
pub(crate) fn user_agent() -> String {
    format!("RustServerClient/{SDK_VERSION}")
}

/// Headers every event request carries besides the SDK key and user agent: wrapper and tags
/// (custom headers are default headers of the HTTP client).
#[cfg(feature = "http")]
pub(crate) fn extra_headers(config: &Config) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    if let Some(wrapper) = config.wrapper_header() {
        headers.push(("X-LaunchDarkly-Wrapper".to_owned(), wrapper));
    }
    if let Some(tags) = config.application.tags_header() {
        headers.push(("X-LaunchDarkly-Tags".to_owned(), tags));
    }
    headers
}

/// The event processor for `config`, with its background task on `runtime`.
#[cfg(feature = "http")]
pub(crate) fn event_processor(
    config: &Config,
    runtime: &Handle,
    instance_id: &str,
) -> EventProcessor {
    let client = match crate::http_transport::http_client(config) {
        Ok(client) => client,
        Err(e) => {
            tracing::error!("analytics events disabled: cannot build the HTTP client: {e}");
            return EventProcessor::disabled();
        }
    };
    EventProcessor::new(
        events_config(config, instance_id),
        std::sync::Arc::new(ld_events::HttpEventSender::new(client)),
        runtime,
    )
}

/// Without the `http` feature there is no network stack, so no event can be delivered.
#[cfg(not(feature = "http"))]
pub(crate) fn event_processor(
    config: &Config,
    runtime: &Handle,
    instance_id: &str,
) -> EventProcessor {
    let _ = (config, runtime, instance_id);
    tracing::info!("analytics events disabled: this build has no `http` feature");
    EventProcessor::disabled()
}

#[cfg(feature = "http")]
fn events_config(config: &Config, instance_id: &str) -> ld_events::EventsConfig {
    let events = &config.events;
    let mut out = ld_events::EventsConfig::new(config.sdk_key.clone());
    out.events_base_uri = config.endpoints.events_uri().to_owned();
    out.user_agent = user_agent();
    out.extra_headers = extra_headers(config);
    out.extra_headers.push((
        "X-LaunchDarkly-Instance-Id".to_owned(),
        instance_id.to_owned(),
    ));
    out.capacity = events.capacity_value();
    out.flush_interval = events.flush_interval_value();
    out.context_keys_capacity = events.context_keys_capacity_value();
    out.context_keys_flush_interval = events.context_keys_flush_interval_value();
    out.all_attributes_private = events.all_attributes_private_value();
    out.private_attributes = events.private_attributes().to_vec();
    out.compress_events = events.gzip_value();
    out.omit_anonymous_contexts = events.omit_anonymous_contexts_value();
    out.diagnostic_recording_interval = events.diagnostic_recording_interval_value();
    if !events.diagnostic_opt_out_value() {
        let (wrapper_name, wrapper_version) = match config.wrapper() {
            Some((name, version)) => (Some(name.to_owned()), version.map(str::to_owned)),
            None => (None, None),
        };
        out.diagnostics = Some(ld_events::DiagnosticsConfig {
            sdk_name: SDK_NAME.to_owned(),
            sdk_version: SDK_VERSION.to_owned(),
            wrapper_name,
            wrapper_version,
            configuration: diagnostic_configuration(config),
        });
    }
    out
}

/// The `configuration` object of LaunchDarkly's `diagnostic-init` event.
#[cfg(feature = "http")]
fn diagnostic_configuration(config: &Config) -> serde_json::Map<String, serde_json::Value> {
    use crate::data_source_config::DataSourceConfig;
    use serde_json::json;

    let endpoints = &config.endpoints;
    let defaults = crate::ServiceEndpoints::default();
    let events = &config.events;
    let (streaming_disabled, reconnect, poll) = match &config.data_source {
        DataSourceConfig::Streaming(s) => (false, s.initial_reconnect_delay, None),
        DataSourceConfig::Polling(p) => (
            true,
            crate::DEFAULT_INITIAL_RECONNECT_DELAY,
            Some(p.interval),
        ),
        _ => (false, crate::DEFAULT_INITIAL_RECONNECT_DELAY, None),
    };
    let millis = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    let mut map = serde_json::Map::new();
    map.insert(
        "customBaseURI".into(),
        json!(endpoints.polling_uri() != defaults.polling_uri()),
    );
    map.insert(
        "customStreamURI".into(),
        json!(endpoints.streaming_uri() != defaults.streaming_uri()),
    );
    map.insert(
        "customEventsURI".into(),
        json!(endpoints.events_uri() != defaults.events_uri()),
    );
    map.insert("eventsCapacity".into(), json!(events.capacity_value()));
    map.insert(
        "connectTimeoutMillis".into(),
        json!(millis(config.http.connect_timeout_value())),
    );
    map.insert(
        "socketTimeoutMillis".into(),
        json!(millis(config.http.read_timeout_value())),
    );
    map.insert(
        "eventsFlushIntervalMillis".into(),
        json!(millis(events.flush_interval_value())),
    );
    map.insert(
        "usingProxy".into(),
        json!(config.http.proxy_uri().is_some()),
    );
    map.insert("streamingDisabled".into(), json!(streaming_disabled));
    map.insert(
        "usingRelayDaemon".into(),
        json!(matches!(config.data_source, DataSourceConfig::External)),
    );
    map.insert(
        "allAttributesPrivate".into(),
        json!(events.all_attributes_private_value()),
    );
    map.insert("reconnectTimeMillis".into(), json!(millis(reconnect)));
    if let Some(poll) = poll {
        map.insert("pollingIntervalMillis".into(), json!(millis(poll)));
    }
    map.insert(
        "userKeysCapacity".into(),
        json!(events.context_keys_capacity_value()),
    );
    map.insert(
        "userKeysFlushIntervalMillis".into(),
        json!(millis(events.context_keys_flush_interval_value())),
    );
    map.insert(
        "diagnosticRecordingIntervalMillis".into(),
        json!(millis(events.diagnostic_recording_interval_value())),
    );
    map.insert("dataStoreType".into(), json!("memory"));
    map
}
