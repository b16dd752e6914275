//! Clauses: one test of one context attribute, prepared when the flag or segment is loaded.

use std::collections::HashSet;

use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::attr_ref::AttrRef;
use crate::context::{Context, SingleContext};
use crate::fast_hash::FastBuildHasher;
use crate::kind::Kind;
use crate::operator::{Op, json_equal};
use crate::semver::{SemVer, SemVerRef};
use crate::timestamp::Timestamp;

/// `in` clauses with more values than this get a hash set for their string values.
const IN_SET_MIN: usize = 8;

/// A clause of a flag rule or segment rule.
///
/// Built by deserializing LaunchDarkly JSON or with [`Clause::new`]; either way its values are
/// prepared at once (regexes compiled, versions and times parsed, long `in` lists hashed). A value
/// that cannot be prepared (for example an invalid regex) simply never matches.
///
/// ```
/// use ld_eval::{Clause, Op};
/// use serde_json::json;
/// let c: Clause = serde_json::from_value(json!({
///     "contextKind": "user", "attribute": "email", "op": "matches",
///     "values": ["@example\\.com$"], "negate": false
/// })).unwrap();
/// assert_eq!(c.op(), &Op::Matches);
/// assert_eq!(c.attribute().as_str(), "email");
/// ```
#[derive(Debug, Clone)]
pub struct Clause {
    context_kind: Option<Kind>,
    attribute: AttrRef,
    op: Op,
    values: Vec<Value>,
    negate: bool,
    prepared: Prepared,
}

#[derive(Debug, Clone)]
enum Prepared {
    Plain,
    InSet {
        strings: HashSet<Box<str>, FastBuildHasher>,
        others: Vec<Value>,
    },
    Regexes(Box<[Option<Regex>]>),
    Times(Box<[Option<Timestamp>]>),
    Versions(Box<[Option<SemVer>]>),
}

/// A clause whose attribute reference is invalid: evaluation reports `MALFORMED_FLAG`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InvalidAttribute;

impl Clause {
    /// Makes and prepares a clause. `context_kind: None` means old-style data: the kind is `user`
    /// and `attribute` is a literal attribute name rather than a reference.
    pub fn new(
        context_kind: Option<Kind>,
        attribute: &str,
        op: Op,
        values: Vec<Value>,
        negate: bool,
    ) -> Clause {
        let attribute = if context_kind.is_some() {
            AttrRef::new(attribute)
        } else {
            AttrRef::literal(attribute)
        };
        let prepared = prepare(&op, &values);
        Clause {
            context_kind,
            attribute,
            op,
            values,
            negate,
            prepared,
        }
    }

    /// The context kind the clause tests (`None`: old-style data, meaning `user`).
    pub fn context_kind(&self) -> Option<&Kind> {
        self.context_kind.as_ref()
    }

    /// The attribute tested.
    pub fn attribute(&self) -> &AttrRef {
        &self.attribute
    }

    /// The operator.
    pub fn op(&self) -> &Op {
        &self.op
    }

    /// The clause values.
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// Whether the result is negated.
    pub fn negate(&self) -> bool {
        self.negate
    }

    fn kind_str(&self) -> &str {
        self.context_kind.as_ref().map_or("user", Kind::as_str)
    }

    /// Matches every clause except `segmentMatch` (which needs segment data).
    pub(crate) fn matches_non_segment(&self, context: &Context) -> Result<bool, InvalidAttribute> {
        if !self.attribute.is_valid() {
            return Err(InvalidAttribute);
        }
        if self.attribute.is_top_level("kind") {
            let any = context
                .contexts()
                .iter()
                .any(|c| self.any_value_matches(&c.kind_value));
            return Ok(any != self.negate);
        }
        let Some(single) = context.as_kind(self.kind_str()) else {
            return Ok(false);
        };
        Ok(self.matches_single(single))
    }

    fn matches_single(&self, single: &SingleContext) -> bool {
        match single.get(&self.attribute) {
            None | Some(Value::Null) => false,
            Some(Value::Array(items)) => {
                items.iter().any(|item| self.any_value_matches(item)) != self.negate
            }
            Some(v) => self.any_value_matches(v) != self.negate,
        }
    }

