//! The event processor: the cheap recording calls the SDK makes on the application's threads, and
//! the background task that flushes, serializes and delivers.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::Rng;
use serde::Serialize;
use serde_json::Value;
use tokio::runtime::Handle;
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio::time::{Instant, MissedTickBehavior, interval_at};

use crate::config::EventsConfig;
use crate::context_formatter::ContextFormatter;
use crate::context_key_cache::ContextKeyCache;
use crate::context_source::{ContextPart, EventContextSource};
use crate::delivery::{Delivery, Outcome, PayloadKind};
use crate::diagnostics::{Diagnostics, DiagnosticsRecorder};
use crate::event::{CustomEvent, FeatureEvent, OutputEvent, RawJson};
use crate::event_context::identity_hash;
use crate::event_output::write_payload;
use crate::outbox::Outbox;
use crate::sender::EventSender;
use crate::summary::{KnownContext, Summarizer, SummaryInput};
use crate::thread_tally::ThreadTally;

/// Unix milliseconds now.
pub(crate) fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The event-related properties of a flag (`None` in [`Evaluation::flag`] for an unknown flag).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlagEventSettings {
    /// The flag version.
    pub version: u64,
    /// The flag's `trackEvents`: send a full feature event for every evaluation.
    pub track_events: bool,
    /// The flag's `debugEventsUntilDate` (Unix milliseconds).
    pub debug_events_until_date: Option<u64>,
    /// The flag's `samplingRatio`: keep one in N feature and debug events (`None` means 1; 0
    /// keeps none). Summaries are not sampled.
    pub sampling_ratio: Option<u32>,
    /// The flag's `excludeFromSummaries`.
    pub exclude_from_summaries: bool,
}

/// What the general path tells the summary about an evaluation's flag, so that the cell it
/// counts in can serve the fast path ([`EventProcessor::count_if_known`]).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FastPathHints<'a> {
    /// The flag's `ld_eval::InstanceId`, 0 when there is no flag at hand.
    pub(crate) instance: u64,
    /// No evaluation of the flag needs more than the summary (`evaluation::plain_flag`).
    pub(crate) plain: bool,
    /// The flag's variations (empty when there is no flag at hand): a summary cell counts
    /// each of them.
    pub(crate) variations: &'a [Value],
}

/// One evaluation to record, borrowed from the caller.
///
/// `R` is the evaluation reason; it is serialized only when a full event is sent with it.
#[derive(Debug)]
pub struct Evaluation<'a, C: ?Sized, R: ?Sized> {
    /// The flag key (as requested, even for an unknown flag).
    pub flag_key: &'a str,
    /// The flag's event settings, or `None` when the flag does not exist.
    pub flag: Option<FlagEventSettings>,
    /// The context evaluated.
    pub context: &'a C,
    /// The variation index, if a variation was served.
    pub variation: Option<usize>,
    /// The value served (the default when evaluation failed).
    pub value: &'a Value,
    /// The application's default value (`null` for prerequisites).
    pub default: &'a Value,
    /// The evaluation reason.
    pub reason: &'a R,
    /// Whether this evaluation is part of an experiment (`inExperiment`, or a rule / fallthrough
    /// with `trackEvents` / `trackEventsFallthrough`): a full event is sent, with the reason.
    pub in_experiment: bool,
    /// Whether the application asked for reasons (the `*_detail` calls).
    pub with_reasons: bool,
    /// For a prerequisite evaluation, the key of the flag that required it.
    pub prereq_of: Option<&'a str>,
}

enum Command {
    FlushAndWait(std::sync::mpsc::Sender<()>),
    Close(std::sync::mpsc::Sender<()>),
}

/// State shared by the recording calls and the background task.
pub(crate) struct Shared {
    summarizer: Summarizer,
    key_cache: ContextKeyCache,
    outbox: Outbox,
    formatter: ContextFormatter,
    delivery: Delivery,
    diagnostics: Option<Diagnostics>,
    recorder: Arc<DiagnosticsRecorder>,
    in_flight: Arc<Semaphore>,
    max_in_flight: u32,
    omit_anonymous_contexts: bool,
    /// Sending was disabled by an unrecoverable response, or the processor was closed.
    inactive: AtomicBool,
    disabled: AtomicBool,
    /// The server's clock as of the last response with a `Date` header (Unix ms, 0 = unknown).
    server_time: AtomicU64,
    flush_requested: Notify,
    /// Signalled each time a delivery gives back its slot.
    delivery_finished: Notify,
}

