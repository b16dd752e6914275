//! The JSON the harness sends to create a client (`POST /`) and reads from `GET /`.
//!
//! Shapes follow the harness's `servicedef` package. Every optional property treats `null` the
//! same as absent (serde's `Option` does exactly that), and unknown properties are ignored so a
//! newer harness can talk to this service.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// `GET /`: what this service is and which optional test groups it can run.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StatusRep {
    /// The SDK under test.
    pub name: String,
    /// The SDK's version.
    pub client_version: String,
    /// Capability strings (see [`crate::capabilities`]).
    pub capabilities: Vec<String>,
}

/// `POST /`: create one SDK client.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CreateInstanceParams {
    /// The harness's name for the current test, for logs.
    #[serde(default)]
    pub tag: String,
    /// The SDK configuration.
    pub configuration: SdkConfigParams,
}

/// The SDK configuration of one client.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SdkConfigParams {
    /// The SDK key.
    pub credential: String,
    /// How long to wait for initialization; absent or zero means 5 seconds.
    pub start_wait_time_ms: Option<u64>,
    /// Whether a client that failed to initialize is still acceptable.
    #[serde(default)]
    pub init_can_fail: bool,
    /// Base URIs independent of whether each service is enabled.
    pub service_endpoints: Option<ServiceEndpointsParams>,
    /// TLS options for connections to the (mock) LaunchDarkly services.
    pub tls: Option<TlsParams>,
    /// Streaming mode (the default when neither streaming nor polling is given).
    pub streaming: Option<StreamingParams>,
    /// Polling mode (disables streaming unless streaming is given too).
    pub polling: Option<PollingParams>,
    /// Analytics events; absent means events are disabled.
    pub events: Option<EventParams>,
    /// A persistent data store (the harness's v2 name for it).
    pub persistence: Option<PersistentDataStoreParams>,
    /// A persistent data store (the name newer harness versions use).
    pub persistent_data_store: Option<PersistentDataStoreParams>,
    /// Big segments via the harness's callback store.
    pub big_segments: Option<BigSegmentsParams>,
    /// Application metadata sent as `X-LaunchDarkly-Tags`.
    pub tags: Option<TagsParams>,
    /// Evaluation and track hooks that report to the harness.
    pub hooks: Option<HooksParams>,
    /// Wrapper name and version sent as `X-LaunchDarkly-Wrapper`.
    pub wrapper: Option<WrapperParams>,
    /// An HTTP proxy for every request.
    pub proxy: Option<ProxyParams>,
}

/// Base URIs of the three services.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct ServiceEndpointsParams {
    /// Streaming base URI.
    pub streaming: Option<String>,
    /// Polling base URI.
    pub polling: Option<String>,
    /// Events base URI.
    pub events: Option<String>,
}

/// TLS options.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TlsParams {
    /// Accept any server certificate.
    #[serde(default)]
    pub skip_verify_peer: bool,
    /// Trust only the CA certificate in this PEM file.
    #[serde(rename = "customCAFile")]
    pub custom_ca_file: Option<String>,
}

/// Streaming options.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StreamingParams {
    /// Streaming base URI; empty means "use `serviceEndpoints.streaming` or the default".
    pub base_uri: Option<String>,
    /// Initial reconnect delay.
    pub initial_retry_delay_ms: Option<u64>,
    /// First delay of the extended retry schedule (after 401, 403 and other 4xx).
    pub extended_initial_delay_ms: Option<u64>,
    /// Payload filter key.
    pub filter: Option<String>,
}

/// Polling options.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PollingParams {
    /// Polling base URI; empty means "use `serviceEndpoints.polling` or the default".
    pub base_uri: Option<String>,
    /// Poll interval.
    pub poll_interval_ms: Option<u64>,
    /// First delay of the extended retry schedule (after 401, 403 and other 4xx).
    pub extended_initial_delay_ms: Option<u64>,
    /// Payload filter key.
    pub filter: Option<String>,
}

/// Event options.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EventParams {
    /// Events base URI; empty means "use `serviceEndpoints.events` or the default".
    pub base_uri: Option<String>,
    /// Event buffer capacity, when greater than zero.
    pub capacity: Option<i64>,
    /// Whether diagnostic events are sent.
    #[serde(default)]
    pub enable_diagnostics: bool,
    /// Redact every attribute but `key` and `kind`.
    #[serde(default)]
    pub all_attributes_private: bool,
    /// Attribute references redacted in every context.
    #[serde(default)]
    pub global_private_attributes: Vec<String>,
    /// Flush interval; absent or zero means the SDK default.
    pub flush_interval_ms: Option<u64>,
    /// Leave anonymous contexts out of index and identify events.
    #[serde(default)]
    pub omit_anonymous_contexts: bool,
    /// Compress event payloads with gzip.
    pub enable_gzip: Option<bool>,
}

/// A persistent data store the harness runs (for example Redis).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct PersistentDataStoreParams {
    /// Which database, where, and under which prefix.
    pub store: PersistentStoreParams,
    /// How the SDK caches what it reads.
    #[serde(default)]
    pub cache: PersistentCacheParams,
}

/// The database of a persistent store.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct PersistentStoreParams {
    /// `redis`, `dynamodb` or `consul`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Key prefix.
    pub prefix: Option<String>,
    /// Connection string, e.g. `redis://localhost:6379`.
    #[serde(default)]
    pub dsn: String,
}

/// Cache mode of a persistent store.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct PersistentCacheParams {
    /// `off`, `ttl` or `infinite`.
    #[serde(default)]
    pub mode: String,
    /// TTL in seconds when `mode` is `ttl`.
    pub ttl: Option<i64>,
}

