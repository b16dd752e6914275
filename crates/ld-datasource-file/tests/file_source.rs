//! The file data source with real files in temporary directories and real watcher events.

use ld_datasource_file::{DuplicateKeys, FileDataSource};
use ld_store::{DataSource, DataSourceState, DataSourceUpdateSink, ErrorKind, InMemoryDataStore};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

fn sink() -> Arc<DataSourceUpdateSink> {
    Arc::new(DataSourceUpdateSink::new(
        Arc::new(InMemoryDataStore::new()),
    ))
}

fn value_of(sink: &DataSourceUpdateSink, key: &str) -> Option<Value> {
    sink.store().flag(key).map(|f| f.variations[0].clone())
}

/// Polls `cond` until it holds or `WAIT` elapses.
fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    cond()
}

fn write(path: &Path, v: Value) {
    std::fs::write(path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
}

fn start(sink: &Arc<DataSourceUpdateSink>, paths: &[&Path], auto_reload: bool) -> FileDataSource {
    let source = FileDataSource::builder()
        .paths(paths.iter().copied())
        .auto_reload(auto_reload)
        .build();
    source.start(sink.clone());
    source
}

#[test]
fn loads_flags_flag_values_and_segments_from_several_files() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    write(
        &a,
        json!({"flags": {"full": {"on": true, "variations": [false, true], "fallthrough": {"variation": 1}}}}),
    );
    write(
        &b,
        json!({"flagValues": {"simple": "hello"}, "segments": {"beta": {"included": ["u1"]}}}),
    );
    let sink = sink();
    let _source = start(&sink, &[&a, &b], false);
    sink.status_provider().wait_initialized(WAIT).unwrap();
    // The source reports Valid right after storing the data, not atomically with it.
    assert!(eventually(
        || sink.status_provider().status().state == DataSourceState::Valid
    ));
    let store = sink.store();
    assert_eq!(store.flag("full").unwrap().version, 1);
    assert_eq!(value_of(&sink, "simple"), Some(json!("hello")));
    assert_eq!(store.segment("beta").unwrap().version, 1);
}

#[test]
fn a_missing_file_means_no_data_at_all_and_the_source_turns_off_without_auto_reload() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.json");
    write(&good, json!({"flagValues": {"x": 1}}));
    let missing = dir.path().join("missing.json");
    let sink = sink();
    let _source = start(&sink, &[&good, &missing], false);
    let err = sink.status_provider().wait_initialized(WAIT).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("missing.json"), "{text}");
    let status = sink.status_provider().status();
    assert_eq!(status.state, DataSourceState::Off);
    assert_eq!(status.last_error.unwrap().kind, ErrorKind::InvalidData);
    assert!(sink.store().flag("x").is_none());
    assert!(!sink.store().initialized());
}

#[test]
fn duplicate_keys_across_files_fail_the_load_and_name_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    write(&a, json!({"flagValues": {"dup": 1}}));
    write(&b, json!({"flagValues": {"dup": 2}}));
    let sink = sink();
    let _source = start(&sink, &[&a, &b], false);
    sink.status_provider().wait_initialized(WAIT).unwrap_err();
    let status = sink.status_provider().status();
    let err = status.last_error.unwrap();
    assert_eq!(err.kind, ErrorKind::InvalidData);
    assert!(
        err.message.contains("\"dup\"")
            && err.message.contains("a.json")
            && err.message.contains("b.json"),
        "{}",
        err.message
    );

    let keep_first = sink_with_policy(&[&a, &b], DuplicateKeys::KeepFirst);
    assert_eq!(value_of(&keep_first, "dup"), Some(json!(1)));
}

fn sink_with_policy(paths: &[&Path], policy: DuplicateKeys) -> Arc<DataSourceUpdateSink> {
    let sink = sink();
    let source = FileDataSource::builder()
        .paths(paths.iter().copied())
        .duplicate_keys(policy)
        .build();
    source.start(sink.clone());
    sink.status_provider().wait_initialized(WAIT).unwrap();
    sink
}

#[test]
fn a_modified_file_is_reloaded_and_change_listeners_fire() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flags.json");
    write(&path, json!({"flagValues": {"color": "red", "size": 1}}));
    let sink = sink();
    let _source = start(&sink, &[&path], true);
    sink.status_provider().wait_initialized(WAIT).unwrap();
    let changes = sink.flag_changes().subscribe();
    write(&path, json!({"flagValues": {"color": "blue", "size": 1}}));
    let event = changes.recv_timeout(WAIT).expect("change event");
    assert_eq!(event.key, "color");
    assert_eq!(value_of(&sink, "color"), Some(json!("blue")));
    assert_eq!(sink.store().flag("color").unwrap().version, 2);
    // "size" did not change, so no event for it arrived with this reload.
    assert!(changes.try_iter().all(|e| e.key != "size"));
}