/// Records analytics events and delivers them in the background.
///
/// The recording methods are called on application threads and never block or do I/O; a
/// summary-only evaluation (no `trackEvents`, no experiment, no debugging, context already seen
/// on this thread) touches only thread-local state and allocates nothing; a context this thread
/// has not met costs one shard lock of the context-key cache (and, if the processor has never
/// seen it, the copy its index event carries).
///
/// ```
/// use std::sync::Arc;
/// use ld_events::{EventProcessor, EventRequest, EventResponse, EventSender, EventsConfig, SendFuture};
///
/// struct Accepting;
/// impl EventSender for Accepting {
///     fn send(&self, _request: EventRequest) -> SendFuture {
///         Box::pin(async { Ok(EventResponse { status: 202, date: None }) })
///     }
/// }
///
/// let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
/// let events = EventProcessor::new(EventsConfig::new("sdk-key"), Arc::new(Accepting), runtime.handle());
/// events.flush();
/// events.close();
/// ```
pub struct EventProcessor {
    shared: Option<Arc<Shared>>,
    commands: Option<mpsc::UnboundedSender<Command>>,
    close_timeout: Duration,
}

impl std::fmt::Debug for EventProcessor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventProcessor")
            .field("enabled", &self.shared.is_some())
            .finish_non_exhaustive()
    }
}

impl EventProcessor {
    /// Starts a processor whose background task runs on `runtime`.
    pub fn new(config: EventsConfig, sender: Arc<dyn EventSender>, runtime: &Handle) -> Self {
        let private_attributes = config
            .private_attributes
            .iter()
            .map(|text| {
                let parsed = ld_eval::AttrRef::new(text);
                if !parsed.is_valid() {
                    tracing::warn!(reference = %text, "ignoring invalid private attribute reference");
                }
                parsed
            })
            .collect();
        let max_in_flight = config.max_in_flight.clamp(1, 64) as u32;
        let now = now_millis();
        let shared = Arc::new(Shared {
            summarizer: Summarizer::new(config.context_keys_capacity),
            key_cache: ContextKeyCache::new(config.context_keys_capacity),
            outbox: Outbox::new(config.capacity),
            formatter: ContextFormatter::new(config.all_attributes_private, private_attributes),
            delivery: Delivery {
                sender,
                base_uri: config.events_base_uri.clone(),
                sdk_key: config.sdk_key.clone(),
                user_agent: config.user_agent.clone(),
                extra_headers: config.extra_headers.clone(),
                gzip: config.compress_events,
                retry_delay: config.retry_delay,
            },
            diagnostics: config
                .diagnostics
                .clone()
                .map(|d| Diagnostics::new(d, &config.sdk_key, now)),
            recorder: Arc::new(DiagnosticsRecorder::default()),
            in_flight: Arc::new(Semaphore::new(max_in_flight as usize)),
            max_in_flight,
            omit_anonymous_contexts: config.omit_anonymous_contexts,
            inactive: AtomicBool::new(false),
            disabled: AtomicBool::new(false),
            server_time: AtomicU64::new(0),
            flush_requested: Notify::new(),
            delivery_finished: Notify::new(),
        });
        let close_timeout = config.close_timeout;
        let (tx, rx) = mpsc::unbounded_channel();
        runtime.spawn(run(Arc::clone(&shared), config, rx));
        Self {
            shared: Some(shared),
            commands: Some(tx),
            close_timeout,
        }
    }

    /// A processor that records and sends nothing (events disabled, offline mode).
    ///
    /// ```
    /// use ld_events::EventProcessor;
    /// let events = EventProcessor::disabled();
    /// assert!(!events.is_enabled());
    /// events.flush();
    /// events.close();
    /// ```
    pub fn disabled() -> Self {
        Self {
            shared: None,
            commands: None,
            close_timeout: Duration::ZERO,
        }
    }

    /// Whether events are being recorded: false for [`EventProcessor::disabled`], after
    /// [`EventProcessor::close`], and after the events service rejected the SDK key.
    pub fn is_enabled(&self) -> bool {
        self.active().is_some()
    }

    #[inline]
    pub(crate) fn active(&self) -> Option<&Shared> {
        let shared = self.shared.as_deref()?;
        (!shared.inactive.load(Ordering::Relaxed)).then_some(shared)
    }

