//! Reading flags (and the parts segments share with them: clauses, key lists, kinds) straight
//! from a [`JsonCursor`], with exactly the result of the `serde` path.
//!
//! Every field is read as the `serde`-derived reader of its type reads it (defaults for missing
//! fields, `null` where an `Option` or a key list allows it, unknown fields skipped), and the
//! values are built by the same constructors (`Clause::from_parts`, `FlagRule::from_parts`,
//! `Rollout::from_parts`, `KeySet::from_scratch`, `collect_exact`…), so a flag read here is
//! the flag `serde_json::from_str` gives, down to list capacities and shared names. Whatever is
//! read differently or rejected by `serde` (a duplicate field, a wrong type, a float where an
//! integer is expected) is [`Unsupported`], and the caller falls back to `serde`.

use std::sync::Arc;

use crate::clause::Clause;
use crate::clause_values::{ClauseValues, strings_then};
use crate::clauses::Clauses;
use crate::exact_vec::collect_exact;
use crate::flag::{ClientSideAvailability, Flag, FlagRule, Migration, Prerequisite, Target};
use crate::json_cursor::{JsonCursor, Read, Unsupported, first_time};
use crate::key_set::{KeySet, push_key, with_scratch};
use crate::kind::Kind;
use crate::operator::Op;
use crate::property_name::known::*;
use crate::rollout::{
    Buckets, Rollout, RolloutKind, SharedRollout, VariationOrRollout, VariationOrRolloutRepr,
    WeightedVariation,
};
use crate::shared_str::SharedStr;

impl<'a> JsonCursor<'a> {
    /// Reads a flag object, prepared for evaluation exactly as `serde_json::from_str::<Flag>`
    /// would give it; on [`Unsupported`] the cursor is back where it was, so the caller can
    /// take the value with [`JsonCursor::raw_value`] and read it with `serde`.
    ///
    /// ```
    /// use ld_eval::{Flag, JsonCursor};
    /// let json = r#"{"key": "f", "version": 3, "on": true, "variations": [false, true],
    ///     "fallthrough": {"variation": 1}, "future": {"nested": [1, 2]}}"#;
    /// let fast = JsonCursor::new(json).read_flag().unwrap();
    /// assert_eq!(fast, serde_json::from_str::<Flag>(json).unwrap());
    /// // A float where an integer belongs: left to serde, which reports the error.
    /// assert!(JsonCursor::new(r#"{"key": "f", "version": 1.5}"#).read_flag().is_err());
    /// ```
    pub fn read_flag(&mut self) -> Result<Flag, Unsupported> {
        self.or_rewind(Self::flag)
    }

