//! Clause operators and how each compares one attribute value with one clause value.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// A clause operator, as named in LaunchDarkly's flag JSON.
///
/// Unknown operator names are kept (so data round-trips) and never match.
///
/// ```
/// use ld_eval::Op;
/// let op: Op = serde_json::from_str("\"semVerLessThan\"").unwrap();
/// assert_eq!(op, Op::SemVerLessThan);
/// let unknown: Op = serde_json::from_str("\"futureOp\"").unwrap();
/// assert_eq!(serde_json::to_string(&unknown).unwrap(), "\"futureOp\"");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Op {
    /// Equal to one of the values (JSON equality, numbers compared numerically).
    In,
    /// String ends with the value.
    EndsWith,
    /// String starts with the value.
    StartsWith,
    /// String matches the regular expression (search, not full match).
    Matches,
    /// String contains the value.
    Contains,
    /// Number less than the value.
    LessThan,
    /// Number less than or equal to the value.
    LessThanOrEqual,
    /// Number greater than the value.
    GreaterThan,
    /// Number greater than or equal to the value.
    GreaterThanOrEqual,
    /// Time before the value.
    Before,
    /// Time after the value.
    After,
    /// Semantic version equal to the value.
    SemVerEqual,
    /// Semantic version lower than the value.
    SemVerLessThan,
    /// Semantic version higher than the value.
    SemVerGreaterThan,
    /// The context is in one of the segments named by the values.
    SegmentMatch,
    /// An operator this evaluator does not know; never matches.
    Unknown(Box<str>),
}

impl Op {
    /// The operator's JSON name.
    pub fn name(&self) -> &str {
        match self {
            Op::In => "in",
            Op::EndsWith => "endsWith",
            Op::StartsWith => "startsWith",
            Op::Matches => "matches",
            Op::Contains => "contains",
            Op::LessThan => "lessThan",
            Op::LessThanOrEqual => "lessThanOrEqual",
            Op::GreaterThan => "greaterThan",
            Op::GreaterThanOrEqual => "greaterThanOrEqual",
            Op::Before => "before",
            Op::After => "after",
            Op::SemVerEqual => "semVerEqual",
            Op::SemVerLessThan => "semVerLessThan",
            Op::SemVerGreaterThan => "semVerGreaterThan",
            Op::SegmentMatch => "segmentMatch",
            Op::Unknown(name) => name,
        }
    }

    /// The operator with the given JSON name.
    pub fn from_name(name: &str) -> Op {
        match name {
            "in" => Op::In,
            "endsWith" => Op::EndsWith,
            "startsWith" => Op::StartsWith,
            "matches" => Op::Matches,
            "contains" => Op::Contains,
            "lessThan" => Op::LessThan,
            "lessThanOrEqual" => Op::LessThanOrEqual,
            "greaterThan" => Op::GreaterThan,
            "greaterThanOrEqual" => Op::GreaterThanOrEqual,
            "before" => Op::Before,
            "after" => Op::After,
            "semVerEqual" => Op::SemVerEqual,
            "semVerLessThan" => Op::SemVerLessThan,
            "semVerGreaterThan" => Op::SemVerGreaterThan,
            "segmentMatch" => Op::SegmentMatch,
            other => Op::Unknown(Box::from(other)),
        }
    }
}

impl Serialize for Op {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Op {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Borrowed from the input: reading an operator allocates nothing.
        Ok(Op::from_name(
            &crate::borrowed_str::BorrowedStr::deserialize(d)?,
        ))
    }
}

/// JSON equality as LaunchDarkly's `in` operator sees it: numbers compare by numeric value,
/// objects by their entries regardless of order.
pub(crate) fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Null, Value::Null) => true,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_operator_name_round_trips() {
        for name in [
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
            "segmentMatch",
            "whatever",
        ] {
            assert_eq!(Op::from_name(name).name(), name);
        }
        assert_eq!(Op::from_name("whatever"), Op::Unknown("whatever".into()));
    }

    #[test]
    fn json_equality_compares_numbers_numerically_and_objects_unordered() {
        assert!(json_equal(&json!(1), &json!(1.0)));
        assert!(json_equal(&json!(0.0), &json!(-0.0)));
        assert!(!json_equal(&json!(1), &json!("1")));
        assert!(json_equal(
            &json!({"a": 1, "b": [2]}),
            &json!({"b": [2.0], "a": 1})
        ));
        assert!(!json_equal(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert!(!json_equal(&json!([1]), &json!([1, 2])));
        assert!(json_equal(&json!(null), &json!(null)));
    }
}
