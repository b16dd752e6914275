//! Recording `ld-eval` results: the entry points the SDK facade calls after each evaluation, the
//! experiment rule, and the prerequisite recorder that turns prerequisite evaluations into events
//! with `prereqOf`.

use ld_eval::{
    Context, Detail, DetailRef, Flag, PrerequisiteEvaluation, PrerequisiteRecorder, ReasonKind,
    ReasonKindRef, ReasonRef,
};
use serde::Serialize;
use serde_json::Value;

use crate::context_source::{ContextPart, EventContextSource};
use crate::event_context::{EventContext, IndividualContext};
use crate::processor::{Evaluation, EventProcessor, FastPathHints, FlagEventSettings};
use crate::summary::{KnownContext, MAX_TREE_MEMBERS, Summarizer, TreeSlot};
use crate::thread_tally::ThreadTally;

impl EventContextSource for Context {
    fn fully_qualified_key(&self) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Borrowed(Context::fully_qualified_key(self))
    }

    #[inline]
    fn fully_qualified_key_hash(&self) -> u64 {
        Context::fully_qualified_key_hash(self)
    }

    fn memo(&self) -> Option<&ld_eval::ContextMemo> {
        Some(Context::memo(self))
    }

    fn parts(&self) -> impl Iterator<Item = ContextPart<'_>> + Clone {
        self.contexts().iter().map(|c| ContextPart {
            kind: c.kind().as_str(),
            key: c.key(),
            anonymous: c.anonymous(),
        })
    }

    fn to_event_context(&self) -> EventContext {
        let individuals = self
            .contexts()
            .iter()
            .map(|c| IndividualContext {
                kind: c.kind().as_str().to_owned(),
                key: c.key().to_owned(),
                name: c.name().map(str::to_owned),
                anonymous: c.anonymous(),
                attributes: c
                    .attributes()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                private_attributes: c.private_attributes().to_vec(),
            })
            .collect();
        if self.is_multi() {
            EventContext::multi(individuals)
        } else {
            EventContext::single(
                individuals
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| IndividualContext::new("user", "")),
            )
        }
    }
}

impl FlagEventSettings {
    /// The event settings of `flag`.
    pub fn of(flag: &Flag) -> Self {
        Self {
            version: flag.version,
            track_events: flag.track_events,
            debug_events_until_date: flag.debug_events_until_date,
            sampling_ratio: flag
                .sampling_ratio
                .map(|r| u32::try_from(r).unwrap_or(u32::MAX)),
            exclude_from_summaries: flag.exclude_from_summaries,
        }
    }
}

/// Whether an evaluation of `flag` with `detail`'s reason is part of an experiment, which
/// forces a full feature event that carries the reason: the reason says `inExperiment`, or it
/// matched a rule with `trackEvents`, or it fell through on a flag with `trackEventsFallthrough`.
///
/// ```
/// use ld_eval::{Detail, Flag, Reason};
/// let flag: Flag = serde_json::from_str(
///     r#"{"key":"f","version":1,"on":true,"variations":[true],"fallthrough":{"variation":0},
///         "trackEventsFallthrough":true,"salt":"s"}"#).unwrap();
/// let detail = Detail { value: None, variation_index: Some(0), reason: Reason::fallthrough(false) };
/// assert!(ld_events::is_experiment(&flag, &detail));
/// ```
pub fn is_experiment(flag: &Flag, detail: &Detail<'_>) -> bool {
    if detail.reason.is_in_experiment() {
        return true;
    }
    match &detail.reason.kind {
        ReasonKind::Fallthrough { .. } => flag.track_events_fallthrough,
        ReasonKind::RuleMatch { rule_index, .. } => {
            flag.rules.get(*rule_index).is_some_and(|r| r.track_events)
        }
        _ => false,
    }
}

/// Whether no evaluation of `flag` can need more than the summary: no full or debug events, no
/// summary exclusion, and nothing that makes an experiment (a tracked rule or fallthrough, an
/// experiment rollout). Summary cells of such a flag let the fast path skip the per-evaluation
/// checks; as for its `ld_eval::InstanceId`, the flag must not be modified once evaluated.
pub(crate) fn plain_flag(flag: &Flag) -> bool {
    let experiment = |vr: &ld_eval::VariationOrRollout| {
        matches!(vr, ld_eval::VariationOrRollout::Rollout(r)
            if r.kind == ld_eval::RolloutKind::Experiment)
    };
    !flag.track_events
        && flag.debug_events_until_date.is_none()
        && !flag.exclude_from_summaries
        && !flag.track_events_fallthrough
        && !experiment(&flag.fallthrough)
        && flag
            .rules
            .iter()
            .all(|r| !r.track_events && !experiment(&r.variation_or_rollout))
}

/// An `ld-eval` result the event processor can record: [`Detail`] (owned reason) or
/// [`DetailRef`] (reason borrowed from the flag, which spares the facade cloning it).
pub trait EvaluationResult {
    /// The reason, serialized into full events that carry it.
    type Reason: Serialize + ?Sized;
    /// The variation served, if any.
    fn variation_index(&self) -> Option<usize>;
    /// The flag's value served, or `None` when the default was.
    fn value(&self) -> Option<&Value>;
    /// The reason.
    fn reason(&self) -> &Self::Reason;
    /// Whether this result of `flag` is part of an experiment (see [`is_experiment`]).
    fn is_experiment(&self, flag: &Flag) -> bool;
}

impl EvaluationResult for Detail<'_> {
    type Reason = ld_eval::Reason;
    fn variation_index(&self) -> Option<usize> {
        self.variation_index
    }
    fn value(&self) -> Option<&Value> {
        self.value
    }
    fn reason(&self) -> &ld_eval::Reason {
        &self.reason
    }
    #[inline]
    fn is_experiment(&self, flag: &Flag) -> bool {
        is_experiment(flag, self)
    }
}