#[test]
fn malformed_rewrite_keeps_last_good_data_and_a_fix_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flags.json");
    write(&path, json!({"flagValues": {"f": "good"}}));
    let sink = sink();
    let _source = start(&sink, &[&path], true);
    sink.status_provider().wait_initialized(WAIT).unwrap();
    let statuses = sink.status_provider().subscribe();

    // Replace atomically, so the only new content the watcher can see is the malformed one.
    let tmp = dir.path().join("flags.json.tmp");
    std::fs::write(&tmp, b"{\"flagValues\": {\"f\": ").unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    let interrupted = statuses.recv_timeout(WAIT).unwrap();
    assert_eq!(interrupted.state, DataSourceState::Interrupted);
    let err = interrupted.last_error.unwrap();
    assert_eq!(err.kind, ErrorKind::InvalidData);
    assert!(err.message.contains("flags.json:1:"), "{}", err.message);
    assert_eq!(value_of(&sink, "f"), Some(json!("good")));

    write(&path, json!({"flagValues": {"f": "fixed"}}));
    assert!(eventually(|| value_of(&sink, "f") == Some(json!("fixed"))));
    // The source reports Valid right after storing the data, not atomically with it.
    assert!(eventually(
        || sink.status_provider().status().state == DataSourceState::Valid
    ));
}

#[test]
fn saving_by_rename_over_the_file_is_picked_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flags.json");
    write(&path, json!({"flagValues": {"f": 1}}));
    let sink = sink();
    let _source = start(&sink, &[&path], true);
    sink.status_provider().wait_initialized(WAIT).unwrap();
    let tmp = dir.path().join(".flags.json.swp");
    write(&tmp, json!({"flagValues": {"f": 2}}));
    std::fs::rename(&tmp, &path).unwrap();
    assert!(eventually(|| value_of(&sink, "f") == Some(json!(2))));
    // And the watch survives the replaced inode.
    let tmp = dir.path().join(".flags.json.swp");
    write(&tmp, json!({"flagValues": {"f": 3}}));
    std::fs::rename(&tmp, &path).unwrap();
    assert!(eventually(|| value_of(&sink, "f") == Some(json!(3))));
}

#[test]
fn a_deleted_then_recreated_file_interrupts_then_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flags.json");
    write(&path, json!({"flagValues": {"f": 1}}));
    let sink = sink();
    let _source = start(&sink, &[&path], true);
    sink.status_provider().wait_initialized(WAIT).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(eventually(
        || sink.status_provider().status().state == DataSourceState::Interrupted
    ));
    assert_eq!(value_of(&sink, "f"), Some(json!(1)), "last good data kept");
    write(&path, json!({"flagValues": {"f": 2}}));
    assert!(eventually(|| value_of(&sink, "f") == Some(json!(2))));
    // The source reports Valid right after storing the data, not atomically with it.
    assert!(eventually(
        || sink.status_provider().status().state == DataSourceState::Valid
    ));
}

#[test]
fn changing_one_of_several_files_reloads_them_all_together() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    write(&a, json!({"flagValues": {"a": 1}}));
    write(&b, json!({"flagValues": {"b": 1}}));
    let sink = sink();
    let _source = start(&sink, &[&a, &b], true);
    sink.status_provider().wait_initialized(WAIT).unwrap();
    // Introducing a duplicate in b makes the whole set invalid: a's data stays as it was.
    write(&b, json!({"flagValues": {"b": 2, "a": 5}}));
    assert!(eventually(
        || sink.status_provider().status().state == DataSourceState::Interrupted
    ));
    assert_eq!(
        (value_of(&sink, "a"), value_of(&sink, "b")),
        (Some(json!(1)), Some(json!(1)))
    );
    write(&b, json!({"flagValues": {"b": 2}}));
    assert!(eventually(|| value_of(&sink, "b") == Some(json!(2))));
    assert_eq!(value_of(&sink, "a"), Some(json!(1)));
}

#[test]
fn stop_turns_the_source_off() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flags.json");
    write(&path, json!({"flagValues": {"f": 1}}));
    let sink = sink();
    let source = start(&sink, &[&path], true);
    sink.status_provider().wait_initialized(WAIT).unwrap();
    source.stop();
    assert_eq!(sink.status_provider().status().state, DataSourceState::Off);
    write(&path, json!({"flagValues": {"f": 2}}));
    assert_eq!(value_of(&sink, "f"), Some(json!(1)));
}

#[cfg(unix)]
#[test]
fn a_symlinked_file_is_reloaded_when_the_link_target_is_swapped() {
    // The layout Kubernetes uses for ConfigMap volumes.
    let dir = tempfile::tempdir().unwrap();
    let v1 = dir.path().join("..v1");
    std::fs::create_dir(&v1).unwrap();
    write(&v1.join("flags.json"), json!({"flagValues": {"f": 1}}));
    std::os::unix::fs::symlink("..v1", dir.path().join("..data")).unwrap();
    let path = dir.path().join("flags.json");
    std::os::unix::fs::symlink("..data/flags.json", &path).unwrap();
    let sink = sink();
    let _source = start(&sink, &[&path], true);
    sink.status_provider().wait_initialized(WAIT).unwrap();
    assert_eq!(value_of(&sink, "f"), Some(json!(1)));

    let v2 = dir.path().join("..v2");
    std::fs::create_dir(&v2).unwrap();
    write(&v2.join("flags.json"), json!({"flagValues": {"f": 2}}));
    std::os::unix::fs::symlink("..v2", dir.path().join("..data_tmp")).unwrap();
    std::fs::rename(dir.path().join("..data_tmp"), dir.path().join("..data")).unwrap();
    assert!(eventually(|| value_of(&sink, "f") == Some(json!(2))));
}
