//! The LaunchDarkly streaming protocol (FDv1) messages: `put`, `patch` and `delete`.
//!
//! - `put`: `{"path": "/", "data": {"flags": {...}, "segments": {...}}}` replaces everything.
//! - `patch`: `{"path": "/flags/KEY" | "/segments/KEY", "data": {item}}` upserts one item.
//! - `delete`: `{"path": "/flags/KEY" | "/segments/KEY", "version": N}` stores a tombstone.
//!
//! Unknown paths and event names are not errors: they are ignored, so newer servers can add
//! kinds without breaking older SDKs.

use ld_eval::JsonCursor;
use ld_store::{AllData, Flag, ItemDescriptor, Segment, flag_from_json, segment_from_json};
use serde::Deserialize;
use serde_json::value::RawValue;

/// A parsed, ready-to-apply stream message.
#[derive(Debug)]
pub(crate) enum StreamMessage {
    /// Replace all data.
    Put(AllData),
    /// Upsert (or delete, with a tombstone) one flag.
    Flag(String, ItemDescriptor<Flag>),
    /// Upsert (or delete, with a tombstone) one segment.
    Segment(String, ItemDescriptor<Segment>),
    /// An event this SDK does not act on (unknown name or path).
    Ignored,
}

/// A stream event whose data is malformed (bad JSON or JSON not matching the schema).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed \"{event}\" event: {reason}")]
pub struct MalformedEvent {
    /// The event name (`put`, `patch`, `delete`).
    pub event: String,
    /// What was wrong with its data.
    pub reason: String,
}

/// A `put` read in one pass: the data set is parsed straight into prepared flags and
/// segments, without first delimiting the `data` object.
#[derive(Deserialize)]
struct PutBody {
    data: AllData,
}

/// A `put` read in two steps (delimit `data`, then parse it leniently): the fallback when the
/// one-pass reading fails, so that accepted inputs and error messages do not depend on it.
#[derive(Deserialize)]
struct RawPutBody<'a> {
    #[serde(borrow)]
    data: &'a RawValue,
}

#[derive(Deserialize)]
struct PatchBody<'a> {
    path: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    data: &'a RawValue,
}

#[derive(Deserialize)]
struct DeleteBody<'a> {
    path: std::borrow::Cow<'a, str>,
    version: u64,
}

enum Kind {
    Flag,
    Segment,
}

fn parse_path(path: &str) -> Option<(Kind, &str)> {
    if let Some(key) = path.strip_prefix("/flags/") {
        Some((Kind::Flag, key))
    } else {
        path.strip_prefix("/segments/")
            .map(|key| (Kind::Segment, key))
    }
}

/// Parses the data of a stream event called `event`.
pub(crate) fn parse_stream_event(event: &str, data: &str) -> Result<StreamMessage, MalformedEvent> {
    let malformed = |reason: String| MalformedEvent {
        event: event.to_string(),
        reason,
    };
    match event {
        "put" => {
            if let Some(all) = read_put_fast(data) {
                return Ok(StreamMessage::Put(all));
            }
            if let Ok(body) = serde_json::from_str::<PutBody>(data) {
                return Ok(StreamMessage::Put(body.data));
            }
            let body: RawPutBody<'_> =
                serde_json::from_str(data).map_err(|e| malformed(e.to_string()))?;
            let all = parse_all_data(body.data.get()).map_err(malformed)?;
            Ok(StreamMessage::Put(all))
        }
        "patch" => {
            let body: PatchBody<'_> =
                serde_json::from_str(data).map_err(|e| malformed(e.to_string()))?;
            match parse_path(&body.path) {
                Some((Kind::Flag, key)) => {
                    let item =
                        flag_from_json(body.data.get()).map_err(|e| malformed(e.to_string()))?;
                    Ok(StreamMessage::Flag(key.to_string(), item))
                }
                Some((Kind::Segment, key)) => {
                    let item =
                        segment_from_json(body.data.get()).map_err(|e| malformed(e.to_string()))?;
                    Ok(StreamMessage::Segment(key.to_string(), item))
                }
                None => Ok(StreamMessage::Ignored),
            }
        }
        "delete" => {
            let body: DeleteBody<'_> =
                serde_json::from_str(data).map_err(|e| malformed(e.to_string()))?;
            match parse_path(&body.path) {
                Some((Kind::Flag, key)) => Ok(StreamMessage::Flag(
                    key.to_string(),
                    ItemDescriptor::tombstone(body.version),
                )),
                Some((Kind::Segment, key)) => Ok(StreamMessage::Segment(
                    key.to_string(),
                    ItemDescriptor::tombstone(body.version),
                )),
                None => Ok(StreamMessage::Ignored),
            }
        }
        _ => Ok(StreamMessage::Ignored),
    }
}

/// Reads a `put` body with the fast reader (`ld_eval::JsonCursor`): the `data` object straight
/// into a data set, other properties skipped. `None` when the reader gives up on anything, and
/// the `serde` readings decide (they accept every input this accepts, with the same result).
fn read_put_fast(body: &str) -> Option<AllData> {
    let mut cursor = JsonCursor::new(body);
    let mut data = None;
    let mut field = cursor.first_key().ok()?;
    while let Some(name) = field {
        if name == "data" {
            if data.is_some() {
                return None;
            }
            data = Some(AllData::read_json(&mut cursor).ok()?);
        } else {
            cursor.skip_value().ok()?;
        }
        field = cursor.next_key().ok()?;
    }
    cursor.end().ok()?;
    data
}

