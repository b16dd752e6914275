//! The client: evaluation, events, lifecycle.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use ld_eval::{
    BigSegmentProvider, Context, DataLookup, Detail, DetailRef, ErrorKind, Evaluator,
    PrerequisiteEvaluation, PrerequisiteRecorder, ReasonRef,
};
use ld_events::{DiagnosticsRecorder, EventProcessor};
use ld_store::{
    BigSegmentStoreStatus, BigSegmentStoreWrapper, DataSource, DataSourceState, DataSourceStatus,
    DataSourceStatusProvider, DataSourceUpdateSink, DataSourceUpdates, FlagChangeNotifier,
    FlagValueChangeEvent, Snapshot,
};
use parking_lot::Mutex;
use serde_json::Value;
use thiserror::Error;

use crate::background_runtime::BackgroundRuntime;
use crate::data_source_config::DataSourceConfig;
use crate::data_store_config::ClientStore;
use crate::flag_value::FlagValue;
use crate::hook_runner::HookRunner;
use crate::test_data_source::TestDataSource;
use crate::variation_output::{ValueOnly, VariationOutput, WithDetail};
use crate::{
    Config, DataSourceBuildError, DataSourceContext, EvaluationDetail, EvaluationSeriesContext,
    FlagState, FlagsState, FlagsStateOptions, InitializationError, TrackSeriesContext,
};

/// How long `close` waits for the background runtime after events were delivered.
const RUNTIME_CLOSE_BOUND: Duration = Duration::from_secs(2);

