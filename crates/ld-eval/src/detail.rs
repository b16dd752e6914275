//! The result of one evaluation.

use serde_json::Value;

use crate::reason::{ErrorKind, Reason};
use crate::reason_ref::ReasonRef;

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

/// [`Detail`] with a borrowed reason: everything borrowed from the flag, `Copy`, and free to make
/// and drop (no reference counts change). What [`Evaluator::evaluate_ref`] returns, for callers
/// such as `variation()` that serve the value and need the reason only for events, if at all.
///
/// [`Evaluator::evaluate_ref`]: crate::Evaluator::evaluate_ref
///
/// ```
/// use ld_eval::{DetailRef, ReasonKindRef, ReasonRef};
/// let v = serde_json::json!(true);
/// let d = DetailRef { value: Some(&v), variation_index: Some(1),
///     reason: ReasonRef::new(ReasonKindRef::Fallthrough { in_experiment: false }) };
/// assert_eq!(d.to_detail().reason, ld_eval::Reason::fallthrough(false));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetailRef<'a> {
    /// The served variation's value, borrowed from the flag.
    pub value: Option<&'a Value>,
    /// The index of the served variation.
    pub variation_index: Option<usize>,
    /// Why this value was served.
    pub reason: ReasonRef<'a>,
}

impl<'a> DetailRef<'a> {
    /// A detail with no value: an error of the given kind.
    pub const fn error(kind: ErrorKind) -> DetailRef<'a> {
        DetailRef {
            value: None,
            variation_index: None,
            reason: ReasonRef::error(kind),
        }
    }

    /// The owned [`Detail`] (the value stays borrowed; the reason shares the flag's strings).
    pub fn to_detail(&self) -> Detail<'a> {
        Detail {
            value: self.value,
            variation_index: self.variation_index,
            reason: self.reason.to_reason(),
        }
    }
}
