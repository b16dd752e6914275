//! Combining the documents of several files into one data set, enforcing unique keys and
//! turning `flagValues` entries into full flags.

use crate::document::Document;
use crate::error::FileDataError;
use crate::origin::{Origin, Section};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::Path;

/// What to do when a flag or segment key is defined more than once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DuplicateKeys {
    /// Fail the whole load, naming the key and both places (the default, as in the
    /// LaunchDarkly SDKs).
    #[default]
    Error,
    /// Keep the first definition (in file order, then `flags` before `flagValues`) and log a
    /// warning for each ignored one.
    KeepFirst,
}

/// One flag or segment, as JSON ready for the data model, and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct RawItem {
    /// The item's key.
    pub key: String,
    /// The item as a JSON object, with `key` and `version` filled in.
    pub value: Value,
    /// Where it was defined.
    pub origin: Origin,
}

/// The combined data of all files, in JSON form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawData {
    /// Flags, in definition order.
    pub flags: Vec<RawItem>,
    /// Segments, in definition order.
    pub segments: Vec<RawItem>,
}

/// The flag a `flagValues` entry stands for: on, one variation, served by fallthrough, so it
/// evaluates to `value` with reason FALLTHROUGH for every context.
///
/// ```
/// use ld_datasource_file::flag_for_value;
/// let f = flag_for_value("k", serde_json::json!("v"));
/// assert_eq!(f["variations"][0], "v");
/// assert_eq!(f["fallthrough"]["variation"], 0);
/// ```
pub fn flag_for_value(key: &str, value: Value) -> Value {
    json!({
        "key": key,
        "version": 1,
        "on": true,
        "fallthrough": {"variation": 0},
        "variations": [value],
    })
}

/// Merges parsed documents (`(path, document)` in configuration order) into one data set.
pub fn merge<'a>(
    docs: impl IntoIterator<Item = (&'a Path, Document)>,
    duplicates: DuplicateKeys,
) -> Result<RawData, FileDataError> {
    let mut out = RawData::default();
    let mut flag_seen: HashMap<String, Origin> = HashMap::new();
    let mut segment_seen: HashMap<String, Origin> = HashMap::new();
    for (path, doc) in docs {
        let sections = [
            (Section::Flags, doc.flags),
            (Section::FlagValues, doc.flag_values),
            (Section::Segments, doc.segments),
        ];
        for (section, entries) in sections {
            let (kind, seen, target) = match section {
                Section::Segments => ("segment", &mut segment_seen, &mut out.segments),
                _ => ("flag", &mut flag_seen, &mut out.flags),
            };
            for (key, value) in entries {
                let origin = Origin {
                    path: path.to_path_buf(),
                    section,
                };
                match seen.entry(key.clone()) {
                    Entry::Occupied(first) => match duplicates {
                        DuplicateKeys::Error => {
                            return Err(FileDataError::DuplicateKey {
                                kind,
                                key,
                                first: first.get().clone(),
                                second: origin,
                            });
                        }
                        DuplicateKeys::KeepFirst => {
                            tracing::warn!(
                                "ignoring duplicate {kind} key \"{key}\" in {origin}: first defined in {}",
                                first.get()
                            );
                            continue;
                        }
                    },
                    Entry::Vacant(v) => {
                        v.insert(origin.clone());
                    }
                }
                let value = match section {
                    Section::FlagValues => flag_for_value(&key, value),
                    _ => complete_item(kind, &key, value, &origin)?,
                };
                target.push(RawItem { key, value, origin });
            }
        }
    }
    Ok(out)
}

