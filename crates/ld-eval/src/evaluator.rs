//! The evaluation algorithm: off → prerequisites → targets → rules → fallthrough.

use std::sync::Arc;

use serde_json::Value;

use crate::big_segments::BigSegmentProvider;
use crate::bucketing::{BucketPrefix, bucket_context};
use crate::clause::Clause;
use crate::context::Context;
use crate::detail::{Detail, DetailRef};
use crate::flag::{Flag, Target};
use crate::lookup::DataLookup;
use crate::operator::Op;
use crate::prerequisite_recorder::{PrerequisiteEvaluation, PrerequisiteRecorder};
use crate::reason::{BigSegmentsStatus, ErrorKind};
use crate::reason_ref::{ReasonKindRef, ReasonRef};
use crate::rollout::{Rollout, RolloutKind, VariationOrRollout};
use crate::segment::{Segment, SegmentRule};

/// Deeper prerequisite or segment nesting than this is treated as malformed data, so that
/// hostile or broken data can never overflow the stack.
pub const MAX_NESTING_DEPTH: usize = 64;

/// The flag data is unusable for this evaluation (`MALFORMED_FLAG`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Malformed;

/// A chain of keys being evaluated, kept on the call stack (no allocation) for cycle detection.
#[derive(Clone, Copy)]
struct Chain<'p> {
    key: &'p str,
    parent: Option<&'p Chain<'p>>,
    depth: usize,
}

fn chain_contains(chain: Option<&Chain<'_>>, key: &str) -> bool {
    let mut c = chain;
    while let Some(link) = c {
        // Keys of related flags often share a prefix and a length ("step-1", "step-2"): compare
        // the last byte before the whole key.
        if link.key.len() == key.len()
            && link.key.as_bytes().last() == key.as_bytes().last()
            && link.key == key
        {
            return true;
        }
        c = link.parent;
    }
    false
}

fn depth_of(chain: Option<&Chain<'_>>) -> usize {
    chain.map_or(0, |c| c.depth)
}

/// Evaluates flags against contexts, with the data, recorder and big segment provider to use.
///
/// ```
/// use ld_eval::{Context, ContextBuilder, Evaluator, Flag, MemoryData, ReasonKind};
/// let flag: Flag = serde_json::from_str(r#"{"key": "f", "on": true, "salt": "s",
///     "variations": ["a", "b"], "fallthrough": {"variation": 1},
///     "contextTargets": [{"contextKind": "org", "values": ["acme"], "variation": 0}]}"#).unwrap();
/// let data = MemoryData::default();
/// let evaluator = Evaluator::new(&data);
/// let org = ContextBuilder::new("acme").kind("org").build().unwrap();
/// let d = evaluator.evaluate(&flag, &org);
/// assert_eq!(d.value, Some(&serde_json::json!("a")));
/// assert_eq!(d.reason.kind, ReasonKind::TargetMatch);
/// ```
///
/// The recorder's type `R` is a parameter, so that a recorder passed as a concrete type (as
/// the SDK client does) is called directly and can be inlined into the prerequisite loop; a
/// `&dyn PrerequisiteRecorder` works too. Without one it is [`NoRecorder`], and the evaluation
/// has no recording code at all.
pub struct Evaluator<'a, R: PrerequisiteRecorder + ?Sized = NoRecorder> {
    lookup: &'a dyn DataLookup,
    recorder: Option<&'a R>,
    big_segments: Option<&'a dyn BigSegmentProvider>,
}

/// The recorder type of an [`Evaluator`] without a prerequisite recorder: it has no values, so
/// the evaluator's recording code is known to be unreachable and compiled out.
#[derive(Debug, Clone, Copy)]
pub enum NoRecorder {}

impl PrerequisiteRecorder for NoRecorder {
    fn record(&self, _: PrerequisiteEvaluation<'_>) {
        match *self {}
    }

    fn record_served(&self, _: &Flag, _: &Context, _: Option<usize>) -> bool {
        match *self {}
    }
}

impl<R: PrerequisiteRecorder + ?Sized> Clone for Evaluator<'_, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R: PrerequisiteRecorder + ?Sized> Copy for Evaluator<'_, R> {}

/// Per-evaluation state.
struct Scope<'c> {
    context: &'c Context,
    big_segments_status: Option<BigSegmentsStatus>,
}

impl<'a> Evaluator<'a> {
    /// An evaluator reading prerequisites and segments from `lookup`.
    pub fn new(lookup: &'a dyn DataLookup) -> Self {
        Evaluator {
            lookup,
            recorder: None,
            big_segments: None,
        }
    }
}