impl<'a> EvaluationResult for DetailRef<'a> {
    type Reason = ReasonRef<'a>;
    fn variation_index(&self) -> Option<usize> {
        self.variation_index
    }
    fn value(&self) -> Option<&Value> {
        self.value
    }
    fn reason(&self) -> &ReasonRef<'a> {
        &self.reason
    }
    #[inline]
    fn is_experiment(&self, flag: &Flag) -> bool {
        match self.reason.kind {
            ReasonKindRef::Fallthrough { in_experiment } => {
                in_experiment || flag.track_events_fallthrough
            }
            ReasonKindRef::RuleMatch {
                rule_index,
                in_experiment,
                ..
            } => in_experiment || flag.rules.get(rule_index).is_some_and(|r| r.track_events),
            _ => false,
        }
    }
}

impl EventProcessor {
    /// Records one evaluation of `flag_key` done by `ld-eval`: `flag` is `None` when the flag
    /// does not exist; `default` is the application's default (served when `detail` has no
    /// value); `with_reasons` is true for the `*_detail` variation calls; `prereq_of` is set for
    /// prerequisite evaluations (see [`PrerequisiteEvents`]).
    ///
    /// A summary-only evaluation of a known context does not allocate.
    ///
    /// ```
    /// use ld_eval::{ContextBuilder, Detail, ErrorKind};
    /// use ld_events::EventProcessor;
    /// let events = EventProcessor::disabled();
    /// let context = ContextBuilder::new("user-1").build().unwrap();
    /// let default = serde_json::json!(false);
    /// let detail = Detail::error(ErrorKind::FlagNotFound);
    /// events.record_evaluation("missing-flag", None, &context, &detail, &default, false, None);
    /// ```
    #[allow(clippy::too_many_arguments)] // mirrors the facade's call site one to one
    #[inline]
    pub fn record_evaluation(
        &self,
        flag_key: &str,
        flag: Option<&Flag>,
        context: &Context,
        detail: &Detail<'_>,
        default: &Value,
        with_reasons: bool,
        prereq_of: Option<&str>,
    ) {
        self.record_evaluation_with(
            flag_key,
            flag,
            context,
            detail,
            || default,
            with_reasons,
            prereq_of,
        );
    }

    /// [`EventProcessor::record_evaluation`] for any [`EvaluationResult`] (such as the borrowed
    /// [`DetailRef`]), with the application's default made on demand by `default`: the SDK
    /// facade passes `|| default.to_json()`, so that a scalar default built only to be compared
    /// costs nothing to build or drop.
    ///
    /// ```
    /// use ld_eval::{ContextBuilder, Detail, ErrorKind};
    /// use ld_events::EventProcessor;
    /// let events = EventProcessor::disabled();
    /// let context = ContextBuilder::new("user-1").build().unwrap();
    /// let detail = Detail::error(ErrorKind::FlagNotFound);
    /// let default = false;
    /// events.record_evaluation_with("missing-flag", None, &context, &detail,
    ///     || serde_json::Value::Bool(default), false, None);
    /// ```
    #[allow(clippy::too_many_arguments)] // mirrors the facade's call site one to one
    #[inline(always)]
    pub fn record_evaluation_with<D: EvaluationResult, V: std::borrow::Borrow<Value>>(
        &self,
        flag_key: &str,
        flag: Option<&Flag>,
        context: &Context,
        detail: &D,
        default: impl Fn() -> V,
        with_reasons: bool,
        prereq_of: Option<&str>,
    ) {
        self.record_evaluation_in(
            None,
            flag_key,
            flag,
            context,
            detail,
            default,
            with_reasons,
            prereq_of,
        );
    }

    /// [`EventProcessor::record_evaluation_with`], keeping this thread's summary state in
    /// `tally` when the caller keeps one for this thread (see [`ThreadTally`]): this spares a
    /// thread-local lookup on every evaluation.
    ///
    /// ```
    /// use ld_eval::{ContextBuilder, Detail, ErrorKind};
    /// use ld_events::{EventProcessor, ThreadTally};
    /// let events = EventProcessor::disabled();
    /// let tally = ThreadTally::default();
    /// let context = ContextBuilder::new("user-1").build().unwrap();
    /// let detail = Detail::error(ErrorKind::FlagNotFound);
    /// events.record_evaluation_in(Some(&tally), "missing-flag", None, &context, &detail,
    ///     || serde_json::Value::Bool(false), false, None);
    /// ```
    #[allow(clippy::too_many_arguments)] // mirrors the facade's call site one to one
    #[inline(always)]
    pub fn record_evaluation_in<D: EvaluationResult, V: std::borrow::Borrow<Value>>(
        &self,
        tally: Option<&ThreadTally>,
        flag_key: &str,
        flag: Option<&Flag>,
        context: &Context,
        detail: &D,
        default: impl Fn() -> V,
        with_reasons: bool,
        prereq_of: Option<&str>,
    ) {
        if let Some(recorder) = self.evaluation_recorder() {
            recorder.record_in(
                tally,
                flag_key,
                flag,
                context,
                detail,
                default,
                with_reasons,
                prereq_of,
            );
        }
    }