    fn flag(&mut self) -> Read<Flag> {
        const KEY_SEEN: u32 = 1;
        const VERSION_SEEN: u32 = 1 << 1;
        const ON_SEEN: u32 = 1 << 2;
        const PREREQUISITES_SEEN: u32 = 1 << 3;
        const TARGETS_SEEN: u32 = 1 << 4;
        const CONTEXT_TARGETS_SEEN: u32 = 1 << 5;
        const RULES_SEEN: u32 = 1 << 6;
        const FALLTHROUGH_SEEN: u32 = 1 << 7;
        const OFF_VARIATION_SEEN: u32 = 1 << 8;
        const VARIATIONS_SEEN: u32 = 1 << 9;
        const SALT_SEEN: u32 = 1 << 10;
        const CLIENT_SIDE_SEEN: u32 = 1 << 11;
        const AVAILABILITY_SEEN: u32 = 1 << 12;
        const TRACK_EVENTS_SEEN: u32 = 1 << 13;
        const TRACK_FALLTHROUGH_SEEN: u32 = 1 << 14;
        const DEBUG_UNTIL_SEEN: u32 = 1 << 15;
        const SAMPLING_RATIO_SEEN: u32 = 1 << 16;
        const EXCLUDE_SEEN: u32 = 1 << 17;
        const MIGRATION_SEEN: u32 = 1 << 18;
        const DELETED_SEEN: u32 = 1 << 19;

        let mut seen = 0u32;
        // Every field at its JSON default: a tombstone's fields, but live and with the
        // default fallthrough.
        let mut flag = Flag {
            fallthrough: VariationOrRollout::default(),
            deleted: false,
            ..Flag::tombstone(SharedStr::default(), 0)
        };
        // The salt, the rule ids and the targets' keys are gathered in `self.text` and share one
        // allocation; the clauses of all rules, in `self.clauses`, share another, and the
        // rollouts (rules' and fallthrough's, in `self.rollouts`) a third.
        self.text.clear();
        self.clauses.clear();
        self.rollouts.clear();
        let mut field = self.first_name()?;
        while let Some(name) = field {
            match name {
                KEY => {
                    first_time(&mut seen, KEY_SEEN)?;
                    flag.key = SharedStr::new(&self.str()?);
                }
                VERSION => {
                    first_time(&mut seen, VERSION_SEEN)?;
                    flag.version = self.u64()?;
                }
                ON => {
                    first_time(&mut seen, ON_SEEN)?;
                    flag.on = self.bool()?;
                }
                PREREQUISITES => {
                    first_time(&mut seen, PREREQUISITES_SEEN)?;
                    flag.prerequisites = self.list(Self::prerequisite)?;
                }
                TARGETS => {
                    first_time(&mut seen, TARGETS_SEEN)?;
                    flag.targets = self.list(Self::target)?;
                }
                CONTEXT_TARGETS => {
                    first_time(&mut seen, CONTEXT_TARGETS_SEEN)?;
                    flag.context_targets = self.list(Self::target)?;
                }
                RULES => {
                    first_time(&mut seen, RULES_SEEN)?;
                    flag.rules = self.list(Self::flag_rule)?;
                }
                FALLTHROUGH => {
                    first_time(&mut seen, FALLTHROUGH_SEEN)?;
                    flag.fallthrough = self.variation_or_rollout()?;
                }
                OFF_VARIATION => {
                    first_time(&mut seen, OFF_VARIATION_SEEN)?;
                    flag.off_variation = self.option(Self::i64)?;
                }
                VARIATIONS => {
                    first_time(&mut seen, VARIATIONS_SEEN)?;
                    flag.variations = self.list(Self::value)?;
                }
                SALT => {
                    first_time(&mut seen, SALT_SEEN)?;
                    flag.salt = self.pending_text()?;
                }
                CLIENT_SIDE => {
                    first_time(&mut seen, CLIENT_SIDE_SEEN)?;
                    flag.client_side = self.bool()?;
                }
                CLIENT_SIDE_AVAILABILITY => {
                    first_time(&mut seen, AVAILABILITY_SEEN)?;
                    flag.client_side_availability = self.option(Self::availability)?;
                }
                TRACK_EVENTS => {
                    first_time(&mut seen, TRACK_EVENTS_SEEN)?;
                    flag.track_events = self.bool()?;
                }
                TRACK_EVENTS_FALLTHROUGH => {
                    first_time(&mut seen, TRACK_FALLTHROUGH_SEEN)?;
                    flag.track_events_fallthrough = self.bool()?;
                }
                DEBUG_EVENTS_UNTIL_DATE => {
                    first_time(&mut seen, DEBUG_UNTIL_SEEN)?;
                    flag.debug_events_until_date = self.option(Self::u64)?;
                }
                SAMPLING_RATIO => {
                    first_time(&mut seen, SAMPLING_RATIO_SEEN)?;
                    flag.sampling_ratio = self.option(Self::u64)?;
                }
                EXCLUDE_FROM_SUMMARIES => {
                    first_time(&mut seen, EXCLUDE_SEEN)?;
                    flag.exclude_from_summaries = self.bool()?;
                }
                MIGRATION => {
                    first_time(&mut seen, MIGRATION_SEEN)?;
                    flag.migration = self.option(Self::migration)?;
                }
                DELETED => {
                    first_time(&mut seen, DELETED_SEEN)?;
                    flag.deleted = self.bool()?;
                }
                _ => self.skip_field(name)?,
            }
            field = self.next_name()?;
        }
        // `key` is the one required field.
        if seen & KEY_SEEN == 0 {
            return Err(Unsupported);
        }
        if !self.text.is_empty() {
            let block: Arc<str> = Arc::from(self.text.as_str());
            flag.salt.bind(&block);
            for rule in &mut flag.rules {
                rule.id.bind(&block);
            }
            for target in flag.targets.iter_mut().chain(&mut flag.context_targets) {
                target.values.bind(&block);
            }
        }
        if !self.rollouts.is_empty() {
            let list: Arc<[Rollout]> = self.rollouts.drain(..).collect();
            let rules = flag.rules.iter_mut().map(|r| &mut r.variation_or_rollout);
            for vr in std::iter::once(&mut flag.fallthrough).chain(rules) {
                if let VariationOrRollout::Rollout(r) = vr {
                    r.bind(&list);
                }
            }
        }
        if !self.clauses.is_empty() {
            // `Drain` knows its length: one allocation of the exact size.
            let list: Arc<[Clause]> = self.clauses.drain(..).collect();
            for rule in &mut flag.rules {
                rule.clauses.bind(&list);
            }
        }
        Ok(flag)
    }

