//! Where a client keeps its flag data: in memory (the default) or in a persistent store shared
//! with other processes.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ld_store::{DataStore, InMemoryDataStore, Snapshot, StoreError};

/// Reloads a persistent store's cache from its database.
pub(crate) type Refresh = Arc<dyn Fn() -> Result<(), StoreError> + Send + Sync>;

/// A configured store: what evaluations read, and how to reload it from its database.
#[derive(Clone)]
pub(crate) struct DataStoreConfig {
    pub(crate) store: Arc<dyn DataStore>,
    /// For a persistent store: how to reload it, and how often in daemon mode.
    pub(crate) refresh: Option<(Refresh, Duration)>,
}

impl fmt::Debug for DataStoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataStoreConfig")
            .field("refresh_interval", &self.refresh.as_ref().map(|(_, d)| d))
            .finish_non_exhaustive()
    }
}

/// The store a running client reads. The in-memory case is a concrete type so that the hot
/// path makes no virtual call.
pub(crate) enum ClientStore {
    Memory(Arc<InMemoryDataStore>),
    Other(Arc<dyn DataStore>),
}

impl ClientStore {
    pub(crate) fn as_dyn(&self) -> Arc<dyn DataStore> {
        match self {
            Self::Memory(s) => s.clone(),
            Self::Other(s) => s.clone(),
        }
    }

    #[inline]
    pub(crate) fn snapshot(&self) -> Arc<Snapshot> {
        match self {
            Self::Memory(s) => s.snapshot(),
            Self::Other(s) => s.snapshot(),
        }
    }

    #[inline]
    /// Whether evaluations may use the data: the snapshot is initialized, or (for a persistent
    /// store) the database holds a full data set written by some process.
    pub(crate) fn usable(&self, snapshot: &Snapshot) -> bool {
        snapshot.initialized()
            || match self {
                Self::Memory(_) => false,
                Self::Other(s) => s.initialized(),
            }
    }
}