    /// What records evaluations while events are being recorded (see
    /// [`EventProcessor::is_enabled`]), `None` otherwise. A caller that needs to know whether
    /// to record before it evaluates (to pass a [`PrerequisiteEvents`] recorder, say) asks once
    /// and records through the handle, rather than asking again at each recording call.
    ///
    /// ```
    /// use ld_events::EventProcessor;
    /// assert!(EventProcessor::disabled().evaluation_recorder().is_none());
    /// ```
    #[inline]
    pub fn evaluation_recorder(&self) -> Option<EvaluationRecorder<'_>> {
        self.active().map(|shared| EvaluationRecorder {
            events: self,
            shared,
        })
    }

    /// Everything [`EventProcessor::record_evaluation`]'s fast path does not cover.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn record_general<D: EvaluationResult>(
        &self,
        tally: Option<&ThreadTally>,
        flag_key: &str,
        flag: Option<&Flag>,
        context: &Context,
        detail: &D,
        default: &Value,
        with_reasons: bool,
        prereq_of: Option<&str>,
    ) {
        let hints = FastPathHints {
            instance: flag.map_or(0, |f| f.instance.get()),
            plain: flag.is_some_and(plain_flag),
            variations: flag.map_or(&[], |f| &f.variations),
        };
        self.record_at(
            &Evaluation {
                flag_key,
                flag: flag.map(FlagEventSettings::of),
                context,
                variation: detail.variation_index(),
                value: detail.value().unwrap_or(default),
                default,
                reason: detail.reason(),
                in_experiment: flag.is_some_and(|f| detail.is_experiment(f)),
                with_reasons,
                prereq_of,
            },
            hints,
            tally,
        );
    }
}

/// Records evaluations into an [`EventProcessor`] that was recording events when the handle was
/// made ([`EventProcessor::evaluation_recorder`]). Closing the processor meanwhile is harmless:
/// what is recorded after that is never sent.
#[derive(Clone, Copy)]
pub struct EvaluationRecorder<'a> {
    events: &'a EventProcessor,
    shared: &'a crate::processor::Shared,
}

impl std::fmt::Debug for EvaluationRecorder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvaluationRecorder").finish_non_exhaustive()
    }
}

impl<'a> EvaluationRecorder<'a> {
    /// A [`PrerequisiteEvents`] recorder that records through this handle, for a caller that
    /// already holds one (it need not ask the processor again, as
    /// [`PrerequisiteEvents::new`] does).
    ///
    /// ```
    /// use ld_events::EventProcessor;
    /// let events = EventProcessor::disabled();
    /// let prerequisites = events
    ///     .evaluation_recorder()
    ///     .map(|recorder| recorder.prerequisite_events(false));
    /// assert!(prerequisites.is_none());
    /// ```
    pub fn prerequisite_events(self, with_reasons: bool) -> PrerequisiteEvents<'a> {
        PrerequisiteEvents::with_recorder(Some(self), with_reasons)
    }

    /// The recorder of [`EvaluationRecorder::prerequisite_events`] for one evaluation of
    /// `flag` for `context`, read from the data set whose generation is `generation`, with the
    /// caller's per-thread state `tally` if it has one: what
    /// [`PrerequisiteEvents::for_context`], [`PrerequisiteEvents::for_flag`] and
    /// [`PrerequisiteEvents::with_tally`] make, built in one step.
    ///
    /// ```
    /// use ld_eval::{ContextBuilder, Flag};
    /// use ld_events::{EventProcessor, ThreadTally};
    /// let events = EventProcessor::disabled();
    /// let context = ContextBuilder::new("user-1").build().unwrap();
    /// let flag: Flag = serde_json::from_str(r#"{"key": "f", "version": 1}"#).unwrap();
    /// let tally = ThreadTally::default();
    /// let prerequisites = events.evaluation_recorder().map(|recorder| {
    ///     recorder.prerequisite_events_of(false, &flag, 7, &context, Some(&tally))
    /// });
    /// assert!(prerequisites.is_none());
    /// ```
    #[inline]
    pub fn prerequisite_events_of(
        self,
        with_reasons: bool,
        flag: &Flag,
        generation: u64,
        context: &'a Context,
        tally: Option<&'a ThreadTally>,
    ) -> PrerequisiteEvents<'a> {
        PrerequisiteEvents::assemble(
            Some(self),
            with_reasons,
            tally,
            Some(context),
            None,
            (flag.instance.get(), generation),
        )
    }

    /// [`EventProcessor::record_evaluation_in`] through this handle.
    ///
    /// ```
    /// use ld_eval::{ContextBuilder, Detail, ErrorKind};
    /// use ld_events::{EventProcessor, ThreadTally};
    /// let events = EventProcessor::disabled();
    /// let context = ContextBuilder::new("user-1").build().unwrap();
    /// let detail = Detail::error(ErrorKind::FlagNotFound);
    /// if let Some(recorder) = events.evaluation_recorder() {
    ///     recorder.record_in(Some(&ThreadTally::default()), "missing-flag", None, &context,
    ///         &detail, || serde_json::Value::Bool(false), false, None);
    /// }
    /// ```
    #[allow(clippy::too_many_arguments)] // mirrors the facade's call site one to one
    #[inline(always)]
    pub fn record_in<D: EvaluationResult, V: std::borrow::Borrow<Value>>(
        &self,
        tally: Option<&ThreadTally>,
        flag_key: &str,
        flag: Option<&Flag>,
        context: &Context,
        detail: &D,
        default: impl Fn() -> V,
        with_reasons: bool,
        prereq_of: Option<&str>,
    ) {
        if let Some(f) = flag
            && EventProcessor::count_if_known(self.shared, f, context, detail, &default, tally)
        {
            return;
        }
        self.events.record_general(
            tally,
            flag_key,
            flag,
            context,
            detail,
            default().borrow(),
            with_reasons,
            prereq_of,
        );
    }
}

