//! Clauses: one test of one context attribute, prepared when the flag or segment is loaded.

use std::cmp::Ordering;
use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::attr_ref::AttrRef;
use crate::borrowed_str::BorrowedStr;
use crate::clause_values::{ClauseValues, length_bit, short_bytes_eq};
use crate::context::{Context, SingleContext, kind_tag};
use crate::key_set::{index_contains, position_index};
use crate::kind::Kind;
use crate::operator::{Op, json_equal};
use crate::semver::{SemVer, any_version_is, version_is};
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
    /// The values, compact when they are all strings (see [`ClauseValues`]).
    values: ClauseValues,
    /// The compact values as JSON values, made when [`Clause::values`] is first asked for.
    values_json: OnceLock<Box<[Value]>>,
    negate: bool,
    prepared: Prepared,
    /// The tested kind's lookup tag (see `Context::as_kind_tagged`), computed once.
    kind_tag: u64,
    /// How the attribute is found, decided once.
    access: Access,
}

/// How a clause finds its attribute in a context, decided when the clause is prepared.
#[derive(Debug, Clone, Copy)]
enum Access {
    /// A top-level custom attribute whose name is shorter than 16 bytes (the usual case: `email`,
    /// `country`, `appVersion`), identified by its exact name tag (see
    /// `Attributes::get_short`), in a non-`segmentMatch` clause: decided by
    /// [`Clause::try_fast`] without the general path's checks.
    ShortCustom([u64; 2]),
    /// Everything else: the built-in attributes, paths, long names, invalid references and
    /// `segmentMatch` clauses.
    General,
}