/// Why a client could not be created (configuration problems are caught earlier, by
/// [`ConfigBuilder::build`](crate::ConfigBuilder::build)).
#[derive(Debug, Error)]
pub enum ClientError {
    /// The background runtime thread could not be started.
    #[error("cannot start the SDK's background thread: {0}")]
    Runtime(#[from] std::io::Error),
    /// The data source could not be built.
    #[error("cannot build the data source: {0}")]
    DataSource(DataSourceBuildError),
}

struct Inner {
    sdk_key: String,
    offline: bool,
    /// True when no data source feeds the store (offline, or daemon mode).
    no_source: bool,
    store: ClientStore,
    sink: Arc<DataSourceUpdateSink>,
    data_source: Option<Arc<dyn DataSource>>,
    events: EventProcessor,
    hooks: HookRunner,
    big_segments: Option<Arc<dyn BigSegmentProvider + Send + Sync>>,
    /// The configured big segment store, with its cache and status (not with a raw provider).
    big_segment_store: Option<Arc<BigSegmentStoreWrapper>>,
    runtime: Mutex<Option<BackgroundRuntime>>,
    closed: AtomicBool,
}

/// A LaunchDarkly client: evaluates flags, records analytics events, keeps its flag data up to
/// date in the background.
///
/// `Client` is a cheap handle (`Clone` shares the same client) that is `Send` and `Sync`: create
/// one at start-up and share it. Evaluations read an immutable snapshot of the flag data, take
/// no lock a writer holds, do no I/O and never block.
///
/// ```
/// use ld_sdk::{Client, Config, ContextBuilder, TestData};
///
/// let td = TestData::new();
/// td.update(td.flag("beta-banner").variation_for_key("user", "alice", true).fallthrough_variation(false));
/// let client = Client::new(Config::builder("sdk-key").data_source(&td).send_events(false).build()?)?;
///
/// let alice = ContextBuilder::new("alice").build()?;
/// let bob = ContextBuilder::new("bob").build()?;
/// assert!(client.bool_variation("beta-banner", &alice, false));
/// assert!(!client.bool_variation("beta-banner", &bob, false));
/// client.close();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("offline", &self.inner.offline)
            .field("closed", &self.inner.closed.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Creates a client and starts its background work (connecting, receiving flags, sending
    /// events). Returns at once: use [`Client::wait_for_initialization`] to wait for flags.
    ///
    /// Works with or without a tokio runtime in the application: the client runs its own on a
    /// dedicated thread.
    pub fn new(config: Config) -> Result<Client, ClientError> {
        let store = match &config.data_store {
            Some(custom) if matches!(config.data_source, DataSourceConfig::External) => {
                ClientStore::Daemon(custom.store.clone())
            }
            Some(custom) => ClientStore::Other(custom.store.clone()),
            None => ClientStore::Memory(Arc::default()),
        };
        let sink = Arc::new(DataSourceUpdateSink::new(store.as_dyn()));
        let offline = config.offline;
        let no_source = offline || matches!(config.data_source, DataSourceConfig::External);
        // One id for this client, sent as `X-LaunchDarkly-Instance-Id` on flag and event requests.
        let instance_id = uuid::Uuid::new_v4().to_string();
        let runtime = if offline {
            None
        } else {
            Some(BackgroundRuntime::start()?)
        };
        let events = match &runtime {
            Some(runtime) if config.sends_events() => {
                crate::event_delivery::event_processor(&config, runtime.handle(), &instance_id)
            }
            _ => EventProcessor::disabled(),
        };
        let data_source = match &runtime {
            Some(runtime) if !no_source => {
                let diagnostics = events.diagnostics_recorder();
                match build_data_source(&config, runtime.handle(), &instance_id, diagnostics) {
                    Ok(source) => Some(source),
                    Err(e) => {
                        events.close();
                        return Err(ClientError::DataSource(e));
                    }
                }
            }
            _ => None,
        };
        let big_segment_store = match &config.big_segments {
            Some(big) if !offline => Some(Arc::new(BigSegmentStoreWrapper::new(
                big.store().clone(),
                *big.options(),
            )?)),
            _ => None,
        };
        let big_segments = match &big_segment_store {
            Some(store) => Some(store.clone() as Arc<dyn BigSegmentProvider + Send + Sync>),
            None => config.big_segment_provider.clone(),
        };
        if no_source {
            // Offline and daemon-mode clients count as initialized at once, as in LaunchDarkly's SDKs.
            sink.update_status(DataSourceState::Valid, None);
            if offline {
                tracing::info!("LaunchDarkly client started in offline mode");
            }
        }
        let client = Client {
            inner: Arc::new(Inner {
                sdk_key: config.sdk_key.clone(),
                offline,
                no_source,
                store,
                sink: sink.clone(),
                data_source: data_source.clone(),
                events,
                hooks: HookRunner::new(config.hooks.clone()),
                big_segments,
                big_segment_store,
                runtime: Mutex::new(runtime),
                closed: AtomicBool::new(false),
            }),
        };
        if let (Some(runtime), Some((refresh, interval))) = (
            client.inner.runtime.lock().as_ref(),
            config.data_store.as_ref().and_then(|s| s.refresh.clone()),
        ) {
            // Daemon mode reloads forever; otherwise once, to serve stored flags until the
            // data source delivers.
            let repeat = no_source.then_some(interval);
            runtime.handle().spawn(refresh_store(refresh, repeat));
        }
        if let Some(source) = data_source {
            source.start(sink);
        }
        Ok(client)
    }

    /// Waits up to `timeout` for the first complete set of flags. `Ok(())` at once when
    /// offline or in daemon mode. Blocks the calling thread: in async code use
    /// [`Client::wait_for_initialization_async`].
    ///
    /// A client that is not initialized still works: it serves defaults (with
    /// `CLIENT_NOT_READY`) until flags arrive.
    pub fn wait_for_initialization(&self, timeout: Duration) -> Result<(), InitializationError> {
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(InitializationError::Closed);
        }
        if self.inner.no_source {
            return Ok(());
        }
        crate::initialization_error::wait_for_flags(self.inner.sink.status_provider(), timeout)
    }

    /// [`Client::wait_for_initialization`] for async code: waits without blocking the
    /// executor.
    pub async fn wait_for_initialization_async(
        &self,
        timeout: Duration,
    ) -> Result<(), InitializationError> {
        let client = self.clone();
        off_thread(move || client.wait_for_initialization(timeout))
            .await
            .unwrap_or(Err(InitializationError::Closed))
    }

    /// Whether the client has received flag data (always true offline or in daemon mode). It
    /// may have lost its connection since; see [`Client::data_source_status`].
    pub fn is_initialized(&self) -> bool {
        self.inner.no_source
            || matches!(
                self.inner.sink.status_provider().status().state,
                DataSourceState::Valid | DataSourceState::Interrupted
            )
    }

    /// Whether the client was configured offline.
    pub fn is_offline(&self) -> bool {
        self.inner.offline
    }

    // ----- evaluation -----

    /// The flag's value for `context`, of any JSON type (the Python SDK's `variation`).
    /// `default` is returned if the flag cannot be evaluated.
    pub fn variation(&self, flag_key: &str, context: &Context, default: Value) -> Value {
        self.evaluate::<_, ValueOnly>(method::VARIATION, flag_key, context, default)
    }

    /// [`Client::variation`] with the variation index and reason.
    pub fn variation_detail(
        &self,
        flag_key: &str,
        context: &Context,
        default: Value,
    ) -> EvaluationDetail<Value> {
        self.evaluate::<_, WithDetail>(method::VARIATION_DETAIL, flag_key, context, default)
    }

    /// A boolean flag's value; `default` if it cannot be evaluated or is not a boolean.
    pub fn bool_variation(&self, flag_key: &str, context: &Context, default: bool) -> bool {
        self.evaluate::<_, ValueOnly>(method::BOOL, flag_key, context, default)
    }

    /// [`Client::bool_variation`] with the variation index and reason.
    pub fn bool_variation_detail(
        &self,
        flag_key: &str,
        context: &Context,
        default: bool,
    ) -> EvaluationDetail<bool> {
        self.evaluate::<_, WithDetail>(method::BOOL_DETAIL, flag_key, context, default)
    }

    /// A string flag's value; `default` if it cannot be evaluated or is not a string.
    pub fn string_variation(&self, flag_key: &str, context: &Context, default: &str) -> String {
        self.evaluate::<_, ValueOnly>(method::STRING, flag_key, context, default.to_owned())
    }

    /// [`Client::string_variation`] with the variation index and reason.
    pub fn string_variation_detail(
        &self,
        flag_key: &str,
        context: &Context,
        default: &str,
    ) -> EvaluationDetail<String> {
        self.evaluate::<_, WithDetail>(method::STRING_DETAIL, flag_key, context, default.to_owned())
    }

    /// A numeric flag's value as an integer (fractions truncated toward zero); `default` if it
    /// cannot be evaluated or is not a number.
    pub fn int_variation(&self, flag_key: &str, context: &Context, default: i64) -> i64 {
        self.evaluate::<_, ValueOnly>(method::INT, flag_key, context, default)
    }

    /// [`Client::int_variation`] with the variation index and reason.
    pub fn int_variation_detail(
        &self,
        flag_key: &str,
        context: &Context,
        default: i64,
    ) -> EvaluationDetail<i64> {
        self.evaluate::<_, WithDetail>(method::INT_DETAIL, flag_key, context, default)
    }

    /// A numeric flag's value; `default` if it cannot be evaluated or is not a number.
    pub fn float_variation(&self, flag_key: &str, context: &Context, default: f64) -> f64 {
        self.evaluate::<_, ValueOnly>(method::FLOAT, flag_key, context, default)
    }

    /// [`Client::float_variation`] with the variation index and reason.
    pub fn float_variation_detail(
        &self,
        flag_key: &str,
        context: &Context,
        default: f64,
    ) -> EvaluationDetail<f64> {
        self.evaluate::<_, WithDetail>(method::FLOAT_DETAIL, flag_key, context, default)
    }

    /// A flag's value as JSON, whatever its type; `default` if it cannot be evaluated.
    pub fn json_variation(&self, flag_key: &str, context: &Context, default: Value) -> Value {
        self.evaluate::<_, ValueOnly>(method::JSON, flag_key, context, default)
    }

    /// [`Client::json_variation`] with the variation index and reason.
    pub fn json_variation_detail(
        &self,
        flag_key: &str,
        context: &Context,
        default: Value,
    ) -> EvaluationDetail<Value> {
        self.evaluate::<_, WithDetail>(method::JSON_DETAIL, flag_key, context, default)
    }

    /// Runs the hooks (if any) around the evaluation.
    #[inline]
    fn evaluate<T: FlagValue, O: VariationOutput<T>>(
        &self,
        method: &'static str,
        flag_key: &str,
        context: &Context,
        default: T,
    ) -> O::Out {
        self.evaluate_inspecting::<T, O>(method, flag_key, context, default, |_| {})
    }

    /// [`Client::evaluate`], also handing `inspect` the flag evaluated (`None` when there is
    /// none), read from the very snapshot the evaluation used.
    #[inline]
    fn evaluate_inspecting<T: FlagValue, O: VariationOutput<T>>(
        &self,
        method: &'static str,
        flag_key: &str,
        context: &Context,
        default: T,
        inspect: impl FnOnce(Option<&ld_eval::Flag>),
    ) -> O::Out {
        if self.inner.hooks.is_empty() {
            return self.evaluate_flag::<T, O>(flag_key, context, default, inspect);
        }
        let default_json = default.to_json();
        let series = EvaluationSeriesContext {
            flag_key,
            context,
            default_value: &default_json,
            method,
        };
        let detail = self.inner.hooks.run_evaluation(
            &series,
            || self.evaluate_flag::<T, WithDetail>(flag_key, context, default, inspect),
            |detail| EvaluationDetail {
                value: detail.value.to_json(),
                variation_index: detail.variation_index,
                reason: detail.reason.clone(),
            },
        );
        O::from_detail(detail)
    }

    /// The evaluation itself: snapshot, evaluate with everything borrowed from the flag, record
    /// the event, and hand back what `O` asks for (an owned reason only for `*_detail` calls).
    /// `inspect` sees the flag evaluated, if any.
    #[inline]
    fn evaluate_flag<T: FlagValue, O: VariationOutput<T>>(
        &self,
        flag_key: &str,
        context: &Context,
        default: T,
        inspect: impl FnOnce(Option<&ld_eval::Flag>),
    ) -> O::Out {
        let inner = &*self.inner;
        if inner.offline {
            inspect(None);
            return O::finish(default, None, ReasonRef::error(ErrorKind::ClientNotReady));
        }
        inner.store.with_snapshot(|view| {
            self.evaluate_in::<T, O>(view, flag_key, context, default, inspect)
        })
    }

    /// [`Client::evaluate_flag`] on the snapshot `view`. Out of line, so that the snapshot
    /// closure that calls it stays small enough to be inlined, and passes these arguments in
    /// registers rather than copying its captures into a closure object.
    #[inline(never)]
    fn evaluate_in<T: FlagValue, O: VariationOutput<T>>(
        &self,
        view: crate::snapshot_view::SnapshotView<'_>,
        flag_key: &str,
        context: &Context,
        default: T,
        inspect: impl FnOnce(Option<&ld_eval::Flag>),
    ) -> O::Out {
        let inner = &*self.inner;
        let recorder = inner.events.evaluation_recorder();
        let events = recorder.is_some();
        if !inner.store.usable(view.snapshot()) {
            inspect(None);
            if events {
                self.record_unknown(
                    flag_key,
                    context,
                    &default,
                    ErrorKind::ClientNotReady,
                    O::WITH_REASONS,
                );
            }
            return O::finish(default, None, ReasonRef::error(ErrorKind::ClientNotReady));
        }
        let flag = view.flag(flag_key);
        inspect(flag);
        let Some(flag) = flag else {
            if events {
                self.record_unknown(
                    flag_key,
                    context,
                    &default,
                    ErrorKind::FlagNotFound,
                    O::WITH_REASONS,
                );
            }
            return O::finish(default, None, ReasonRef::error(ErrorKind::FlagNotFound));
        };
        let evaluator = inner.evaluator(&view);
        // Prerequisite events need the recorder; a flag without prerequisites is evaluated
        // the plain way.
        let result = if let Some(recorder) = recorder
            && !flag.prerequisites.is_empty()
        {
            let prerequisites = recorder.prerequisite_events_of(
                O::WITH_REASONS,
                flag,
                view.snapshot().generation(),
                context,
                view.tally(),
            );
            evaluator
                .with_prerequisite_recorder(&prerequisites)
                .evaluate_ref(flag, context)
        } else {
            evaluator.evaluate_ref(flag, context)
        };
        let typed = result.value.and_then(T::from_flag_value);
        // The flag's own value, of the wrong type: the default is served. `result` is borrowed,
        // not moved: a move copies it with wide loads that straddle the evaluator's narrower
        // stores of it, which the CPU cannot forward, and the reads after it wait.
        let wrong_type;
        let served = if typed.is_none() && result.value.is_some() {
            wrong_type = DetailRef::error(ErrorKind::WrongType);
            &wrong_type
        } else {
            &result
        };
        if let Some(recorder) = recorder {
            recorder.record_in(
                view.tally(),
                flag_key,
                Some(flag),
                context,
                served,
                || default.to_json(),
                O::WITH_REASONS,
                None,
            );
        }
        O::finish(
            typed.unwrap_or(default),
            served.variation_index,
            served.reason,
        )
    }

    #[cold]
    fn record_unknown<T: FlagValue>(
        &self,
        flag_key: &str,
        context: &Context,
        default: &T,
        error: ErrorKind,
        with_reasons: bool,
    ) {
        self.inner.events.record_evaluation(
            flag_key,
            None,
            context,
            &Detail::error(error),
            &default.to_json(),
            with_reasons,
            None,
        );
    }

    /// Every flag's value for `context`, with the metadata LaunchDarkly's client-side SDKs need;
    /// serialize it to bootstrap the JavaScript SDK. Sends no events.
    ///
    /// Invalid (`"$valid": false`, no flags) when offline, or when no flag data has been
    /// received yet.
    ///
    /// ```
    /// use ld_sdk::{Client, Config, ContextBuilder, FlagsStateOptions, TestData};
    ///
    /// let td = TestData::new();
    /// td.update(td.flag("dark-mode").variation_for_all(true));
    /// let client = Client::new(Config::builder("k").data_source(&td).send_events(false).build()?)?;
    /// let state = client.all_flags_state(&ContextBuilder::new("u").build()?, FlagsStateOptions::default());
    /// let json = serde_json::to_value(&state)?;
    /// assert_eq!(json["dark-mode"], true);
    /// assert_eq!(json["$valid"], true);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn all_flags_state(&self, context: &Context, options: FlagsStateOptions) -> FlagsState {
        if self.inner.offline {
            tracing::warn!("all_flags_state called in offline mode; returning an invalid state");
            return FlagsState::invalid();
        }
        let snapshot = self.inner.store.snapshot();
        if !self.inner.store.usable(&snapshot) {
            tracing::warn!(
                "all_flags_state called before flags were received; returning an invalid state"
            );
            return FlagsState::invalid();
        }
        let mut builder = FlagsState::builder(options);
        for (key, flag) in snapshot.flags() {
            if flag.deleted || (options.is_client_side_only() && !flag.using_environment_id()) {
                continue;
            }
            let recorder = DirectPrerequisites {
                of: &flag.key,
                keys: Mutex::new(Vec::new()),
            };
            let detail = self
                .inner
                .evaluator(&*snapshot)
                .with_prerequisite_recorder(&recorder)
                .evaluate(flag, context);
            let in_experiment = flag.is_experimentation_enabled(&detail.reason);
            let mut state = FlagState::new(
                detail.value.cloned().unwrap_or(Value::Null),
                detail.variation_index,
                flag.version,
                detail.reason,
            );
            state.track_events = flag.track_events || in_experiment;
            state.track_reason = in_experiment;
            state.debug_events_until_date = flag.debug_events_until_date;
            state.prerequisites = recorder.keys.into_inner();
            builder = builder.add(key, state);
        }
        builder.build()
    }

