//! One flag or segment as Redis holds it ([`SerializedItem`]): reading the version (and deleted
//! marker) out of stored JSON without a full parse, and writing tombstones.

use serde::Deserialize;

use super::RedisStoreError;
use crate::{DataKind, SerializedItem};

#[derive(Deserialize)]
struct VersionFields {
    #[serde(default)]
    version: u64,
    #[serde(default)]
    deleted: bool,
}

/// Reads `version` and `deleted` out of stored JSON (a missing version reads as 0).
///
/// ```
/// let item = ld_store::redis::parse_item(r#"{"key":"f","version":3,"on":true}"#.to_owned()).unwrap();
/// assert_eq!((item.version, item.deleted), (3, false));
/// ```
///
/// # Errors
/// [`RedisStoreError::MalformedItem`] if the text is not a JSON object with an unsigned
/// integer `version` (or none).
pub fn parse_item(json: String) -> Result<SerializedItem, RedisStoreError> {
    parse(json).map_err(|message| RedisStoreError::MalformedItem {
        kind: None,
        key: String::new(),
        message,
    })
}

/// Like [`parse_item`], naming the item in the error.
pub(crate) fn parse_stored(
    kind: DataKind,
    key: &str,
    json: String,
) -> Result<SerializedItem, RedisStoreError> {
    parse(json).map_err(|message| RedisStoreError::MalformedItem {
        kind: Some(kind),
        key: key.to_owned(),
        message,
    })
}

fn parse(json: String) -> Result<SerializedItem, String> {
    let fields: VersionFields = serde_json::from_str(&json).map_err(|e| e.to_string())?;
    Ok(SerializedItem {
        version: fields.version,
        deleted: fields.deleted,
        json,
    })
}

/// The tombstone for a deleted item, byte for byte as the other LaunchDarkly SDKs write it:
/// `{"key":…,"version":N,"deleted":true}`.
///
/// ```
/// let gone = ld_store::redis::tombstone("f", 4);
/// assert_eq!(gone.json, r#"{"key":"f","version":4,"deleted":true}"#);
/// assert!(gone.deleted);
/// ```
pub fn tombstone(key: &str, version: u64) -> SerializedItem {
    let quoted_key = serde_json::Value::from(key).to_string();
    let json = format!(r#"{{"key":{quoted_key},"version":{version},"deleted":true}}"#);
    SerializedItem {
        version,
        deleted: true,
        json,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tombstone_round_trips_through_parse_item() {
        let t = tombstone("a \"quoted\" key", 9);
        assert_eq!(parse_item(t.json.clone()).unwrap(), t);
    }

    #[test]
    fn missing_version_reads_as_zero() {
        let item = parse_item(r#"{"key":"x"}"#.to_owned()).unwrap();
        assert_eq!(item.version, 0);
        assert!(!item.deleted);
    }

    #[test]
    fn garbage_is_a_malformed_item_error_naming_the_item() {
        let err = parse_stored(DataKind::Flag, "f1", "{not json".to_owned()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("flag") && text.contains("f1"), "{text}");
    }

    #[test]
    fn negative_version_is_rejected_not_wrapped() {
        assert!(parse_item(r#"{"version":-1}"#.to_owned()).is_err());
    }
}
