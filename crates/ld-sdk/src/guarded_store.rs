//! The client's in-memory store, readable without touching a reference count.
//!
//! `ld-store`'s [`InMemoryDataStore`] hands out snapshots as `Arc`s (`load_full`): two atomic
//! read-modify-writes per evaluation. This wrapper keeps the same store for writes and mirrors
//! each new snapshot into an `ArcSwap`. Writes are rare and serialized by a mutex, so the mirror
//! never goes back to an older snapshot.
//!
//! Evaluations read through [`GuardedMemoryStore::with_snapshot`]: each thread keeps the last
//! snapshot it read, tagged with the store's write generation, and reuses it while the
//! generation is unchanged. A read is then one atomic load (a plain load on x86) and two
//! compares, instead of an `ArcSwap` guard (about a hundred instructions with its release). The
//! price: a thread that stops evaluating keeps the snapshot it last read alive until it
//! evaluates again or exits (as `arc_swap::Cache` does). When a thread swaps its cached snapshot
//! for a newer one, the old one goes to `ld_store::retire_snapshot`, so that an evaluation never
//! pays for freeing a replaced data set. Along with the snapshot, a thread keeps the
//! [`HotKeys`] it filled from it, so that flags and segments it evaluates again are found
//! without hashing their keys (see `hot_keys`), and its [`ThreadTally`] for the client's event
//! processor, so that counting an evaluation needs no thread-local lookup of its own.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::{ArcSwap, Guard};
use ld_events::ThreadTally;
use ld_store::{
    AllData, DataStore, Flag, InMemoryDataStore, ItemDescriptor, Segment, Snapshot, StoreError,
};
use parking_lot::Mutex;

use crate::hot_keys::HotKeys;
use crate::snapshot_view::SnapshotView;

/// Source of store identities, so that a thread's cached snapshot is never used for another
/// client's store.
static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

/// The snapshot this thread read last, with the flags and segments it found in it, and the
/// thread's summary state for the client's event processor.
struct CachedSnapshot {
    store_id: u64,
    generation: u64,
    snapshot: Arc<Snapshot>,
    hot: HotKeys,
    tally: ThreadTally,
}

thread_local! {
    static LAST_READ: RefCell<Option<CachedSnapshot>> = const { RefCell::new(None) };
}

#[derive(Debug)]
pub(crate) struct GuardedMemoryStore {
    store: InMemoryDataStore,
    mirror: ArcSwap<Snapshot>,
    writer: Mutex<()>,
    id: u64,
    /// Bumped (after the mirror is updated) by every write.
    generation: AtomicU64,
}

impl Default for GuardedMemoryStore {
    fn default() -> Self {
        Self {
            store: InMemoryDataStore::default(),
            mirror: ArcSwap::default(),
            writer: Mutex::new(()),
            id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
            generation: AtomicU64::new(0),
        }
    }
}

impl GuardedMemoryStore {
    /// The current snapshot, borrowed through a guard (no reference count change).
    #[inline]
    pub(crate) fn load(&self) -> Guard<Arc<Snapshot>> {
        self.mirror.load()
    }

