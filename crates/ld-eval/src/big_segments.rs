//! Big (unbounded) segments: membership answered by a caller-supplied provider.

use crate::reason::BigSegmentsStatus;
use crate::segment::Segment;

/// The answer of a [`BigSegmentProvider`] for one context key and one big segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BigSegmentAnswer {
    /// `Some(true)`: included; `Some(false)`: excluded; `None`: not listed (the segment's rules
    /// then decide).
    pub membership: Option<bool>,
    /// The health of the store that answered.
    pub status: BigSegmentsStatus,
}

/// Answers big segment membership. The SDK implements this over its big segment store (with
/// hashing of context keys and caching); the evaluator itself does no I/O.
///
/// ```
/// use ld_eval::{BigSegmentAnswer, BigSegmentProvider, BigSegmentsStatus, Segment};
/// struct Everyone;
/// impl BigSegmentProvider for Everyone {
///     fn membership(&self, _key: &str, _segment: &Segment) -> BigSegmentAnswer {
///         BigSegmentAnswer { membership: Some(true), status: BigSegmentsStatus::Healthy }
///     }
/// }
/// ```
pub trait BigSegmentProvider {
    /// Membership of the context with this key in `segment` (whose store reference is
    /// [`big_segment_ref`]).
    fn membership(&self, context_key: &str, segment: &Segment) -> BigSegmentAnswer;
}

/// The name under which a big segment's members are stored: `{key}.g{generation}`.
///
/// ```
/// let s: ld_eval::Segment = serde_json::from_str(
///     r#"{"key": "big", "unbounded": true, "generation": 2}"#).unwrap();
/// assert_eq!(ld_eval::big_segment_ref(&s), "big.g2");
/// ```
pub fn big_segment_ref(segment: &Segment) -> String {
    format!("{}.g{}", segment.key, segment.generation.unwrap_or(0))
}
