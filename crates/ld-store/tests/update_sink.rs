//! Behaviour of the update sink: change events through the dependency graph, value change
//! subscriptions, store failures and status.

use ld_store::*;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::mpsc::Receiver;

fn data(json: Value) -> AllData {
    AllData::from_json(&json.to_string()).unwrap()
}

fn drain(rx: &Receiver<FlagChangeEvent>) -> Vec<String> {
    let mut keys: Vec<String> = rx.try_iter().map(|e| e.key).collect();
    keys.sort();
    keys
}

fn base() -> Value {
    json!({
        "flags": {
            "uses-seg": {"key": "uses-seg", "version": 1,
                "rules": [{"clauses": [{"attribute": "key", "op": "segmentMatch", "values": ["s"]}]}]},
            "needs-prereq": {"key": "needs-prereq", "version": 1,
                "prerequisites": [{"key": "uses-seg", "variation": 0}]},
            "independent": {"key": "independent", "version": 1}
        },
        "segments": {"s": {"key": "s", "version": 1}}
    })
}

#[test]
fn changing_a_segment_notifies_flags_that_use_it_directly_and_through_prerequisites() {
    let sink = DataSourceUpdateSink::new(Arc::new(InMemoryDataStore::new()));
    sink.init(data(base()));
    let rx = sink.flag_changes().subscribe();
    sink.upsert_segment(
        "s",
        segment_from_json(r#"{"key":"s","version":2}"#).unwrap(),
    );
    assert_eq!(drain(&rx), ["needs-prereq", "uses-seg"]);
}

#[test]
fn a_stale_update_notifies_nobody() {
    let sink = DataSourceUpdateSink::new(Arc::new(InMemoryDataStore::new()));
    sink.init(data(base()));
    let rx = sink.flag_changes().subscribe();
    assert!(sink.upsert_flag(
        "independent",
        flag_from_json(r#"{"key":"independent","version":1}"#).unwrap()
    ));
    assert!(drain(&rx).is_empty());
}

#[test]
fn reinit_notifies_only_changed_added_and_removed_flags_and_their_dependents() {
    let sink = DataSourceUpdateSink::new(Arc::new(InMemoryDataStore::new()));
    sink.init(data(base()));
    let rx = sink.flag_changes().subscribe();
    let mut next = base();
    next["flags"]["uses-seg"]["version"] = json!(2);
    next["flags"].as_object_mut().unwrap().remove("independent");
    next["flags"]["added"] = json!({"key": "added", "version": 1});
    sink.init(data(next));
    assert_eq!(
        drain(&rx),
        ["added", "independent", "needs-prereq", "uses-seg"]
    );
    // Identical data again: nothing changed.
    let mut same = base();
    same["flags"]["uses-seg"]["version"] = json!(2);
    same["flags"].as_object_mut().unwrap().remove("independent");
    same["flags"]["added"] = json!({"key": "added", "version": 1});
    sink.init(data(same));
    assert!(drain(&rx).is_empty());
}

#[test]
fn a_subscriber_arriving_after_puts_without_one_still_hears_about_dependents() {
    // Puts and patches without a subscriber keep no dependency graph; the first write that
    // finds one must still know every dependency of the data written before.
    let sink = DataSourceUpdateSink::new(Arc::new(InMemoryDataStore::new()));
    sink.init(data(base()));
    sink.upsert_flag(
        "independent",
        flag_from_json(r#"{"key":"independent","version":2,"prerequisites":[{"key":"uses-seg","variation":0}]}"#)
            .unwrap(),
    );
    sink.init(data(base()));
    let rx = sink.flag_changes().subscribe();
    let mut next = base();
    next["segments"]["s"]["version"] = json!(2);
    sink.init(data(next));
    assert_eq!(drain(&rx), ["needs-prereq", "uses-seg"]);
    // Unsubscribed again: a patch keeps no graph; subscribed again: the next patch rebuilds it.
    drop(rx);
    sink.upsert_flag(
        "independent",
        flag_from_json(r#"{"key":"independent","version":3,"prerequisites":[{"key":"needs-prereq","variation":0}]}"#)
            .unwrap(),
    );
    let rx = sink.flag_changes().subscribe();
    sink.upsert_segment(
        "s",
        segment_from_json(r#"{"key":"s","version":3}"#).unwrap(),
    );
    assert_eq!(drain(&rx), ["independent", "needs-prereq", "uses-seg"]);
}

#[test]
fn deleting_a_prerequisite_notifies_its_dependents() {
    let sink = DataSourceUpdateSink::new(Arc::new(InMemoryDataStore::new()));
    sink.init(data(base()));
    let rx = sink.flag_changes().subscribe();
    sink.upsert_flag("uses-seg", ItemDescriptor::tombstone(9));
    assert_eq!(drain(&rx), ["needs-prereq", "uses-seg"]);
}

#[test]
fn value_subscriptions_fire_only_when_the_evaluated_value_changes() {
    let sink = DataSourceUpdateSink::new(Arc::new(InMemoryDataStore::new()));
    sink.init(data(
        json!({"flags": {"f": {"key": "f", "version": 1, "variations": ["a"]}}}),
    ));
    // A stand-in evaluator: the flag's first variation, or null when missing.
    let first_variation = |snap: &Snapshot, key: &str| {
        snap.flag(key)
            .and_then(|f| f.variations.first().cloned())
            .unwrap_or(Value::Null)
    };
    let rx = sink.flag_changes().subscribe_value("f", first_variation);
    sink.upsert_flag(
        "f",
        flag_from_json(r#"{"key":"f","version":2,"variations":["a"]}"#).unwrap(),
    );
    assert!(rx.try_recv().is_err(), "same value, no event");
    sink.upsert_flag(
        "f",
        flag_from_json(r#"{"key":"f","version":3,"variations":["b"]}"#).unwrap(),
    );
    let ev = rx.try_recv().unwrap();
    assert_eq!(
        (ev.key.as_str(), ev.old_value, ev.new_value),
        ("f", json!("a"), json!("b"))
    );
    sink.upsert_flag("f", ItemDescriptor::tombstone(4));
    assert_eq!(rx.try_recv().unwrap().new_value, Value::Null);
}

/// A database that refuses every write.
struct BrokenDb;
impl PersistentDataStore for BrokenDb {
    fn init(&self, _: SerializedAllData) -> Result<(), StoreError> {
        Err(StoreError::new("connection refused"))
    }
    fn get(&self, _: DataKind, _: &str) -> Result<Option<SerializedItem>, StoreError> {
        Err(StoreError::new("connection refused"))
    }
    fn get_all(&self, _: DataKind) -> Result<Vec<(String, SerializedItem)>, StoreError> {
        Err(StoreError::new("connection refused"))
    }
    fn upsert(&self, _: DataKind, _: &str, _: SerializedItem) -> Result<bool, StoreError> {
        Err(StoreError::new("connection refused"))
    }
    fn initialized(&self) -> Result<bool, StoreError> {
        Err(StoreError::new("connection refused"))
    }
}

#[test]
fn a_failing_store_interrupts_the_status_with_a_store_error_but_the_cache_serves_new_data() {
    let sink = DataSourceUpdateSink::new(Arc::new(PersistentDataStoreWrapper::new(BrokenDb)));
    sink.update_status(DataSourceState::Valid, None);
    assert!(!sink.init(data(base())));
    let status = sink.status_provider().status();
    assert_eq!(status.state, DataSourceState::Interrupted);
    let err = status.last_error.unwrap();
    assert_eq!(err.kind, ErrorKind::StoreError);
    assert!(err.message.contains("connection refused"));
    assert!(sink.store().flag("independent").is_some());
}

#[test]
fn value_change_subscription_with_the_real_evaluator_sees_a_segment_change() {
    let sink = DataSourceUpdateSink::new(Arc::new(InMemoryDataStore::new()));
    sink.init(data(json!({
        "flags": {"beta": {"key": "beta", "version": 1, "on": true, "variations": [false, true],
            "fallthrough": {"variation": 0},
            "rules": [{"id": "r", "variation": 1,
                "clauses": [{"attribute": "key", "op": "segmentMatch", "values": ["testers"]}]}]}},
        "segments": {"testers": {"key": "testers", "version": 1, "included": []}}
    })));
    let context =
        ld_eval::Context::from_json_value(&json!({"kind": "user", "key": "ann"})).unwrap();
    let rx = sink
        .flag_changes()
        .subscribe_value("beta", move |snap, key| {
            snap.flag(key)
                .and_then(|f| ld_eval::evaluate(snap, f, &context).value.cloned())
                .unwrap_or(Value::Null)
        });
    sink.upsert_segment(
        "testers",
        segment_from_json(r#"{"key":"testers","version":2,"included":["ann"]}"#).unwrap(),
    );
    let ev = rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
    assert_eq!((ev.old_value, ev.new_value), (json!(false), json!(true)));
}
