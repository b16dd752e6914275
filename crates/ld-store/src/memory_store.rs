//! The in-memory data store: an atomically swapped immutable snapshot.

use crate::all_data::AllData;
use crate::data_store::{DataStore, StoreError};
use crate::item_descriptor::ItemDescriptor;
use crate::model::{Flag, Segment};
use crate::snapshot::{ItemMap, Snapshot};
use arc_swap::ArcSwap;
use parking_lot::Mutex;
use std::sync::Arc;

/// The default store: holds everything in memory as an [`ArcSwap`] of an immutable
/// [`Snapshot`].
///
/// Readers load the current snapshot without locking. Writers serialize among themselves on a
/// mutex, build the next snapshot off to the side and swap it in, so even a 10,000-flag `init`
/// never makes a reader wait; the snapshot an `init` replaces is freed on a background thread,
/// so neither the writer nor a reader pays for freeing it. An `upsert` copies only the map of its own kind, and only
/// `Arc` pointers, never flag data.
///
/// ```
/// use ld_store::{AllData, DataStore, InMemoryDataStore};
/// let store = InMemoryDataStore::new();
/// assert!(!store.initialized());
/// store.init(AllData::default()).unwrap();
/// assert!(store.initialized());
/// ```
#[derive(Debug, Default)]
pub struct InMemoryDataStore {
    current: ArcSwap<Snapshot>,
    writer: Mutex<()>,
}

impl InMemoryDataStore {
    /// An empty, uninitialized store.
    pub fn new() -> Self {
        Self::default()
    }

    fn upsert<T>(
        &self,
        key: &str,
        item: ItemDescriptor<T>,
        select: impl Fn(&mut Snapshot) -> &mut Arc<ItemMap<T>>,
    ) -> bool {
        let _guard = self.writer.lock();
        // Cloning the snapshot copies two `Arc`s; `make_mut` then copies only this kind's map
        // of `Arc` pointers (readers keep the old one).
        let mut next = (**self.current.load()).clone();
        let map = select(&mut next);
        if map.get(key).is_some_and(|d| d.version >= item.version) {
            return false;
        }
        Arc::make_mut(map).insert(Arc::from(key), item);
        self.current.store(Arc::new(next));
        true
    }
}

impl DataStore for InMemoryDataStore {
    fn init(&self, data: AllData) -> Result<(), StoreError> {
        // The parsed maps become the snapshot's as they are: no key is copied or rehashed.
        let next = Snapshot {
            flags: Arc::new(data.flags),
            segments: Arc::new(data.segments),
            initialized: true,
        };
        crate::reclaimer::start();
        let _guard = self.writer.lock();
        let old = self.current.swap(Arc::new(next));
        // Freeing the previous data set costs about as much as parsing the new one: leave it
        // to the reclaimer thread rather than this writer or a reader.
        crate::reclaimer::retire_snapshot(old);
        Ok(())
    }

    fn upsert_flag(&self, key: &str, item: ItemDescriptor<Flag>) -> Result<bool, StoreError> {
        Ok(self.upsert(key, item, |s| &mut s.flags))
    }

    fn upsert_segment(&self, key: &str, item: ItemDescriptor<Segment>) -> Result<bool, StoreError> {
        Ok(self.upsert(key, item, |s| &mut s.segments))
    }

    fn initialized(&self) -> bool {
        self.current.load().initialized
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }
}