    /// Where the streaming data source reports connection attempts for diagnostic events.
    pub fn diagnostics_recorder(&self) -> Arc<DiagnosticsRecorder> {
        self.shared
            .as_ref()
            .map_or_else(Default::default, |s| Arc::clone(&s.recorder))
    }

    /// Events dropped because the buffer was full, since the processor started.
    pub fn dropped_events(&self) -> u64 {
        self.shared.as_ref().map_or(0, |s| s.outbox.dropped_total())
    }

    /// Records one flag evaluation: summary counters always (unless the flag is excluded from
    /// summaries), an index event for a context not seen recently, and full `feature` / `debug`
    /// events when the flag asks for them.
    pub fn record<C, R>(&self, e: &Evaluation<'_, C, R>)
    where
        C: EventContextSource + ?Sized,
        R: Serialize + ?Sized,
    {
        self.record_at(e, FastPathHints::default(), None);
    }

    /// [`EventProcessor::record`], with what the summary cell must know for
    /// [`EventProcessor::count_if_known`] to find and trust it, and the caller's per-thread
    /// state, if it keeps one.
    pub(crate) fn record_at<C, R>(
        &self,
        e: &Evaluation<'_, C, R>,
        hints: FastPathHints<'_>,
        tally: Option<&ThreadTally>,
    ) where
        C: EventContextSource + ?Sized,
        R: Serialize + ?Sized,
    {
        let Some(shared) = self.active() else {
            return;
        };
        // The common case takes no lock: the summary counts in this thread's own cell, and this
        // thread's recent-contexts table says the context is known; only a miss consults the
        // shared context-key LRU.
        let context_id = shared
            .context_hash(e.context)
            .map(|hash| (hash, shared.key_cache.generation()));
        let (seen_recently, kinds_id) = if e.flag.is_some_and(|f| f.exclude_from_summaries) {
            let seen = context_id.is_some_and(|id| shared.summarizer.seen_recently(tally, id));
            (seen, None)
        } else {
            let recorded = shared.summarizer.record_in(
                tally,
                SummaryInput {
                    instance: hints.instance,
                    plain: hints.plain,
                    flag_key: e.flag_key,
                    variation: e.variation,
                    variations: hints.variations,
                    version: e.flag.map(|f| f.version),
                    value: e.value,
                    default: e.default,
                },
                e.context.parts().map(|p| p.kind),
                context_id,
                now_millis,
            );
            (recorded.seen, Some(recorded.kinds_id))
        };
        let shared_context = match context_id {
            Some((hash, generation)) if !seen_recently => {
                shared.notice_context_on_this_thread(e.context, hash, generation, tally)
            }
            _ => None,
        };
        // The context-key cache now holds the context (in the generation read before asking
        // it): note that on the context itself for the fast path (`count_if_known`), which
        // identifies contexts by their fully-qualified key, as the cache does here unless
        // anonymous parts are omitted.
        if let (Some((_, generation)), Some(kinds_id), Some(memo)) =
            (context_id, kinds_id, e.context.memo())
            && !shared.omit_anonymous_contexts
            && shared.key_cache.remembers()
            && let Some(value) = shared.summarizer.context_memo(generation, kinds_id)
        {
            memo.set(value);
        }
        let Some(flag) = e.flag else {
            return;
        };
        if flag.track_events || e.in_experiment || flag.debug_events_until_date.is_some() {
            shared.record_full(e, flag, shared_context);
        }
    }

    /// The fast path of `record_evaluation`: a summary-only evaluation of a known flag, counted
    /// in this thread's cell (in `tally` if given), of a context whose memo says the
    /// context-key cache holds it. The cell is found by the flag's instance id, which the
    /// general path must pass to [`EventProcessor::record_at`] for the same evaluation.
    /// True when it was counted (or there is nothing to record); false, having changed nothing,
    /// otherwise.
    ///
    /// A flag whose evaluations need nothing but the summary is known from its cell (see
    /// `plain_flag`); any other is checked here, so only its evaluations that need no full
    /// event are counted.
    #[inline(always)]
    pub(crate) fn count_if_known<D: crate::EvaluationResult, V: std::borrow::Borrow<Value>>(
        shared: &Shared,
        flag: &ld_eval::Flag,
        context: &ld_eval::Context,
        detail: &D,
        default: impl Fn() -> V,
        tally: Option<&ThreadTally>,
    ) -> bool {
        Self::known_context(shared, context).is_some_and(|known| {
            Self::count_known::<false, V>(
                shared,
                known,
                context,
                flag,
                detail.variation_index(),
                || Self::needs_only_summary(flag, detail),
                default,
                tally,
            )
        })
    }

    /// Whether this evaluation of `flag` needs nothing but the summary: no full or debug
    /// event, and the flag is not excluded from summaries.
    #[inline(always)]
    pub(crate) fn needs_only_summary<D: crate::EvaluationResult>(
        flag: &ld_eval::Flag,
        detail: &D,
    ) -> bool {
        !(flag.track_events
            || flag.debug_events_until_date.is_some()
            || flag.exclude_from_summaries
            || detail.is_experiment(flag))
    }

    /// What the fast path knows of `context` now (see `Summarizer::known_context`): what a run
    /// of counts for one evaluation (a flag and its prerequisites) can read once and pass to
    /// [`EventProcessor::count_known`]. `None` when the fast path cannot count.
    #[inline(always)]
    pub(crate) fn known_context(
        shared: &Shared,
        context: &ld_eval::Context,
    ) -> Option<KnownContext> {
        // The fast path knows contexts by their fully-qualified key, so it is off when
        // anonymous parts are omitted (contexts are then identified without them).
        if shared.omit_anonymous_contexts {
            return None;
        }
        shared
            .summarizer
            .known_context(context, shared.key_cache.generation())
    }

    /// The summary's counters, for prerequisite trees (`summary::prerequisite_tree`).
    #[inline(always)]
    pub(crate) fn summarizer(shared: &Shared) -> &Summarizer {
        &shared.summarizer
    }

    /// Counts an evaluation of `flag` for `context` (which `known` describes) that served the
    /// variation `served`, in this thread's cell (see `Summarizer::count_known`); whether the
    /// evaluation needs nothing but the summary is asked through `needs_only_summary`, only
    /// for flags that can need more. False, having changed nothing but the context's memo,
    /// when the context or the cell is not at hand.
    #[allow(clippy::too_many_arguments)] // plain arguments, passed in registers
    #[inline(always)]
    pub(crate) fn count_known<const SETTLED: bool, V: std::borrow::Borrow<Value>>(
        shared: &Shared,
        known: KnownContext,
        context: &ld_eval::Context,
        flag: &ld_eval::Flag,
        served: Option<usize>,
        needs_only_summary: impl Fn() -> bool,
        default: impl Fn() -> V,
        tally: Option<&ThreadTally>,
    ) -> bool {
        shared.summarizer.count_known::<SETTLED, V>(
            tally,
            known,
            context,
            flag.instance.get(),
            served,
            needs_only_summary,
            default,
        )
    }

    /// Records a `custom` event (the SDK's `track`).
    pub fn record_custom<C>(&self, context: &C, key: &str, data: Value, metric_value: Option<f64>)
    where
        C: EventContextSource + ?Sized,
    {
        let Some(shared) = self.active() else {
            return;
        };
        let context = shared
            .context_hash(context)
            .and_then(|hash| shared.notice_context(context, hash, true))
            .unwrap_or_else(|| Arc::new(context.to_event_context()));
        shared
            .outbox
            .push(OutputEvent::Custom(Box::new(CustomEvent {
                creation_date: now_millis(),
                key: key.to_owned(),
                context,
                data,
                metric_value,
            })));
    }

    /// Records an `identify` event. With omit-anonymous-contexts, anonymous parts are left out and
    /// a wholly anonymous context sends nothing.
    pub fn record_identify<C>(&self, context: &C)
    where
        C: EventContextSource + ?Sized,
    {
        let Some(shared) = self.active() else {
            return;
        };
        // The identify event carries the context itself, so no index event; but the context now
        // counts as seen.
        if let Some(hash) = shared.context_hash(context) {
            shared.notice_context(context, hash, false);
        }
        let mut snapshot = context.to_event_context();
        if shared.omit_anonymous_contexts {
            match snapshot.without_anonymous() {
                Some(kept) => snapshot = kept,
                None => return,
            }
        }
        shared.outbox.push(OutputEvent::Identify {
            creation_date: now_millis(),
            context: Arc::new(snapshot),
        });
    }

    /// Buffers an event built elsewhere in the crate (the `migration_op` event).
    pub(crate) fn push_output(&self, event: OutputEvent) {
        if let Some(shared) = self.active() {
            shared.outbox.push(event);
        }
    }

    /// Asks the background task to deliver what is buffered now; returns at once.
    pub fn flush(&self) {
        if let Some(shared) = self.active() {
            shared.flush_requested.notify_one();
        }
    }

    /// Flushes and waits, at most `timeout`, until every delivery in progress has finished.
    /// Returns whether it finished in time. Do not call from a single-threaded runtime's thread.
    pub fn flush_and_wait(&self, timeout: Duration) -> bool {
        if self.active().is_none() {
            return true;
        }
        let Some(commands) = &self.commands else {
            return true;
        };
        let (tx, rx) = std::sync::mpsc::channel();
        if commands.send(Command::FlushAndWait(tx)).is_err() {
            return false;
        }
        rx.recv_timeout(timeout).is_ok()
    }

    /// Flushes what is buffered, waits (at most the configured close timeout) for delivery, and
    /// stops the background task. Later recording calls do nothing. Idempotent.
    pub fn close(&self) {
        let Some(shared) = self.shared.as_deref() else {
            return;
        };
        shared.inactive.store(true, Ordering::SeqCst);
        let Some(commands) = &self.commands else {
            return;
        };
        let (tx, rx) = std::sync::mpsc::channel();
        if commands.send(Command::Close(tx)).is_ok() && rx.recv_timeout(self.close_timeout).is_err()
        {
            tracing::warn!("timed out waiting for analytics events to be delivered at close");
        }
    }
}

impl Drop for EventProcessor {
    fn drop(&mut self) {
        // Without an explicit close, still stop the background task (and let it flush), but do
        // not block the dropping thread.
        if let (Some(shared), Some(commands)) = (&self.shared, &self.commands) {
            shared.inactive.store(true, Ordering::SeqCst);
            let (tx, _rx) = std::sync::mpsc::channel();
            let _ = commands.send(Command::Close(tx));
        }
    }
}

/// One-in-`ratio` sampling; `None` and 1 keep everything, 0 keeps nothing.
fn sample(ratio: Option<u32>) -> bool {
    match ratio {
        None | Some(1) => true,
        Some(0) => false,
        Some(n) => rand::rng().random_range(0..n) == 0,
    }
}

impl Shared {
    /// The identity hash the context-key cache knows `context` by: its fully-qualified key's, or
    /// with omit-anonymous-contexts that of its non-anonymous (kind, key) pairs (`None` when that
    /// leaves nothing). One rule per processor, so a context always hashes the same way.
    #[inline]
    fn context_hash<C>(&self, context: &C) -> Option<u64>
    where
        C: EventContextSource + ?Sized,
    {
        let omit = self.omit_anonymous_contexts;
        if !omit {
            return Some(context.fully_qualified_key_hash());
        }
        let keep = move |p: &ContextPart<'_>| !(omit && p.anonymous);
        if omit && !context.parts().any(|p| keep(&p)) {
            return None;
        }
        Some(identity_hash(
            context.parts().filter(keep).map(|p| (p.kind, p.key)),
        ))
    }

