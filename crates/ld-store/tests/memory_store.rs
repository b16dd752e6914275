//! Behaviour of the in-memory data store.

use ld_store::{
    AllData, DataStore, InMemoryDataStore, ItemDescriptor, flag_from_json, segment_from_json,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn flag(key: &str, version: u64) -> ItemDescriptor<ld_store::Flag> {
    flag_from_json(&format!(r#"{{"key":"{key}","version":{version}}}"#)).unwrap()
}

#[test]
fn upsert_applies_only_strictly_newer_versions() {
    let store = InMemoryDataStore::new();
    assert!(store.upsert_flag("f", flag("f", 2)).unwrap());
    assert!(!store.upsert_flag("f", flag("f", 2)).unwrap());
    assert!(!store.upsert_flag("f", flag("f", 1)).unwrap());
    assert_eq!(store.flag("f").unwrap().version, 2);
    assert!(store.upsert_flag("f", flag("f", 3)).unwrap());
    assert_eq!(store.flag("f").unwrap().version, 3);
}

#[test]
fn a_tombstone_hides_the_item_and_blocks_older_resurrection() {
    let store = InMemoryDataStore::new();
    store.upsert_flag("f", flag("f", 1)).unwrap();
    assert!(
        store
            .upsert_flag("f", ItemDescriptor::tombstone(5))
            .unwrap()
    );
    assert!(store.flag("f").is_none());
    assert!(store.all_flags().is_empty());
    assert!(!store.upsert_flag("f", flag("f", 4)).unwrap());
    assert!(store.flag("f").is_none());
    assert_eq!(store.snapshot().flag_descriptor("f").unwrap().version, 5);
    assert!(store.upsert_flag("f", flag("f", 6)).unwrap());
    assert!(store.flag("f").is_some());
}

#[test]
fn init_replaces_everything_and_marks_the_store_initialized() {
    let store = InMemoryDataStore::new();
    store.upsert_flag("old", flag("old", 1)).unwrap();
    assert!(!store.initialized());
    let data = AllData::from_json(
        r#"{"flags":{"new":{"key":"new","version":1}},"segments":{"s":{"key":"s","version":3}}}"#,
    )
    .unwrap();
    store.init(data).unwrap();
    assert!(store.initialized());
    assert!(store.flag("old").is_none());
    assert!(store.flag("new").is_some());
    assert_eq!(store.segment("s").unwrap().version, 3);
}

fn freed_within(weak: &std::sync::Weak<ld_store::Snapshot>, limit: Duration) -> bool {
    let start = Instant::now();
    while weak.strong_count() > 0 {
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    true
}

#[test]
fn back_to_back_inits_free_the_data_set_they_replace_unless_a_reader_holds_it() {
    let store = InMemoryDataStore::new();
    let json = r#"{"flags":{"f":{"key":"f","version":1}},"segments":{}}"#;
    let started = Instant::now();
    store.init(AllData::from_json(json).unwrap()).unwrap();
    let first = Arc::downgrade(&store.snapshot());
    store.init(AllData::from_json(json).unwrap()).unwrap();
    // Less than the store's 100 ms apart (as on any machine not stalled for that long): the
    // writer freed the replaced data set before returning.
    if started.elapsed() < Duration::from_millis(50) {
        assert_eq!(first.strong_count(), 0, "freed by the writer");
    }
    assert!(freed_within(&first, Duration::from_secs(5)));

    // A reader still holding the replaced data set keeps it until it lets go.
    let held = store.snapshot();
    let second = Arc::downgrade(&held);
    store.init(AllData::from_json(json).unwrap()).unwrap();
    assert!(held.flag("f").is_some());
    drop(held);
    assert!(freed_within(&second, Duration::from_secs(5)));
}

#[test]
fn a_data_set_current_for_a_while_is_freed_in_the_background_once_replaced() {
    let store = InMemoryDataStore::new();
    let json = r#"{"flags":{"f":{"key":"f","version":1}},"segments":{}}"#;
    store.init(AllData::from_json(json).unwrap()).unwrap();
    let first = Arc::downgrade(&store.snapshot());
    std::thread::sleep(Duration::from_millis(150));
    store.init(AllData::from_json(json).unwrap()).unwrap();
    assert!(store.flag("f").is_some());
    assert!(freed_within(&first, Duration::from_secs(5)));
}

#[test]
fn a_snapshot_taken_before_a_write_never_changes() {
    let store = InMemoryDataStore::new();
    store.upsert_flag("f", flag("f", 1)).unwrap();
    let before = store.snapshot();
    store.upsert_flag("f", flag("f", 2)).unwrap();
    store
        .upsert_segment(
            "s",
            segment_from_json(r#"{"key":"s","version":1}"#).unwrap(),
        )
        .unwrap();
    assert_eq!(before.flag("f").unwrap().version, 1);
    assert!(before.segment("s").is_none());
    assert_eq!(store.snapshot().flag("f").unwrap().version, 2);
}

#[test]
fn unchanged_flags_are_shared_between_snapshots_not_copied() {
    let store = InMemoryDataStore::new();
    store.upsert_flag("a", flag("a", 1)).unwrap();
    let before = store.snapshot().flag_arc("a").unwrap();
    store.upsert_flag("b", flag("b", 1)).unwrap();
    assert!(Arc::ptr_eq(
        &before,
        &store.snapshot().flag_arc("a").unwrap()
    ));
}

#[test]
fn readers_see_whole_data_sets_while_a_ten_thousand_flag_init_runs() {
    let store = Arc::new(InMemoryDataStore::new());
    let big = |version: u64| {
        let mut data = AllData::default();
        for i in 0..10_000 {
            let key = format!("flag-{i}");
            data.flags.insert(key.as_str().into(), flag(&key, version));
        }
        data
    };
    store.init(big(1)).unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (store, done) = (store.clone(), done.clone());
        std::thread::spawn(move || {
            let mut reads = 0u64;
            while !done.load(Ordering::Acquire) || reads == 0 {
                let snap = store.snapshot();
                let v = snap.flag("flag-0").unwrap().version;
                assert_eq!(snap.flag("flag-9999").unwrap().version, v, "torn snapshot");
                reads += 1;
            }
            reads
        })
    };
    for v in 2..6 {
        store.init(big(v)).unwrap();
    }
    done.store(true, Ordering::Release);
    assert!(reader.join().unwrap() > 0);
    assert_eq!(store.flag("flag-1").unwrap().version, 5);
}