/// Parses a full data set (`{"flags": {...}, "segments": {...}}`), as in a `put` event's
/// `data` or a polling response body.
pub(crate) fn parse_all_data(json: &str) -> Result<AllData, String> {
    // The store's parser accepts a missing or null object; the protocol always sends one.
    if !json.trim_start().starts_with('{') {
        return Err("expected a JSON object with \"flags\" and \"segments\"".into());
    }
    AllData::from_json(json).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_replaces_everything() {
        let msg = parse_stream_event(
            "put",
            r#"{"path":"/","data":{"flags":{"f":{"key":"f","version":3}},"segments":{"s":{"key":"s","version":1}}}}"#,
        )
        .unwrap();
        let StreamMessage::Put(all) = msg else {
            panic!("{msg:?}")
        };
        assert_eq!(all.flags["f"].version, 3);
        assert_eq!(all.segments["s"].version, 1);
    }

    /// A `put` read by the `serde` readings only, as before the fast reader.
    fn serde_put(data: &str) -> Result<AllData, MalformedEvent> {
        let malformed = |reason: String| MalformedEvent {
            event: "put".into(),
            reason,
        };
        if let Ok(body) = serde_json::from_str::<PutBody>(data) {
            return Ok(body.data);
        }
        let body: RawPutBody<'_> =
            serde_json::from_str(data).map_err(|e| malformed(e.to_string()))?;
        parse_all_data(body.data.get()).map_err(malformed)
    }

    fn summary(all: &AllData) -> Vec<String> {
        let mut v: Vec<String> = all
            .flags
            .iter()
            .map(|(k, d)| {
                let item = d.item().map(|f| serde_json::to_string(f).unwrap());
                format!("{k} {} {item:?}", d.version)
            })
            .chain(all.segments.iter().map(|(k, d)| {
                let item = d.item().map(|s| serde_json::to_string(s).unwrap());
                format!("{k} {} {item:?}", d.version)
            }))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn put_bodies_and_every_truncation_of_one_read_exactly_as_with_serde_alone() {
        let put = r#"{"path":"/","data":{"flags":{"f":{"key":"f","version":3,"on":true,
            "variations":["a","b"],"fallthrough":{"variation":1},"rules":[{"id":"r",
            "clauses":[{"attribute":"email","op":"in","values":["x",2]}],"variation":0}]},
            "g":{"version":4,"deleted":true}},"segments":{"s":{"key":"s","version":1,
            "included":["u\u00e9"]}}},"extra":[null]}"#;
        let others = [
            r#"{"data":{"flags":{}},"data":{"flags":{}}}"#,
            r#"{"data":null}"#,
            r#"{"data":{"flags":{"f":{"key":"f","version":1.5}}}}"#,
            r#"{"data":{"flags":{"f":{"key":"f"}}}}"#,
        ];
        let prefixes = (0..=put.len()).filter_map(|end| put.get(..end));
        for data in prefixes.chain(others) {
            let fast = match parse_stream_event("put", data) {
                Ok(StreamMessage::Put(all)) => Ok(summary(&all)),
                Ok(other) => panic!("{other:?}"),
                Err(e) => Err(e),
            };
            assert_eq!(fast, serde_put(data).map(|all| summary(&all)), "{data}");
        }
        // Including the tombstone without a key (read as the item-by-item reading reads it).
        assert!(read_put_fast(put).is_some());
    }

    #[test]
    fn put_without_path_is_accepted() {
        let msg = parse_stream_event("put", r#"{"data":{"flags":{},"segments":{}}}"#).unwrap();
        assert!(matches!(msg, StreamMessage::Put(_)));
    }

    #[test]
    fn patch_and_delete_address_flags_and_segments_by_path() {
        let msg = parse_stream_event(
            "patch",
            r#"{"path":"/flags/my/flag","data":{"key":"my/flag","version":7}}"#,
        )
        .unwrap();
        assert!(
            matches!(msg, StreamMessage::Flag(ref k, ref d) if k == "my/flag" && d.version == 7 && !d.is_deleted())
        );
        let msg = parse_stream_event("delete", r#"{"path":"/segments/s","version":9}"#).unwrap();
        assert!(
            matches!(msg, StreamMessage::Segment(ref k, ref d) if k == "s" && d.version == 9 && d.is_deleted())
        );
        // Property order does not matter.
        let msg = parse_stream_event(
            "patch",
            r#"{"data":{"key":"s","version":2},"path":"/segments/s"}"#,
        )
        .unwrap();
        assert!(matches!(msg, StreamMessage::Segment(ref k, _) if k == "s"));
    }

    #[test]
    fn unknown_paths_and_event_names_are_ignored() {
        for (event, data) in [
            ("patch", r#"{"path":"/configs/x","data":{"anything":true}}"#),
            ("delete", r#"{"path":"/other/x","version":1}"#),
            ("heartbeat", "not even json"),
            ("message", "{}"),
        ] {
            assert!(
                matches!(
                    parse_stream_event(event, data).unwrap(),
                    StreamMessage::Ignored
                ),
                "{event}"
            );
        }
    }

    #[test]
    fn malformed_events_are_errors_naming_the_event() {
        for (event, data) in [
            ("put", "{not json"),
            ("put", r#"{"path":"/"}"#),
            ("put", r#"{"data":[1,2]}"#),
            (
                "put",
                r#"{"data":{"flags":{"f":{"key":"f","version":"one"}}}}"#,
            ),
            ("patch", r#"{"path":"/flags/f"}"#),
            (
                "patch",
                r#"{"path":"/flags/f","data":{"key":"f","version":-1}}"#,
            ),
            ("delete", r#"{"path":"/flags/f"}"#),
            ("delete", r#"{"path":"/flags/f","version":"2"}"#),
            ("patch", ""),
        ] {
            let err = parse_stream_event(event, data).unwrap_err();
            assert_eq!(err.event, event);
        }
    }
}