    /// Whether any clause value matches one attribute value under the operator.
    fn any_value_matches(&self, attr: &Value) -> bool {
        match (&self.op, &self.prepared) {
            (Op::In, Prepared::InSet { strings, others }) => match attr {
                Value::String(s) => strings.contains(s.as_str()),
                other => others.iter().any(|v| json_equal(other, v)),
            },
            (Op::In, _) => self.values.iter().any(|v| json_equal(attr, v)),
            (Op::StartsWith, _) => self.any_str(attr, |a, v| a.starts_with(v)),
            (Op::EndsWith, _) => self.any_str(attr, |a, v| a.ends_with(v)),
            (Op::Contains, _) => self.any_str(attr, |a, v| a.contains(v)),
            (Op::Matches, Prepared::Regexes(res)) => match attr.as_str() {
                Some(a) => res.iter().flatten().any(|re| re.is_match(a)),
                None => false,
            },
            (Op::LessThan, _) => self.any_num(attr, |a, v| a < v),
            (Op::LessThanOrEqual, _) => self.any_num(attr, |a, v| a <= v),
            (Op::GreaterThan, _) => self.any_num(attr, |a, v| a > v),
            (Op::GreaterThanOrEqual, _) => self.any_num(attr, |a, v| a >= v),
            (Op::Before | Op::After, Prepared::Times(times)) => {
                let Some(a) = Timestamp::from_json(attr) else {
                    return false;
                };
                let before = self.op == Op::Before;
                times
                    .iter()
                    .flatten()
                    .any(|t| if before { a < *t } else { a > *t })
            }
            (
                Op::SemVerEqual | Op::SemVerLessThan | Op::SemVerGreaterThan,
                Prepared::Versions(vs),
            ) => {
                let Some(a) = attr.as_str().and_then(SemVerRef::parse) else {
                    return false;
                };
                vs.iter().flatten().any(|v| {
                    let o = a.cmp(&v.as_ref());
                    match self.op {
                        Op::SemVerEqual => o.is_eq(),
                        Op::SemVerLessThan => o.is_lt(),
                        _ => o.is_gt(),
                    }
                })
            }
            _ => false,
        }
    }

    #[inline]
    fn any_str(&self, attr: &Value, f: impl Fn(&str, &str) -> bool) -> bool {
        match attr.as_str() {
            Some(a) => self
                .values
                .iter()
                .any(|v| v.as_str().is_some_and(|v| f(a, v))),
            None => false,
        }
    }

    #[inline]
    fn any_num(&self, attr: &Value, f: impl Fn(f64, f64) -> bool) -> bool {
        match attr {
            Value::Number(a) => match a.as_f64() {
                Some(a) => self
                    .values
                    .iter()
                    .any(|v| v.as_f64().is_some_and(|v| f(a, v))),
                None => false,
            },
            _ => false,
        }
    }
}

fn prepare(op: &Op, values: &[Value]) -> Prepared {
    match op {
        Op::In if values.len() > IN_SET_MIN => {
            let mut strings = HashSet::default();
            let mut others = Vec::new();
            for v in values {
                match v {
                    Value::String(s) => {
                        strings.insert(Box::from(s.as_str()));
                    }
                    other => others.push(other.clone()),
                }
            }
            Prepared::InSet { strings, others }
        }
        Op::Matches => Prepared::Regexes(
            values
                .iter()
                .map(|v| v.as_str().and_then(|p| Regex::new(p).ok()))
                .collect(),
        ),
        Op::Before | Op::After => {
            Prepared::Times(values.iter().map(Timestamp::from_json).collect())
        }
        Op::SemVerEqual | Op::SemVerLessThan | Op::SemVerGreaterThan => Prepared::Versions(
            values
                .iter()
                .map(|v| v.as_str().and_then(SemVer::parse))
                .collect(),
        ),
        _ => Prepared::Plain,
    }
}

impl PartialEq for Clause {
    fn eq(&self, other: &Self) -> bool {
        self.context_kind == other.context_kind
            && self.attribute == other.attribute
            && self.op == other.op
            && self.values == other.values
            && self.negate == other.negate
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClauseRepr<K, A, V> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    context_kind: Option<K>,
    #[serde(default)]
    attribute: A,
    op: Op,
    #[serde(default)]
    values: V,
    #[serde(default)]
    negate: bool,
}

impl Serialize for Clause {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ClauseRepr {
            context_kind: self.context_kind.as_ref(),
            attribute: self.attribute.as_str(),
            op: self.op.clone(),
            values: &self.values,
            negate: self.negate,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Clause {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r: ClauseRepr<Kind, String, Option<Vec<Value>>> = ClauseRepr::deserialize(d)?;
        Ok(Clause::new(
            r.context_kind,
            &r.attribute,
            r.op,
            r.values.unwrap_or_default(),
            r.negate,
        ))
    }
}