    /// A string appended to the flag's text block, as a range of it to be bound to the block
    /// once the flag is read.
    fn pending_text(&mut self) -> Read<SharedStr> {
        let s = self.str()?;
        let start = u32::try_from(self.text.len()).map_err(|_| Unsupported)?;
        self.text.push_str(&s);
        // (`u32::MAX` stands for a whole block: refused, as any text past 4 GiB.)
        let end = u32::try_from(self.text.len())
            .ok()
            .filter(|&end| end != u32::MAX)
            .ok_or(Unsupported)?;
        Ok(SharedStr::pending(start, end))
    }

    /// `null` as `None`, anything else read by `read`.
    #[inline]
    pub(crate) fn option<T>(&mut self, read: impl FnOnce(&mut Self) -> Read<T>) -> Read<Option<T>> {
        if self.null() {
            Ok(None)
        } else {
            read(self).map(Some)
        }
    }

    /// A JSON array read element by element into a `Vec` without spare capacity (`null` is
    /// not a list).
    #[inline]
    pub(crate) fn list<T>(&mut self, mut read: impl FnMut(&mut Self) -> Read<T>) -> Read<Vec<T>> {
        let mut more = self.first_element()?;
        collect_exact(|| {
            if !more {
                return Ok(None);
            }
            let item = read(self)?;
            more = self.next_element()?;
            Ok(Some(item))
        })
    }

    fn prerequisite(&mut self) -> Read<Prerequisite> {
        let (mut key, mut variation) = (None, None);
        let mut field = self.first_name()?;
        while let Some(name) = field {
            match name {
                KEY if key.is_none() => key = Some(Arc::from(&*self.str()?)),
                VARIATION if variation.is_none() => variation = Some(self.i64()?),
                KEY | VARIATION => return Err(Unsupported),
                _ => self.skip_field(name)?,
            }
            field = self.next_name()?;
        }
        Ok(Prerequisite {
            key: key.ok_or(Unsupported)?,
            variation: variation.ok_or(Unsupported)?,
        })
    }

    fn target(&mut self) -> Read<Target> {
        let mut seen = 0;
        // `None` until read: a default put in place first would be dropped when replaced.
        let (mut context_kind, mut values, mut variation) = (None, None, None);
        let mut field = self.first_name()?;
        while let Some(name) = field {
            match name {
                CONTEXT_KIND => {
                    first_time(&mut seen, 1)?;
                    context_kind = self.option(Self::kind)?;
                }
                VALUES => {
                    first_time(&mut seen, 2)?;
                    values = Some(self.target_keys()?);
                }
                VARIATION => {
                    first_time(&mut seen, 4)?;
                    variation = Some(self.i64()?);
                }
                _ => self.skip_field(name)?,
            }
            field = self.next_name()?;
        }
        Ok(Target {
            context_kind,
            values: values.unwrap_or_default(),
            variation: variation.ok_or(Unsupported)?,
        })
    }

    /// A context kind, shared as the serde path shares it.
    #[inline]
    pub(crate) fn kind(&mut self) -> Read<Kind> {
        Ok(Kind::shared(&self.str()?))
    }

    /// A list of keys (`null`: empty), gathered in this thread's scratch buffers as the serde
    /// path gathers them.
    pub(crate) fn key_set(&mut self) -> Read<KeySet> {
        if self.null() {
            return Ok(KeySet::default());
        }
        let mut more = self.first_element()?;
        with_scratch(|scratch| {
            while more {
                let key = self.str()?;
                push_key::<serde::de::value::Error>(scratch, &key).map_err(|_| Unsupported)?;
                more = self.next_element()?;
            }
            Ok(KeySet::from_scratch(scratch))
        })
    }

    /// A target's list of keys (`null`: empty), its text appended to the flag's text block
    /// (`self.text`), to be bound to the block once the flag is read.
    fn target_keys(&mut self) -> Read<KeySet> {
        if self.null() {
            return Ok(KeySet::default());
        }
        let start = u32::try_from(self.text.len()).map_err(|_| Unsupported)?;
        let mut more = self.first_element()?;
        with_scratch(|scratch| {
            while more {
                let key = self.str()?;
                self.text.push_str(&key);
                let end = u32::try_from(self.text.len()).map_err(|_| Unsupported)?;
                scratch.ends.push(end);
                more = self.next_element()?;
            }
            Ok(KeySet::pending(&self.text, start, &scratch.ends))
        })
    }

