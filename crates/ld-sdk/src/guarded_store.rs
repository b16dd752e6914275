//! The client's in-memory store, readable with no atomic read-modify-write at all.
//!
//! `ld-store`'s [`InMemoryDataStore`] hands out snapshots as `Arc`s: reading one costs atomic
//! read-modify-writes (an `arc-swap` debt slot or a reference count) on every evaluation — most
//! of the facade's overhead over the bare evaluator. This wrapper keeps that store for writes,
//! mirrors each new snapshot into an `ArcSwap` and bumps a generation counter. Each evaluating
//! thread caches the snapshot it last used with its generation; an evaluation only *loads* the
//! counter (a plain read on x86) and uses the cached snapshot unless a write happened since.
//!
//! The price: a thread keeps the last snapshot it used until it evaluates again after a change
//! (or the client is dropped and the thread evaluates with another client, or the thread exits).
//! Writes are rare and serialized by a mutex, so the mirror never goes back to an older snapshot.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use arc_swap::ArcSwap;
use ld_store::{
    AllData, DataStore, Flag, InMemoryDataStore, ItemDescriptor, Segment, Snapshot, StoreError,
};
use parking_lot::Mutex;

#[derive(Debug, Default)]
pub(crate) struct GuardedMemoryStore {
    store: InMemoryDataStore,
    mirror: ArcSwap<Snapshot>,
    /// Bumped after every write, once the mirror holds the new snapshot.
    generation: AtomicU64,
    writer: Mutex<()>,
}

/// One thread's cached snapshot of one store.
struct Cached {
    store: Weak<GuardedMemoryStore>,
    generation: u64,
    snapshot: Arc<Snapshot>,
}

thread_local! {
    static CACHE: RefCell<Vec<Cached>> = const { RefCell::new(Vec::new()) };
}

impl GuardedMemoryStore {
    /// Runs `read` on the current snapshot, from this thread's cache when nothing was written
    /// since this thread last read. `read` must not evaluate through this store again (it
    /// would fall back to a slower, still correct, path).
    #[inline]
    pub(crate) fn with_snapshot<R>(self: &Arc<Self>, read: impl FnOnce(&Snapshot) -> R) -> R {
        let generation = self.generation.load(Ordering::Acquire);
        let mut read = Some(read);
        let cached = CACHE.try_with(|cache| {
            let Ok(mut cache) = cache.try_borrow_mut() else {
                return None;
            };
            let position = match cache
                .iter()
                .position(|c| c.store.as_ptr() == Arc::as_ptr(self))
            {
                Some(i) => i,
                None => {
                    cache.retain(|c| c.store.strong_count() > 0);
                    cache.push(Cached {
                        store: Arc::downgrade(self),
                        generation,
                        snapshot: self.mirror.load_full(),
                    });
                    cache.len() - 1
                }
            };
            let entry = &mut cache[position];
            if entry.generation != generation {
                entry.snapshot = self.mirror.load_full();
                entry.generation = generation;
            }
            read.take().map(|read| read(&entry.snapshot))
        });
        match (cached, read) {
            (Ok(Some(result)), _) => result,
            // Thread-local storage unavailable (thread exiting) or re-entered: read directly.
            (_, Some(read)) => read(&self.mirror.load()),
            (_, None) => unreachable!("the reader ran but its result was lost"),
        }
    }

    fn write<T>(&self, apply: impl FnOnce(&InMemoryDataStore) -> T) -> T {
        let _writer = self.writer.lock();
        let result = apply(&self.store);
        self.mirror.store(self.store.snapshot());
        self.generation.fetch_add(1, Ordering::Release);
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
        let store = Arc::new(GuardedMemoryStore::default());
        assert!(!store.with_snapshot(Snapshot::initialized));
        store
            .init(AllData::from_json(r#"{"flags": {}}"#).unwrap())
            .unwrap();
        assert!(store.with_snapshot(Snapshot::initialized));
        let flag = ld_store::flag_from_json(r#"{"key": "f", "version": 2}"#).unwrap();
        assert!(store.upsert_flag("f", flag).unwrap());
        assert!(store.with_snapshot(|s| s.flag("f").is_some()));
        assert!(store.snapshot().flag("f").is_some());
        let stale = ld_store::flag_from_json(r#"{"key": "f", "version": 1}"#).unwrap();
        assert!(!store.upsert_flag("f", stale).unwrap());
    }

    #[test]
    fn another_threads_write_is_seen_and_dropped_stores_leave_the_cache() {
        let store = Arc::new(GuardedMemoryStore::default());
        assert!(!store.with_snapshot(Snapshot::initialized));
        let writer = store.clone();
        std::thread::spawn(move || writer.init(AllData::default()).unwrap())
            .join()
            .unwrap();
        assert!(store.with_snapshot(Snapshot::initialized));
        // A nested read through the same store still answers (by the direct path).
        assert!(store.with_snapshot(|_| store.with_snapshot(Snapshot::initialized)));

        drop(store);
        let other = Arc::new(GuardedMemoryStore::default());
        other.with_snapshot(|_| ());
        CACHE.with(|c| assert_eq!(c.borrow().len(), 1));
    }
}
