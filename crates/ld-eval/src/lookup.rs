//! How the evaluator finds prerequisite flags and segments.

use std::collections::HashMap;

use crate::fast_hash::FastBuildHasher;
use crate::flag::Flag;
use crate::segment::Segment;

/// Read access to flags and segments by key, returning **borrowed** data so that evaluation
/// clones nothing. Implemented by the SDK's store; deleted items (tombstones) may be returned
/// and are treated as missing.
///
/// ```
/// use ld_eval::{DataLookup, Flag, Segment};
/// struct Nothing;
/// impl DataLookup for Nothing {
///     fn flag(&self, _key: &str) -> Option<&Flag> { None }
///     fn segment(&self, _key: &str) -> Option<&Segment> { None }
/// }
/// ```
pub trait DataLookup {
    /// The flag with this key.
    fn flag(&self, key: &str) -> Option<&Flag>;
    /// The segment with this key.
    fn segment(&self, key: &str) -> Option<&Segment>;
}

/// A simple in-memory [`DataLookup`]: two hash maps keyed with [`FastBuildHasher`], handy for
/// tests and embedded use.
///
/// ```
/// use ld_eval::{MemoryData, Flag};
/// let mut data = MemoryData::default();
/// let flag: Flag = serde_json::from_str(r#"{"key": "f", "on": false, "variations": [1]}"#).unwrap();
/// data.insert_flag(flag);
/// assert!(ld_eval::DataLookup::flag(&data, "f").is_some());
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryData {
    /// Flags by key.
    pub flags: HashMap<String, Flag, FastBuildHasher>,
    /// Segments by key.
    pub segments: HashMap<String, Segment, FastBuildHasher>,
}

impl MemoryData {
    /// Adds or replaces a flag.
    pub fn insert_flag(&mut self, flag: Flag) {
        self.flags.insert(flag.key.to_string(), flag);
    }

    /// Adds or replaces a segment.
    pub fn insert_segment(&mut self, segment: Segment) {
        self.segments.insert(segment.key.clone(), segment);
    }
}

impl DataLookup for MemoryData {
    fn flag(&self, key: &str) -> Option<&Flag> {
        self.flags.get(key)
    }

    fn segment(&self, key: &str) -> Option<&Segment> {
        self.segments.get(key)
    }
}