    /// [`Shared::notice_context`] for an evaluation this thread's recent-contexts table did not
    /// vouch for; afterwards the table vouches for it (in `generation`, read before asking).
    #[cold]
    #[inline(never)]
    fn notice_context_on_this_thread<C>(
        &self,
        context: &C,
        hash: u64,
        generation: u64,
        tally: Option<&ThreadTally>,
    ) -> Option<Arc<crate::EventContext>>
    where
        C: EventContextSource + ?Sized,
    {
        let indexed = self.notice_context(context, hash, true);
        if self.key_cache.remembers() {
            // A plain user: one `user` part and no `:` in the key (see `KindsTag`).
            let mut parts = context.parts();
            let plain_user = parts.next().is_some_and(|p| p.kind == "user")
                && parts.next().is_none()
                && !context.fully_qualified_key().contains(':');
            self.summarizer.remember_context(
                tally,
                hash,
                generation,
                plain_user,
                context.parts().map(|p| p.kind),
            );
        }
        indexed
    }

    /// The `feature` and `debug` events of an evaluation of a flag that asks for them
    /// (`trackEvents`, an experiment, or debugging); `context` is the copy an index event just
    /// made, if any.
    #[inline(never)]
    fn record_full<C, R>(
        &self,
        e: &Evaluation<'_, C, R>,
        flag: FlagEventSettings,
        mut context: Option<Arc<crate::EventContext>>,
    ) where
        C: EventContextSource + ?Sized,
        R: Serialize + ?Sized,
    {
        let full = flag.track_events || e.in_experiment;
        let debug = flag.debug_events_until_date.is_some_and(|until| {
            until > self.server_time.load(Ordering::Relaxed) && until > now_millis()
        });
        let keep_full = full && sample(flag.sampling_ratio);
        let keep_debug = debug && sample(flag.sampling_ratio);
        if !keep_full && !keep_debug {
            return;
        }
        let context = context
            .take()
            .unwrap_or_else(|| Arc::new(e.context.to_event_context()));
        let reason = if e.with_reasons || e.in_experiment {
            RawJson::to_raw(e.reason).ok()
        } else {
            None
        };
        let event = FeatureEvent {
            creation_date: now_millis(),
            key: e.flag_key.to_owned(),
            version: Some(flag.version),
            context,
            variation: e.variation,
            value: e.value.clone(),
            default: e.default.clone(),
            prereq_of: e.prereq_of.map(str::to_owned),
            reason,
            sampling_ratio: flag.sampling_ratio,
            debug: false,
        };
        match (keep_full, keep_debug) {
            (true, true) => {
                let debug_event = FeatureEvent {
                    debug: true,
                    ..event.clone()
                };
                self.outbox.push(OutputEvent::Feature(Box::new(event)));
                self.outbox
                    .push(OutputEvent::Feature(Box::new(debug_event)));
            }
            (true, false) => self.outbox.push(OutputEvent::Feature(Box::new(event))),
            _ => self
                .outbox
                .push(OutputEvent::Feature(Box::new(FeatureEvent {
                    debug: true,
                    ..event
                }))),
        }
    }

