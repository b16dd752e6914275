//! Clauses: one test of one context attribute, prepared when the flag or segment is loaded.

use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::attr_ref::AttrRef;
use crate::borrowed_str::BorrowedStr;
use crate::context::{Context, SingleContext, kind_tag};
use crate::exact_vec::ExactVec;
use crate::key_set::{index_contains, position_index};
use crate::kind::Kind;
use crate::operator::{Op, json_equal};
use crate::semver::{SemVer, SemVerRef};
use crate::timestamp::Timestamp;

/// `in` clauses with more values than this get a hash set for their string values.
const IN_SET_MIN: usize = 4;

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
    values: Box<[Value]>,
    negate: bool,
    prepared: Prepared,
    /// The tested kind's lookup tag (see `Context::as_kind_tagged`), computed once.
    kind_tag: u64,
}

#[derive(Debug, Clone)]
enum Prepared {
    Plain,
    /// Long `in` lists: a hash index of the positions of the string values (the strings
    /// themselves stay in `values`, not copied), and whether there are other values.
    InSet {
        strings: Box<[u32]>,
        any_other: bool,
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
        Clause::with_attribute(
            context_kind,
            attribute,
            op,
            values.into_boxed_slice(),
            negate,
        )
    }

    /// [`Clause::new`] with the attribute reference already made.
    fn with_attribute(
        context_kind: Option<Kind>,
        attribute: AttrRef,
        op: Op,
        values: Box<[Value]>,
        negate: bool,
    ) -> Clause {
        let prepared = prepare(&op, &values);
        let kind_tag = kind_tag(context_kind.as_ref().map_or("user", Kind::as_str));
        Clause {
            kind_tag,
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
        if self.attribute.builtin() == crate::attr_ref::Builtin::Kind
            && self.attribute.component_count() == 1
        {
            let any = context
                .contexts()
                .iter()
                .any(|c| self.any_value_matches(&c.kind_value));
            return Ok(any != self.negate);
        }
        let Some(single) = context.as_kind_tagged(self.kind_str(), self.kind_tag) else {
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
            (Op::In, Prepared::InSet { strings, any_other }) => match attr {
                Value::String(_) if strings.is_empty() => false,
                Value::String(s) => {
                    index_contains(strings, s, |i| self.values[i].as_str() == Some(s.as_str()))
                }
                other => {
                    *any_other
                        && self
                            .values
                            .iter()
                            .any(|v| !v.is_string() && json_equal(other, v))
                }
            },
            // Short lists: strings (the common case) compare directly, anything else as JSON.
            (Op::In, _) => match attr {
                Value::String(a) => self.values.iter().any(|v| v.as_str() == Some(a.as_str())),
                _ => self.values.iter().any(|v| json_equal(attr, v)),
            },
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
            let strings = values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| Some((i, v.as_str()?)));
            let count = strings.clone().count();
            Prepared::InSet {
                strings: position_index(count, strings),
                any_other: values.iter().any(|v| !v.is_string()),
            }
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
        let r: ClauseRepr<Kind, BorrowedStr<'de>, Option<ExactVec<Value>>> =
            ClauseRepr::deserialize(d)?;
        // Old-style data (no kind) names attributes literally.
        let attribute = AttrRef::shared(&r.attribute, r.context_kind.is_none());
        Ok(Clause::with_attribute(
            r.context_kind,
            attribute,
            r.op,
            r.values.unwrap_or_default().0.into_boxed_slice(),
            r.negate,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ContextBuilder;
    use serde_json::json;

    fn matches(op: &str, attr: Value, values: Value) -> bool {
        matches_negated(op, attr, values, false)
    }

    fn matches_negated(op: &str, attr: Value, values: Value, negate: bool) -> bool {
        let clause = Clause::new(
            Some(Kind::user()),
            "a",
            Op::from_name(op),
            values.as_array().unwrap().clone(),
            negate,
        );
        let ctx = ContextBuilder::new("k").set("a", attr).build().unwrap();
        clause.matches_non_segment(&ctx).unwrap()
    }

    #[test]
    fn in_uses_json_equality_and_long_lists_use_a_set() {
        assert!(matches("in", json!("x"), json!(["y", "x"])));
        assert!(matches("in", json!(3), json!([3.0])));
        assert!(!matches("in", json!("3"), json!([3])));
        assert!(matches("in", json!({"b": 1}), json!([{"b": 1}])));
        let many: Vec<Value> = (0..50)
            .map(|i| json!(format!("v{i}")))
            .chain([json!(7)])
            .collect();
        assert!(matches("in", json!("v42"), json!(many)));
        assert!(matches("in", json!(7.0), json!(many)));
        assert!(!matches("in", json!("v50"), json!(many)));
    }

    #[test]
    fn string_operators_need_strings_on_both_sides() {
        assert!(matches("startsWith", json!("hello"), json!(["he"])));
        assert!(matches("endsWith", json!("hello"), json!(["lo"])));
        assert!(matches("contains", json!("hello"), json!(["ell"])));
        assert!(!matches("contains", json!("hello"), json!(["x", 1])));
        assert!(!matches("startsWith", json!(12), json!(["1"])));
    }

    #[test]
    fn matches_searches_with_precompiled_regexes_and_bad_patterns_never_match() {
        assert!(matches(
            "matches",
            json!("ann@example.com"),
            json!(["example\\.com$"])
        ));
        assert!(matches("matches", json!("xyz"), json!(["[", "y"])));
        assert!(!matches("matches", json!("xyz"), json!(["["])));
        assert!(!matches("matches", json!(5), json!(["5"])));
    }

    #[test]
    fn numeric_operators_compare_numbers_only() {
        assert!(matches("lessThan", json!(1), json!([1.5])));
        assert!(!matches("lessThan", json!(2), json!([2])));
        assert!(matches("lessThanOrEqual", json!(2), json!([2.0])));
        assert!(matches("greaterThan", json!(3), json!([2])));
        assert!(matches("greaterThanOrEqual", json!(-1), json!([-1])));
        assert!(!matches("greaterThan", json!("3"), json!([2])));
        assert!(!matches("greaterThan", json!(3), json!(["2"])));
    }

    #[test]
    fn date_operators_accept_millis_and_rfc3339() {
        let t = json!(["2020-01-01T00:00:00Z"]);
        assert!(matches("before", json!(1_577_836_799_999i64), t.clone()));
        assert!(!matches("before", json!(1_577_836_800_000i64), t.clone()));
        assert!(matches(
            "after",
            json!("2020-01-01T01:00:00+00:59"),
            t.clone()
        ));
        assert!(matches(
            "after",
            json!(1_577_836_800_001i64),
            json!([1_577_836_800_000i64])
        ));
        assert!(!matches("after", json!("not a date"), t.clone()));
        assert!(!matches("after", json!(true), t));
        assert!(!matches("after", json!(1), json!(["garbage"])));
    }

    #[test]
    fn semver_operators_use_relaxed_versions() {
        assert!(matches("semVerEqual", json!("2.0"), json!(["2.0.0"])));
        assert!(matches("semVerLessThan", json!("2.0.0-rc.1"), json!(["2"])));
        assert!(matches(
            "semVerGreaterThan",
            json!("2.0.1"),
            json!(["bad", "2.0.0"])
        ));
        assert!(!matches("semVerGreaterThan", json!("v3"), json!(["2.0.0"])));
        assert!(!matches("semVerEqual", json!(2), json!(["2"])));
    }

    #[test]
    fn arrays_match_if_any_element_matches_and_negate_inverts() {
        assert!(matches("in", json!(["a", "b"]), json!(["b"])));
        assert!(!matches("in", json!(["a", "b"]), json!(["c"])));
        assert!(matches_negated("in", json!(["a"]), json!(["c"]), true));
        assert!(!matches_negated("in", json!("c"), json!(["c"]), true));
    }

    #[test]
    fn missing_or_null_attributes_never_match_even_when_negated() {
        let clause = Clause::new(Some(Kind::user()), "nope", Op::In, vec![json!("x")], true);
        let ctx = ContextBuilder::new("k").build().unwrap();
        assert!(!clause.matches_non_segment(&ctx).unwrap());
        assert!(!matches_negated("in", json!(null), json!([null]), true));
        let org_clause = Clause::new(
            Some(Kind::from("org")),
            "key",
            Op::In,
            vec![json!("k")],
            true,
        );
        assert!(!org_clause.matches_non_segment(&ctx).unwrap());
    }

    #[test]
    fn unknown_operators_never_match() {
        assert!(!matches("futureOp", json!("x"), json!(["x"])));
    }

    #[test]
    fn the_kind_attribute_matches_any_kind_of_a_multi_context() {
        let clause = Clause::new(
            Some(Kind::user()),
            "kind",
            Op::In,
            vec![json!("org")],
            false,
        );
        let org = ContextBuilder::new("o").kind("org").build().unwrap();
        let user = ContextBuilder::new("u").build().unwrap();
        let multi = crate::MultiContextBuilder::new()
            .push(user.clone())
            .push(org)
            .build()
            .unwrap();
        assert!(clause.matches_non_segment(&multi).unwrap());
        assert!(!clause.matches_non_segment(&user).unwrap());
    }

    #[test]
    fn old_style_clauses_use_literal_attribute_names() {
        let clause = Clause::new(None, "/a", Op::In, vec![json!(1)], false);
        let ctx = ContextBuilder::new("k")
            .set("/a", json!(1))
            .build()
            .unwrap();
        assert!(clause.matches_non_segment(&ctx).unwrap());
        let invalid = Clause::new(Some(Kind::user()), "", Op::In, vec![json!(1)], false);
        assert_eq!(invalid.matches_non_segment(&ctx), Err(InvalidAttribute));
    }
}
