//! The adapter from the harness's commands to `ld-sdk`: builds a `Config` from the harness's
//! configuration object and runs each command with the SDK's public API.

use crate::big_segment_fixture::BigSegmentFixture;
use crate::capabilities;
use crate::command_params::{
    BigSegmentStoreStatusResponse, ContextBuildParams, ContextBuildResponse,
    ContextComparisonPairParams, ContextComparisonResponse, ContextConvertParams, ContextParams,
    CustomEventParams, EvaluateAllFlagsParams, EvaluateAllFlagsResponse, EvaluateFlagParams,
    EvaluateFlagResponse, RegisterFlagChangeListenerParams, RegisterFlagValueChangeListenerParams,
    SecureModeHashResponse, UnregisterListenerParams,
};
use crate::context_commands;
use crate::harness_hook::HarnessHook;
use crate::listener_registry::{ListenerRegistry, forward};
use crate::sdk_client::{CommandError, CreateError, SdkClient, SdkClientFactory};
use crate::service_params::{
    BigSegmentsParams, CreateInstanceParams, PersistentDataStoreParams, SdkConfigParams, non_empty,
};
use ld_sdk::{
    BigSegmentsConfig, Client, Config, Context, DataSourceConfig, EvaluationDetail, EventsConfig,
    FlagsStateOptions, HttpOptions, PollingOptions, ServiceEndpoints, StreamingOptions,
};
use ld_store::redis::{CacheMode, RedisDataStore, RedisOptions};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// `startWaitTimeMs` when absent or zero.
const DEFAULT_START_WAIT: Duration = Duration::from_secs(5);

/// Makes `ld-sdk` clients from the harness's configuration.
#[derive(Debug, Default)]
pub struct LdClientFactory;

impl LdClientFactory {
    /// A factory.
    pub fn new() -> Self {
        Self
    }
}

impl SdkClientFactory for LdClientFactory {
    fn name(&self) -> &str {
        "ld-rust-server-sdk"
    }

    fn version(&self) -> &str {
        env!("CARGO_PKG_VERSION")
    }

    /// Only what works end to end (each is exercised by `tests/`). Not declared, for lack of an
    /// `ld-sdk` API: `migrations`.
    fn capabilities(&self) -> Vec<String> {
        [
            capabilities::SERVER_SIDE,
            capabilities::STRONGLY_TYPED,
            capabilities::ALL_FLAGS_WITH_REASONS,
            capabilities::ALL_FLAGS_CLIENT_SIDE_ONLY,
            capabilities::ALL_FLAGS_DETAILS_ONLY_FOR_TRACKED_FLAGS,
            capabilities::CONTEXT_TYPE,
            capabilities::CONTEXT_COMPARISON,
            capabilities::SECURE_MODE_HASH,
            capabilities::SERVER_SIDE_POLLING,
            capabilities::SERVICE_ENDPOINTS,
            capabilities::TAGS,
            capabilities::USER_TYPE,
            capabilities::WRAPPER,
            capabilities::EVALUATION_HOOKS,
            capabilities::TRACK_HOOKS,
            capabilities::FLAG_CHANGE_LISTENERS,
            capabilities::FLAG_VALUE_CHANGE_LISTENERS,
            capabilities::EVENT_GZIP,
            capabilities::OPTIONAL_EVENT_GZIP,
            capabilities::EVENT_SAMPLING,
            capabilities::INLINE_CONTEXT_ALL,
            capabilities::ANONYMOUS_REDACTION,
            capabilities::OMIT_ANONYMOUS_CONTEXTS,
            capabilities::POLLING_GZIP,
            capabilities::TLS_VERIFY_PEER,
            capabilities::TLS_SKIP_VERIFY_PEER,
            capabilities::TLS_CUSTOM_CA,
            capabilities::HTTP_PROXY,
            capabilities::INSTANCE_ID,
            capabilities::PERSISTENT_DATA_STORE_REDIS,
            capabilities::BIG_SEGMENTS,
            capabilities::FILTERING,
            capabilities::FILTERING_STRICT,
            capabilities::MIGRATIONS,
            capabilities::RETRY_CONFORMANCE_FDV1_STREAMING,
            capabilities::RETRY_CONFORMANCE_FDV1_POLLING,
        ]
        .into_iter()
        .map(str::to_owned)
        .collect()
    }

