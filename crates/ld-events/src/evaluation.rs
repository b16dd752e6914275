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
use crate::summary::KnownContext;
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
#[derive(Debug, Clone)]
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
}

impl<'a> PrerequisiteEvents<'a> {
    /// Records into `events`; `with_reasons` as for the evaluation that needed the prerequisites.
    pub fn new(events: &'a EventProcessor, with_reasons: bool) -> Self {
        Self::with_recorder(events.evaluation_recorder(), with_reasons)
    }

    /// Records through `recorder` (`None` when events are not being recorded).
    fn with_recorder(recorder: Option<EvaluationRecorder<'a>>, with_reasons: bool) -> Self {
        Self {
            recorder,
            with_reasons,
            tally: None,
            context: None,
            settled_kinds: std::cell::Cell::new(None),
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
    pub fn with_tally(self, tally: &'a ThreadTally) -> Self {
        Self {
            tally: Some(tally),
            ..self
        }
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
    pub fn for_context(self, context: &'a Context) -> Self {
        Self {
            context: Some(context),
            settled_kinds: std::cell::Cell::new(None),
            ..self
        }
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
        let mine = self.context.is_some_and(|c| std::ptr::eq(c, context));
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
}

impl PrerequisiteRecorder for PrerequisiteEvents<'_> {
    /// The fast path inline; everything else out of line, so that the fast path does not pay
    /// for loading what only the general path reads.
    #[inline]
    fn record(&self, e: PrerequisiteEvaluation<'_>) {
        let Some(recorder) = self.recorder else {
            return;
        };
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
    #[inline]
    fn record_served(&self, prerequisite: &Flag, context: &Context, served: Option<usize>) -> bool {
        let Some(recorder) = self.recorder else {
            return true;
        };
        self.count(recorder, context, prerequisite, served, || false)
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
}