impl<'a, R: PrerequisiteRecorder + ?Sized> Evaluator<'a, R> {
    /// Reports every prerequisite evaluation to `recorder` (a concrete type, or a
    /// `&dyn PrerequisiteRecorder`).
    pub fn with_prerequisite_recorder<S: PrerequisiteRecorder + ?Sized>(
        self,
        recorder: &'a S,
    ) -> Evaluator<'a, S> {
        Evaluator {
            lookup: self.lookup,
            recorder: Some(recorder),
            big_segments: self.big_segments,
        }
    }

    /// Answers big segment membership with `provider`. Without one, evaluations that reach a big
    /// segment report `bigSegmentsStatus: NOT_CONFIGURED` and treat the context as not included.
    pub fn with_big_segments(mut self, provider: &'a dyn BigSegmentProvider) -> Self {
        self.big_segments = Some(provider);
        self
    }

    /// Evaluates `flag` for `context`. The value in the result is borrowed from `flag`.
    /// Never panics and, in the common path, never allocates.
    #[inline]
    pub fn evaluate<'f>(&self, flag: &'f Flag, context: &Context) -> Detail<'f> {
        self.evaluate_ref(flag, context).to_detail()
    }

    /// [`Evaluator::evaluate`] with the reason borrowed from the flag as well: nothing is
    /// allocated or reference-counted, so this is what a `variation()` call that only serves the
    /// value should use.
    ///
    /// ```
    /// use ld_eval::{ContextBuilder, Evaluator, Flag, MemoryData, ReasonKindRef};
    /// let flag: Flag = serde_json::from_value(serde_json::json!({
    ///     "key": "f", "version": 1, "on": true, "variations": [false, true],
    ///     "fallthrough": {"variation": 1},
    ///     "rules": [{"id": "r1", "variation": 0, "clauses": [
    ///         {"attribute": "key", "op": "in", "values": ["u1"]}]}]})).unwrap();
    /// let data = MemoryData::default();
    /// let u1 = ContextBuilder::new("u1").build().unwrap();
    /// let d = Evaluator::new(&data).evaluate_ref(&flag, &u1);
    /// assert_eq!(d.value, Some(&serde_json::json!(false)));
    /// assert!(matches!(d.reason.kind, ReasonKindRef::RuleMatch { rule_index: 0, .. }));
    /// ```
    #[inline]
    pub fn evaluate_ref<'f>(&self, flag: &'f Flag, context: &Context) -> DetailRef<'f> {
        if !flag.on {
            // The cheapest case, answered without setting up an evaluation.
            return match off_value(flag, Why::Off) {
                Ok(o) => o.into_detail_ref(),
                Err(Malformed) => DetailRef::error(ErrorKind::MalformedFlag),
            };
        }
        let mut scope = Scope {
            context,
            big_segments_status: None,
        };
        let outcome = if flag.prerequisites.is_empty() {
            // The common case, evaluated here rather than in a nested call.
            self.eval_targeting(flag, &mut scope)
        } else {
            self.eval_flag(flag, &mut scope, None)
        };
        let mut detail = match outcome {
            Ok(o) => o.into_detail_ref(),
            Err(Malformed) => DetailRef::error(ErrorKind::MalformedFlag),
        };
        detail.reason.big_segments_status = scope.big_segments_status;
        detail
    }

    fn eval_flag<'f>(
        &self,
        flag: &'f Flag,
        scope: &mut Scope<'_>,
        chain: Option<&Chain<'_>>,
    ) -> Result<Outcome<'f>, Malformed> {
        if !flag.on {
            return off_value(flag, Why::Off);
        }
        if depth_of(chain) >= MAX_NESTING_DEPTH {
            return Err(Malformed);
        }
        if !flag.prerequisites.is_empty()
            && let Some(failed) = self.eval_prerequisites(flag, scope, chain)?
        {
            return Ok(failed);
        }
        self.eval_targeting(flag, scope)
    }

    /// Evaluates the flag's prerequisites in order: the outcome to serve if one fails (the off
    /// variation, `PREREQUISITE_FAILED`), `None` if all pass.
    #[inline(always)]
    fn eval_prerequisites<'f>(
        &self,
        flag: &'f Flag,
        scope: &mut Scope<'_>,
        chain: Option<&Chain<'_>>,
    ) -> Result<Option<Outcome<'f>>, Malformed> {
        let link = Chain {
            key: &flag.key,
            parent: chain,
            depth: depth_of(chain) + 1,
        };
        for prereq in &flag.prerequisites {
            let Some(pflag) = self.lookup.flag(&prereq.key).filter(|f| !f.deleted) else {
                self.prerequisite_failed();
                return off_value(flag, Why::PrerequisiteFailed(&prereq.key)).map(Some);
            };
            if chain_contains(Some(&link), &pflag.key) {
                self.prerequisite_failed();
                return Err(Malformed);
            }
            // Borrowed from the result rather than moved out of it: a move copies the whole
            // outcome with wide loads that straddle the callee's narrower stores, which the
            // CPU cannot forward (a stall of ~8 ns per prerequisite measured), while the fast
            // path needs only its variation.
            let result = self.eval_flag(pflag, scope, Some(&link));
            let outcome = match &result {
                Ok(outcome) => outcome,
                Err(malformed) => {
                    self.prerequisite_failed();
                    return Err(*malformed);
                }
            };
            if let Some(recorder) = self.recorder
                && !recorder.record_served(pflag, scope.context, outcome.index)
            {
                record_prerequisite(recorder, pflag, flag, scope.context, outcome);
            }
            let served = outcome.index.map(|i| i as i64);
            if !pflag.on || served != Some(prereq.variation) {
                self.prerequisite_failed();
                return off_value(flag, Why::PrerequisiteFailed(&prereq.key)).map(Some);
            }
        }
        Ok(None)
    }

    /// Tells the recorder, if any, that a prerequisite did not pass.
    #[cold]
    fn prerequisite_failed(&self) {
        if let Some(recorder) = self.recorder {
            recorder.prerequisite_failed();
        }
    }

    /// Targets, then rules, then the fallthrough: the part of a flag's evaluation after its
    /// prerequisites passed.
    #[inline(always)]
    fn eval_targeting<'f>(
        &self,
        flag: &'f Flag,
        scope: &mut Scope<'_>,
    ) -> Result<Outcome<'f>, Malformed> {
        if (!flag.targets.is_empty() || !flag.context_targets.is_empty())
            && let Some(index) = target_match(flag, scope.context)
        {
            return variation(flag, index, Why::TargetMatch);
        }

        for (rule_index, rule) in flag.rules.iter().enumerate() {
            if self.all_clauses_match(&rule.clauses, scope, None)? {
                let (index, in_experiment) =
                    resolve(flag, &rule.variation_or_rollout, scope.context)?;
                return variation(
                    flag,
                    index,
                    Why::RuleMatch(rule_index, &rule.id, in_experiment),
                );
            }
        }

        let (index, in_experiment) = resolve(flag, &flag.fallthrough, scope.context)?;
        variation(flag, index, Why::Fallthrough(in_experiment))
    }

    #[inline(always)]
    fn all_clauses_match(
        &self,
        clauses: &[Clause],
        scope: &mut Scope<'_>,
        segments: Option<&Chain<'_>>,
    ) -> Result<bool, Malformed> {
        for clause in clauses {
            let matched = match clause.try_fast(scope.context) {
                Some(matched) => matched,
                None => self.clause_matches(clause, scope, segments)?,
            };
            if !matched {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The general path of clause matching (see `Clause::try_fast` for the fast one).
    #[inline(never)]
    fn clause_matches(
        &self,
        clause: &Clause,
        scope: &mut Scope<'_>,
        segments: Option<&Chain<'_>>,
    ) -> Result<bool, Malformed> {
        if *clause.op() != Op::SegmentMatch {
            return clause
                .matches_non_segment(scope.context)
                .map_err(|_| Malformed);
        }
        for key in clause.string_values() {
            let Some(segment) = self.lookup.segment(key).filter(|s| !s.deleted) else {
                continue;
            };
            if self.segment_contains(segment, scope, segments)? {
                return Ok(!clause.negate());
            }
        }
        Ok(clause.negate())
    }

    fn segment_contains(
        &self,
        segment: &Segment,
        scope: &mut Scope<'_>,
        chain: Option<&Chain<'_>>,
    ) -> Result<bool, Malformed> {
        if chain_contains(chain, &segment.key) || depth_of(chain) >= MAX_NESTING_DEPTH {
            return Err(Malformed);
        }
        let link = Chain {
            key: &segment.key,
            parent: chain,
            depth: depth_of(chain) + 1,
        };
        let context = scope.context;
        if segment.unbounded {
            return self.big_segment_contains(segment, scope, &link);
        }
        if in_targets(context, &segment.included, &segment.included_contexts) {
            return Ok(true);
        }
        if in_targets(context, &segment.excluded, &segment.excluded_contexts) {
            return Ok(false);
        }
        self.segment_rules_match(segment, scope, &link)
    }

    fn segment_rules_match(
        &self,
        segment: &Segment,
        scope: &mut Scope<'_>,
        link: &Chain<'_>,
    ) -> Result<bool, Malformed> {
        for rule in &segment.rules {
            if self.segment_rule_matches(segment, rule, scope, link)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn segment_rule_matches(
        &self,
        segment: &Segment,
        rule: &SegmentRule,
        scope: &mut Scope<'_>,
        link: &Chain<'_>,
    ) -> Result<bool, Malformed> {
        if !self.all_clauses_match(&rule.clauses, scope, Some(link))? {
            return Ok(false);
        }
        let Some(weight) = rule.weight else {
            return Ok(true);
        };
        let kind = rule
            .rollout_context_kind
            .as_ref()
            .map_or("user", |k| k.as_str());
        let (bucket, _) = bucket_context(
            scope.context,
            kind,
            rule.bucket_by.as_ref(),
            false,
            BucketPrefix::KeyAndSalt(&segment.key, &segment.salt),
        )
        .map_err(|_| Malformed)?;
        Ok(bucket < weight as f32 / 100_000.0)
    }

    fn big_segment_contains(
        &self,
        segment: &Segment,
        scope: &mut Scope<'_>,
        link: &Chain<'_>,
    ) -> Result<bool, Malformed> {
        let note = |scope: &mut Scope<'_>, s: BigSegmentsStatus| {
            scope.big_segments_status = Some(match scope.big_segments_status {
                Some(prev) => prev.worst(s),
                None => s,
            });
        };
        let (Some(provider), Some(_)) = (self.big_segments, segment.generation) else {
            note(scope, BigSegmentsStatus::NotConfigured);
            return Ok(false);
        };
        let kind = segment
            .unbounded_context_kind
            .as_ref()
            .map_or("user", |k| k.as_str());
        let Some(single) = scope.context.as_kind(kind) else {
            return Ok(false);
        };
        let answer = provider.membership(single.key(), segment);
        note(scope, answer.status);
        match answer.membership {
            Some(included) => Ok(included),
            None => self.segment_rules_match(segment, scope, link),
        }
    }
}

/// Evaluates `flag` for `context`, reading prerequisites and segments from `lookup`, with no
/// prerequisite recorder and no big segment provider. See [`Evaluator`] for those.
///
/// ```
/// use ld_eval::{evaluate, ContextBuilder, Flag, MemoryData, Reason};
/// let flag: Flag = serde_json::from_str(
///     r#"{"key": "f", "on": false, "offVariation": 0, "variations": [false, true]}"#).unwrap();
/// let ctx = ContextBuilder::new("user-1").build().unwrap();
/// let d = evaluate(&MemoryData::default(), &flag, &ctx);
/// assert_eq!(d.value, Some(&serde_json::json!(false)));
/// assert_eq!(d.variation_index, Some(0));
/// assert_eq!(d.reason, Reason::off());
/// ```
pub fn evaluate<'f>(lookup: &dyn DataLookup, flag: &'f Flag, context: &Context) -> Detail<'f> {
    Evaluator::new(lookup).evaluate(flag, context)
}

/// Why a value was served, borrowing from the flag: the internal, `Copy` form of a
/// [`Reason`](crate::Reason), which is built (cloning shared strings) only when a [`Detail`] is
/// handed out.
#[derive(Clone, Copy)]
enum Why<'f> {
    Off,
    Fallthrough(bool),
    TargetMatch,
    RuleMatch(usize, &'f crate::SharedStr, bool),
    PrerequisiteFailed(&'f Arc<str>),
}

/// Hands a prerequisite evaluation that [`PrerequisiteRecorder::record_served`] did not take to
/// [`PrerequisiteRecorder::record`]. Out of line, so that the prerequisite loop builds no
/// [`DetailRef`] unless it is needed.
#[cold]
#[inline(never)]
fn record_prerequisite<R: PrerequisiteRecorder + ?Sized>(
    recorder: &R,
    prerequisite: &Flag,
    prerequisite_of: &Flag,
    context: &Context,
    outcome: &Outcome<'_>,
) {
    recorder.record(PrerequisiteEvaluation {
        prerequisite,
        prerequisite_of,
        context,
        detail: outcome.into_detail_ref(),
    });
}

/// The result of evaluating one flag inside the evaluator: small and `Copy`, so passing it up
/// through prerequisite recursion is cheap.
#[derive(Clone, Copy)]
struct Outcome<'f> {
    value: Option<&'f Value>,
    index: Option<usize>,
    why: Why<'f>,
}

impl<'f> Outcome<'f> {
    fn into_detail_ref(self) -> DetailRef<'f> {
        let kind = match self.why {
            Why::Off => ReasonKindRef::Off,
            Why::Fallthrough(in_experiment) => ReasonKindRef::Fallthrough { in_experiment },
            Why::TargetMatch => ReasonKindRef::TargetMatch,
            Why::RuleMatch(rule_index, rule_id, in_experiment) => ReasonKindRef::RuleMatch {
                rule_index,
                rule_id,
                in_experiment,
            },
            Why::PrerequisiteFailed(prerequisite_key) => {
                ReasonKindRef::PrerequisiteFailed { prerequisite_key }
            }
        };
        DetailRef {
            value: self.value,
            variation_index: self.index,
            reason: ReasonRef::new(kind),
        }
    }
}

