//! The value types a typed variation method can return.

use serde_json::Value;

/// A type a flag's JSON value converts to for the typed variation methods.
///
/// A flag value that does not convert gives the caller's default with an `ERROR`/`WRONG_TYPE`
/// reason. Integers accept any JSON number (fractions are truncated toward zero, as in
/// LaunchDarkly's SDKs); floats accept any JSON number.
pub(crate) trait FlagValue: Sized {
    /// Converts a flag's value, or `None` if it has the wrong JSON type.
    fn from_flag_value(value: &Value) -> Option<Self>;
    /// The value as JSON (for events and hooks).
    fn to_json(&self) -> Value;
}

impl FlagValue for bool {
    fn from_flag_value(value: &Value) -> Option<Self> {
        value.as_bool()
    }
    fn to_json(&self) -> Value {
        Value::Bool(*self)
    }
}

impl FlagValue for String {
    fn from_flag_value(value: &Value) -> Option<Self> {
        value.as_str().map(str::to_owned)
    }
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }
}

impl FlagValue for i64 {
    fn from_flag_value(value: &Value) -> Option<Self> {
        // Truncation toward zero is the documented behaviour for fractional values.
        value.as_i64().or_else(|| value.as_f64().map(|f| f as i64))
    }
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}

impl FlagValue for f64 {
    fn from_flag_value(value: &Value) -> Option<Self> {
        value.as_f64()
    }
    fn to_json(&self) -> Value {
        serde_json::Number::from_f64(*self).map_or(Value::Null, Value::Number)
    }
}

impl FlagValue for Value {
    fn from_flag_value(value: &Value) -> Option<Self> {
        Some(value.clone())
    }
    fn to_json(&self) -> Value {
        self.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_truncate_fractions_toward_zero() {
        assert_eq!(i64::from_flag_value(&json!(2.9)), Some(2));
        assert_eq!(i64::from_flag_value(&json!(-2.9)), Some(-2));
        assert_eq!(i64::from_flag_value(&json!("2")), None);
    }

    #[test]
    fn floats_accept_integers_and_bools_accept_only_bools() {
        assert_eq!(f64::from_flag_value(&json!(3)), Some(3.0));
        assert_eq!(bool::from_flag_value(&json!(1)), None);
        assert_eq!(String::from_flag_value(&json!(true)), None);
    }
}