    fn create(&self, params: &CreateInstanceParams) -> Result<Box<dyn SdkClient>, CreateError> {
        let c = &params.configuration;
        let config = sdk_config(c)?;
        let client = Client::new(config).map_err(|e| CreateError::Sdk(e.to_string()))?;
        let start_wait = match c.start_wait_time_ms {
            Some(ms) if ms > 0 => Duration::from_millis(ms),
            _ => DEFAULT_START_WAIT,
        };
        if let Err(e) = client.wait_for_initialization(start_wait) {
            if !c.init_can_fail {
                client.close();
                return Err(CreateError::NotInitialized(e.to_string()));
            }
            tracing::info!(tag = %params.tag, error = %e, "client not initialized; initCanFail is set");
        }
        Ok(Box::new(LdClient {
            client,
            listeners: ListenerRegistry::new(),
        }))
    }
}

/// Translates the harness's configuration object into an SDK [`Config`].
pub fn sdk_config(c: &SdkConfigParams) -> Result<Config, CreateError> {
    let mut builder = Config::builder(c.credential.clone());

    // Base URIs: a service's own `baseUri` wins over `serviceEndpoints`.
    let endpoints_params = c.service_endpoints.clone().unwrap_or_default();
    let mut endpoints = ServiceEndpoints::default();
    let streaming_uri = c
        .streaming
        .as_ref()
        .and_then(|s| non_empty(&s.base_uri))
        .or(non_empty(&endpoints_params.streaming));
    let polling_uri = c
        .polling
        .as_ref()
        .and_then(|p| non_empty(&p.base_uri))
        .or(non_empty(&endpoints_params.polling));
    let events_uri = c
        .events
        .as_ref()
        .and_then(|e| non_empty(&e.base_uri))
        .or(non_empty(&endpoints_params.events));
    if let Some(uri) = streaming_uri {
        endpoints = endpoints.streaming(uri);
    }
    if let Some(uri) = polling_uri {
        endpoints = endpoints.polling(uri);
    }
    if let Some(uri) = events_uri {
        endpoints = endpoints.events(uri);
    }
    builder = builder.service_endpoints(endpoints);

    // A persistent store without any data source is daemon mode: another process fills it.
    let persistence = c.persistence.as_ref().or(c.persistent_data_store.as_ref());
    if let Some(p) = persistence {
        builder = builder.data_store(Arc::new(redis_store(p)?));
    }

    // Streaming unless only polling is asked for (or daemon mode).
    let data_source = match (&c.streaming, &c.polling) {
        (None, None) if persistence.is_some() => DataSourceConfig::External,
        (None, Some(polling)) => {
            let mut options = PollingOptions::default();
            if let Some(ms) = polling.poll_interval_ms.filter(|ms| *ms > 0) {
                options.interval = Duration::from_millis(ms);
            }
            if let Some(ms) = polling.extended_initial_delay_ms.filter(|ms| *ms > 0) {
                options.extended_retry_initial_delay = Duration::from_millis(ms);
            }
            options.payload_filter = polling.filter.clone();
            DataSourceConfig::Polling(options)
        }
        (streaming, _) => {
            let mut options = StreamingOptions::default();
            if let Some(ms) = streaming
                .as_ref()
                .and_then(|s| s.initial_retry_delay_ms)
                .filter(|ms| *ms > 0)
            {
                options.initial_reconnect_delay = Duration::from_millis(ms);
            }
            if let Some(ms) = streaming
                .as_ref()
                .and_then(|s| s.extended_initial_delay_ms)
                .filter(|ms| *ms > 0)
            {
                options.extended_retry_initial_delay = Duration::from_millis(ms);
            }
            options.payload_filter = streaming.as_ref().and_then(|s| s.filter.clone());
            DataSourceConfig::Streaming(options)
        }
    };
    builder = builder.data_source(data_source);

    match &c.events {
        None => builder = builder.send_events(false),
        Some(e) => {
            let mut events = EventsConfig::default()
                .all_attributes_private(e.all_attributes_private)
                .omit_anonymous_contexts(e.omit_anonymous_contexts)
                .diagnostic_opt_out(!e.enable_diagnostics);
            if let Some(capacity) = e.capacity.filter(|c| *c > 0) {
                events = events.capacity(usize::try_from(capacity).unwrap_or(usize::MAX));
            }
            if let Some(ms) = e.flush_interval_ms.filter(|ms| *ms > 0) {
                events = events.flush_interval(Duration::from_millis(ms));
            }
            for reference in &e.global_private_attributes {
                events = events.private_attribute(reference.clone());
            }
            if let Some(gzip) = e.enable_gzip {
                events = events.gzip(gzip);
            }
            builder = builder.events(events);
        }
    }

    if let Some(tags) = &c.tags {
        if let Some(id) = &tags.application_id {
            builder = builder.application_id(id.clone());
        }
        if let Some(version) = &tags.application_version {
            builder = builder.application_version(version.clone());
        }
    }

    if let Some(wrapper) = &c.wrapper
        && !wrapper.name.is_empty()
    {
        let version = Some(wrapper.version.clone()).filter(|v| !v.is_empty());
        builder = builder.wrapper(wrapper.name.clone(), version);
    }

    let mut http = HttpOptions::default();
    if let Some(tls) = &c.tls {
        if tls.skip_verify_peer {
            http = http.danger_accept_invalid_certificates();
        }
        if let Some(ca) = non_empty(&tls.custom_ca_file) {
            http = http.ca_certificate_file(ca);
        }
    }
    if let Some(proxy) = c.proxy.as_ref().and_then(|p| non_empty(&p.http_proxy)) {
        http = http.proxy(proxy);
    }
    builder = builder.http(http);

    if let Some(hooks) = &c.hooks {
        for hook in &hooks.hooks {
            builder = builder.shared_hook(Arc::new(HarnessHook::new(hook)));
        }
    }

    if let Some(big) = &c.big_segments {
        builder = builder.big_segments(big_segments_config(big)?);
    }
    builder
        .build()
        .map_err(|e| CreateError::InvalidConfig(e.to_string()))
}