    fn flag_rule(&mut self) -> Read<FlagRule> {
        let mut seen = 0;
        let mut id = None;
        let mut clauses = Clauses::default();
        let (mut variation, mut rollout, mut track_events) = (None, None, false);
        let mut field = self.first_name()?;
        while let Some(name) = field {
            match name {
                ID => {
                    first_time(&mut seen, 1)?;
                    id = self.option(Self::pending_text)?;
                }
                CLAUSES => {
                    first_time(&mut seen, 2)?;
                    clauses = self.rule_clauses()?;
                }
                VARIATION => {
                    first_time(&mut seen, 4)?;
                    variation = self.option(Self::i64)?;
                }
                ROLLOUT => {
                    first_time(&mut seen, 8)?;
                    rollout = self.option(Self::rollout)?;
                }
                TRACK_EVENTS => {
                    first_time(&mut seen, 16)?;
                    track_events = self.bool()?;
                }
                _ => self.skip_field(name)?,
            }
            field = self.next_name()?;
        }
        let mut rule = FlagRule::from_parts(None, clauses, None, None, track_events);
        rule.variation_or_rollout = self.pending_variation_or_rollout(variation, rollout);
        if let Some(id) = id {
            rule.id = id;
        }
        Ok(rule)
    }

    /// A flag rule's clauses, appended to the flag's clauses (`self.clauses`), as their range
    /// to be bound to the flag's list once the flag is read.
    fn rule_clauses(&mut self) -> Read<Clauses> {
        let start = u32::try_from(self.clauses.len()).map_err(|_| Unsupported)?;
        let mut more = self.first_element()?;
        while more {
            let clause = self.clause()?;
            self.clauses.push(clause);
            more = self.next_element()?;
        }
        let end = u32::try_from(self.clauses.len()).map_err(|_| Unsupported)?;
        Ok(Clauses::pending(start, end))
    }

    /// A clause of a flag rule or segment rule.
    pub(crate) fn clause(&mut self) -> Read<Clause> {
        let mut seen = 0;
        let mut context_kind = None;
        let mut attribute = std::borrow::Cow::Borrowed("");
        let mut op = None;
        // `None` until read: a default put in place first would be dropped when replaced.
        let mut values = None;
        let mut negate = false;
        let mut field = self.first_name()?;
        while let Some(name) = field {
            match name {
                CONTEXT_KIND => {
                    first_time(&mut seen, 1)?;
                    context_kind = self.option(Self::kind)?;
                }
                ATTRIBUTE => {
                    first_time(&mut seen, 2)?;
                    attribute = self.str()?;
                }
                OP => {
                    first_time(&mut seen, 4)?;
                    op = Some(Op::from_name(&self.str()?));
                }
                VALUES => {
                    first_time(&mut seen, 8)?;
                    values = self.option(Self::clause_values)?;
                }
                NEGATE => {
                    first_time(&mut seen, 16)?;
                    negate = self.bool()?;
                }
                _ => self.skip_field(name)?,
            }
            field = self.next_name()?;
        }
        let op = op.ok_or(Unsupported)?;
        // Old-style data (no kind) names attributes literally.
        let attribute = self.attr_ref(&attribute, context_kind.is_none());
        Ok(Clause::with_attribute(
            context_kind,
            attribute,
            op,
            values.unwrap_or_default(),
            negate,
        ))
    }

    /// A clause's values: compact when they are all strings, JSON values otherwise.
    fn clause_values(&mut self) -> Read<ClauseValues> {
        let mut more = self.first_element()?;
        with_scratch(|scratch| {
            while more {
                if self.peek() != Some(b'"') {
                    // Not all strings: the strings so far, this value and the rest, as JSON.
                    let first = self.value()?;
                    let mut values = strings_then(scratch, first);
                    while self.next_element()? {
                        values.push(self.value()?);
                    }
                    return Ok(ClauseValues::Json(values.into_boxed_slice()));
                }
                let s = self.str()?;
                push_key::<serde::de::value::Error>(scratch, &s).map_err(|_| Unsupported)?;
                more = self.next_element()?;
            }
            Ok(ClauseValues::from_strings(&scratch.text, &scratch.ends))
        })
    }

    /// A rule's or the fallthrough's `variation`/`rollout` object.
    fn variation_or_rollout(&mut self) -> Read<VariationOrRollout> {
        let mut seen = 0;
        let (mut variation, mut rollout) = (None, None);
        let mut field = self.first_name()?;
        while let Some(name) = field {
            match name {
                VARIATION => {
                    first_time(&mut seen, 1)?;
                    variation = self.option(Self::i64)?;
                }
                ROLLOUT => {
                    first_time(&mut seen, 2)?;
                    rollout = self.option(Self::rollout)?;
                }
                _ => self.skip_field(name)?,
            }
            field = self.next_name()?;
        }
        Ok(self.pending_variation_or_rollout(variation, rollout))
    }