/// Serves variation `index`; an index out of range makes the flag malformed.
#[inline]
fn variation<'f>(flag: &'f Flag, index: i64, why: Why<'f>) -> Result<Outcome<'f>, Malformed> {
    let i = usize::try_from(index).map_err(|_| Malformed)?;
    let value = flag.variations.get(i).ok_or(Malformed)?;
    Ok(Outcome {
        value: Some(value),
        index: Some(i),
        why,
    })
}

/// Serves the off variation (or no value, when the flag has none).
#[inline]
fn off_value<'f>(flag: &'f Flag, why: Why<'f>) -> Result<Outcome<'f>, Malformed> {
    match flag.off_variation {
        Some(index) => variation(flag, index, why),
        None => Ok(Outcome {
            value: None,
            index: None,
            why,
        }),
    }
}

fn target_hit(context: &Context, kind: &str, target: &Target) -> bool {
    context
        .as_kind(kind)
        .is_some_and(|c| target.values.contains(c.key()))
}

fn target_match(flag: &Flag, context: &Context) -> Option<i64> {
    if flag.context_targets.is_empty() {
        return flag
            .targets
            .iter()
            .find(|t| target_hit(context, "user", t))
            .map(|t| t.variation);
    }
    for ct in &flag.context_targets {
        let kind = ct.context_kind.as_ref().map_or("user", |k| k.as_str());
        if kind == "user" && ct.values.is_empty() {
            // A user-kind placeholder: the keys live in the old `targets` list.
            if let Some(t) = flag
                .targets
                .iter()
                .find(|t| t.variation == ct.variation && target_hit(context, "user", t))
            {
                return Some(t.variation);
            }
        } else if target_hit(context, kind, ct) {
            return Some(ct.variation);
        }
    }
    None
}

