//! A complete data set: what a data source hands the store on (re)initialization.

use crate::item_descriptor::ItemDescriptor;
use crate::model::{Flag, Segment};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashMap;

/// Every flag and segment, replacing whatever the store held.
#[derive(Debug, Clone, Default)]
pub struct AllData {
    /// Flags by key (tombstones allowed).
    pub flags: HashMap<String, ItemDescriptor<Flag>>,
    /// Segments by key (tombstones allowed).
    pub segments: HashMap<String, ItemDescriptor<Segment>>,
}

impl AllData {
    /// Parses the LaunchDarkly "all data" JSON shape: `{"flags": {key: flag}, "segments":
    /// {key: segment}}` (either property may be missing or null). Items marked
    /// `"deleted": true` become tombstones.
    ///
    /// ```
    /// use ld_store::AllData;
    /// let data = AllData::from_json(r#"{"flags":{"a":{"key":"a","version":1},"b":{"key":"b","version":9,"deleted":true}}}"#).unwrap();
    /// assert!(data.flags["a"].item().is_some());
    /// assert!(data.flags["b"].is_deleted());
    /// ```
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        #[derive(Deserialize)]
        struct Raw<'a> {
            #[serde(borrow, default)]
            flags: Option<HashMap<String, &'a RawValue>>,
            #[serde(borrow, default)]
            segments: Option<HashMap<String, &'a RawValue>>,
        }
        let raw: Raw<'_> = serde_json::from_str(json)?;
        let mut out = AllData::default();
        for (k, v) in raw.flags.unwrap_or_default() {
            out.flags.insert(k, flag_from_json(v.get())?);
        }
        for (k, v) in raw.segments.unwrap_or_default() {
            out.segments.insert(k, segment_from_json(v.get())?);
        }
        Ok(out)
    }
}

#[derive(Deserialize)]
struct VersionAndDeleted {
    #[serde(default)]
    version: u64,
    #[serde(default)]
    deleted: bool,
}

/// Parses one flag's JSON into a descriptor; `{"version": n, "deleted": true}` is a tombstone.
///
/// ```
/// let d = ld_store::flag_from_json(r#"{"key":"f","version":5,"on":true}"#).unwrap();
/// assert_eq!(d.version, 5);
/// ```
pub fn flag_from_json(json: &str) -> Result<ItemDescriptor<Flag>, serde_json::Error> {
    let head: VersionAndDeleted = serde_json::from_str(json)?;
    if head.deleted {
        return Ok(ItemDescriptor::tombstone(head.version));
    }
    Ok(ItemDescriptor::new(
        head.version,
        serde_json::from_str(json)?,
    ))
}

/// Parses one segment's JSON into a descriptor; `{"version": n, "deleted": true}` is a
/// tombstone.
pub fn segment_from_json(json: &str) -> Result<ItemDescriptor<Segment>, serde_json::Error> {
    let head: VersionAndDeleted = serde_json::from_str(json)?;
    if head.deleted {
        return Ok(ItemDescriptor::tombstone(head.version));
    }
    Ok(ItemDescriptor::new(
        head.version,
        serde_json::from_str(json)?,
    ))
}