/// A [`PrerequisiteRecorder`] that records each prerequisite evaluation as an event with
/// `prereqOf` (default `null`), to pass to `ld_eval::Evaluator::with_prerequisite_recorder`.
///
/// ```
/// use ld_events::{EventProcessor, PrerequisiteEvents};
/// let events = EventProcessor::disabled();
/// let recorder = PrerequisiteEvents::new(&events, false);
/// ```
#[derive(Debug)]
pub struct PrerequisiteEvents<'a> {
    /// `None` when `events` was not recording.
    recorder: Option<EvaluationRecorder<'a>>,
    with_reasons: bool,
    tally: Option<&'a ThreadTally>,
    /// The context of [`PrerequisiteEvents::for_context`].
    context: Option<&'a Context>,
    /// For `context`, once its memo vouches for it (see `EventProcessor::known_context`): its
    /// kinds id, which its later prerequisites need not read again.
    settled_kinds: std::cell::Cell<Option<u8>>,
    /// The flag value evaluated and the data set's generation ([`PrerequisiteEvents::for_flag`]).
    flag_instance: u64,
    generation: u64,
    /// What this evaluation does with prerequisite trees (`summary::prerequisite_tree`).
    tree: std::cell::Cell<TreeMode>,
    /// Follow and Learn: the tree's key (`Summarizer::tree_key`).
    tree_key: std::cell::Cell<u64>,
    /// Follow and Learn: prerequisite evaluations of `context` met so far.
    met: std::cell::Cell<usize>,
    /// Follow: the variation the last one served.
    last_served: std::cell::Cell<Option<usize>>,
    /// Learn: each one's flag value ...
    noted_flags: [std::cell::Cell<u64>; MAX_TREE_MEMBERS],
    /// ... and the counter of the variation it served (`summary::counter_of`).
    noted_served: [std::cell::Cell<u8>; MAX_TREE_MEMBERS],
}

/// What one evaluation does with prerequisite trees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TreeMode {
    /// Counts each prerequisite the usual way.
    Off,
    /// Decides at the first prerequisite of the context.
    Start,
    /// The thread has a tree for this flag, kinds and data set: prerequisites are only
    /// noted, and the tree is counted at the end.
    Follow,
    /// No tree yet: prerequisites are counted the usual way and noted, to leave a tree at the
    /// end if all of them passed.
    Learn,
}

impl Clone for PrerequisiteEvents<'_> {
    /// A recorder for the same events, context and flag, which has seen no prerequisite yet.
    fn clone(&self) -> Self {
        Self::assemble(
            self.recorder,
            self.with_reasons,
            self.tally,
            self.context,
            self.settled_kinds.get(),
            (self.flag_instance, self.generation),
        )
    }
}

impl<'a> PrerequisiteEvents<'a> {
    /// Records into `events`; `with_reasons` as for the evaluation that needed the prerequisites.
    pub fn new(events: &'a EventProcessor, with_reasons: bool) -> Self {
        Self::with_recorder(events.evaluation_recorder(), with_reasons)
    }

    /// Records through `recorder` (`None` when events are not being recorded).
    fn with_recorder(recorder: Option<EvaluationRecorder<'a>>, with_reasons: bool) -> Self {
        Self::assemble(recorder, with_reasons, None, None, None, (0, 0))
    }

    /// A recorder that has seen no prerequisite yet; `flag` is the flag value evaluated and
    /// the data set's generation ([`PrerequisiteEvents::for_flag`]).
    #[inline(always)]
    fn assemble(
        recorder: Option<EvaluationRecorder<'a>>,
        with_reasons: bool,
        tally: Option<&'a ThreadTally>,
        context: Option<&'a Context>,
        settled_kinds: Option<u8>,
        (flag_instance, generation): (u64, u64),
    ) -> Self {
        Self {
            recorder,
            with_reasons,
            tally,
            context,
            settled_kinds: std::cell::Cell::new(settled_kinds),
            flag_instance,
            generation,
            tree: std::cell::Cell::new(TreeMode::Start),
            tree_key: std::cell::Cell::new(0),
            met: std::cell::Cell::new(0),
            last_served: std::cell::Cell::new(None),
            noted_flags: Default::default(),
            noted_served: Default::default(),
        }
    }

    /// Records with the caller's per-thread state (see
    /// [`EventProcessor::record_evaluation_in`]).
    ///
    /// ```
    /// use ld_events::{EventProcessor, PrerequisiteEvents, ThreadTally};
    /// let events = EventProcessor::disabled();
    /// let tally = ThreadTally::default();
    /// let recorder = PrerequisiteEvents::new(&events, false).with_tally(&tally);
    /// ```
    pub fn with_tally(mut self, tally: &'a ThreadTally) -> Self {
        self.tally = Some(tally);
        self
    }

    /// Records the prerequisites of one evaluation for `context` (any other context is still
    /// recorded, the ordinary way): whether the context is known to the summary's fast path is
    /// then found out once for all of them rather than for each prerequisite. Make one such
    /// recorder per evaluation: what it learns holds for that long, not across summary windows
    /// or context-key cache generations.
    ///
    /// ```
    /// use ld_eval::ContextBuilder;
    /// use ld_events::{EventProcessor, PrerequisiteEvents};
    /// let events = EventProcessor::disabled();
    /// let context = ContextBuilder::new("user-1").build().unwrap();
    /// let recorder = PrerequisiteEvents::new(&events, false).for_context(&context);
    /// ```
    pub fn for_context(mut self, context: &'a Context) -> Self {
        self.context = Some(context);
        self.settled_kinds.set(None);
        self
    }

