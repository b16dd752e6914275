//! The in-memory data store: an atomically swapped immutable snapshot.

use crate::all_data::AllData;
use crate::data_store::{DataStore, StoreError};
use crate::item_descriptor::ItemDescriptor;
use crate::model::{Flag, Segment};
use crate::snapshot::{ItemMap, Snapshot};
use arc_swap::ArcSwap;
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A data set that an `init` replaces within this long of installing it is freed by that
/// writer rather than in the background: `put`s are arriving back to back, so the next one
/// would be parsed while the reclaimer thread frees this one, and the two threads' calls into
/// the allocator would wait on each other. Measured with 10,000 flags (`put_spacing` example,
/// writer CPU time a put, `benches/README.md`, "Streaming put"): back to back, 43–61 ms when
/// the writer frees and 59–89 ms when the reclaimer does; 150 ms apart with caches flushed,
/// 62–65 ms and 54–57 ms.
const BURST_INTERVAL: Duration = Duration::from_millis(100);

/// The default store: holds everything in memory as an [`ArcSwap`] of an immutable
/// [`Snapshot`].
///
/// Readers load the current snapshot without locking. Writers serialize among themselves on a
/// mutex, build the next snapshot off to the side and swap it in, so even a 10,000-flag `init`
/// never makes a reader wait. The snapshot an `init` replaces is freed on a background thread
/// once readers let go of it, so neither the writer nor a reader pays for freeing it; when
/// `init`s come back to back (less than 100 ms apart), the writer frees the replaced one
/// itself if no reader holds it, which costs it less than competing with the background
/// thread for the allocator. An `upsert` copies only the map of its own kind, and only `Arc`
/// pointers, never flag data.
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
    /// Serializes writers; holds when the last `init` installed its data set.
    writer: Mutex<Option<Instant>>,
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
        next.generation = crate::snapshot::fresh_generation();
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
            generation: crate::snapshot::fresh_generation(),
        };
        crate::reclaimer::start();
        let mut last_init = self.writer.lock();
        let old = self.current.swap(Arc::new(next));
        let now = Instant::now();
        let back_to_back = last_init
            .replace(now)
            .is_some_and(|at| now.duration_since(at) < BURST_INTERVAL);
        // Other writers need not wait while the previous data set is freed.
        drop(last_init);
        if back_to_back {
            crate::reclaimer::free_unless_shared(old);
        } else {
            crate::reclaimer::retire_snapshot(old);
        }
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
