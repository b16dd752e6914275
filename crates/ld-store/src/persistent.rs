//! Persistent stores (Redis and the like): the trait a database integration implements, and
//! the wrapper that turns it into a [`DataStore`].
//!
//! **Design choice:** a database integration implements only [`PersistentDataStore`], a small
//! trait over *serialized* items (JSON strings with their version and deleted flag, the format
//! LaunchDarkly's SDKs store in Redis). [`PersistentDataStoreWrapper`] adds everything else:
//! (de)serialization, version rules, and an in-memory snapshot cache so evaluation never waits
//! for the database. Reads are always served from the cache (an "infinite cache"); call
//! [`PersistentDataStoreWrapper::refresh`] to reload it from the database when another process
//! (a relay, say) is the writer.

use crate::all_data::{AllData, flag_from_json, segment_from_json};
use crate::data_kind::DataKind;
use crate::data_store::{DataStore, StoreError};
use crate::item_descriptor::ItemDescriptor;
use crate::memory_store::InMemoryDataStore;
use crate::model::{Flag, Segment};
use crate::snapshot::Snapshot;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// One item as stored in a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerializedItem {
    /// The item's version.
    pub version: u64,
    /// Whether this is a tombstone.
    pub deleted: bool,
    /// The item's JSON (for a tombstone: `{"key":…,"version":…,"deleted":true}`).
    pub json: String,
}

/// A full data set in serialized form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SerializedAllData {
    /// Flags: key and item.
    pub flags: Vec<(String, SerializedItem)>,
    /// Segments: key and item.
    pub segments: Vec<(String, SerializedItem)>,
}

/// A database that stores serialized flags and segments (implemented by the Redis store).
///
/// Implementations must apply `upsert` only when the new version is strictly greater than the
/// stored one (atomically, e.g. with a transaction or script) and must never log credentials.
pub trait PersistentDataStore: Send + Sync {
    /// Replaces all data and records that the store is initialized.
    fn init(&self, data: SerializedAllData) -> Result<(), StoreError>;

    /// One item (tombstones included), or `None` when absent.
    fn get(&self, kind: DataKind, key: &str) -> Result<Option<SerializedItem>, StoreError>;

    /// All items of a kind (tombstones included).
    fn get_all(&self, kind: DataKind) -> Result<Vec<(String, SerializedItem)>, StoreError>;

    /// Stores the item if its version is newer; returns whether it did.
    fn upsert(&self, kind: DataKind, key: &str, item: SerializedItem) -> Result<bool, StoreError>;

    /// Whether a full data set has ever been stored (by any process).
    fn initialized(&self) -> Result<bool, StoreError>;
}

fn serialize<T: Serialize>(key: &str, d: &ItemDescriptor<T>) -> Result<SerializedItem, StoreError> {
    match d.item() {
        Some(item) => Ok(SerializedItem {
            version: d.version,
            deleted: false,
            json: serde_json::to_string(item)
                .map_err(|e| StoreError::new(format!("cannot serialize \"{key}\": {e}")))?,
        }),
        None => Ok(SerializedItem {
            version: d.version,
            deleted: true,
            json: serde_json::json!({"key": key, "version": d.version, "deleted": true})
                .to_string(),
        }),
    }
}

/// Serializes one flag or tombstone the way persistent stores keep it.
pub fn serialize_flag(
    key: &str,
    item: &ItemDescriptor<Flag>,
) -> Result<SerializedItem, StoreError> {
    serialize(key, item)
}

/// Serializes one segment or tombstone the way persistent stores keep it.
pub fn serialize_segment(
    key: &str,
    item: &ItemDescriptor<Segment>,
) -> Result<SerializedItem, StoreError> {
    serialize(key, item)
}

