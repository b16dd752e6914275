//! TEMPORARY stand-in for ld-eval's `Flag`, `Segment` and `DataLookup`, used only until
//! ld-eval's public types are merged; then this module becomes `pub use ld_eval::{...}`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A feature flag (stand-in; the real type is `ld_eval::Flag`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Flag {
    /// The flag key.
    pub key: String,
    /// The flag version.
    #[serde(default)]
    pub version: u64,
    /// Prerequisites.
    #[serde(default)]
    pub prerequisites: Vec<Prerequisite>,
    /// Rules.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Variations.
    #[serde(default)]
    pub variations: Vec<Value>,
}

/// A prerequisite (stand-in).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Prerequisite {
    /// The prerequisite flag's key.
    pub key: String,
    /// The variation it must return.
    #[serde(default)]
    pub variation: usize,
}

/// A rule (stand-in).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Rule {
    /// The clauses.
    #[serde(default)]
    pub clauses: Vec<Clause>,
}

/// A clause (stand-in).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Clause {
    /// The operator.
    #[serde(default)]
    pub op: String,
    /// The values.
    #[serde(default)]
    pub values: Vec<Value>,
}

/// A segment (stand-in; the real type is `ld_eval::Segment`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Segment {
    /// The segment key.
    pub key: String,
    /// The segment version.
    #[serde(default)]
    pub version: u64,
    /// Rules.
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// Borrowed lookup of flags and segments (stand-in for `ld_eval::DataLookup`).
pub trait DataLookup {
    /// A flag by key.
    fn flag(&self, key: &str) -> Option<&Flag>;
    /// A segment by key.
    fn segment(&self, key: &str) -> Option<&Segment>;
}

pub(crate) fn flag_prerequisite_keys(flag: &Flag) -> impl Iterator<Item = &str> {
    flag.prerequisites.iter().map(|p| p.key.as_str())
}

pub(crate) fn flag_segment_keys(flag: &Flag) -> impl Iterator<Item = &str> {
    segment_match_keys(&flag.rules)
}

pub(crate) fn segment_segment_keys(segment: &Segment) -> impl Iterator<Item = &str> {
    segment_match_keys(&segment.rules)
}

fn segment_match_keys(rules: &[Rule]) -> impl Iterator<Item = &str> {
    rules
        .iter()
        .flat_map(|r| r.clauses.iter())
        .filter(|c| c.op == "segmentMatch")
        .flat_map(|c| c.values.iter())
        .filter_map(Value::as_str)
}
