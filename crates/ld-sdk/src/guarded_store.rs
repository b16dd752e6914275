//! The client's in-memory store, readable without touching a reference count.
//!
//! `ld-store`'s [`InMemoryDataStore`] hands out snapshots as `Arc`s (`load_full`): two atomic
//! read-modify-writes per evaluation. This wrapper keeps the same store for writes and mirrors
//! each new snapshot into an `ArcSwap` the client reads with `load()`, whose guard is (almost
//! always) free of shared-counter traffic. Writes are rare and serialized by a mutex, so the
//! mirror never goes back to an older snapshot.

use std::sync::Arc;

use arc_swap::{ArcSwap, Guard};
use ld_store::{
    AllData, DataStore, Flag, InMemoryDataStore, ItemDescriptor, Segment, Snapshot, StoreError,
};
use parking_lot::Mutex;

#[derive(Debug, Default)]
pub(crate) struct GuardedMemoryStore {
    store: InMemoryDataStore,
    mirror: ArcSwap<Snapshot>,
    writer: Mutex<()>,
}

impl GuardedMemoryStore {
    /// The current snapshot, borrowed through a guard (no reference count change).
    #[inline]
    pub(crate) fn load(&self) -> Guard<Arc<Snapshot>> {
        self.mirror.load()
    }

    fn write<T>(&self, apply: impl FnOnce(&InMemoryDataStore) -> T) -> T {
        let _writer = self.writer.lock();
        let result = apply(&self.store);
        self.mirror.store(self.store.snapshot());
        result
    }
}

impl DataStore for GuardedMemoryStore {
    fn init(&self, data: AllData) -> Result<(), StoreError> {
        self.write(|s| s.init(data))
    }

    fn upsert_flag(&self, key: &str, item: ItemDescriptor<Flag>) -> Result<bool, StoreError> {
        self.write(|s| s.upsert_flag(key, item))
    }

    fn upsert_segment(&self, key: &str, item: ItemDescriptor<Segment>) -> Result<bool, StoreError> {
        self.write(|s| s.upsert_segment(key, item))
    }

    fn initialized(&self) -> bool {
        self.mirror.load().initialized()
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        self.mirror.load_full()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_see_every_write() {
        let store = GuardedMemoryStore::default();
        assert!(!store.load().initialized());
        store
            .init(AllData::from_json(r#"{"flags": {}}"#).unwrap())
            .unwrap();
        assert!(store.load().initialized());
        let flag = ld_store::flag_from_json(r#"{"key": "f", "version": 2}"#).unwrap();
        assert!(store.upsert_flag("f", flag).unwrap());
        assert!(store.load().flag("f").is_some());
        assert!(store.snapshot().flag("f").is_some());
        let stale = ld_store::flag_from_json(r#"{"key": "f", "version": 1}"#).unwrap();
        assert!(!store.upsert_flag("f", stale).unwrap());
    }
}