    /// Notes in the shared LRU that the context with identity `hash` was seen. When it is new and
    /// `index` is set, queues an index event and returns the copy it made, so a following event
    /// can share it.
    fn notice_context<C>(
        &self,
        context: &C,
        hash: u64,
        index: bool,
    ) -> Option<Arc<crate::EventContext>>
    where
        C: EventContextSource + ?Sized,
    {
        let omit = self.omit_anonymous_contexts;
        if !self.key_cache.notice(hash) || !index {
            return None;
        }
        let full = Arc::new(context.to_event_context());
        let indexed = if omit {
            match full.without_anonymous() {
                Some(kept) => Arc::new(kept),
                None => return None,
            }
        } else {
            Arc::clone(&full)
        };
        self.outbox.push(OutputEvent::Index {
            creation_date: now_millis(),
            context: indexed,
        });
        Some(full)
    }

    /// Hands the buffered events and the summary to a delivery task, unless all delivery slots
    /// are busy (then everything stays buffered for the next flush).
    fn flush(self: &Arc<Self>, runtime: &Handle) {
        if self.disabled.load(Ordering::Relaxed) {
            self.outbox.clear();
            let _ = self.summarizer.snapshot_and_reset(now_millis());
            return;
        }
        let Ok(permit) = Arc::clone(&self.in_flight).try_acquire_owned() else {
            tracing::debug!("all event delivery slots busy; keeping events for the next flush");
            return;
        };
        let events = self.outbox.take();
        let summary = self.summarizer.snapshot_and_reset(now_millis());
        let count = events.len() + usize::from(summary.is_some());
        if let Some(d) = &self.diagnostics {
            d.set_events_in_last_batch(count as u64);
        }
        if count == 0 {
            return;
        }
        let shared = Arc::clone(self);
        runtime.spawn(async move {
            match write_payload(&shared.formatter, &events, summary.as_ref()) {
                Ok(json) => {
                    drop(events);
                    let outcome = shared.delivery.deliver(PayloadKind::Analytics, json).await;
                    shared.apply(outcome);
                }
                Err(e) => {
                    tracing::error!(error = %e, "could not serialize analytics events; dropping them");
                }
            }
            drop(permit);
            shared.delivery_finished.notify_waiters();
        });
    }