#[derive(Debug, Clone)]
enum Prepared {
    Plain,
    /// `in` with a short list of strings only: [`ClauseValues::short_contains`], after a look
    /// at the strings' lengths (see [`ClauseValues::length_mask`]) that turns away most
    /// strings not in the list without reading it.
    InStrs {
        lengths: u64,
    },
    /// `in` with a long list of strings only: [`ClauseValues::long_contains`].
    InStrsSet,
    /// `in` with a short list holding other values: the values are compared in turn.
    InList,
    /// Long `in` lists: a hash index of the positions of the string values (the strings
    /// themselves stay in `values`, not copied), and whether there are other values.
    InSet {
        strings: Box<[u32]>,
        any_other: bool,
    },
    Regexes(Box<[Option<Regex>]>),
    Times(Box<[Option<Timestamp>]>),
    /// The semver operators: the clause values that are versions (the others never match), and
    /// how an attribute's version must compare with one of them.
    Versions {
        versions: Box<[SemVer]>,
        want: Ordering,
    },
    /// [`Prepared::Versions`] with a single version without a pre-release part (the usual
    /// case), kept inline as its major, minor and patch numbers.
    Version {
        core: [u64; 3],
        want: Ordering,
    },
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
            ClauseValues::from_json(values),
            negate,
        )
    }

    /// [`Clause::new`] with the attribute reference already made (as [`AttrRef::shared`] makes
    /// it: literal when `context_kind` is `None`).
    pub(crate) fn with_attribute(
        context_kind: Option<Kind>,
        attribute: AttrRef,
        op: Op,
        values: ClauseValues,
        negate: bool,
    ) -> Clause {
        // Evaluating these reads the values as strings, not bytes: keep their text where it
        // needs no check.
        let values = match op {
            Op::Contains | Op::SegmentMatch => values.with_text_on_heap(),
            _ => values,
        };
        let prepared = prepare(&op, &values);
        let kind_tag = kind_tag(context_kind.as_ref().map_or("user", Kind::as_str));
        let access = access_of(&attribute, &op);
        Clause {
            kind_tag,
            access,
            context_kind,
            attribute,
            op,
            values,
            values_json: OnceLock::new(),
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
    ///
    /// A clause keeps values that are all strings in a compact form and makes this list of JSON
    /// values the first time it is asked for; [`Clause::string_values`] reads them as they are.
    pub fn values(&self) -> &[Value] {
        match &self.values {
            ClauseValues::Json(values) => values,
            compact => self.values_json.get_or_init(|| compact.to_json()),
        }
    }

    /// The clause values that are strings, in order (other values are skipped): segment keys
    /// for `segmentMatch`, for instance.
    ///
    /// ```
    /// use ld_eval::{Clause, Kind, Op};
    /// use serde_json::json;
    /// let c = Clause::new(Some(Kind::user()), "key", Op::SegmentMatch,
    ///     vec![json!("beta"), json!(3), json!("staff")], false);
    /// assert_eq!(c.string_values().collect::<Vec<_>>(), ["beta", "staff"]);
    /// ```
    pub fn string_values(&self) -> impl Iterator<Item = &str> + '_ {
        self.values.strs()
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

    /// Decides the clause at once when its attribute is a short top-level custom attribute and
    /// its operator is not `segmentMatch` (see [`Access::ShortCustom`]); `None` otherwise, and the
    /// caller takes the general path ([`Clause::matches_non_segment`] or segment matching).
    /// Inlined into the evaluator's rule loop: this is the hot path of most rules.
    #[inline(always)]
    pub(crate) fn try_fast(&self, context: &Context) -> Option<bool> {
        let Access::ShortCustom(tag) = self.access else {
            return None;
        };
        let single = if self.kind_tag & 0xFF < 8 {
            // The tag holds the whole kind.
            context.member_with_exact_tag(self.kind_tag)
        } else {
            context.as_kind_tagged(self.kind_str(), self.kind_tag)
        };
        let Some(single) = single else {
            return Some(false);
        };
        let tag = u128::from(tag[0]) | (u128::from(tag[1]) << 64);
        Some(match single.attributes.get_short(tag) {
            None => false,
            Some(v) => self.matches_value(v),
        })
    }

    fn matches_single(&self, single: &SingleContext) -> bool {
        match single.get(&self.attribute) {
            None => false,
            Some(v) => self.matches_value(v),
        }
    }

    /// Whether the clause matches a context attribute's value: a string is tested directly, an
    /// array if any element matches; `null` never matches, even when negated.
    #[inline(always)]
    fn matches_value(&self, v: &Value) -> bool {
        let any = match v {
            Value::Null => return false,
            Value::String(s) => self.str_matches(v, s),
            Value::Array(items) => items.iter().any(|item| self.any_value_matches(item)),
            other => self.any_value_matches(other),
        };
        any != self.negate
    }

    /// [`Clause::any_value_matches`] for a string attribute value `attr` (`s` is its text), with
    /// the common operators inline.
    #[inline(always)]
    fn str_matches(&self, attr: &Value, s: &str) -> bool {
        match &self.prepared {
            Prepared::InStrs { lengths } => {
                lengths & length_bit(s.len()) != 0 && self.values.short_contains(s)
            }
            Prepared::InList => {
                for v in self.values.json() {
                    if matches!(v, Value::String(x) if short_str_eq(x, s)) {
                        return true;
                    }
                }
                false
            }
            Prepared::Versions { versions, want } => any_version_is(s, versions, *want),
            Prepared::Version { core, want } => version_is(s, core, *want),
            _ => self.any_value_matches(attr),
        }
    }

    /// Whether any clause value matches one attribute value under the operator.
    #[inline(never)]
    fn any_value_matches(&self, attr: &Value) -> bool {
        match (&self.op, &self.prepared) {
            (Op::In, Prepared::InStrs { .. }) => match attr {
                Value::String(s) => self.values.short_contains(s),
                _ => false,
            },
            (Op::In, Prepared::InStrsSet) => match attr {
                Value::String(s) => self.values.long_contains(s),
                _ => false,
            },
            (Op::In, Prepared::InSet { strings, any_other }) => {
                let values = self.values.json();
                match attr {
                    Value::String(_) if strings.is_empty() => false,
                    Value::String(s) => {
                        index_contains(strings, s, |i| values[i].as_str() == Some(s.as_str()))
                    }
                    other => {
                        *any_other
                            && values
                                .iter()
                                .any(|v| !v.is_string() && json_equal(other, v))
                    }
                }
            }
            // Short lists: strings (the common case) compare directly, anything else as JSON.
            (Op::In, _) => match attr {
                Value::String(a) => self
                    .values
                    .json()
                    .iter()
                    .any(|v| matches!(v, Value::String(x) if short_str_eq(x, a))),
                _ => self.values.json().iter().any(|v| json_equal(attr, v)),
            },
            (Op::StartsWith, _) => match attr.as_str() {
                Some(a) => self.values.any_str_bytes(|v| a.as_bytes().starts_with(v)),
                None => false,
            },
            (Op::EndsWith, _) => match attr.as_str() {
                Some(a) => self.values.any_str_bytes(|v| a.as_bytes().ends_with(v)),
                None => false,
            },
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
            (_, Prepared::Versions { versions, want }) => match attr.as_str() {
                Some(a) => any_version_is(a, versions, *want),
                None => false,
            },
            (_, Prepared::Version { core, want }) => match attr.as_str() {
                Some(a) => version_is(a, core, *want),
                None => false,
            },
            _ => false,
        }
    }

    #[inline]
    fn any_str(&self, attr: &Value, f: impl Fn(&str, &str) -> bool) -> bool {
        match attr.as_str() {
            Some(a) => self.values.strs().any(|v| f(a, v)),
            None => false,
        }
    }

    #[inline]
    fn any_num(&self, attr: &Value, f: impl Fn(f64, f64) -> bool) -> bool {
        match attr {
            Value::Number(a) => match a.as_f64() {
                Some(a) => self
                    .values
                    .json()
                    .iter()
                    .any(|v| v.as_f64().is_some_and(|v| f(a, v))),
                None => false,
            },
            _ => false,
        }
    }
}

fn prepare(op: &Op, values: &ClauseValues) -> Prepared {
    let ClauseValues::Json(values) = values else {
        return prepare_strings(op, values);
    };
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
        Op::In => Prepared::InList,
        Op::SemVerEqual | Op::SemVerLessThan | Op::SemVerGreaterThan => {
            prepare_versions(op, values.iter().filter_map(Value::as_str))
        }
        _ => Prepared::Plain,
    }
}