    // ----- events -----

    /// Records a custom event (a metric or goal on LaunchDarkly's dashboard) for `context`.
    pub fn track(&self, event_key: &str, context: &Context) {
        self.track_event(event_key, context, None, None);
    }

    /// [`Client::track`] with custom JSON data attached.
    pub fn track_data(&self, event_key: &str, context: &Context, data: Value) {
        self.track_event(event_key, context, Some(data), None);
    }

    /// [`Client::track`] with a numeric metric value (for numeric experiment metrics) and
    /// optional data.
    pub fn track_metric(
        &self,
        event_key: &str,
        context: &Context,
        metric_value: f64,
        data: Option<Value>,
    ) {
        self.track_event(event_key, context, data, Some(metric_value));
    }

    fn track_event(
        &self,
        event_key: &str,
        context: &Context,
        data: Option<Value>,
        metric_value: Option<f64>,
    ) {
        if !self.inner.hooks.is_empty() {
            self.inner.hooks.run_after_track(&TrackSeriesContext {
                key: event_key,
                context,
                data: data.as_ref(),
                metric_value,
            });
        }
        self.inner.events.record_custom(
            context,
            event_key,
            data.unwrap_or(Value::Null),
            metric_value,
        );
    }

    /// Records an identify event, making the context known to LaunchDarkly (rarely needed:
    /// evaluations do this too).
    pub fn identify(&self, context: &Context) {
        self.inner.events.record_identify(context);
    }