    /// Records the prerequisites of one evaluation of `flag`, read from the data set whose
    /// generation is `generation` (`ld_store::Snapshot::generation`; 0 for none). With a
    /// context ([`PrerequisiteEvents::for_context`]) and a tally
    /// ([`PrerequisiteEvents::with_tally`]), a thread that evaluated the flag for contexts of
    /// the same kinds in the same data set before, with every prerequisite passing, then counts
    /// all the prerequisites of such an evaluation at once, when the recorder is dropped.
    ///
    /// ```
    /// use ld_eval::{ContextBuilder, Flag};
    /// use ld_events::{EventProcessor, PrerequisiteEvents, ThreadTally};
    /// let events = EventProcessor::disabled();
    /// let tally = ThreadTally::default();
    /// let context = ContextBuilder::new("user-1").build().unwrap();
    /// let flag: Flag = serde_json::from_str(r#"{"key": "f", "version": 1}"#).unwrap();
    /// let recorder = PrerequisiteEvents::new(&events, false)
    ///     .with_tally(&tally)
    ///     .for_context(&context)
    ///     .for_flag(&flag, 7);
    /// ```
    pub fn for_flag(mut self, flag: &Flag, generation: u64) -> Self {
        self.flag_instance = flag.instance.get();
        self.generation = generation;
        self
    }

    /// Whether `context` is the one of [`PrerequisiteEvents::for_context`].
    #[inline(always)]
    fn is_mine(&self, context: &Context) -> bool {
        self.context.is_some_and(|c| std::ptr::eq(c, context))
    }

    /// The summary's fast path for one prerequisite evaluation (see
    /// `EventProcessor::count_known`). For the context of [`PrerequisiteEvents::for_context`],
    /// what the fast path knows of the context is remembered once its memo vouches for it (a
    /// context not yet known is asked again, since its first recording may make it known).
    #[inline(always)]
    fn count(
        &self,
        recorder: EvaluationRecorder<'_>,
        context: &Context,
        prerequisite: &Flag,
        served: Option<usize>,
        needs_only_summary: impl Fn() -> bool,
    ) -> bool {
        let mine = self.is_mine(context);
        if mine && let Some(kinds_id) = self.settled_kinds.get() {
            return EventProcessor::count_known::<true, _>(
                recorder.shared,
                KnownContext::settled(kinds_id),
                context,
                prerequisite,
                served,
                needs_only_summary,
                || &Value::Null,
                self.tally,
            );
        }
        let Some(known) = EventProcessor::known_context(recorder.shared, context) else {
            return false;
        };
        if mine {
            self.settled_kinds.set(known.settled_kinds());
        }
        EventProcessor::count_known::<false, _>(
            recorder.shared,
            known,
            context,
            prerequisite,
            served,
            needs_only_summary,
            || &Value::Null,
            self.tally,
        )
    }

    /// Learn: notes a prerequisite of the context, or gives up learning if the fast path did
    /// not count it or the tree would be too large.
    #[inline(never)]
    fn note(&self, counted: bool, prerequisite: &Flag, served: Option<usize>) {
        let met = self.met.get();
        let counter = crate::summary::counter_of(served);
        match (self.noted_flags.get(met), self.noted_served.get(met)) {
            (Some(flag), Some(slot)) if counted && counter < usize::from(u8::MAX) => {
                flag.set(prerequisite.instance.get());
                slot.set(counter as u8);
                self.met.set(met + 1);
            }
            _ => self.tree.set(TreeMode::Off),
        }
    }

    /// Decides, at the context's first prerequisite, whether this evaluation follows a tree,
    /// learns one, or does neither (the context is not settled).
    #[inline(never)]
    fn start_tree(&self, recorder: EvaluationRecorder<'_>, context: &Context) {
        self.tree.set(TreeMode::Off);
        let Some(tally) = self.tally else {
            return;
        };
        if self.flag_instance == 0 || self.generation == 0 {
            return;
        }
        let kinds_id = match self.settled_kinds.get() {
            Some(kinds_id) => kinds_id,
            None => {
                let Some(kinds_id) = EventProcessor::known_context(recorder.shared, context)
                    .and_then(KnownContext::settled_kinds)
                else {
                    return;
                };
                self.settled_kinds.set(Some(kinds_id));
                kinds_id
            }
        };
        let key = Summarizer::tree_key(self.flag_instance, kinds_id);
        if key == crate::fast_key::NO_KEY {
            return;
        }
        self.tree_key.set(key);
        let summarizer = EventProcessor::summarizer(recorder.shared);
        let mode = match summarizer.tree_slot(tally, key, self.generation) {
            TreeSlot::Found => TreeMode::Follow,
            TreeSlot::Vacant => TreeMode::Learn,
            TreeSlot::Taken => TreeMode::Off,
        };
        self.tree.set(mode);
    }
}

impl PrerequisiteRecorder for PrerequisiteEvents<'_> {
    /// The fast path inline; everything else out of line, so that the fast path does not pay
    /// for loading what only the general path reads.
    #[inline]
    fn record(&self, e: PrerequisiteEvaluation<'_>) {
        let Some(recorder) = self.recorder else {
            return;
        };
        if self.tree.get() == TreeMode::Learn && self.is_mine(e.context) {
            // Not counted by the fast path: no tree from this evaluation.
            self.tree.set(TreeMode::Off);
        }
        let (flag, detail) = (e.prerequisite, &e.detail);
        let counted = self.count(recorder, e.context, flag, detail.variation_index(), || {
            EventProcessor::needs_only_summary(flag, detail)
        });
        if !counted {
            self.record_general(recorder, e);
        }
    }

    /// The fast path alone, for a prerequisite whose flag never needs more than the summary
    /// (a flag that can is left to [`PrerequisiteRecorder::record`], which knows the reason).
    /// Following a tree, it only notes the prerequisite.
    #[inline]
    fn record_served(&self, prerequisite: &Flag, context: &Context, served: Option<usize>) -> bool {
        // Following implies events recorded and this recorder's context.
        if self.tree.get() == TreeMode::Follow && self.is_mine(context) {
            self.met.set(self.met.get() + 1);
            self.last_served.set(served);
            return true;
        }
        let Some(recorder) = self.recorder else {
            return true;
        };
        let mut mode = self.tree.get();
        if mode == TreeMode::Start && self.is_mine(context) {
            self.start_tree(recorder, context);
            mode = self.tree.get();
            if mode == TreeMode::Follow {
                self.met.set(1);
                self.last_served.set(served);
                return true;
            }
        }
        let counted = self.count(recorder, context, prerequisite, served, || false);
        if mode == TreeMode::Learn && self.is_mine(context) {
            self.note(counted, prerequisite, served);
        }
        counted
    }

    /// Following a tree, counts the prerequisites met so far in its cells and the rest of the
    /// evaluation the usual way; learning one, gives up.
    fn prerequisite_failed(&self) {
        match self.tree.get() {
            TreeMode::Follow => {
                self.tree.set(TreeMode::Off);
                if let (Some(recorder), Some(tally)) = (self.recorder, self.tally) {
                    EventProcessor::summarizer(recorder.shared).count_tree_prefix(
                        tally,
                        self.tree_key.get(),
                        self.generation,
                        self.met.get(),
                        self.last_served.get(),
                    );
                }
            }
            TreeMode::Learn => self.tree.set(TreeMode::Off),
            TreeMode::Off | TreeMode::Start => {}
        }
    }
}