    /// Runs `read` on the current snapshot, reusing this thread's cached one (and the
    /// [`HotKeys`] filled from it) when no write happened since it was taken. Re-entrant use
    /// (a big segment store or recorder that evaluates again on the same thread) falls back to
    /// an `ArcSwap` guard.
    #[inline]
    pub(crate) fn with_snapshot<R>(&self, read: impl FnOnce(SnapshotView<'_>) -> R) -> R {
        // Acquire pairs with the writer's release increment, which follows its mirror update:
        // a thread that sees generation g then loads a snapshot at least as new as write g.
        let generation = self.generation.load(Ordering::Acquire);
        LAST_READ.with(|cell| {
            let mut last = cell.try_borrow_mut().ok();
            if let Some(last) = last.as_deref_mut() {
                let fresh =
                    matches!(last, Some(c) if c.store_id == self.id && c.generation == generation);
                if !fresh {
                    self.refresh(last, generation);
                }
            }
            // `read` is called from one place only, so that it is inlined here rather than
            // compiled out of line with its captures copied into it.
            let guard;
            let view = match last.as_deref() {
                Some(Some(c)) => SnapshotView::with_hot_keys(&c.snapshot, &c.hot, &c.tally),
                _ => {
                    guard = self.mirror.load();
                    SnapshotView::plain(&guard)
                }
            };
            read(view)
        })
    }

    /// Points this thread's cache at the current snapshot, emptying its hot keys.
    #[cold]
    #[inline(never)]
    fn refresh(&self, last: &mut Option<CachedSnapshot>, generation: u64) {
        let snapshot = self.mirror.load_full();
        match last {
            Some(c) => {
                // The hot keys' items all belong to the old snapshot, which still holds them:
                // emptying the table frees nothing.
                c.hot.clear();
                // The tally stays with the client that used it first (another client's event
                // processor uses its own thread-local state), so threads that alternate
                // between clients lose no per-thread state at each switch.
                c.store_id = self.id;
                c.generation = generation;
                let replaced = std::mem::replace(&mut c.snapshot, snapshot);
                // This thread may hold the last reference to a replaced data set: freeing
                // thousands of flags here would stall this evaluation, so a background thread
                // does it.
                ld_store::retire_snapshot(replaced);
            }
            None => {
                *last = Some(CachedSnapshot {
                    store_id: self.id,
                    generation,
                    snapshot,
                    hot: HotKeys::default(),
                    tally: ThreadTally::default(),
                });
            }
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

    fn flag_version(store: &GuardedMemoryStore, key: &str) -> Option<u64> {
        store.with_snapshot(|s| s.flag(key).map(|f| f.version))
    }

    #[test]
    fn cached_reads_see_every_write_from_any_thread() {
        let store = Arc::new(GuardedMemoryStore::default());
        assert_eq!(flag_version(&store, "f"), None);
        let v1 = ld_store::flag_from_json(r#"{"key": "f", "version": 1}"#).unwrap();
        store.upsert_flag("f", v1).unwrap();
        assert_eq!(flag_version(&store, "f"), Some(1));
        for version in 2..50 {
            let writer = Arc::clone(&store);
            std::thread::spawn(move || {
                let json = format!(r#"{{"key": "f", "version": {version}}}"#);
                let flag = ld_store::flag_from_json(&json).unwrap();
                writer.upsert_flag("f", flag).unwrap();
            })
            .join()
            .unwrap();
            assert_eq!(flag_version(&store, "f"), Some(version));
        }
    }

    #[test]
    fn segments_found_through_the_hot_keys_follow_every_write() {
        let store = GuardedMemoryStore::default();
        let key = "s";
        let version = |store: &GuardedMemoryStore| {
            store.with_snapshot(|view| view.segment(key).map(|s| s.version))
        };
        assert_eq!(version(&store), None);
        for v in 1..5 {
            let json = format!(r#"{{"key": "s", "version": {v}}}"#);
            let segment = ld_store::segment_from_json(&json).unwrap();
            store.upsert_segment(key, segment).unwrap();
            // Twice: the first read fills this thread's hot keys, the second reads them.
            assert_eq!(version(&store), Some(v));
            assert_eq!(version(&store), Some(v));
        }
        let gone = ld_store::segment_from_json(r#"{"version": 9, "deleted": true}"#).unwrap();
        store.upsert_segment(key, gone).unwrap();
        assert_eq!(version(&store), None);
    }

    #[test]
    fn two_stores_read_on_one_thread_never_share_a_cached_snapshot() {
        let a = GuardedMemoryStore::default();
        let b = GuardedMemoryStore::default();
        a.upsert_flag(
            "f",
            ld_store::flag_from_json(r#"{"key": "f", "version": 3}"#).unwrap(),
        )
        .unwrap();
        b.upsert_flag(
            "f",
            ld_store::flag_from_json(r#"{"key": "f", "version": 7}"#).unwrap(),
        )
        .unwrap();
        for _ in 0..3 {
            assert_eq!(flag_version(&a, "f"), Some(3));
            assert_eq!(flag_version(&b, "f"), Some(7));
        }
    }

    #[test]
    fn a_read_inside_a_read_falls_back_to_the_shared_snapshot() {
        let store = GuardedMemoryStore::default();
        store
            .upsert_flag(
                "f",
                ld_store::flag_from_json(r#"{"key": "f", "version": 4}"#).unwrap(),
            )
            .unwrap();
        let nested = store.with_snapshot(|outer| {
            let inner = flag_version(&store, "f");
            (outer.flag("f").map(|f| f.version), inner)
        });
        assert_eq!(nested, (Some(4), Some(4)));
    }
}
