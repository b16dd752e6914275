//! The `DataStore` trait: where flags and segments live between data source and evaluator.

use crate::all_data::AllData;
use crate::item_descriptor::ItemDescriptor;
use crate::model::{Flag, Segment};
use crate::snapshot::Snapshot;
use std::sync::Arc;

/// A data store failed to apply a write (only persistent stores fail; the in-memory store
/// never does).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("data store error: {message}")]
pub struct StoreError {
    /// What went wrong (never contains credentials).
    pub message: String,
}

impl StoreError {
    /// A store error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// Holds the current flags and segments.
///
/// Writers (`init`, `upsert_*`) are called by the data source's update sink; readers take a
/// [`snapshot`](DataStore::snapshot), which must be cheap (an `Arc` clone) and must never wait
/// for a writer. Implementations: [`InMemoryDataStore`](crate::InMemoryDataStore), and
/// [`PersistentDataStoreWrapper`](crate::PersistentDataStoreWrapper) over any
/// [`PersistentDataStore`](crate::PersistentDataStore) such as Redis.
///
/// ```
/// use ld_store::{AllData, DataStore, InMemoryDataStore, ItemDescriptor, flag_from_json};
/// let store = InMemoryDataStore::new();
/// store.init(AllData::default()).unwrap();
/// let v2 = flag_from_json(r#"{"key":"f","version":2}"#).unwrap();
/// assert!(store.upsert_flag("f", v2).unwrap());
/// // Older or equal versions are ignored; deletes are versioned tombstones.
/// assert!(!store.upsert_flag("f", flag_from_json(r#"{"key":"f","version":1}"#).unwrap()).unwrap());
/// assert!(store.upsert_flag("f", ItemDescriptor::tombstone(3)).unwrap());
/// assert!(store.flag("f").is_none());
/// ```
pub trait DataStore: Send + Sync {
    /// Replaces all data, and marks the store initialized.
    fn init(&self, data: AllData) -> Result<(), StoreError>;

    /// Stores a flag (or tombstone) if its version is strictly greater than the stored one (or
    /// none is stored). Returns whether it was applied.
    fn upsert_flag(&self, key: &str, item: ItemDescriptor<Flag>) -> Result<bool, StoreError>;

    /// Stores a segment (or tombstone) under the same version rule as
    /// [`upsert_flag`](DataStore::upsert_flag).
    fn upsert_segment(&self, key: &str, item: ItemDescriptor<Segment>) -> Result<bool, StoreError>;

    /// Whether `init` has succeeded at least once (for a persistent store: whether the
    /// underlying database holds a full data set, possibly written by another process).
    fn initialized(&self) -> bool;

    /// The current immutable snapshot. Cheap, lock-free for readers.
    fn snapshot(&self) -> Arc<Snapshot>;

    /// The live flag with this key.
    fn flag(&self, key: &str) -> Option<Arc<Flag>> {
        self.snapshot().flag_arc(key)
    }

    /// The live segment with this key.
    fn segment(&self, key: &str) -> Option<Arc<Segment>> {
        self.snapshot().segment_arc(key)
    }

    /// All live flags (key, flag), in no particular order.
    fn all_flags(&self) -> Vec<(String, Arc<Flag>)> {
        let snap = self.snapshot();
        snap.flags
            .iter()
            .filter_map(|(k, d)| d.item.clone().map(|f| (k.to_string(), f)))
            .collect()
    }
}