    /// Asks for buffered events to be sent now; returns at once.
    pub fn flush(&self) {
        self.inner.events.flush();
    }

    /// Sends buffered events and waits, at most `timeout`, for delivery. Returns whether
    /// delivery finished in time. Blocks the calling thread.
    pub fn flush_and_wait(&self, timeout: Duration) -> bool {
        self.inner.events.flush_and_wait(timeout)
    }

    /// The signature LaunchDarkly's client-side SDKs need in secure mode: HMAC-SHA256 of the
    /// context's fully-qualified key, keyed by the SDK key, as lowercase hex.
    pub fn secure_mode_hash(&self, context: &Context) -> String {
        crate::secure_mode_hash(&self.inner.sdk_key, context)
    }

    // ----- status and changes -----

    /// The data source's current status: state, since when, last error.
    pub fn data_source_status(&self) -> DataSourceStatus {
        self.inner.sink.status_provider().status()
    }

    /// The data source status provider, to subscribe to status changes or wait for a state.
    pub fn data_source_status_provider(&self) -> &DataSourceStatusProvider {
        self.inner.sink.status_provider()
    }

    /// The big segment store's health (available, stale), when one was configured with
    /// [`ConfigBuilder::big_segments`](crate::ConfigBuilder::big_segments); `None` otherwise, and
    /// for an offline client (which never queries the store).
    ///
    /// Answers from the last status poll; before the first poll, queries the store now.
    pub fn big_segment_store_status(&self) -> Option<BigSegmentStoreStatus> {
        self.inner.big_segment_store.as_ref().map(|s| s.status())
    }

