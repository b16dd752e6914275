//! Segments: reusable sets of contexts, prepared for evaluation on load.

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::attr_ref::AttrRef;
use crate::clause::Clause;
use crate::key_set::KeySet;
use crate::kind::Kind;

/// Keys of one context kind included in or excluded from a segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SegmentTarget {
    /// The context kind (absent: `user`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_kind: Option<Kind>,
    /// The keys.
    #[serde(default)]
    pub values: KeySet,
}

/// A segment rule: contexts matching all clauses (and, with a weight, falling in the bucket)
/// are in the segment.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentRule {
    /// The rule id (empty if none).
    pub id: Arc<str>,
    /// Clauses, all of which must match.
    pub clauses: Vec<Clause>,
    /// If set, only this share (out of 100,000) of matching contexts is included.
    pub weight: Option<f64>,
    /// Attribute to bucket by (absent: `key`).
    pub bucket_by: Option<AttrRef>,
    /// Context kind to bucket (absent: `user`, and `bucket_by` is a literal name).
    pub rollout_context_kind: Option<Kind>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SegmentRuleRepr<B> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<Arc<str>>,
    #[serde(default, deserialize_with = "crate::exact_vec::deserialize")]
    clauses: Vec<Clause>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    weight: Option<serde_json::Number>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bucket_by: Option<B>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rollout_context_kind: Option<Kind>,
}

impl Serialize for SegmentRule {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        SegmentRuleRepr {
            id: (!self.id.is_empty()).then(|| self.id.clone()),
            clauses: self.clauses.clone(),
            weight: self.weight.map(|w| {
                if w.fract() == 0.0 && w.abs() < 9.0e15 {
                    serde_json::Number::from(w as i64)
                } else {
                    serde_json::Number::from_f64(w).unwrap_or_else(|| 0.into())
                }
            }),
            bucket_by: self.bucket_by.as_ref(),
            rollout_context_kind: self.rollout_context_kind.clone(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for SegmentRule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r: SegmentRuleRepr<String> = SegmentRuleRepr::deserialize(d)?;
        Ok(SegmentRule::from_parts(
            r.id,
            r.clauses,
            r.weight.and_then(|w| w.as_f64()),
            r.bucket_by.as_deref(),
            r.rollout_context_kind,
        ))
    }
}

impl SegmentRule {
    /// A segment rule from its JSON fields as read (the serde path and the fast JSON reader).
    pub(crate) fn from_parts(
        id: Option<Arc<str>>,
        clauses: Vec<Clause>,
        weight: Option<f64>,
        bucket_by: Option<&str>,
        rollout_context_kind: Option<Kind>,
    ) -> SegmentRule {
        // Without a context kind (old-style data), `bucketBy` is a literal attribute name.
        let literal = rollout_context_kind.is_none();
        SegmentRule {
            id: id.unwrap_or_else(|| Arc::from("")),
            clauses,
            weight,
            bucket_by: bucket_by.map(|b| AttrRef::shared(b, literal)),
            rollout_context_kind,
        }
    }
}

/// A segment.
///
/// ```
/// use ld_eval::Segment;
/// let s: Segment = serde_json::from_str(r#"{"key": "beta", "version": 1, "salt": "x",
///     "included": ["a", "b"], "excluded": [], "rules": []}"#).unwrap();
/// assert!(s.included.contains("a"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Segment {
    /// The segment key.
    pub key: String,
    /// The data version.
    #[serde(default)]
    pub version: u64,
    /// User keys always in the segment.
    #[serde(default)]
    pub included: KeySet,
    /// User keys never in the segment (unless included).
    #[serde(default)]
    pub excluded: KeySet,
    /// Keys of other kinds always in the segment.
    #[serde(default, deserialize_with = "crate::exact_vec::deserialize")]
    pub included_contexts: Vec<SegmentTarget>,
    /// Keys of other kinds never in the segment (unless included).
    #[serde(default, deserialize_with = "crate::exact_vec::deserialize")]
    pub excluded_contexts: Vec<SegmentTarget>,
    /// Rules: a context matching any of them is in the segment.
    #[serde(default, deserialize_with = "crate::exact_vec::deserialize")]
    pub rules: Vec<SegmentRule>,
    /// The salt used in bucketing.
    #[serde(default)]
    pub salt: String,
    /// Whether this is a big segment, whose membership comes from a big segment store.
    #[serde(default)]
    pub unbounded: bool,
    /// The context kind of a big segment (absent: `user`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unbounded_context_kind: Option<Kind>,
    /// The big segment's generation; with `key` it names the segment in the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<i64>,
    /// Whether this is a deletion marker (tombstone).
    #[serde(default)]
    pub deleted: bool,
}

impl Segment {
    /// A tombstone for a deleted segment.
    pub fn tombstone(key: impl Into<String>, version: u64) -> Segment {
        Segment {
            key: key.into(),
            version,
            included: KeySet::default(),
            excluded: KeySet::default(),
            included_contexts: Vec::new(),
            excluded_contexts: Vec::new(),
            rules: Vec::new(),
            salt: String::new(),
            unbounded: false,
            unbounded_context_kind: None,
            generation: None,
            deleted: true,
        }
    }
}