/// Big segments options.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BigSegmentsParams {
    /// Base URI of the harness's big segment store fixture.
    pub callback_uri: String,
    /// How many contexts' memberships to cache.
    pub user_cache_size: Option<i64>,
    /// How long a cached membership stays valid.
    pub user_cache_time_ms: Option<u64>,
    /// How often the store status is polled.
    #[serde(alias = "statusPollIntervalMS")]
    pub status_poll_interval_ms: Option<u64>,
    /// How old the store's data may be before it counts as stale.
    pub stale_after_ms: Option<u64>,
}

/// Application tags.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TagsParams {
    /// Application id.
    pub application_id: Option<String>,
    /// Application version.
    pub application_version: Option<String>,
}

/// Hooks to install.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct HooksParams {
    /// The hooks, in order.
    #[serde(default)]
    pub hooks: Vec<HookInstanceParams>,
}

/// One hook: where it reports, what data it adds per stage, which stages fail.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HookInstanceParams {
    /// The hook's name (its metadata).
    pub name: String,
    /// Where every stage execution is POSTed.
    pub callback_uri: String,
    /// Per stage (`beforeEvaluation`, `afterEvaluation`): entries added to the series data.
    #[serde(default)]
    pub data: BTreeMap<String, BTreeMap<String, Value>>,
    /// Per stage: an error message the stage fails with instead of reporting.
    #[serde(default)]
    pub errors: BTreeMap<String, Option<String>>,
}

/// Wrapper identification.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct WrapperParams {
    /// Wrapper name.
    #[serde(default)]
    pub name: String,
    /// Wrapper version.
    #[serde(default)]
    pub version: String,
}

/// Proxy options.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ProxyParams {
    /// `http://host:port` of an HTTP proxy.
    pub http_proxy: Option<String>,
}

/// Treats `None` and `Some("")` alike: both mean "not set".
pub fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_configuration_parses_with_nulls_and_unknown_properties() {
        let json = r#"{
            "tag": "t1",
            "configuration": {
                "credential": "sdk-key",
                "startWaitTimeMs": 2000,
                "initCanFail": true,
                "serviceEndpoints": {"streaming": "http://s", "polling": null, "events": "http://e"},
                "tls": {"skipVerifyPeer": true, "customCAFile": "/tmp/ca.pem"},
                "streaming": {"baseUri": "http://s", "initialRetryDelayMs": 100, "filter": "f"},
                "polling": null,
                "events": {"baseUri": "http://e", "capacity": 10, "enableDiagnostics": false,
                           "allAttributesPrivate": true, "globalPrivateAttributes": ["/a"],
                           "flushIntervalMs": 50, "enableGzip": true},
                "bigSegments": {"callbackUri": "http://b", "userCacheSize": 5, "staleAfterMs": 9},
                "tags": {"applicationId": "app", "applicationVersion": null},
                "hooks": {"hooks": [{"name": "h", "callbackUri": "http://h",
                          "data": {"beforeEvaluation": {"k": 1}}, "errors": {"afterEvaluation": "boom"}}]},
                "wrapper": {"name": "w", "version": "1"},
                "proxy": {"httpProxy": "http://p:1"},
                "persistentDataStore": {"store": {"type": "redis", "dsn": "redis://x", "prefix": "p"},
                                        "cache": {"mode": "ttl", "ttl": 3}},
                "somethingNew": {"x": 1}
            }
        }"#;
        let params: CreateInstanceParams = serde_json::from_str(json).unwrap();
        let c = &params.configuration;
        assert_eq!(params.tag, "t1");
        assert_eq!(c.credential, "sdk-key");
        assert_eq!(c.start_wait_time_ms, Some(2000));
        assert!(c.init_can_fail);
        assert_eq!(c.service_endpoints.as_ref().unwrap().polling, None);
        assert_eq!(
            c.tls.as_ref().unwrap().custom_ca_file.as_deref(),
            Some("/tmp/ca.pem")
        );
        assert!(c.polling.is_none());
        let events = c.events.as_ref().unwrap();
        assert_eq!(events.capacity, Some(10));
        assert_eq!(events.global_private_attributes, vec!["/a".to_string()]);
        assert_eq!(events.enable_gzip, Some(true));
        assert_eq!(c.big_segments.as_ref().unwrap().user_cache_size, Some(5));
        let hook = &c.hooks.as_ref().unwrap().hooks[0];
        assert_eq!(hook.data["beforeEvaluation"]["k"], serde_json::json!(1));
        assert_eq!(hook.errors["afterEvaluation"].as_deref(), Some("boom"));
        assert_eq!(c.wrapper.as_ref().unwrap().name, "w");
        assert_eq!(
            c.proxy.as_ref().unwrap().http_proxy.as_deref(),
            Some("http://p:1")
        );
        let store = c.persistent_data_store.as_ref().unwrap();
        assert_eq!(store.store.kind, "redis");
        assert_eq!(store.cache.ttl, Some(3));
    }

    #[test]
    fn minimal_configuration_needs_only_a_credential() {
        let params: CreateInstanceParams =
            serde_json::from_str(r#"{"configuration": {"credential": "k"}}"#).unwrap();
        assert_eq!(params.configuration.credential, "k");
        assert!(params.configuration.streaming.is_none());
        assert!(!params.configuration.init_can_fail);
    }

    #[test]
    fn wrong_property_types_are_rejected() {
        let err = serde_json::from_str::<CreateInstanceParams>(
            r#"{"configuration": {"credential": "k", "startWaitTimeMs": "soon"}}"#,
        );
        assert!(err.is_err());
    }

    #[test]
    fn empty_base_uri_counts_as_unset() {
        assert_eq!(non_empty(&Some(String::new())), None);
        assert_eq!(non_empty(&Some("http://x".into())), Some("http://x"));
        assert_eq!(non_empty(&None), None);
    }
}