/// The big segments settings a `bigSegments` object describes: the harness's callback fixture
/// as the store, and the four standard options when given (and positive).
fn big_segments_config(p: &BigSegmentsParams) -> Result<BigSegmentsConfig, CreateError> {
    if p.callback_uri.is_empty() {
        return Err(CreateError::InvalidConfig(
            "bigSegments.callbackUri is required".into(),
        ));
    }
    let mut config = BigSegmentsConfig::builder(BigSegmentFixture::new(&p.callback_uri));
    if let Some(size) = p.user_cache_size.filter(|n| *n > 0) {
        config = config.context_cache_size(usize::try_from(size).unwrap_or(usize::MAX));
    }
    if let Some(ms) = p.user_cache_time_ms.filter(|ms| *ms > 0) {
        config = config.context_cache_time(Duration::from_millis(ms));
    }
    if let Some(ms) = p.status_poll_interval_ms.filter(|ms| *ms > 0) {
        config = config.status_poll_interval(Duration::from_millis(ms));
    }
    if let Some(ms) = p.stale_after_ms.filter(|ms| *ms > 0) {
        config = config.stale_after(Duration::from_millis(ms));
    }
    Ok(config)
}

/// The Redis store a `persistence` object describes (the only database supported).
fn redis_store(p: &PersistentDataStoreParams) -> Result<RedisDataStore, CreateError> {
    if p.store.kind != "redis" {
        return Err(CreateError::InvalidConfig(format!(
            "unsupported persistent store type {:?}",
            p.store.kind
        )));
    }
    let mut options = RedisOptions::new();
    if !p.store.dsn.is_empty() {
        options = options.url(p.store.dsn.clone());
    }
    if let Some(prefix) = non_empty(&p.store.prefix) {
        options = options.prefix(prefix);
    }
    let cache = match (p.cache.mode.as_str(), p.cache.ttl) {
        ("off", _) => CacheMode::Disabled,
        ("infinite", _) => CacheMode::Forever,
        ("ttl", Some(seconds)) if seconds > 0 => {
            CacheMode::Ttl(Duration::from_secs(seconds.unsigned_abs()))
        }
        ("ttl", _) | ("", _) => CacheMode::default(),
        (other, _) => {
            return Err(CreateError::InvalidConfig(format!(
                "unsupported cache mode {other:?}"
            )));
        }
    };
    RedisDataStore::builder(options)
        .cache(cache)
        .build()
        .map_err(|e| CreateError::Sdk(e.to_string()))
}

/// One `ld-sdk` client under test.
pub struct LdClient {
    client: Client,
    listeners: ListenerRegistry,
}

/// The context of a command: `context`, or an old-style `user` (the same parser reads both).
fn context_of(context: &Option<Value>, user: &Option<Value>) -> Result<Context, CommandError> {
    let json = context
        .as_ref()
        .or(user.as_ref())
        .ok_or_else(|| CommandError::BadParams("a \"context\" (or \"user\") is required".into()))?;
    Context::from_json_value(json)
        .map_err(|e| CommandError::BadParams(format!("invalid context: {e}")))
}

