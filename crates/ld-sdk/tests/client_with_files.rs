//! The client reading flags from real files in a temporary directory.
#![cfg(feature = "file")]

use std::time::Duration;

use ld_sdk::{
    Client, Config, ContextBuilder, DataSourceConfig, DataSourceErrorKind, DataSourceState,
    InitializationError,
};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);

fn write(path: &std::path::Path, value: serde_json::Value) {
    std::fs::write(path, serde_json::to_vec(&value).unwrap()).unwrap();
}

fn client_for(paths: &[&std::path::Path], auto_update: bool) -> Client {
    Client::new(
        Config::builder("any-key")
            .data_source(DataSourceConfig::files(paths.iter().copied(), auto_update))
            .send_events(false)
            .build()
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn flags_and_flag_values_from_several_files_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("values.json");
    let full = dir.path().join("full.json");
    write(
        &values,
        json!({"flagValues": {"greeting": "hello", "limit": 3}}),
    );
    write(
        &full,
        json!({
            "flags": {"targeted": {"key": "targeted", "on": true, "variations": [false, true],
                "fallthrough": {"variation": 0}, "targets": [{"values": ["vip"], "variation": 1}]}},
            "segments": {}
        }),
    );
    let client = client_for(&[&values, &full], false);
    client.wait_for_initialization(WAIT).unwrap();
    let vip = ContextBuilder::new("vip").build().unwrap();
    let other = ContextBuilder::new("other").build().unwrap();
    assert_eq!(client.string_variation("greeting", &other, "?"), "hello");
    assert_eq!(client.int_variation("limit", &other, 0), 3);
    assert!(client.bool_variation("targeted", &vip, false));
    assert!(!client.bool_variation("targeted", &other, true));
    client.close();
}

#[test]
fn a_malformed_file_is_reported_by_wait_for_initialization() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(&path, "{ not json").unwrap();
    let client = client_for(&[&path], false);
    let err = client
        .wait_for_initialization(Duration::from_millis(300))
        .unwrap_err();
    let kind = match &err {
        InitializationError::Timeout { last_error, .. }
        | InitializationError::Failed { last_error } => last_error.as_ref().map(|e| e.kind),
        other => panic!("unexpected {other}"),
    };
    assert_eq!(kind, Some(DataSourceErrorKind::InvalidData), "{err}");
    client.close();
}

#[test]
fn edited_files_are_reloaded_when_auto_update_is_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flags.json");
    write(&path, json!({"flagValues": {"mode": "a"}}));
    let client = client_for(&[&path], true);
    client.wait_for_initialization(WAIT).unwrap();
    let user = ContextBuilder::new("u").build().unwrap();
    assert_eq!(client.string_variation("mode", &user, "?"), "a");

    let changes = client.subscribe_flag_value("mode", &user, json!(null));
    write(&path, json!({"flagValues": {"mode": "b"}}));
    let change = changes.recv_timeout(WAIT).expect("the edit is noticed");
    assert_eq!(change.new_value, json!("b"));
    assert_eq!(client.string_variation("mode", &user, "?"), "b");
    assert_eq!(client.data_source_status().state, DataSourceState::Valid);
    client.close();
}
