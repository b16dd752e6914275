//! Giving reloaded items versions that move forward when their content changes.
//!
//! Items in files usually carry no version (so all get version 1), but the store and the
//! change notifications work by version. Across reloads, this tracker keeps each item's
//! effective version and bumps it whenever the item's content (ignoring `version`) differs
//! from the previous load, so an edited flag is a newer flag and its listeners fire.

use crate::merge::{RawData, RawItem};
use serde_json::Value;
use std::collections::HashMap;

#[derive(Debug, Default, Clone)]
pub(crate) struct VersionTracker {
    flags: HashMap<String, (Value, u64)>,
    segments: HashMap<String, (Value, u64)>,
}

fn without_version(v: &Value) -> Value {
    let mut v = v.clone();
    if let Value::Object(o) = &mut v {
        o.remove("version");
    }
    v
}

fn apply(
    items: &mut [RawItem],
    seen: &HashMap<String, (Value, u64)>,
) -> HashMap<String, (Value, u64)> {
    let mut next = HashMap::with_capacity(items.len());
    for item in items {
        let content = without_version(&item.value);
        let declared = item
            .value
            .get("version")
            .and_then(Value::as_u64)
            .unwrap_or(1);
        let version = match seen.get(&item.key) {
            Some((old, v)) if *old == content => (*v).max(declared),
            Some((_, v)) => (*v + 1).max(declared),
            None => declared,
        };
        if let Value::Object(o) = &mut item.value {
            o.insert("version".into(), Value::from(version));
        }
        next.insert(item.key.clone(), (content, version));
    }
    next
}

impl VersionTracker {
    /// The effective version last assigned to a flag.
    #[cfg(test)]
    pub(crate) fn flag_version(&self, key: &str) -> Option<u64> {
        self.flags.get(key).map(|(_, v)| *v)
    }

    /// Rewrites the versions in `raw` and remembers them for the next load. Call only for data
    /// that is about to be applied.
    pub(crate) fn assign(&mut self, raw: &mut RawData) {
        // Deleted items keep their last version, so a re-added item still moves forward.
        let mut flags = apply(&mut raw.flags, &self.flags);
        let mut segments = apply(&mut raw.segments, &self.segments);
        for (k, (_, v)) in self.flags.drain() {
            flags.entry(k).or_insert((Value::Null, v));
        }
        for (k, (_, v)) in self.segments.drain() {
            segments.entry(k).or_insert((Value::Null, v));
        }
        self.flags = flags;
        self.segments = segments;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Document;
    use crate::merge::{DuplicateKeys, merge};
    use std::path::Path;

    fn raw(json: &str) -> RawData {
        merge(
            [(
                Path::new("f.json"),
                Document::from_json(json.as_bytes()).unwrap(),
            )],
            DuplicateKeys::Error,
        )
        .unwrap()
    }

    #[test]
    fn edited_items_get_a_higher_version_and_unchanged_ones_keep_theirs() {
        let mut t = VersionTracker::default();
        let mut first = raw(r#"{"flagValues":{"a":1,"b":2}}"#);
        t.assign(&mut first);
        assert_eq!(first.flags[0].value["version"], 1);
        let mut second = raw(r#"{"flagValues":{"a":1,"b":3}}"#);
        t.assign(&mut second);
        assert_eq!(second.flags[0].value["version"], 1);
        assert_eq!(second.flags[1].value["version"], 2);
    }

    #[test]
    fn a_removed_and_re_added_item_moves_forward() {
        let mut t = VersionTracker::default();
        t.assign(&mut raw(r#"{"flagValues":{"a":1}}"#));
        t.assign(&mut raw(r#"{"flagValues":{"x":1}}"#));
        let mut back = raw(r#"{"flagValues":{"a":2}}"#);
        t.assign(&mut back);
        assert_eq!(back.flags[0].value["version"], 2);
    }

    #[test]
    fn a_declared_version_higher_than_ours_wins() {
        let mut t = VersionTracker::default();
        t.assign(&mut raw(r#"{"flags":{"a":{"on":true}}}"#));
        let mut next = raw(r#"{"flags":{"a":{"on":false,"version":40}}}"#);
        t.assign(&mut next);
        assert_eq!(next.flags[0].value["version"], 40);
    }
}