fn bad_default(value_type: &str, default: &Value) -> CommandError {
    CommandError::BadParams(format!(
        "default value {default} is not of type {value_type:?}"
    ))
}

fn detail_response<T: Into<Value>>(
    detail: EvaluationDetail<T>,
) -> Result<EvaluateFlagResponse, CommandError> {
    let detail = detail.map(Into::into);
    let reason = serde_json::to_value(&detail.reason)
        .map_err(|e| CommandError::Sdk(format!("could not serialize the reason: {e}")))?;
    Ok(EvaluateFlagResponse {
        value: detail.value,
        variation_index: detail.variation_index.and_then(|i| i64::try_from(i).ok()),
        reason: Some(reason),
    })
}

fn value_response(value: impl Into<Value>) -> EvaluateFlagResponse {
    EvaluateFlagResponse {
        value: value.into(),
        ..EvaluateFlagResponse::default()
    }
}

impl SdkClient for LdClient {
    fn evaluate(&self, p: EvaluateFlagParams) -> Result<EvaluateFlagResponse, CommandError> {
        let context = context_of(&p.context, &p.user)?;
        let c = &self.client;
        let key = p.flag_key.as_str();
        let default = &p.default_value;
        match (p.value_type.as_str(), p.detail) {
            ("bool", detail) => {
                let d = default
                    .as_bool()
                    .ok_or_else(|| bad_default("bool", default))?;
                if detail {
                    detail_response(c.bool_variation_detail(key, &context, d))
                } else {
                    Ok(value_response(c.bool_variation(key, &context, d)))
                }
            }
            ("int", detail) => {
                let d = default
                    .as_i64()
                    .or_else(|| default.as_f64().map(|f| f as i64))
                    .ok_or_else(|| bad_default("int", default))?;
                if detail {
                    detail_response(c.int_variation_detail(key, &context, d))
                } else {
                    Ok(value_response(c.int_variation(key, &context, d)))
                }
            }
            ("double", detail) => {
                let d = default
                    .as_f64()
                    .ok_or_else(|| bad_default("double", default))?;
                if detail {
                    detail_response(c.float_variation_detail(key, &context, d))
                } else {
                    Ok(value_response(c.float_variation(key, &context, d)))
                }
            }
            ("string", detail) => {
                let d = default
                    .as_str()
                    .ok_or_else(|| bad_default("string", default))?;
                if detail {
                    detail_response(c.string_variation_detail(key, &context, d))
                } else {
                    Ok(value_response(c.string_variation(key, &context, d)))
                }
            }
            (_, true) => detail_response(c.json_variation_detail(key, &context, default.clone())),
            (_, false) => Ok(value_response(c.json_variation(
                key,
                &context,
                default.clone(),
            ))),
        }
    }

    fn evaluate_all(
        &self,
        p: EvaluateAllFlagsParams,
    ) -> Result<EvaluateAllFlagsResponse, CommandError> {
        let context = context_of(&p.context, &p.user)?;
        let mut options = FlagsStateOptions::default();
        if p.with_reasons {
            options = options.with_reasons();
        }
        if p.client_side_only {
            options = options.client_side_only();
        }
        if p.details_only_for_tracked_flags {
            options = options.details_only_for_tracked_flags();
        }
        let state = self.client.all_flags_state(&context, options);
        let state = serde_json::to_value(&state)
            .map_err(|e| CommandError::Sdk(format!("could not serialize the flags state: {e}")))?;
        Ok(EvaluateAllFlagsResponse { state })
    }

    fn identify_event(&self, p: ContextParams) -> Result<(), CommandError> {
        self.client.identify(&context_of(&p.context, &p.user)?);
        Ok(())
    }

    fn custom_event(&self, p: CustomEventParams) -> Result<(), CommandError> {
        let context = context_of(&p.context, &p.user)?;
        match (p.data, p.metric_value) {
            (None, None) if p.omit_null_data => self.client.track(&p.event_key, &context),
            (data, None) => {
                self.client
                    .track_data(&p.event_key, &context, data.unwrap_or(Value::Null))
            }
            (data, Some(metric)) => self
                .client
                .track_metric(&p.event_key, &context, metric, data),
        }
        Ok(())
    }

    fn flush_events(&self) -> Result<(), CommandError> {
        self.client.flush();
        Ok(())
    }