    /// Subscribes to big segment store status changes (each poll that finds a different status
    /// sends one), when a big segment store is configured.
    pub fn subscribe_big_segment_store_status(&self) -> Option<Receiver<BigSegmentStoreStatus>> {
        self.inner
            .big_segment_store
            .as_ref()
            .map(|s| s.subscribe_status())
    }

    /// Flag change notifications: subscribe to learn which flags changed (including through
    /// their prerequisites and segments).
    ///
    /// ```
    /// use ld_sdk::{Client, Config, TestData};
    ///
    /// let td = TestData::new();
    /// let client = Client::new(Config::builder("k").data_source(&td).send_events(false).build()?)?;
    /// let changes = client.flag_tracker().subscribe();
    /// td.update(td.flag("f").variation_for_all(true));
    /// assert_eq!(changes.recv_timeout(std::time::Duration::from_secs(5))?.key, "f");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn flag_tracker(&self) -> &FlagChangeNotifier {
        self.inner.sink.flag_changes()
    }

    /// Notifies when the value of `flag_key` for `context` changes (evaluated as
    /// [`Client::json_variation`] would, without events or hooks).
    pub fn subscribe_flag_value(
        &self,
        flag_key: &str,
        context: &Context,
        default: Value,
    ) -> Receiver<FlagValueChangeEvent> {
        let context = context.clone();
        let big_segments = self.inner.big_segments.clone();
        self.flag_tracker()
            .subscribe_value(flag_key, move |snapshot: &Snapshot, key: &str| {
                snapshot
                    .flag(key)
                    .and_then(|flag| {
                        with_big_segments(Evaluator::new(snapshot), big_segments.as_deref())
                            .evaluate(flag, &context)
                            .value
                            .cloned()
                    })
                    .unwrap_or_else(|| default.clone())
            })
    }

    // ----- lifecycle -----

    /// Shuts the client down: stops the data source, delivers pending events (waiting at most
    /// a few seconds), stops the background thread. Idempotent; later evaluations serve the
    /// last known flags but record no events. Blocks the calling thread (boundedly): in async
    /// code use [`Client::close_async`].
    pub fn close(&self) {
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        self.inner.close();
    }

    /// [`Client::close`] without blocking the executor.
    pub async fn close_async(&self) {
        let client = self.clone();
        let _ = off_thread(move || client.close()).await;
    }

    // ----- technology migrations -----

    /// The stage a migration flag serves for `context`, with a tracker for the operation the
    /// application is about to run (see [`Migrator`](crate::Migrator), which does all of this
    /// for you).
    ///
    /// Evaluates like [`Client::string_variation_detail`] (events, summary, hooks), then parses
    /// the value: a value that is not a stage name gives `default_stage` with an
    /// `ERROR`/`WRONG_TYPE` reason, as does a flag whose value is not a string.
    ///
    /// ```
    /// use ld_sdk::{Client, Config, ContextBuilder, Stage, TestData};
    ///
    /// let td = TestData::new();
    /// let stages = ["off", "dualwrite", "shadow", "live", "rampdown", "complete"];
    /// td.update(td.flag("db-migration").variations(stages).variation_for_all(1usize));
    /// let client = Client::new(Config::builder("k").data_source(&td).send_events(false).build()?)?;
    /// let context = ContextBuilder::new("user-1").build()?;
    /// let (stage, _tracker) = client.migration_variation("db-migration", &context, Stage::Off);
    /// assert_eq!(stage, Stage::DualWrite);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn migration_variation(
        &self,
        flag_key: &str,
        context: &Context,
        default_stage: crate::Stage,
    ) -> (crate::Stage, crate::MigrationOpTracker) {
        // The version and ratios the tracker reports come from the flag this very evaluation
        // used, even if an update lands meanwhile.
        let mut flag = None;
        let default_value = default_stage.as_str().to_owned();
        let detail = self.evaluate_inspecting::<_, WithDetail>(
            "Client::migration_variation",
            flag_key,
            context,
            default_value.clone(),
            |f| {
                flag = f.map(|f| crate::migration_tracker::MigrationFlagInfo {
                    version: f.version,
                    sampling_ratio: f.sampling_ratio,
                    check_ratio: f.migration.as_ref().and_then(|m| m.check_ratio),
                });
            },
        );
        let (stage, detail) = match detail.value.parse::<crate::Stage>() {
            Ok(stage) => (stage, detail.map(Value::String)),
            Err(e) => {
                tracing::warn!("migration flag {flag_key:?}: {e}; serving the default stage");
                let wrong_type =
                    EvaluationDetail::error(Value::String(default_value), ErrorKind::WrongType);
                (default_stage, wrong_type)
            }
        };
        let tracker =
            crate::MigrationOpTracker::new(flag_key, flag, context, detail, default_stage);
        (stage, tracker)
    }

    /// Sends the `migration_op` event for what `tracker` recorded (nothing when events are
    /// disabled), or says why the measurements do not make an event.
    pub fn track_migration_op(
        &self,
        tracker: &crate::MigrationOpTracker,
    ) -> Result<(), crate::MigrationOpTrackerError> {
        if !self.inner.events.is_enabled() {
            return Ok(());
        }
        self.inner.events.record_migration_op(tracker.build()?);
        Ok(())
    }
}

