//! Where a client keeps its flag data: in memory (the default) or in a persistent store shared
//! with other processes.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::Guard;
use ld_store::{DataStore, Snapshot, StoreError};

use crate::guarded_store::GuardedMemoryStore;
use crate::snapshot_view::SnapshotView;

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

/// A snapshot being read.
pub(crate) enum SnapshotRef {
    Guarded(Guard<Arc<Snapshot>>),
    Shared(Arc<Snapshot>),
}

impl std::ops::Deref for SnapshotRef {
    type Target = Snapshot;

    #[inline]
    fn deref(&self) -> &Snapshot {
        match self {
            Self::Guarded(g) => g,
            Self::Shared(s) => s,
        }
    }
}

/// The store a running client reads. The in-memory case is a concrete type so that the hot
/// path makes no virtual call.
pub(crate) enum ClientStore {
    Memory(Arc<GuardedMemoryStore>),
    Other(Arc<dyn DataStore>),
    /// Daemon mode: another process (a Relay Proxy, another SDK) fills the store. As in
    /// LaunchDarkly's SDKs the client then counts as initialized and evaluates whatever the store
    /// holds, `$inited` marker or not: a missing flag is FLAG_NOT_FOUND, not CLIENT_NOT_READY.
    Daemon(Arc<dyn DataStore>),
}

impl ClientStore {
    pub(crate) fn as_dyn(&self) -> Arc<dyn DataStore> {
        match self {
            Self::Memory(s) => s.clone(),
            Self::Other(s) | Self::Daemon(s) => s.clone(),
        }
    }

    /// The current snapshot: a guard for the in-memory store (no reference count change), an
    /// `Arc` from any other store.
    #[inline]
    pub(crate) fn snapshot(&self) -> SnapshotRef {
        match self {
            Self::Memory(s) => SnapshotRef::Guarded(s.load()),
            Self::Other(s) | Self::Daemon(s) => SnapshotRef::Shared(s.snapshot()),
        }
    }

    /// Runs `read` on the current snapshot: for the in-memory store, this thread's cached
    /// snapshot while no write happened (see [`GuardedMemoryStore::with_snapshot`]).
    #[inline]
    pub(crate) fn with_snapshot<R>(&self, read: impl FnOnce(SnapshotView<'_>) -> R) -> R {
        match self {
            Self::Memory(s) => s.with_snapshot(read),
            Self::Other(s) | Self::Daemon(s) => read(SnapshotView::plain(&s.snapshot())),
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
                Self::Daemon(_) => true,
            }
    }
}