    fn big_segment_store_status(&self) -> Result<BigSegmentStoreStatusResponse, CommandError> {
        let status = self.client.big_segment_store_status().ok_or_else(|| {
            CommandError::BadParams("this client has no big segment store".into())
        })?;
        Ok(BigSegmentStoreStatusResponse {
            available: status.available,
            stale: status.stale,
        })
    }

    fn secure_mode_hash(&self, p: ContextParams) -> Result<SecureModeHashResponse, CommandError> {
        let context = context_of(&p.context, &p.user)?;
        Ok(SecureModeHashResponse {
            result: self.client.secure_mode_hash(&context),
        })
    }

    fn context_build(&self, p: ContextBuildParams) -> Result<ContextBuildResponse, CommandError> {
        context_commands::build(p)
    }

    fn context_convert(
        &self,
        p: ContextConvertParams,
    ) -> Result<ContextBuildResponse, CommandError> {
        context_commands::convert(p)
    }

    fn context_comparison(
        &self,
        p: ContextComparisonPairParams,
    ) -> Result<ContextComparisonResponse, CommandError> {
        Ok(ContextComparisonResponse {
            equals: context_commands::compare(p.context1, p.context2)?,
        })
    }

    fn migration_variation(
        &self,
        p: crate::migration_params::MigrationVariationParams,
    ) -> Result<crate::migration_params::MigrationResultResponse, CommandError> {
        let context = context_of(&p.context, &None)?;
        crate::migration_commands::variation(&self.client, &context, &p)
    }

    fn migration_operation(
        &self,
        p: crate::migration_params::MigrationOperationParams,
    ) -> Result<crate::migration_params::MigrationResultResponse, CommandError> {
        let context = context_of(&p.context, &None)?;
        crate::migration_commands::operation(&self.client, &context, p)
    }

    fn register_flag_change_listener(
        &self,
        p: RegisterFlagChangeListenerParams,
    ) -> Result<(), CommandError> {
        let only = p.flag_key.filter(|k| !k.is_empty());
        let changes = self.client.flag_tracker().subscribe();
        let stop = forward(
            &p.listener_id,
            &p.callback_uri,
            changes,
            move |event| match &only {
                Some(key) if *key != event.key => None,
                _ => Some((event.key, None)),
            },
        );
        self.listeners.insert(&p.listener_id, stop);
        Ok(())
    }

    fn register_flag_value_change_listener(
        &self,
        p: RegisterFlagValueChangeListenerParams,
    ) -> Result<(), CommandError> {
        let context = context_of(&p.context, &None)?;
        let changes = self
            .client
            .subscribe_flag_value(&p.flag_key, &context, p.default_value);
        let stop = forward(&p.listener_id, &p.callback_uri, changes, |event| {
            Some((event.key, Some((event.old_value, event.new_value))))
        });
        self.listeners.insert(&p.listener_id, stop);
        Ok(())
    }

    fn unregister_listener(&self, p: UnregisterListenerParams) -> Result<(), CommandError> {
        if self.listeners.remove(&p.listener_id) {
            Ok(())
        } else {
            Err(CommandError::BadParams(format!(
                "no listener with id {:?}",
                p.listener_id
            )))
        }
    }