impl Inner {
    /// An evaluator over `data` (a snapshot, or a view of one), with the big segment provider
    /// if one is configured.
    #[inline]
    fn evaluator<'a>(&'a self, data: &'a dyn DataLookup) -> Evaluator<'a> {
        with_big_segments(Evaluator::new(data), self.big_segments.as_deref())
    }

    fn close(&self) {
        tracing::info!("closing the LaunchDarkly client");
        if let Some(source) = &self.data_source {
            source.stop();
        }
        if let Some(store) = &self.big_segment_store {
            store.close();
        }
        self.events.close();
        if let Some(mut runtime) = self.runtime.lock().take() {
            runtime.shutdown(RUNTIME_CLOSE_BOUND);
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if !self.closed.swap(true, Ordering::AcqRel) {
            self.close();
        }
    }
}

#[inline]
fn with_big_segments<'a>(
    evaluator: Evaluator<'a>,
    provider: Option<&'a (dyn BigSegmentProvider + Send + Sync)>,
) -> Evaluator<'a> {
    match provider {
        Some(p) => evaluator.with_big_segments(p),
        None => evaluator,
    }
}

/// Reloads a persistent store's cache from its database, once or every `repeat`.
async fn refresh_store(refresh: crate::data_store_config::Refresh, repeat: Option<Duration>) {
    loop {
        let reload = refresh.clone();
        match tokio::task::spawn_blocking(move || reload()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("cannot reload the persistent store: {}", e.message),
            Err(e) => tracing::warn!("persistent store reload failed: {e}"),
        }
        let Some(interval) = repeat else { return };
        tokio::time::sleep(interval).await;
    }
}

