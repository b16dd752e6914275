//! Feature flags: LaunchDarkly's server-side flag JSON, prepared for evaluation on load.

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::borrowed_str::BorrowedStr;
use crate::clauses::Clauses;
use crate::key_set::KeySet;
use crate::kind::Kind;
use crate::rollout::{Rollout, VariationOrRollout, VariationOrRolloutRepr};
use crate::shared_str::SharedStr;

/// A prerequisite: another flag that must be on and serve `variation` for this flag to go on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prerequisite {
    /// The prerequisite flag's key.
    pub key: Arc<str>,
    /// The variation index it must serve.
    pub variation: i64,
}

/// Individual targeting: contexts whose key is in `values` get `variation`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// The kind of context targeted (absent in the old `targets` list, which means `user`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_kind: Option<Kind>,
    /// The targeted keys.
    #[serde(default)]
    pub values: KeySet,
    /// The variation served.
    pub variation: i64,
}

/// A flag rule: if every clause matches, serve its variation or rollout.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagRule {
    /// The rule's id (empty if it had none). Shared so reasons can carry it without allocating;
    /// a flag read by the fast reader keeps all its rule ids and its salt in one allocation.
    pub id: SharedStr,
    /// The clauses, all of which must match (a flag read by the fast reader keeps the clauses
    /// of all its rules in one allocation).
    pub clauses: Clauses,
    /// What the rule serves.
    pub variation_or_rollout: VariationOrRollout,
    /// Whether events for this rule are always tracked.
    pub track_events: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FlagRuleRepr {
    #[serde(default)]
    id: Option<SharedStr>,
    #[serde(default)]
    clauses: Clauses,
    #[serde(flatten)]
    vor: VariationOrRolloutRepr,
    #[serde(default)]
    track_events: bool,
}

impl Serialize for FlagRule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        FlagRuleRepr {
            id: Some(self.id.clone()),
            clauses: self.clauses.clone(),
            vor: self.variation_or_rollout.to_repr(),
            track_events: self.track_events,
        }
        .serialize(s)
    }
}

/// What a rule is read from: the same fields as [`FlagRuleRepr`], without `#[serde(flatten)]`
/// (which would buffer every rule in an intermediate tree before reading it), and with the id
/// borrowed from the input until it is shared.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FlagRuleIn<'a> {
    #[serde(default, borrow)]
    id: Option<BorrowedStr<'a>>,
    #[serde(default)]
    clauses: Clauses,
    #[serde(default)]
    variation: Option<i64>,
    #[serde(default)]
    rollout: Option<Rollout>,
    #[serde(default)]
    track_events: bool,
}

impl<'de> Deserialize<'de> for FlagRule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = FlagRuleIn::deserialize(d)?;
        Ok(FlagRule::from_parts(
            r.id.as_deref(),
            r.clauses,
            r.variation,
            r.rollout,
            r.track_events,
        ))
    }
}

impl FlagRule {
    /// A rule from its JSON fields as read (the serde path and the fast JSON reader).
    pub(crate) fn from_parts(
        id: Option<&str>,
        clauses: Clauses,
        variation: Option<i64>,
        rollout: Option<Rollout>,
        track_events: bool,
    ) -> FlagRule {
        FlagRule {
            id: SharedStr::from(id.unwrap_or_default()),
            clauses,
            variation_or_rollout: VariationOrRolloutRepr { variation, rollout }.into(),
            track_events,
        }
    }
}

/// Which client-side SDKs may see the flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientSideAvailability {
    /// Visible to SDKs using the mobile key.
    #[serde(default)]
    pub using_mobile_key: bool,
    /// Visible to SDKs using the client-side environment id.
    #[serde(default)]
    pub using_environment_id: bool,
}

/// Settings of a migration flag.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Migration {
    /// One in how many migration operations is consistency-checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_ratio: Option<u64>,
}

