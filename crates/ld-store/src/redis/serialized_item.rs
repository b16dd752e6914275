//! One flag or segment as Redis holds it: its JSON text, with the version (and deleted marker)
//! read out of it so that version checks need no full parse.

use serde::Deserialize;

use super::{ItemKind, RedisStoreError};

/// A flag or segment in its stored JSON form.
///
/// Deleted items are kept as tombstones, `{"key":…,"version":N,"deleted":true}`, so that an
/// older update arriving late cannot resurrect them.
///
/// ```
/// use ld_store::redis::SerializedItem;
/// let live = SerializedItem::from_json(r#"{"key":"f","version":3,"on":true}"#.to_owned()).unwrap();
/// assert_eq!((live.version, live.deleted), (3, false));
/// let gone = SerializedItem::tombstone("f", 4);
/// assert_eq!(gone.json, r#"{"key":"f","version":4,"deleted":true}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerializedItem {
    /// The item's `version` (0 if the JSON had none).
    pub version: u64,
    /// Whether this is a tombstone.
    pub deleted: bool,
    /// The JSON text exactly as stored.
    pub json: String,
}

#[derive(Deserialize)]
struct VersionFields {
    #[serde(default)]
    version: u64,
    #[serde(default)]
    deleted: bool,
}

impl SerializedItem {
    /// Reads `version` and `deleted` out of stored JSON.
    ///
    /// # Errors
    /// [`RedisStoreError::MalformedItem`] if the text is not a JSON object with an unsigned
    /// integer `version` (or none).
    pub fn from_json(json: String) -> Result<Self, RedisStoreError> {
        Self::parse(json).map_err(|message| RedisStoreError::MalformedItem {
            kind: None,
            key: String::new(),
            message,
        })
    }

    /// Like [`from_json`](Self::from_json), naming the item in the error.
    ///
    /// # Errors
    /// [`RedisStoreError::MalformedItem`] as for `from_json`.
    pub fn from_stored(kind: ItemKind, key: &str, json: String) -> Result<Self, RedisStoreError> {
        Self::parse(json).map_err(|message| RedisStoreError::MalformedItem {
            kind: Some(kind),
            key: key.to_owned(),
            message,
        })
    }

    fn parse(json: String) -> Result<Self, String> {
        let fields: VersionFields = serde_json::from_str(&json).map_err(|e| e.to_string())?;
        Ok(Self {
            version: fields.version,
            deleted: fields.deleted,
            json,
        })
    }

    /// The tombstone for a deleted item, in the format every LaunchDarkly SDK writes.
    pub fn tombstone(key: &str, version: u64) -> Self {
        let quoted_key = serde_json::Value::from(key).to_string();
        let json = format!(r#"{{"key":{quoted_key},"version":{version},"deleted":true}}"#);
        Self {
            version,
            deleted: true,
            json,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tombstone_round_trips_through_from_json() {
        let t = SerializedItem::tombstone("a \"quoted\" key", 9);
        let back = SerializedItem::from_json(t.json.clone()).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn missing_version_reads_as_zero() {
        let item = SerializedItem::from_json(r#"{"key":"x"}"#.to_owned()).unwrap();
        assert_eq!(item.version, 0);
        assert!(!item.deleted);
    }

    #[test]
    fn garbage_is_a_malformed_item_error_naming_the_item() {
        let err = SerializedItem::from_stored(ItemKind::Features, "f1", "{not json".to_owned())
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("features") && text.contains("f1"), "{text}");
    }

    #[test]
    fn negative_version_is_rejected_not_wrapped() {
        assert!(SerializedItem::from_json(r#"{"version":-1}"#.to_owned()).is_err());
    }
}
