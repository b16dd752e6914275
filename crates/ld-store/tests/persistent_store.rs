//! The persistent store wrapper over a simple in-process database.

use ld_store::*;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;

/// A database kept in a map, shared between "processes" (wrapper instances).
#[derive(Clone, Default)]
struct MapDb {
    items: Arc<Mutex<HashMap<(DataKind, String), SerializedItem>>>,
    inited: Arc<Mutex<bool>>,
}

impl PersistentDataStore for MapDb {
    fn init(&self, data: SerializedAllData) -> Result<(), StoreError> {
        let mut items = self.items.lock();
        items.clear();
        for (k, v) in data.flags {
            items.insert((DataKind::Flag, k), v);
        }
        for (k, v) in data.segments {
            items.insert((DataKind::Segment, k), v);
        }
        *self.inited.lock() = true;
        Ok(())
    }
    fn get(&self, kind: DataKind, key: &str) -> Result<Option<SerializedItem>, StoreError> {
        Ok(self.items.lock().get(&(kind, key.to_string())).cloned())
    }
    fn get_all(&self, kind: DataKind) -> Result<Vec<(String, SerializedItem)>, StoreError> {
        Ok(self
            .items
            .lock()
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|((_, key), v)| (key.clone(), v.clone()))
            .collect())
    }
    fn upsert(&self, kind: DataKind, key: &str, item: SerializedItem) -> Result<bool, StoreError> {
        let mut items = self.items.lock();
        let k = (kind, key.to_string());
        if items.get(&k).is_some_and(|old| old.version >= item.version) {
            return Ok(false);
        }
        items.insert(k, item);
        Ok(true)
    }
    fn initialized(&self) -> Result<bool, StoreError> {
        Ok(*self.inited.lock())
    }
}

#[test]
fn another_process_sees_written_data_after_refresh_including_tombstones() {
    let db = MapDb::default();
    let writer = PersistentDataStoreWrapper::new(db.clone());
    writer
        .init(AllData::from_json(r#"{"flags":{"a":{"key":"a","version":1},"b":{"key":"b","version":1}},"segments":{"s":{"key":"s","version":2}}}"#).unwrap())
        .unwrap();
    writer
        .upsert_flag("b", ItemDescriptor::tombstone(2))
        .unwrap();

    let reader = PersistentDataStoreWrapper::new(db.clone());
    assert!(reader.initialized(), "the database says it was initialized");
    assert!(reader.flag("a").is_none(), "nothing cached before refresh");
    reader.refresh().unwrap();
    assert_eq!(reader.flag("a").unwrap().key, "a");
    assert!(reader.flag("b").is_none());
    assert_eq!(reader.snapshot().flag_descriptor("b").unwrap().version, 2);
    assert_eq!(reader.segment("s").unwrap().version, 2);
    let stored = db.get(DataKind::Flag, "b").unwrap().unwrap();
    assert!(stored.deleted);
    assert!(stored.json.contains("\"deleted\":true"));
}

#[test]
fn refresh_of_an_uninitialized_database_leaves_the_store_uninitialized() {
    let reader = PersistentDataStoreWrapper::new(MapDb::default());
    reader.refresh().unwrap();
    assert!(!reader.initialized());
}