impl Drop for PrerequisiteEvents<'_> {
    /// Counts the tree followed, or leaves the one learned.
    #[inline]
    fn drop(&mut self) {
        match self.tree.get() {
            TreeMode::Follow => self.finish_following(),
            TreeMode::Learn => self.finish_learning(),
            TreeMode::Off | TreeMode::Start => {}
        }
    }
}

impl PrerequisiteEvents<'_> {
    /// Counts the tree this evaluation followed through.
    #[inline]
    fn finish_following(&self) {
        if let (Some(recorder), Some(tally)) = (self.recorder, self.tally) {
            EventProcessor::summarizer(recorder.shared).count_tree(
                tally,
                self.tree_key.get(),
                self.generation,
            );
        }
    }

    /// Leaves the tree of the prerequisites this evaluation noted, all of which passed.
    #[cold]
    #[inline(never)]
    fn finish_learning(&self) {
        let (Some(recorder), Some(tally), Some(kinds_id)) =
            (self.recorder, self.tally, self.settled_kinds.get())
        else {
            return;
        };
        let met = self.met.get();
        EventProcessor::summarizer(recorder.shared).learn_tree(
            tally,
            self.tree_key.get(),
            kinds_id,
            self.generation,
            &self.noted_flags[..met],
            &self.noted_served[..met],
        );
    }
}