    fn apply(&self, outcome: Outcome) {
        match outcome {
            Outcome::Delivered {
                server_time: Some(t),
            } => self.server_time.store(t, Ordering::Relaxed),
            Outcome::Delivered { server_time: None } | Outcome::Failed => {}
            Outcome::Disable => {
                self.disabled.store(true, Ordering::SeqCst);
                self.inactive.store(true, Ordering::SeqCst);
                self.outbox.clear();
            }
        }
    }

    fn send_diagnostic(self: &Arc<Self>, runtime: &Handle, event: Value) {
        if self.disabled.load(Ordering::Relaxed) {
            return;
        }
        let shared = Arc::clone(self);
        runtime.spawn(async move {
            let Ok(json) = serde_json::to_vec(&event) else {
                return;
            };
            let outcome = shared.delivery.deliver(PayloadKind::Diagnostic, json).await;
            shared.apply(outcome);
        });
    }

    /// Waits until at least one delivery slot is free, so that a flush right after it sends
    /// the buffer instead of keeping it as "busy".
    async fn wait_for_free_slot(&self) {
        loop {
            let finished = self.delivery_finished.notified();
            if self.in_flight.available_permits() > 0 {
                return;
            }
            finished.await;
        }
    }

    /// Waits until no delivery is in progress. Does not queue for the permits itself, so a
    /// waiter that gives up (a timed-out `flush_and_wait`) never holds back later flushes.
    async fn wait_idle(&self) {
        loop {
            let finished = self.delivery_finished.notified();
            if self.in_flight.available_permits() >= self.max_in_flight as usize {
                return;
            }
            finished.await;
        }
    }
}

fn ticker(period: Duration) -> tokio::time::Interval {
    let period = period.max(Duration::from_millis(1));
    let mut interval = interval_at(Instant::now() + period, period);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    interval
}

async fn run(
    shared: Arc<Shared>,
    config: EventsConfig,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    let runtime = Handle::current();
    let mut flush_tick = ticker(config.flush_interval);
    let mut keys_tick = ticker(config.context_keys_flush_interval);
    let mut diagnostic_tick = ticker(config.diagnostic_recording_interval);
    if let Some(d) = &shared.diagnostics {
        shared.send_diagnostic(&runtime, d.init_event(now_millis()));
    }
    loop {
        tokio::select! {
            _ = flush_tick.tick() => shared.flush(&runtime),
            () = shared.flush_requested.notified() => shared.flush(&runtime),
            _ = keys_tick.tick() => shared.key_cache.clear(),
            _ = diagnostic_tick.tick(), if shared.diagnostics.is_some() => {
                if let Some(d) = &shared.diagnostics {
                    let event = d.periodic_event(
                        now_millis(),
                        shared.outbox.take_dropped(),
                        shared.key_cache.take_deduplicated()
                            + shared.summarizer.take_deduplicated(),
                        &shared.recorder,
                    );
                    shared.send_diagnostic(&runtime, event);
                }
            }
            command = commands.recv() => match command {
                Some(Command::FlushAndWait(reply)) => {
                    // While every slot is busy a flush keeps its events buffered, so waiting
                    // only for the deliveries in flight could report success with events still
                    // unsent: wait for a free slot, flush, then wait for every delivery.
                    let shared = Arc::clone(&shared);
                    let handle = runtime.clone();
                    runtime.spawn(async move {
                        shared.wait_for_free_slot().await;
                        shared.flush(&handle);
                        shared.wait_idle().await;
                        let _ = reply.send(());
                    });
                }
                Some(Command::Close(reply)) => {
                    shared.inactive.store(true, Ordering::SeqCst);
                    // Wait for a free slot so the final flush is not skipped as "busy".
                    shared.wait_for_free_slot().await;
                    shared.flush(&runtime);
                    shared.wait_idle().await;
                    let _ = reply.send(());
                    return;
                }
                None => return,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processor_is_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<EventProcessor>();
    }

    #[test]
    fn sampling_keeps_all_for_one_and_none_for_zero() {
        assert!((0..100).all(|_| sample(None) && sample(Some(1))));
        assert!((0..100).all(|_| !sample(Some(0))));
    }

    #[test]
    fn disabled_processor_records_nothing_and_never_blocks() {
        let events = EventProcessor::disabled();
        let context = crate::EventContext::single(crate::IndividualContext::new("user", "u"));
        events.record_identify(&context);
        events.record_custom(&context, "k", Value::Null, None);
        assert!(events.flush_and_wait(Duration::from_millis(1)));
        events.close();
        assert_eq!(events.dropped_events(), 0);
        assert!(!events.is_enabled());
    }
}
