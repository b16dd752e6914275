//! What a `*_detail` evaluation returns: the value, the variation index and the reason.

use serde::Serialize;

use crate::Reason;

/// The result of a `*_detail` evaluation.
///
/// Serializes as LaunchDarkly's evaluation detail: `{"value": …, "variationIndex": …, "reason": …}`
/// (`variationIndex` omitted when the default was served).
///
/// ```
/// use ld_sdk::{EvaluationDetail, Reason};
///
/// let detail = EvaluationDetail { value: true, variation_index: Some(0), reason: Reason::off() };
/// assert_eq!(
///     serde_json::to_string(&detail).unwrap(),
///     r#"{"value":true,"variationIndex":0,"reason":{"kind":"OFF"}}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvaluationDetail<T> {
    /// The served value: the flag's variation, or the application's default.
    pub value: T,
    /// The index of the served variation; `None` when the default was served.
    #[serde(rename = "variationIndex", skip_serializing_if = "Option::is_none")]
    pub variation_index: Option<usize>,
    /// Why this value was served.
    pub reason: Reason,
}

impl<T> EvaluationDetail<T> {
    /// The default value served because of an error.
    pub fn error(default: T, kind: crate::ErrorKind) -> Self {
        Self {
            value: default,
            variation_index: None,
            reason: Reason::error(kind),
        }
    }

    /// True when the application's default was served (no variation was selected).
    pub fn is_default_value(&self) -> bool {
        self.variation_index.is_none()
    }

    /// The same detail with the value transformed.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> EvaluationDetail<U> {
        EvaluationDetail {
            value: f(self.value),
            variation_index: self.variation_index,
            reason: self.reason,
        }
    }
}