fn in_targets(
    context: &Context,
    user_keys: &crate::key_set::KeySet,
    targets: &[crate::segment::SegmentTarget],
) -> bool {
    for t in targets {
        let kind = t.context_kind.as_ref().map_or("user", |k| k.as_str());
        if context
            .as_kind(kind)
            .is_some_and(|c| t.values.contains(c.key()))
        {
            return true;
        }
    }
    context
        .as_kind("user")
        .is_some_and(|c| user_keys.contains(c.key()))
}

/// Picks the variation for a fixed variation or a rollout: (index, in experiment).
#[inline]
fn resolve(
    flag: &Flag,
    vr: &VariationOrRollout,
    context: &Context,
) -> Result<(i64, bool), Malformed> {
    match vr {
        VariationOrRollout::Variation(v) => Ok((*v, false)),
        VariationOrRollout::Rollout(r) => resolve_rollout(flag, r, context),
        VariationOrRollout::Malformed => Err(Malformed),
    }
}

/// Buckets the context into one of a rollout's variations: (index, in experiment).
#[inline(never)]
fn resolve_rollout(
    flag: &Flag,
    rollout: &Rollout,
    context: &Context,
) -> Result<(i64, bool), Malformed> {
    let is_experiment = rollout.kind == RolloutKind::Experiment;
    let prefix = match rollout.seed {
        Some(seed) => BucketPrefix::Seed(seed),
        None => BucketPrefix::KeyAndSalt(&flag.key, &flag.salt),
    };
    let kind = rollout.context_kind.as_ref().map_or("user", |k| k.as_str());
    let (bucket, missing_kind) = bucket_context(
        context,
        kind,
        rollout.bucket_by.as_ref(),
        is_experiment,
        prefix,
    )
    .map_err(|_| Malformed)?;
    let tracked = |untracked: bool| is_experiment && !missing_kind && !untracked;
    let mut sum = 0.0f32;
    for wv in &rollout.variations {
        sum += wv.weight as f32 / 100_000.0;
        if bucket < sum {
            return Ok((wv.variation, tracked(wv.untracked)));
        }
    }
    match rollout.variations.last() {
        Some(wv) => Ok((wv.variation, tracked(wv.untracked))),
        None => Err(Malformed),
    }
}