/// Runs blocking work on a short-lived thread and awaits its result, so async callers never
/// block their executor (whatever runtime, or none, they use).
async fn off_thread<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("ld-sdk-wait".into())
        .spawn(move || {
            let _ = tx.send(work());
        })
        .ok()?;
    rx.await.ok()
}

/// Collects the keys of a flag's direct prerequisites, in evaluation order.
struct DirectPrerequisites<'a> {
    of: &'a str,
    keys: Mutex<Vec<String>>,
}

impl PrerequisiteRecorder for DirectPrerequisites<'_> {
    fn record(&self, e: PrerequisiteEvaluation<'_>) {
        if e.prerequisite_of.key == self.of {
            self.keys.lock().push(e.prerequisite.key.to_string());
        }
    }
}

fn build_data_source(
    config: &Config,
    runtime: &tokio::runtime::Handle,
    instance_id: &str,
    diagnostics: Arc<DiagnosticsRecorder>,
) -> Result<Arc<dyn DataSource>, DataSourceBuildError> {
    let wrapper = config.wrapper_header();
    let context = DataSourceContext {
        sdk_key: &config.sdk_key,
        endpoints: &config.endpoints,
        http: &config.http,
        application: &config.application,
        wrapper_header: wrapper.as_deref(),
        instance_id,
        runtime,
        diagnostics: &diagnostics,
    };
    match &config.data_source {
        DataSourceConfig::TestData(td) => Ok(Arc::new(TestDataSource::new(td.clone()))),
        DataSourceConfig::Custom(factory) => factory.build(&context),
        #[cfg(feature = "file")]
        DataSourceConfig::Files(options) => crate::file_source::build(options),
        #[cfg(feature = "http")]
        DataSourceConfig::Streaming(_) | DataSourceConfig::Polling(_) => {
            let http = crate::http_transport::http_client(config)?;
            crate::http_source::build(&config.data_source, &context, http)
        }
        DataSourceConfig::External => Err("daemon mode has no data source to build".into()),
    }
}

/// The `method` names hooks see.
mod method {
    pub const VARIATION: &str = "Client::variation";
    pub const VARIATION_DETAIL: &str = "Client::variation_detail";
    pub const BOOL: &str = "Client::bool_variation";
    pub const BOOL_DETAIL: &str = "Client::bool_variation_detail";
    pub const STRING: &str = "Client::string_variation";
    pub const STRING_DETAIL: &str = "Client::string_variation_detail";
    pub const INT: &str = "Client::int_variation";
    pub const INT_DETAIL: &str = "Client::int_variation_detail";
    pub const FLOAT: &str = "Client::float_variation";
    pub const FLOAT_DETAIL: &str = "Client::float_variation_detail";
    pub const JSON: &str = "Client::json_variation";
    pub const JSON_DETAIL: &str = "Client::json_variation_detail";
}