/// The versions of a semver clause: inline when there is one without a pre-release part, else
/// in a list allocated at its exact size.
fn prepare_versions<'v>(op: &Op, strings: impl Iterator<Item = &'v str> + Clone) -> Prepared {
    let want = match op {
        Op::SemVerEqual => Ordering::Equal,
        Op::SemVerLessThan => Ordering::Less,
        _ => Ordering::Greater,
    };
    let mut versions = strings.filter_map(SemVer::parse);
    let count = versions.clone().count();
    if count == 1
        && let Some(core) = versions.clone().next().and_then(|v| v.plain_core())
    {
        return Prepared::Version { core, want };
    }
    let mut list = Vec::with_capacity(count);
    list.extend(versions.by_ref());
    Prepared::Versions {
        versions: list.into_boxed_slice(),
        want,
    }
}

/// [`prepare`] for a list of strings only.
fn prepare_strings(op: &Op, values: &ClauseValues) -> Prepared {
    match op {
        Op::In if values.is_short() => Prepared::InStrs {
            lengths: values.length_mask(),
        },
        Op::In => Prepared::InStrsSet,
        Op::Matches => Prepared::Regexes(values.strs().map(|p| Regex::new(p).ok()).collect()),
        Op::Before | Op::After => {
            Prepared::Times(values.strs().map(Timestamp::parse_rfc3339).collect())
        }
        Op::SemVerEqual | Op::SemVerLessThan | Op::SemVerGreaterThan => {
            prepare_versions(op, values.strs())
        }
        _ => Prepared::Plain,
    }
}

