//! The data model the store holds: ld-eval's prepared flags and segments, and what the
//! dependency graph needs to know about them.

pub use ld_eval::{DataLookup, Flag, Segment};

use ld_eval::{Clause, Op};

/// Keys of the flags this flag names as prerequisites.
pub(crate) fn flag_prerequisite_keys(flag: &Flag) -> impl Iterator<Item = &str> {
    flag.prerequisites.iter().map(|p| &*p.key)
}

/// Keys of the segments this flag's rules test with `segmentMatch`.
pub(crate) fn flag_segment_keys(flag: &Flag) -> impl Iterator<Item = &str> {
    segment_match_keys(flag.rules.iter().flat_map(|r| r.clauses.iter()))
}

/// Keys of the segments this segment's rules test with `segmentMatch`.
pub(crate) fn segment_segment_keys(segment: &Segment) -> impl Iterator<Item = &str> {
    segment_match_keys(segment.rules.iter().flat_map(|r| r.clauses.iter()))
}

fn segment_match_keys<'a>(
    clauses: impl Iterator<Item = &'a Clause>,
) -> impl Iterator<Item = &'a str> {
    clauses
        .filter(|c| matches!(c.op(), Op::SegmentMatch))
        .flat_map(|c| c.string_values())
}