impl PrerequisiteEvents<'_> {
    /// [`PrerequisiteRecorder::record`] beyond the fast path.
    #[cold]
    #[inline(never)]
    fn record_general(&self, recorder: EvaluationRecorder<'_>, e: PrerequisiteEvaluation<'_>) {
        recorder.events.record_general(
            self.tally,
            &e.prerequisite.key,
            Some(e.prerequisite),
            e.context,
            &e.detail,
            &Value::Null,
            self.with_reasons,
            Some(&e.prerequisite_of.key),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ld_eval::{ContextBuilder, MultiContextBuilder, Reason};
    use serde_json::json;

    fn flag(json: Value) -> Flag {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn experiments_are_recognised_from_reason_rule_and_fallthrough() {
        let f = flag(json!({
            "key": "f", "version": 1, "on": true, "variations": [true, false], "salt": "s",
            "fallthrough": {"variation": 0},
            "rules": [
                {"id": "r0", "clauses": [], "variation": 0, "trackEvents": true},
                {"id": "r1", "clauses": [], "variation": 1}
            ]
        }));
        let detail = |reason| Detail {
            value: None,
            variation_index: Some(0),
            reason,
        };
        assert!(is_experiment(
            &f,
            &detail(Reason::rule_match(0, "r0".into(), false))
        ));
        assert!(!is_experiment(
            &f,
            &detail(Reason::rule_match(1, "r1".into(), false))
        ));
        assert!(!is_experiment(
            &f,
            &detail(Reason::rule_match(9, "r9".into(), false))
        ));
        assert!(is_experiment(
            &f,
            &detail(Reason::rule_match(1, "r1".into(), true))
        ));
        assert!(!is_experiment(&f, &detail(Reason::fallthrough(false))));
        assert!(is_experiment(&f, &detail(Reason::fallthrough(true))));
        assert!(!is_experiment(&f, &detail(Reason::off())));
    }

    #[test]
    fn borrowed_results_are_experiments_exactly_when_owned_ones_are() {
        let f = flag(json!({
            "key": "f", "version": 1, "on": true, "variations": [true, false], "salt": "s",
            "fallthrough": {"variation": 0}, "trackEventsFallthrough": true,
            "rules": [
                {"id": "r0", "clauses": [], "variation": 0, "trackEvents": true},
                {"id": "r1", "clauses": [], "variation": 1}
            ]
        }));
        let ids: Vec<ld_eval::SharedStr> = vec!["r0".into(), "r1".into(), "r9".into()];
        let mut cases = vec![
            ReasonKindRef::Off,
            ReasonKindRef::TargetMatch,
            ReasonKindRef::Fallthrough {
                in_experiment: false,
            },
            ReasonKindRef::Fallthrough {
                in_experiment: true,
            },
        ];
        for (rule_index, rule_id) in ids.iter().enumerate() {
            for in_experiment in [false, true] {
                cases.push(ReasonKindRef::RuleMatch {
                    rule_index,
                    rule_id,
                    in_experiment,
                });
            }
        }
        for kind in cases {
            let borrowed = DetailRef {
                value: None,
                variation_index: Some(0),
                reason: ReasonRef::new(kind),
            };
            assert_eq!(
                EvaluationResult::is_experiment(&borrowed, &f),
                is_experiment(&f, &borrowed.to_detail()),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn ld_eval_contexts_convert_with_every_attribute() {
        let user = ContextBuilder::new("u1")
            .name("Sandy")
            .anonymous(true)
            .set("email", json!("s@x.io"))
            .private("email")
            .build()
            .unwrap();
        let org = ContextBuilder::new("o1").kind("org").build().unwrap();
        let multi = MultiContextBuilder::new()
            .push(user)
            .push(org)
            .build()
            .unwrap();
        let e = multi.to_event_context();
        assert!(e.is_multi());
        let kinds: Vec<_> = e.individuals().iter().map(|c| c.kind.as_str()).collect();
        assert_eq!(kinds, ["org", "user"]);
        let u = &e.individuals()[1];
        assert_eq!(u.name.as_deref(), Some("Sandy"));
        assert!(u.anonymous);
        assert_eq!(u.attributes, vec![("email".to_owned(), json!("s@x.io"))]);
        assert_eq!(u.private_attributes[0].as_str(), "email");
        let parts: Vec<_> = multi
            .parts()
            .map(|p| (p.kind, p.key, p.anonymous))
            .collect();
        assert_eq!(parts, [("org", "o1", false), ("user", "u1", true)]);
    }

    /// Prerequisite trees: a sender that drops every payload (the tests read the summary).
    struct Nowhere;

    impl crate::EventSender for Nowhere {
        fn send(&self, _request: crate::EventRequest) -> crate::SendFuture {
            Box::pin(async {
                Ok(crate::EventResponse {
                    status: 202,
                    date: None,
                })
            })
        }
    }

    /// `parent` needs `a` serving 1 and then `b` serving 0; `a` needs `c` serving 1. `c`
    /// serves 0 to `fail-c` (so `a` fails, serving its off variation 0, and `parent` stops
    /// before `b`); `b` serves 1 to `fail-b`. Everyone else passes through all of them.
    fn tree_data(c_version: u64) -> ld_eval::MemoryData {
        let mut data = ld_eval::MemoryData::default();
        let f = |v: Value| -> Flag { serde_json::from_value(v).unwrap() };
        data.insert_flag(f(json!({
            "key": "a", "version": 1, "on": true, "variations": ["a0", "a1"],
            "offVariation": 0, "fallthrough": {"variation": 1},
            "prerequisites": [{"key": "c", "variation": 1}]
        })));
        data.insert_flag(f(json!({
            "key": "b", "version": 1, "on": true, "variations": ["b0", "b1"],
            "fallthrough": {"variation": 0},
            "targets": [{"values": ["fail-b"], "variation": 1}]
        })));
        data.insert_flag(f(json!({
            "key": "c", "version": c_version, "on": true, "variations": ["c0", "c1"],
            "fallthrough": {"variation": 1},
            "targets": [{"values": ["fail-c"], "variation": 0}]
        })));
        data
    }

    fn parent() -> Flag {
        flag(json!({
            "key": "parent", "version": 1, "on": true, "variations": [true, false],
            "offVariation": 1, "fallthrough": {"variation": 0},
            "prerequisites": [{"key": "a", "variation": 1}, {"key": "b", "variation": 0}]
        }))
    }

    /// An event processor that sends nowhere, and one thread's tally.
    struct TreeRig {
        _rt: tokio::runtime::Runtime,
        events: EventProcessor,
        tally: ThreadTally,
    }

    impl TreeRig {
        fn new() -> Self {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let events = EventProcessor::new(
                crate::EventsConfig::new("sdk-key"),
                std::sync::Arc::new(Nowhere),
                rt.handle(),
            );
            Self {
                _rt: rt,
                events,
                tally: ThreadTally::default(),
            }
        }

        /// Evaluates `parent` for `context` in `data`, recording its prerequisites with trees
        /// for the data set `generation` (0: none) and the flag itself; returns the tree mode
        /// the evaluation ended in.
        fn evaluate(
            &self,
            data: &ld_eval::MemoryData,
            generation: u64,
            parent: &Flag,
            context: &Context,
        ) -> TreeMode {
            let recorder = self.events.evaluation_recorder().unwrap();
            let prerequisites = recorder.prerequisite_events_of(
                false,
                parent,
                generation,
                context,
                Some(&self.tally),
            );
            let detail = ld_eval::Evaluator::new(data)
                .with_prerequisite_recorder(&prerequisites)
                .evaluate(parent, context);
            let mode = prerequisites.tree.get();
            drop(prerequisites);
            self.record(parent, context, &detail);
            mode
        }

        /// Records an evaluation of `flag` (default `false`).
        fn record(&self, flag: &Flag, context: &Context, detail: &Detail<'_>) {
            self.events.record_evaluation_in(
                Some(&self.tally),
                &flag.key,
                Some(flag),
                context,
                detail,
                || json!(false),
                false,
                None,
            );
        }

        /// The window's summary `features`, starting a new window.
        fn summary(&self) -> Value {
            let recorder = self.events.evaluation_recorder().unwrap();
            let summary = EventProcessor::summarizer(recorder.shared).snapshot_and_reset(1);
            serde_json::to_value(summary).unwrap()["features"].take()
        }
    }

    /// Evaluates `parent` for each of `contexts` in turn, `rounds` times, in each data set;
    /// returns the tree mode each evaluation ended in, and the window's summary `features`.
    fn run_tree(
        data: &[(u64, ld_eval::MemoryData)],
        contexts: &[Context],
        rounds: usize,
    ) -> (Vec<TreeMode>, Value) {
        run_trees(data, &[parent()], contexts, rounds)
    }

    /// [`run_tree`] for each of `parents` in turn.
    fn run_trees(
        data: &[(u64, ld_eval::MemoryData)],
        parents: &[Flag],
        contexts: &[Context],
        rounds: usize,
    ) -> (Vec<TreeMode>, Value) {
        let rig = TreeRig::new();
        let mut modes = Vec::new();
        for (generation, data) in data {
            for _ in 0..rounds {
                for context in contexts {
                    for parent in parents {
                        modes.push(rig.evaluate(data, *generation, parent, context));
                    }
                }
            }
        }
        (modes, rig.summary())
    }

    #[test]
    fn flags_whose_trees_share_a_table_entry_still_count_exactly() {
        // More flags with prerequisites than the tree table has entries.
        let parents: Vec<Flag> = (0..40)
            .map(|i| {
                flag(json!({
                    "key": format!("parent-{i}"), "version": 1, "on": true,
                    "variations": [true, false], "offVariation": 1,
                    "fallthrough": {"variation": 0},
                    "prerequisites": [{"key": "a", "variation": 1}, {"key": "b", "variation": 0}]
                }))
            })
            .collect();
        let contexts = users(&["u1", "fail-c"]);
        let with = run_trees(&[(7, tree_data(1))], &parents, &contexts, 4);
        let without = run_trees(&[(0, tree_data(1))], &parents, &contexts, 4);
        assert!(with.0.contains(&TreeMode::Follow));
        assert_eq!(with.1, without.1);
        assert_eq!(with.1["c"]["counters"][0]["count"], 40 * 4);
        // A flag whose entry another's tree holds counts the usual way rather than learning
        // (and allocating) a tree on every evaluation.
        let learned = with.0.iter().filter(|m| **m == TreeMode::Learn).count();
        assert!(
            learned <= 2 * parents.len(),
            "{learned} evaluations learned"
        );
    }

    #[test]
    fn a_tree_outlives_the_retirement_of_its_members_idle_cells() {
        let (rig, parent, data) = (TreeRig::new(), parent(), tree_data(1));
        let evaluate = |context: &Context| rig.evaluate(&data, 7, &parent, context);
        let summary = || rig.summary();
        // The first count of a window takes the general path, which opens it: another flag's.
        let other = flag(json!({"key": "other", "version": 1, "variations": [true]}));
        let open_window = |context: &Context| {
            rig.record(
                &other,
                context,
                &Detail::error(ld_eval::ErrorKind::FlagNotFound),
            );
        };
        let (pass, fail) = (users(&["u1"]).remove(0), users(&["fail-c"]).remove(0));
        for _ in 0..3 {
            evaluate(&pass);
        }
        evaluate(&fail);
        summary();
        // Windows in which only the tree counts: the members' own cells idle and are retired.
        for _ in 0..5 {
            open_window(&pass);
            assert_eq!(evaluate(&pass), TreeMode::Follow);
            let features = summary();
            assert_eq!(features["c"]["counters"][0]["count"], 1);
        }
        // A failing evaluation followed the tree up to `c`, and `a` the usual way after it.
        open_window(&pass);
        assert_eq!(evaluate(&fail), TreeMode::Off);
        let features = summary();
        for (key, variation) in [("c", 0), ("a", 0)] {
            assert_eq!(
                features[key]["counters"][0]["variation"], variation,
                "{features}"
            );
            assert_eq!(features[key]["counters"][0]["count"], 1, "{key}");
        }
        assert!(features.get("b").is_none());
    }

    fn users(keys: &[&str]) -> Vec<Context> {
        keys.iter()
            .map(|k| ContextBuilder::new(*k).build().unwrap())
            .collect()
    }

    #[test]
    fn a_passing_prerequisite_tree_is_learned_then_followed() {
        let (modes, features) = run_tree(&[(7, tree_data(1))], &users(&["u1"]), 4);
        // Unknown context, then learning, then following.
        assert_eq!(
            modes,
            [
                TreeMode::Off,
                TreeMode::Learn,
                TreeMode::Follow,
                TreeMode::Follow
            ]
        );
        for (key, variation) in [("a", 1), ("b", 0), ("c", 1), ("parent", 0)] {
            let counters = &features[key]["counters"];
            assert_eq!(counters.as_array().unwrap().len(), 1, "{key}: {features}");
            assert_eq!(counters[0]["variation"], variation, "{key}");
            assert_eq!(counters[0]["count"], 4, "{key}");
        }
    }

    #[test]
    fn trees_count_exactly_what_counting_each_prerequisite_counts() {
        // Passing and failing evaluations interleaved, two data sets (`c` changes version in
        // the second): with trees and without, the same summary.
        let contexts = users(&["u1", "fail-c", "u2", "fail-b", "u1"]);
        let with = run_tree(&[(7, tree_data(1)), (8, tree_data(2))], &contexts, 5);
        let without = run_tree(&[(0, tree_data(1)), (0, tree_data(2))], &contexts, 5);
        assert!(
            with.0.contains(&TreeMode::Follow),
            "trees were used: {:?}",
            with.0
        );
        assert!(!without.0.contains(&TreeMode::Follow));
        assert_eq!(with.1, without.1);
        // `c`: 25 evaluations a data set, 5 of them `fail-c`'s, which serve 0.
        let c = with.1["c"]["counters"].as_array().unwrap().clone();
        let count = |version: u64, variation: u64| {
            c.iter()
                .find(|x| x["version"] == version && x["variation"] == variation)
                .map_or(0, |x| x["count"].as_u64().unwrap())
        };
        assert_eq!(
            (count(1, 1), count(1, 0), count(2, 1), count(2, 0)),
            (20, 5, 20, 5)
        );
        // `b` is not evaluated for `fail-c`.
        let b: u64 = with.1["b"]["counters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["count"].as_u64().unwrap())
            .sum();
        assert_eq!(b, 40);
    }
}