    fn close(&self) {
        self.listeners.clear();
        self.client.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callback_recorder::CallbackRecorder;
    use crate::service_params::HookInstanceParams;
    use ld_sdk::TestData;
    use serde_json::json;

    fn config(json: Value) -> SdkConfigParams {
        serde_json::from_value(json).unwrap()
    }

    /// A client on TestData (no network), with the harness hooks of `hooks`.
    fn client_with(td: &TestData, hooks: Vec<HookInstanceParams>) -> LdClient {
        let mut builder = Config::builder("sdk-key")
            .data_source(td)
            .send_events(false);
        for hook in &hooks {
            builder = builder.shared_hook(Arc::new(HarnessHook::new(hook)));
        }
        let client = Client::new(builder.build().unwrap()).unwrap();
        client
            .wait_for_initialization(Duration::from_secs(5))
            .unwrap();
        LdClient {
            client,
            listeners: ListenerRegistry::new(),
        }
    }

    fn user() -> Value {
        json!({"kind": "user", "key": "u1"})
    }

    fn evaluate(c: &LdClient, key: &str, value_type: &str, default: Value, detail: bool) -> Value {
        let p: EvaluateFlagParams =
            serde_json::from_value(json!({"flagKey": key, "context": user(),
            "valueType": value_type, "defaultValue": default, "detail": detail}))
            .unwrap();
        serde_json::to_value(c.evaluate(p).unwrap()).unwrap()
    }

    #[test]
    fn harness_configuration_maps_onto_the_sdk_config() {
        let c = sdk_config(&config(json!({
            "credential": "k",
            "serviceEndpoints": {"streaming": "http://s.example", "events": "http://e.example"},
            "polling": {"baseUri": "http://p.example", "pollIntervalMs": 1000},
            "tags": {"applicationId": "app", "applicationVersion": "1.0"},
            "wrapper": {"name": "w", "version": "2"}
        })))
        .unwrap();
        assert!(!c.sends_events(), "no events object means events are off");
        assert!(
            matches!(c.data_source(), DataSourceConfig::Polling(p) if p.interval == Duration::from_secs(1))
        );
        assert_eq!(c.service_endpoints().polling_uri(), "http://p.example");
        assert_eq!(c.service_endpoints().streaming_uri(), "http://s.example");
        assert_eq!(c.service_endpoints().events_uri(), "http://e.example");
        assert_eq!(c.wrapper_header().as_deref(), Some("w/2"));
        assert_eq!(c.application_info().application_id(), Some("app"));

        let c = sdk_config(&config(json!({
            "credential": "k",
            "streaming": {"baseUri": "http://s2.example", "initialRetryDelayMs": 50},
            "events": {"baseUri": "http://e2.example", "capacity": 7, "flushIntervalMs": 20,
                       "allAttributesPrivate": true, "globalPrivateAttributes": ["email"]}
        })))
        .unwrap();
        assert!(c.sends_events());
        assert!(matches!(c.data_source(),
            DataSourceConfig::Streaming(s) if s.initial_reconnect_delay == Duration::from_millis(50)));
        assert_eq!(c.service_endpoints().streaming_uri(), "http://s2.example");
        assert_eq!(c.events().capacity_value(), 7);
        assert_eq!(c.events().flush_interval_value(), Duration::from_millis(20));
        assert!(c.events().all_attributes_private_value());
        assert_eq!(c.events().private_attributes(), ["email".to_string()]);
    }

    #[test]
    fn big_segment_settings_map_to_the_sdk_options() {
        let c = sdk_config(&config(json!({"credential": "k", "bigSegments": {
            "callbackUri": "http://b", "userCacheSize": 2, "userCacheTimeMs": 10,
            "statusPollIntervalMs": 20, "staleAfterMs": 30000
        }})))
        .unwrap();
        let options = *c.big_segments().unwrap().options();
        assert_eq!(options.context_cache_size, 2);
        assert_eq!(options.context_cache_time, Duration::from_millis(10));
        assert_eq!(options.status_poll_interval, Duration::from_millis(20));
        assert_eq!(options.stale_after, Duration::from_secs(30));

        let defaults = sdk_config(&config(
            json!({"credential": "k", "bigSegments": {"callbackUri": "http://b"}}),
        ))
        .unwrap();
        assert_eq!(
            *defaults.big_segments().unwrap().options(),
            ld_sdk::BigSegmentsOptions::default()
        );
        let err = sdk_config(&config(
            json!({"credential": "k", "bigSegments": {"callbackUri": ""}}),
        ));
        assert!(matches!(err, Err(CreateError::InvalidConfig(_))));
    }

    #[test]
    fn payload_filters_are_passed_to_streaming_and_polling() {
        let c = sdk_config(&config(
            json!({"credential": "k", "streaming": {"baseUri": "http://s", "filter": "mobile"}}),
        ))
        .unwrap();
        assert!(matches!(c.data_source(),
            DataSourceConfig::Streaming(s) if s.payload_filter.as_deref() == Some("mobile")));
        let c = sdk_config(&config(
            json!({"credential": "k", "polling": {"baseUri": "http://p", "filter": "web"}}),
        ))
        .unwrap();
        assert!(matches!(c.data_source(),
            DataSourceConfig::Polling(p) if p.payload_filter.as_deref() == Some("web")));
    }

    #[test]
    fn a_client_without_big_segments_refuses_the_status_command() {
        let c = client_with(&TestData::new(), vec![]);
        assert!(matches!(
            c.big_segment_store_status(),
            Err(CommandError::BadParams(_))
        ));
    }

    #[test]
    fn typed_evaluations_answer_values_and_details() {
        let td = TestData::new();
        td.update(td.flag("b").boolean_flag().variation_for_all(true));
        td.update(
            td.flag("s")
                .variations([json!("x"), json!("y")])
                .variation_for_all(1usize),
        );
        td.update(
            td.flag("n")
                .variations([json!(1), json!(2.5)])
                .variation_for_all(1usize),
        );
        let c = client_with(&td, vec![]);
        assert_eq!(
            evaluate(&c, "b", "bool", json!(false), false),
            json!({"value": true})
        );
        assert_eq!(
            evaluate(&c, "b", "bool", json!(false), true),
            json!({"value": true, "variationIndex": 0, "reason": {"kind": "FALLTHROUGH"}})
        );
        assert_eq!(
            evaluate(&c, "s", "string", json!("d"), false),
            json!({"value": "y"})
        );
        assert_eq!(
            evaluate(&c, "n", "double", json!(0.0), false),
            json!({"value": 2.5})
        );
        assert_eq!(
            evaluate(&c, "n", "any", json!(null), false),
            json!({"value": 2.5})
        );
        // A wrong-typed flag serves the default with WRONG_TYPE.
        assert_eq!(
            evaluate(&c, "s", "bool", json!(false), true),
            json!({"value": false, "reason": {"kind": "ERROR", "errorKind": "WRONG_TYPE"}})
        );
        assert_eq!(
            evaluate(&c, "missing", "int", json!(3), true),
            json!({"value": 3, "reason": {"kind": "ERROR", "errorKind": "FLAG_NOT_FOUND"}})
        );
        c.close();
    }

    #[test]
    fn old_style_user_json_is_accepted_where_contexts_are() {
        let td = TestData::new();
        td.update(
            td.flag("b")
                .boolean_flag()
                .variation_for_user("bob", true)
                .fallthrough_variation(false),
        );
        let c = client_with(&td, vec![]);
        let p: EvaluateFlagParams = serde_json::from_value(json!({"flagKey": "b",
            "user": {"key": "bob", "custom": {"x": 1}}, "valueType": "bool", "defaultValue": false}))
        .unwrap();
        assert_eq!(c.evaluate(p).unwrap().value, json!(true));
        c.close();
    }

    #[test]
    fn evaluate_all_answers_the_bootstrap_state() {
        let td = TestData::new();
        td.update(td.flag("b").boolean_flag().variation_for_all(true));
        let c = client_with(&td, vec![]);
        let state = c
            .evaluate_all(
                serde_json::from_value(json!({"context": user(), "withReasons": true})).unwrap(),
            )
            .unwrap()
            .state;
        assert_eq!(state["b"], json!(true));
        assert_eq!(state["$valid"], json!(true));
        assert_eq!(
            state["$flagsState"]["b"]["reason"],
            json!({"kind": "FALLTHROUGH"})
        );
        c.close();
    }

    #[test]
    fn invalid_contexts_are_bad_parameters() {
        let td = TestData::new();
        let c = client_with(&td, vec![]);
        let p: EvaluateFlagParams = serde_json::from_value(json!({"flagKey": "b",
            "context": {"kind": "user"}, "valueType": "any", "defaultValue": 1}))
        .unwrap();
        assert!(matches!(c.evaluate(p), Err(CommandError::BadParams(_))));
        let missing = ContextParams::default();
        assert!(matches!(
            c.identify_event(missing),
            Err(CommandError::BadParams(_))
        ));
        c.close();
    }

    #[test]
    fn secure_mode_hash_is_the_hmac_of_the_canonical_key() {
        let td = TestData::new();
        let c = client_with(&td, vec![]);
        let r = c
            .secure_mode_hash(ContextParams {
                context: Some(json!({"kind": "user", "key": "Message"})),
                user: None,
            })
            .unwrap();
        // HMAC-SHA256 keyed by "sdk-key", computed independently (Python's hmac module).
        assert_eq!(
            r.result,
            "7442ab8ed0c7cf3eab964220ee11038b5f9ace3c25441fda9f42ebf45cbb15cb"
        );
        let multi = c
            .secure_mode_hash(ContextParams {
                context: Some(
                    json!({"kind": "multi", "org": {"key": "o1"}, "user": {"key": "u:1"}}),
                ),
                user: None,
            })
            .unwrap();
        // Of the canonical key "org:o1:user:u%3A1".
        assert_eq!(
            multi.result,
            "9ea8627b15f3e82300f7784ba263d2a3c8248ac664bd3cfdd91151a4fa16ebdc"
        );
        c.close();
    }

    #[test]
    fn hooks_report_each_stage_with_series_data_and_detail() {
        let recorder = CallbackRecorder::start();
        let td = TestData::new();
        td.update(td.flag("b").boolean_flag().variation_for_all(true));
        let hook: HookInstanceParams = serde_json::from_value(json!({
            "name": "h1", "callbackUri": format!("{}/hook", recorder.uri),
            "data": {"beforeEvaluation": {"added": "yes"}}
        }))
        .unwrap();
        let c = client_with(&td, vec![hook]);
        evaluate(&c, "b", "bool", json!(false), true);
        let (path, before) = recorder.next();
        assert_eq!(path, "/hook");
        assert_eq!(before["stage"], "beforeEvaluation");
        assert_eq!(before["evaluationSeriesContext"]["flagKey"], "b");
        assert_eq!(before["evaluationSeriesContext"]["context"], user());
        assert_eq!(
            before["evaluationSeriesContext"]["defaultValue"],
            json!(false)
        );
        assert_eq!(before["evaluationSeriesData"], json!({}));
        let (_, after) = recorder.next();
        assert_eq!(after["stage"], "afterEvaluation");
        assert_eq!(after["evaluationSeriesData"], json!({"added": "yes"}));
        assert_eq!(
            after["evaluationDetail"],
            json!({"value": true, "variationIndex": 0, "reason": {"kind": "FALLTHROUGH"}})
        );

        c.custom_event(
            serde_json::from_value(json!({"eventKey": "e", "context": user(),
            "data": {"a": 1}, "metricValue": 2.0}))
            .unwrap(),
        )
        .unwrap();
        let (_, track) = recorder.next();
        assert_eq!(track["stage"], "afterTrack");
        assert_eq!(
            track["trackSeriesContext"],
            json!({"key": "e", "context": user(), "data": {"a": 1}, "metricValue": 2.0})
        );
        c.close();
    }

    #[test]
    fn a_failing_hook_stage_reports_nothing_and_the_evaluation_still_works() {
        let recorder = CallbackRecorder::start();
        let td = TestData::new();
        td.update(td.flag("b").boolean_flag().variation_for_all(true));
        let hook: HookInstanceParams = serde_json::from_value(json!({
            "name": "h2", "callbackUri": recorder.uri,
            "errors": {"beforeEvaluation": "boom"}
        }))
        .unwrap();
        let c = client_with(&td, vec![hook]);
        assert_eq!(
            evaluate(&c, "b", "bool", json!(false), false),
            json!({"value": true})
        );
        let (_, only) = recorder.next();
        assert_eq!(only["stage"], "afterEvaluation");
        c.close();
    }

    #[test]
    fn flag_change_and_value_listeners_notify_until_unregistered() {
        let recorder = CallbackRecorder::start();
        let td = TestData::new();
        td.update(
            td.flag("f")
                .variations([json!("a"), json!("b")])
                .variation_for_all(0usize),
        );
        td.update(td.flag("other").boolean_flag().variation_for_all(true));
        let c = client_with(&td, vec![]);
        c.register_flag_change_listener(RegisterFlagChangeListenerParams {
            listener_id: "changes".into(),
            flag_key: Some("f".into()),
            callback_uri: recorder.uri.clone(),
        })
        .unwrap();
        c.register_flag_value_change_listener(
            serde_json::from_value(json!({"listenerId": "values", "flagKey": "f",
                "context": user(), "defaultValue": "d", "callbackUri": recorder.uri}))
            .unwrap(),
        )
        .unwrap();

        td.update(td.flag("other").boolean_flag().variation_for_all(false));
        td.update(
            td.flag("f")
                .variations([json!("a"), json!("b")])
                .variation_for_all(1usize),
        );
        let mut seen = [recorder.next().1, recorder.next().1];
        seen.sort_by_key(|n| n["listenerId"].as_str().unwrap_or_default().to_owned());
        assert_eq!(seen[0]["listenerId"], "changes");
        assert_eq!(seen[0]["flagKey"], "f");
        assert_eq!(seen[1]["listenerId"], "values");
        assert_eq!(seen[1]["oldValue"], "a");
        assert_eq!(seen[1]["newValue"], "b");

        c.unregister_listener(UnregisterListenerParams {
            listener_id: "changes".into(),
        })
        .unwrap();
        c.unregister_listener(UnregisterListenerParams {
            listener_id: "values".into(),
        })
        .unwrap();
        assert!(
            c.unregister_listener(UnregisterListenerParams {
                listener_id: "values".into()
            })
            .is_err()
        );
        td.update(
            td.flag("f")
                .variations([json!("a"), json!("b")])
                .variation_for_all(0usize),
        );
        assert!(recorder.stays_quiet(Duration::from_millis(300)));
        c.close();
    }
}
