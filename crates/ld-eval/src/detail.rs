//! The result of one evaluation.

use serde_json::Value;

use crate::reason::{ErrorKind, Reason};

/// The result of evaluating a flag: the served value (borrowed from the flag), its variation
/// index and the reason.
///
/// `value` is `None` when evaluation failed or the flag is off with no off variation; the caller
/// then serves its default value.
///
/// ```
/// use ld_eval::{Detail, Reason};
/// let v = serde_json::json!(true);
/// let d = Detail { value: Some(&v), variation_index: Some(1), reason: Reason::fallthrough(false) };
/// assert_eq!(d.value_or(&serde_json::json!(false)), &v);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Detail<'a> {
    /// The served variation's value, borrowed from the flag.
    pub value: Option<&'a Value>,
    /// The index of the served variation.
    pub variation_index: Option<usize>,
    /// Why this value was served.
    pub reason: Reason,
}

impl<'a> Detail<'a> {
    /// A detail with no value: an error of the given kind.
    pub const fn error(kind: ErrorKind) -> Detail<'a> {
        Detail {
            value: None,
            variation_index: None,
            reason: Reason::error(kind),
        }
    }

    /// The value, or `default` when there is none.
    pub fn value_or(&self, default: &'a Value) -> &'a Value {
        self.value.unwrap_or(default)
    }
}