    /// What a rule or the fallthrough serves, as [`VariationOrRolloutRepr`] makes it, except
    /// that a rollout goes to the flag's rollouts (`self.rollouts`), to be bound to the flag's
    /// list of rollouts once the flag is read.
    fn pending_variation_or_rollout(
        &mut self,
        variation: Option<i64>,
        rollout: Option<Rollout>,
    ) -> VariationOrRollout {
        match (variation, rollout) {
            (None, Some(rollout)) => {
                self.rollouts.push(rollout);
                VariationOrRollout::Rollout(SharedRollout::pending(self.rollouts.len() - 1))
            }
            (variation, _) => VariationOrRolloutRepr {
                variation,
                rollout: None,
            }
            .into(),
        }
    }

    fn rollout(&mut self) -> Read<Rollout> {
        let mut seen = 0;
        let (mut kind, mut context_kind, mut bucket_by) = (None, None, None);
        let (mut variations, mut seed) = (Buckets::default(), None);
        let mut field = self.first_name()?;
        while let Some(name) = field {
            match name {
                KIND => {
                    first_time(&mut seen, 1)?;
                    kind = self.option(Self::rollout_kind)?;
                }
                CONTEXT_KIND => {
                    first_time(&mut seen, 2)?;
                    context_kind = self.option(Self::kind)?;
                }
                BUCKET_BY => {
                    first_time(&mut seen, 4)?;
                    bucket_by = self.option(Self::str)?;
                }
                VARIATIONS => {
                    first_time(&mut seen, 8)?;
                    let mut more = self.first_element()?;
                    variations = Buckets::collect(|| {
                        if !more {
                            return Ok(None);
                        }
                        let item = self.weighted_variation()?;
                        more = self.next_element()?;
                        Ok(Some(item))
                    })?;
                }
                SEED => {
                    first_time(&mut seen, 16)?;
                    seed = self.option(Self::i64)?;
                }
                _ => self.skip_field(name)?,
            }
            field = self.next_name()?;
        }
        // Without a context kind (old-style data), `bucketBy` is a literal attribute name.
        let bucket_by = bucket_by.map(|b| self.attr_ref(&b, context_kind.is_none()));
        Ok(Rollout::from_parts_with(
            kind,
            context_kind,
            bucket_by,
            variations,
            seed,
        ))
    }

    fn rollout_kind(&mut self) -> Read<RolloutKind> {
        match &*self.str()? {
            "rollout" => Ok(RolloutKind::Rollout),
            "experiment" => Ok(RolloutKind::Experiment),
            _ => Err(Unsupported),
        }
    }

    fn weighted_variation(&mut self) -> Read<WeightedVariation> {
        let mut seen = 0;
        let (mut variation, mut weight, mut untracked) = (None, 0.0, false);
        let mut field = self.first_name()?;
        while let Some(name) = field {
            match name {
                VARIATION => {
                    first_time(&mut seen, 1)?;
                    variation = Some(self.i64()?);
                }
                WEIGHT => {
                    first_time(&mut seen, 2)?;
                    weight = self.integer_as_f64()?;
                }
                UNTRACKED => {
                    first_time(&mut seen, 4)?;
                    untracked = self.bool()?;
                }
                _ => self.skip_field(name)?,
            }
            field = self.next_name()?;
        }
        Ok(WeightedVariation {
            variation: variation.ok_or(Unsupported)?,
            weight,
            untracked,
        })
    }

    fn availability(&mut self) -> Read<ClientSideAvailability> {
        let mut seen = 0;
        let mut out = ClientSideAvailability::default();
        let mut field = self.first_name()?;
        while let Some(name) = field {
            match name {
                USING_MOBILE_KEY => {
                    first_time(&mut seen, 1)?;
                    out.using_mobile_key = self.bool()?;
                }
                USING_ENVIRONMENT_ID => {
                    first_time(&mut seen, 2)?;
                    out.using_environment_id = self.bool()?;
                }
                _ => self.skip_field(name)?,
            }
            field = self.next_name()?;
        }
        Ok(out)
    }

    fn migration(&mut self) -> Read<Migration> {
        let mut check_ratio = None;
        let mut seen = 0;
        let mut field = self.first_name()?;
        while let Some(name) = field {
            match name {
                CHECK_RATIO => {
                    first_time(&mut seen, 1)?;
                    check_ratio = self.option(Self::u64)?;
                }
                _ => self.skip_field(name)?,
            }
            field = self.next_name()?;
        }
        Ok(Migration { check_ratio })
    }
}