/// A [`DataStore`] backed by a [`PersistentDataStore`], with an in-memory snapshot cache.
///
/// Writes go to the database and to the cache (the cache is updated even when the database
/// write fails, so this process keeps serving the newest data; the error is returned so the
/// data source status shows `StoreError`). Reads never touch the database.
///
/// ```
/// use ld_store::*;
/// use std::collections::HashMap;
/// use std::sync::Mutex;
///
/// /// A toy database: one map, shared by every "process" holding it.
/// #[derive(Default)]
/// struct MapDb(Mutex<(bool, HashMap<(DataKind, String), SerializedItem>)>);
///
/// impl PersistentDataStore for MapDb {
///     fn init(&self, data: SerializedAllData) -> Result<(), StoreError> {
///         let mut db = self.0.lock().unwrap();
///         db.1 = data.flags.into_iter().map(|(k, v)| ((DataKind::Flag, k), v))
///             .chain(data.segments.into_iter().map(|(k, v)| ((DataKind::Segment, k), v)))
///             .collect();
///         db.0 = true;
///         Ok(())
///     }
///     fn get(&self, kind: DataKind, key: &str) -> Result<Option<SerializedItem>, StoreError> {
///         Ok(self.0.lock().unwrap().1.get(&(kind, key.to_string())).cloned())
///     }
///     fn get_all(&self, kind: DataKind) -> Result<Vec<(String, SerializedItem)>, StoreError> {
///         let db = self.0.lock().unwrap();
///         Ok(db.1.iter().filter(|((k, _), _)| *k == kind).map(|((_, key), v)| (key.clone(), v.clone())).collect())
///     }
///     fn upsert(&self, kind: DataKind, key: &str, item: SerializedItem) -> Result<bool, StoreError> {
///         let mut db = self.0.lock().unwrap();
///         let slot = db.1.entry((kind, key.to_string())).or_insert_with(|| item.clone());
///         if slot.version > item.version { return Ok(false); }
///         *slot = item;
///         Ok(true)
///     }
///     fn initialized(&self) -> Result<bool, StoreError> {
///         Ok(self.0.lock().unwrap().0)
///     }
/// }
///
/// let store = PersistentDataStoreWrapper::new(MapDb::default());
/// store.init(AllData::from_json(r#"{"flags":{"f":{"key":"f","version":1}}}"#).unwrap()).unwrap();
/// assert!(store.flag("f").is_some());               // served from the in-memory cache
/// assert_eq!(store.database().get(DataKind::Flag, "f").unwrap().unwrap().version, 1);
/// ```
pub struct PersistentDataStoreWrapper<P> {
    db: P,
    cache: InMemoryDataStore,
    db_initialized: AtomicBool,
}

impl<P: PersistentDataStore> PersistentDataStoreWrapper<P> {
    /// Wraps `db` with an empty cache (call [`refresh`](Self::refresh) to load existing data).
    pub fn new(db: P) -> Self {
        Self {
            db,
            cache: InMemoryDataStore::new(),
            db_initialized: AtomicBool::new(false),
        }
    }

    /// The wrapped database.
    pub fn database(&self) -> &P {
        &self.db
    }

    /// Reloads the cache from the database, if the database holds a full data set. Items that
    /// fail to parse are skipped with a warning.
    pub fn refresh(&self) -> Result<(), StoreError> {
        if !self.db.initialized()? {
            return Ok(());
        }
        self.db_initialized.store(true, Ordering::Release);
        let mut data = AllData::default();
        for (key, item) in self.db.get_all(DataKind::Flag)? {
            match flag_from_json(&item.json) {
                Ok(d) => {
                    data.flags.insert(key.into(), d);
                }
                Err(e) => tracing::warn!("skipping unparseable stored flag \"{key}\": {e}"),
            }
        }
        for (key, item) in self.db.get_all(DataKind::Segment)? {
            match segment_from_json(&item.json) {
                Ok(d) => {
                    data.segments.insert(key.into(), d);
                }
                Err(e) => tracing::warn!("skipping unparseable stored segment \"{key}\": {e}"),
            }
        }
        self.cache.init(data)
    }
}

impl<P: PersistentDataStore> DataStore for PersistentDataStoreWrapper<P> {
    fn init(&self, data: AllData) -> Result<(), StoreError> {
        let mut ser = SerializedAllData::default();
        for (k, d) in &data.flags {
            ser.flags.push((k.to_string(), serialize_flag(k, d)?));
        }
        for (k, d) in &data.segments {
            ser.segments.push((k.to_string(), serialize_segment(k, d)?));
        }
        let result = self.db.init(ser);
        self.cache.init(data)?;
        if result.is_ok() {
            self.db_initialized.store(true, Ordering::Release);
        }
        result
    }

    fn upsert_flag(&self, key: &str, item: ItemDescriptor<Flag>) -> Result<bool, StoreError> {
        let db = self
            .db
            .upsert(DataKind::Flag, key, serialize_flag(key, &item)?);
        let cached = self.cache.upsert_flag(key, item)?;
        db.map(|applied| applied || cached)
    }

    fn upsert_segment(&self, key: &str, item: ItemDescriptor<Segment>) -> Result<bool, StoreError> {
        let db = self
            .db
            .upsert(DataKind::Segment, key, serialize_segment(key, &item)?);
        let cached = self.cache.upsert_segment(key, item)?;
        db.map(|applied| applied || cached)
    }

    fn initialized(&self) -> bool {
        if self.cache.initialized() || self.db_initialized.load(Ordering::Acquire) {
            return true;
        }
        let yes = self.db.initialized().unwrap_or(false);
        if yes {
            self.db_initialized.store(true, Ordering::Release);
        }
        yes
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        self.cache.snapshot()
    }
}

impl<P> std::fmt::Debug for PersistentDataStoreWrapper<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersistentDataStoreWrapper")
            .finish_non_exhaustive()
    }
}