/// Fills in `key` (from the map key) and `version` (1) when absent; rejects a `key` property
/// that disagrees with the map key.
fn complete_item(
    kind: &'static str,
    key: &str,
    value: Value,
    origin: &Origin,
) -> Result<Value, FileDataError> {
    let invalid = |message: String| FileDataError::InvalidItem {
        kind,
        key: key.to_string(),
        origin: origin.clone(),
        message,
    };
    let Value::Object(mut obj) = value else {
        return Err(invalid(format!(
            "expected an object, found {}",
            crate::document::kind_of(&value)
        )));
    };
    match obj.get("key") {
        None | Some(Value::Null) => {
            obj.insert("key".into(), Value::from(key));
        }
        Some(Value::String(k)) if k == key => {}
        Some(other) => {
            return Err(invalid(format!(
                "its \"key\" property is {other}, not the map key"
            )));
        }
    }
    if matches!(obj.get("version"), None | Some(Value::Null)) {
        obj.insert("version".into(), Value::from(1));
    }
    Ok(Value::Object(obj))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(json: &str) -> Document {
        Document::from_json(json.as_bytes()).unwrap()
    }

    #[test]
    fn flag_values_become_single_variation_fallthrough_flags() {
        let data = merge(
            [(Path::new("a.json"), doc(r#"{"flagValues":{"x":{"n":1}}}"#))],
            DuplicateKeys::Error,
        )
        .unwrap();
        assert_eq!(
            data.flags[0].value,
            flag_for_value("x", serde_json::json!({"n": 1}))
        );
    }

    #[test]
    fn items_without_version_or_key_get_version_one_and_their_map_key() {
        let data = merge(
            [(
                Path::new("a.json"),
                doc(r#"{"flags":{"f":{"on":true}},"segments":{"s":{"version":7}}}"#),
            )],
            DuplicateKeys::Error,
        )
        .unwrap();
        assert_eq!(data.flags[0].value["version"], 1);
        assert_eq!(data.flags[0].value["key"], "f");
        assert_eq!(data.segments[0].value["version"], 7);
    }

    #[test]
    fn a_key_property_that_disagrees_with_the_map_key_is_invalid() {
        let err = merge(
            [(Path::new("a.json"), doc(r#"{"flags":{"f":{"key":"g"}}}"#))],
            DuplicateKeys::Error,
        )
        .unwrap_err();
        assert!(err.to_string().contains("\"f\""), "{err}");
    }

    #[test]
    fn duplicate_across_sections_names_both_places() {
        let err = merge(
            [(
                Path::new("a.json"),
                doc(r#"{"flags":{"f":{}},"flagValues":{"f":true}}"#),
            )],
            DuplicateKeys::Error,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "duplicate flag key \"f\": defined in a.json (flags) and again in a.json (flagValues)"
        );
    }

    #[test]
    fn duplicate_across_files_names_both_files() {
        let err = merge(
            [
                (Path::new("a.json"), doc(r#"{"segments":{"s":{}}}"#)),
                (Path::new("b.json"), doc(r#"{"segments":{"s":{}}}"#)),
            ],
            DuplicateKeys::Error,
        )
        .unwrap_err();
        assert!(
            matches!(&err, FileDataError::DuplicateKey { kind: "segment", key, .. } if key == "s")
        );
        assert!(
            err.to_string()
                .contains("a.json (segments) and again in b.json (segments)"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_within_one_section_is_an_error() {
        let err = merge(
            [(Path::new("a.json"), doc(r#"{"flagValues":{"f":1,"f":2}}"#))],
            DuplicateKeys::Error,
        )
        .unwrap_err();
        assert!(matches!(err, FileDataError::DuplicateKey { .. }));
    }

    #[test]
    fn keep_first_policy_keeps_the_first_definition() {
        let data = merge(
            [
                (Path::new("a.json"), doc(r#"{"flagValues":{"f":"first"}}"#)),
                (Path::new("b.json"), doc(r#"{"flagValues":{"f":"second"}}"#)),
            ],
            DuplicateKeys::KeepFirst,
        )
        .unwrap();
        assert_eq!(data.flags.len(), 1);
        assert_eq!(data.flags[0].value["variations"][0], "first");
    }

    #[test]
    fn a_flag_and_a_segment_may_share_a_key() {
        let data = merge(
            [(
                Path::new("a.json"),
                doc(r#"{"flagValues":{"k":1},"segments":{"k":{}}}"#),
            )],
            DuplicateKeys::Error,
        )
        .unwrap();
        assert_eq!((data.flags.len(), data.segments.len()), (1, 1));
    }
}