/// A feature flag.
///
/// Deserializing LaunchDarkly's flag JSON yields a flag ready to evaluate: its clauses, targets
/// and rollouts are prepared while parsing. Unknown fields are ignored; serializing gives back
/// JSON that other SDKs accept.
///
/// ```
/// use ld_eval::Flag;
/// let flag: Flag = serde_json::from_str(r#"{
///     "key": "f", "version": 3, "on": true, "salt": "s",
///     "variations": [false, true], "offVariation": 0, "fallthrough": {"variation": 1},
///     "targets": [{"values": ["alice"], "variation": 0}],
///     "rules": [{"id": "r1", "clauses": [{"attribute": "email", "op": "endsWith",
///         "values": ["@example.com"], "negate": false}], "variation": 0}]
/// }"#).unwrap();
/// assert_eq!(flag.key, "f");
/// assert_eq!(flag.rules[0].id.as_ref(), "r1");
/// let json = serde_json::to_value(&flag).unwrap();
/// assert_eq!(json["fallthrough"], serde_json::json!({"variation": 1}));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Flag {
    /// The flag key (in an allocation of its own, which a store's map shares: see
    /// [`SharedStr::whole`]).
    pub key: SharedStr,
    /// The data version.
    #[serde(default)]
    pub version: u64,
    /// Whether targeting is on.
    #[serde(default)]
    pub on: bool,
    /// Flags that must serve given variations before this flag's targeting applies.
    #[serde(default, deserialize_with = "crate::exact_vec::deserialize")]
    pub prerequisites: Vec<Prerequisite>,
    /// Old-style individual targets (user kind).
    #[serde(default, deserialize_with = "crate::exact_vec::deserialize")]
    pub targets: Vec<Target>,
    /// Individual targets of any context kind.
    #[serde(default, deserialize_with = "crate::exact_vec::deserialize")]
    pub context_targets: Vec<Target>,
    /// Targeting rules, in order.
    #[serde(default, deserialize_with = "crate::exact_vec::deserialize")]
    pub rules: Vec<FlagRule>,
    /// What is served when nothing else matches.
    #[serde(default)]
    pub fallthrough: VariationOrRollout,
    /// What is served when the flag is off (`None`: the caller's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub off_variation: Option<i64>,
    /// The variation values.
    #[serde(default, deserialize_with = "crate::exact_vec::deserialize")]
    pub variations: Vec<Value>,
    /// The salt used in bucketing (in one allocation with the rule ids when read by the fast
    /// reader).
    #[serde(default)]
    pub salt: SharedStr,
    /// Old-style client-side visibility (environment id).
    #[serde(default)]
    pub client_side: bool,
    /// Which client-side SDKs may see the flag (newer schema; wins over `client_side`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_side_availability: Option<ClientSideAvailability>,
    /// Whether all evaluations send full events.
    #[serde(default)]
    pub track_events: bool,
    /// Whether fallthrough evaluations send full events.
    #[serde(default)]
    pub track_events_fallthrough: bool,
    /// Debug events are sent until this time (epoch milliseconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debug_events_until_date: Option<u64>,
    /// One in how many events is sent (absent: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling_ratio: Option<u64>,
    /// Whether evaluations are left out of summary events.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exclude_from_summaries: bool,
    /// Migration flag settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration: Option<Migration>,
    /// Whether this is a deletion marker (tombstone).
    #[serde(default)]
    pub deleted: bool,
    /// Which flag value this is, for caches keyed by flag (not part of the JSON).
    #[serde(skip)]
    pub instance: InstanceId,
}

/// A number that tells apart every [`Flag`] value of the process: each flag parsed, built or
/// cloned gets a fresh one, so a cache keyed by it (such as the event summary's per-thread cells)
/// never confuses two flags, even when one is freed and another takes its address. Flags compare
/// equal regardless of it.
///
/// A flag changed in place keeps its id: caches keyed by it assume that a flag is not modified
/// once it is being evaluated (flags in a store are shared and immutable).
///
/// ```
/// use ld_eval::Flag;
/// let a: Flag = serde_json::from_str(r#"{"key":"f","version":1}"#).unwrap();
/// let b = a.clone();
/// assert_ne!(a.instance.get(), b.instance.get());
/// assert_eq!(a, b);
/// ```
#[derive(Debug, Eq)]
pub struct InstanceId(u64);

impl InstanceId {
    /// The id (never 0).
    #[inline]
    pub fn get(&self) -> u64 {
        self.0
    }
}

impl Default for InstanceId {
    fn default() -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        InstanceId(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }
}

impl Clone for InstanceId {
    /// A clone is another flag value: it gets a fresh id.
    fn clone(&self) -> Self {
        InstanceId::default()
    }
}

impl PartialEq for InstanceId {
    /// Always true: the id is not part of a flag's content.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Flag {
    /// Whether SDKs using the client-side environment id may see the flag.
    pub fn using_environment_id(&self) -> bool {
        self.client_side_availability
            .map_or(self.client_side, |a| a.using_environment_id)
    }

    /// Whether SDKs using the mobile key may see the flag.
    pub fn using_mobile_key(&self) -> bool {
        self.client_side_availability
            .is_none_or(|a| a.using_mobile_key)
    }

    /// Whether an evaluation with this reason must send a full event and its reason (rule or
    /// fallthrough tracking, or an experiment).
    pub fn is_experimentation_enabled(&self, reason: &crate::Reason) -> bool {
        use crate::ReasonKind;
        if reason.is_in_experiment() {
            return true;
        }
        match reason.kind {
            ReasonKind::Fallthrough { .. } => self.track_events_fallthrough,
            ReasonKind::RuleMatch { rule_index, .. } => {
                self.rules.get(rule_index).is_some_and(|r| r.track_events)
            }
            _ => false,
        }
    }

    /// A tombstone for a deleted flag.
    pub fn tombstone(key: impl Into<SharedStr>, version: u64) -> Flag {
        Flag {
            key: key.into(),
            version,
            on: false,
            prerequisites: Vec::new(),
            targets: Vec::new(),
            context_targets: Vec::new(),
            rules: Vec::new(),
            fallthrough: VariationOrRollout::Malformed,
            off_variation: None,
            variations: Vec::new(),
            salt: SharedStr::default(),
            client_side: false,
            client_side_availability: None,
            track_events: false,
            track_events_fallthrough: false,
            debug_events_until_date: None,
            sampling_ratio: None,
            exclude_from_summaries: false,
            migration: None,
            deleted: true,
            instance: InstanceId::default(),
        }
    }
}