fn access_of(attribute: &AttrRef, op: &Op) -> Access {
    let tag = attribute.first_tag();
    if *op != Op::SegmentMatch
        && attribute.is_valid()
        && attribute.component_count() == 1
        && attribute.builtin() == crate::attr_ref::Builtin::Custom
        && crate::attributes::Attributes::is_exact_tag(tag)
    {
        Access::ShortCustom([tag as u64, (tag >> 64) as u64])
    } else {
        Access::General
    }
}

/// String equality, with strings of up to 16 bytes compared in registers.
#[inline(always)]
fn short_str_eq(a: &str, b: &str) -> bool {
    short_bytes_eq(a.as_bytes(), b.as_bytes())
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
        let r: ClauseRepr<Kind, BorrowedStr<'de>, Option<ClauseValues>> =
            ClauseRepr::deserialize(d)?;
        Ok(Clause::from_parts(
            r.context_kind,
            &r.attribute,
            r.op,
            r.values.unwrap_or_default(),
            r.negate,
        ))
    }
}

impl Clause {
    /// A clause from its JSON fields as read (the serde path and the fast JSON reader).
    pub(crate) fn from_parts(
        context_kind: Option<Kind>,
        attribute: &str,
        op: Op,
        values: ClauseValues,
        negate: bool,
    ) -> Clause {
        // Old-style data (no kind) names attributes literally.
        let attribute = AttrRef::shared(attribute, context_kind.is_none());
        Clause::with_attribute(context_kind, attribute, op, values, negate)
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

    /// The same clause with its fast path switched off.
    fn general(clause: &Clause) -> Clause {
        Clause {
            access: Access::General,
            ..clause.clone()
        }
    }

    /// What `in` and the semver operators mean for one attribute value, written plainly:
    /// JSON equality with any value; or a comparison of versions read by the general parser.
    fn reference(op: &str, values: &[Value], attr: &Value) -> Option<bool> {
        use crate::semver::SemVerRef;
        let want = match op {
            "in" => return Some(values.iter().any(|v| json_equal(attr, v))),
            "semVerEqual" => Ordering::Equal,
            "semVerLessThan" => Ordering::Less,
            "semVerGreaterThan" => Ordering::Greater,
            _ => return None,
        };
        let Some(a) = attr.as_str().and_then(SemVerRef::parse_general) else {
            return Some(false);
        };
        Some(values.iter().any(|v| {
            v.as_str()
                .and_then(SemVerRef::parse_general)
                .is_some_and(|v| a.cmp(&v) == want)
        }))
    }

    #[test]
    fn the_fast_path_agrees_with_the_general_path_for_every_operator_and_value_type() {
        let attribute_values = [
            json!("2.5.0"),
            json!("2.5.1"),
            json!("2.5.0-rc.1"),
            json!("v2"),
            json!("enterprise"),
            json!("enterprisf"),
            json!("no"),
            json!("ann@example.com"),
            json!("a-string-longer-than-sixteen-bytes"),
            json!(""),
            json!(3),
            json!(2.5),
            json!(1_577_836_800_000i64),
            json!("2020-01-01T00:00:00Z"),
            json!(true),
            json!(null),
            json!(["x", "no", 3]),
            json!([]),
            json!({"a": 1}),
        ];
        let clause_values = [
            json!(["2.5.0"]),
            json!(["bad", "2.5.0", "3"]),
            json!(["enterprise"]),
            json!(["no", "se"]),
            json!(["a-string-longer-than-sixteen-bytes", 3, true]),
            json!(["a", "b", "c", "d", "no", 3]),
            json!(["example\\.com$", "["]),
            json!([3, 2.5]),
            json!(["2020-01-01T00:00:00Z"]),
            json!([""]),
            json!([null]),
            json!([]),
        ];
        let ops = [
            "in",
            "endsWith",
            "startsWith",
            "matches",
            "contains",
            "lessThan",
            "lessThanOrEqual",
            "greaterThan",
            "greaterThanOrEqual",
            "before",
            "after",
            "semVerEqual",
            "semVerLessThan",
            "semVerGreaterThan",
            "futureOp",
        ];
        let mut contexts = Vec::new();
        for value in &attribute_values {
            let user = ContextBuilder::new("u")
                .set("attr", value.clone())
                .build()
                .unwrap();
            let org = ContextBuilder::new("o")
                .kind("org")
                .set("attr", value.clone())
                .build()
                .unwrap();
            let long_kind = ContextBuilder::new("d")
                .kind("long-kind-name")
                .set("attr", value.clone())
                .build()
                .unwrap();
            let multi = crate::MultiContextBuilder::new()
                .push(org.clone())
                .push(ContextBuilder::new("u").build().unwrap())
                .push(long_kind.clone())
                .build()
                .unwrap();
            contexts.extend([user, org, long_kind, multi]);
        }
        contexts.push(ContextBuilder::new("bare").build().unwrap());
        let mut checked = 0;
        for op in ops {
            for values in &clause_values {
                for kind in ["user", "org", "long-kind-name", "absent"] {
                    for negate in [false, true] {
                        let values = values.as_array().unwrap().clone();
                        let clause = Clause::new(
                            Some(Kind::from(kind)),
                            "attr",
                            Op::from_name(op),
                            values,
                            negate,
                        );
                        assert!(matches!(clause.access, Access::ShortCustom(_)));
                        let slow = general(&clause);
                        for ctx in &contexts {
                            let fast = clause.try_fast(ctx).expect("the fast path applies");
                            assert_eq!(
                                Ok(fast),
                                slow.matches_non_segment(ctx),
                                "{op} {:?} negate={negate} kind={kind} {ctx:?}",
                                clause.values()
                            );
                            // An independent statement of `in` and the semver operators for
                            // single (non-array, non-null) values.
                            let attr = ctx.as_kind(kind).and_then(|c| c.attributes().get("attr"));
                            if let Some(a) = attr.filter(|a| !a.is_array() && !a.is_null())
                                && let Some(expected) = reference(op, clause.values(), a)
                            {
                                assert_eq!(
                                    fast,
                                    expected != negate,
                                    "{op} {a} {:?}",
                                    clause.values()
                                );
                            }
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 50_000);
    }

    #[test]
    fn only_short_top_level_custom_attributes_of_non_segment_clauses_take_the_fast_path() {
        let access = |kind: Option<Kind>, attr: &str, op: Op| {
            matches!(
                Clause::new(kind, attr, op, vec![json!("x")], false).access,
                Access::ShortCustom(_)
            )
        };
        assert!(access(Some(Kind::user()), "appVersion", Op::In));
        assert!(access(Some(Kind::user()), "/appVersion", Op::In));
        assert!(access(None, "/a", Op::In));
        assert!(access(Some(Kind::user()), "fifteen-bytes-1", Op::In));
        assert!(!access(Some(Kind::user()), "sixteen-bytes-12", Op::In));
        assert!(!access(Some(Kind::user()), "key", Op::In));
        assert!(!access(Some(Kind::user()), "name", Op::In));
        assert!(!access(Some(Kind::user()), "kind", Op::In));
        assert!(!access(Some(Kind::user()), "anonymous", Op::In));
        assert!(!access(Some(Kind::user()), "/a/b", Op::In));
        assert!(!access(Some(Kind::user()), "", Op::In));
        assert!(!access(Some(Kind::user()), "segment", Op::SegmentMatch));
    }

    #[test]
    fn short_string_equality_agrees_with_byte_equality() {
        let base: Vec<u8> = (0..20u8).map(|i| b'a' + i).collect();
        for len in 0..=base.len() {
            let a = std::str::from_utf8(&base[..len]).unwrap();
            assert!(short_str_eq(a, a));
            for other_len in 0..=base.len() {
                let b = std::str::from_utf8(&base[..other_len]).unwrap();
                assert_eq!(short_str_eq(a, b), a == b, "{a:?} {b:?}");
            }
            for at in 0..len {
                let mut changed = base[..len].to_vec();
                changed[at] = b'Z';
                let b = std::str::from_utf8(&changed).unwrap();
                assert!(!short_str_eq(a, b) && !short_str_eq(b, a), "{a:?} {b:?}");
            }
        }
    }
}
