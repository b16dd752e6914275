//! What a variation call hands back: the value alone (`bool_variation`, …) or the value with its
//! variation index and reason (`bool_variation_detail`, …).
//!
//! The evaluation itself works on a reason borrowed from the flag ([`ReasonRef`]); only the
//! `*_detail` calls turn it into an owned [`Reason`](ld_eval::Reason), so the plain calls never
//! touch a reference count.

use ld_eval::ReasonRef;

use crate::EvaluationDetail;

/// The shape of a variation call's result.
pub(crate) trait VariationOutput<T> {
    /// The result type.
    type Out;
    /// Whether the call asks for reasons (the `*_detail` calls): it decides whether events carry
    /// the reason.
    const WITH_REASONS: bool;
    /// Builds the result from the served value, its variation index and the borrowed reason.
    fn finish(value: T, variation_index: Option<usize>, reason: ReasonRef<'_>) -> Self::Out;
    /// Builds the result from a finished detail (the path with hooks).
    fn from_detail(detail: EvaluationDetail<T>) -> Self::Out;
}

/// Just the value.
pub(crate) struct ValueOnly;

impl<T> VariationOutput<T> for ValueOnly {
    type Out = T;
    const WITH_REASONS: bool = false;

    #[inline]
    fn finish(value: T, _: Option<usize>, _: ReasonRef<'_>) -> T {
        value
    }

    #[inline]
    fn from_detail(detail: EvaluationDetail<T>) -> T {
        detail.value
    }
}

/// The value with its variation index and reason.
pub(crate) struct WithDetail;

impl<T> VariationOutput<T> for WithDetail {
    type Out = EvaluationDetail<T>;
    const WITH_REASONS: bool = true;

    #[inline]
    fn finish(value: T, variation_index: Option<usize>, reason: ReasonRef<'_>) -> Self::Out {
        EvaluationDetail {
            value,
            variation_index,
            reason: reason.to_reason(),
        }
    }

    #[inline]
    fn from_detail(detail: EvaluationDetail<T>) -> Self::Out {
        detail
    }
}
