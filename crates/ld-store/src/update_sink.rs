//! The standard [`DataSourceUpdates`] implementation: store writes, status and change events.

use crate::all_data::{AllData, ItemMap};
use crate::data_kind::DataKind;
use crate::data_source::DataSourceUpdates;
use crate::data_store::{DataStore, StoreError};
use crate::dependency_graph::{DependencyGraph, ItemRef, flag_dependencies, segment_dependencies};
use crate::flag_change::FlagChangeNotifier;
use crate::item_descriptor::ItemDescriptor;
use crate::model::{Flag, Segment};
use crate::snapshot::Snapshot;
use crate::status::{DataSourceErrorInfo, DataSourceState, ErrorKind};
use crate::status_provider::DataSourceStatusProvider;
use parking_lot::Mutex;
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

/// Connects a data source to a [`DataStore`]: applies writes, keeps the dependency graph,
/// emits [`FlagChangeEvent`](crate::FlagChangeEvent)s for every flag whose definition *or*
/// prerequisites or segments changed, and tracks the data source status.
///
/// ```
/// use ld_store::*;
/// use std::sync::Arc;
/// let store = Arc::new(InMemoryDataStore::new());
/// let sink = DataSourceUpdateSink::new(store.clone());
/// assert!(sink.init(AllData::from_json(r#"{"flags":{"f":{"key":"f","version":1}}}"#).unwrap()));
/// sink.update_status(DataSourceState::Valid, None);
/// assert!(store.flag("f").is_some());
/// assert_eq!(sink.status_provider().status().state, DataSourceState::Valid);
/// ```
pub struct DataSourceUpdateSink {
    store: Arc<dyn DataStore>,
    status: DataSourceStatusProvider,
    changes: FlagChangeNotifier,
    // Held for the whole of each write, so change sets and the graph stay consistent with
    // the store when several writers race. Readers never touch it.
    //
    // The graph is only read to find the flags a change affects, which matters only to change
    // subscribers: with none, it is not kept (`None`), so a `put` does not walk every flag's
    // rules and clauses (long out of cache by then) after parsing them. The first write that
    // finds a subscriber builds it from the store's current contents.
    graph: Mutex<Option<DependencyGraph>>,
}

impl DataSourceUpdateSink {
    /// A sink writing to `store`, with a fresh status (`Initializing`) and no subscribers.
    pub fn new(store: Arc<dyn DataStore>) -> Self {
        let changes = FlagChangeNotifier::new(store.clone());
        Self {
            store,
            status: DataSourceStatusProvider::new(),
            changes,
            graph: Mutex::new(None),
        }
    }

    /// The store this sink writes to.
    pub fn store(&self) -> &Arc<dyn DataStore> {
        &self.store
    }

    /// The data source status, to read, subscribe to or wait on.
    pub fn status_provider(&self) -> &DataSourceStatusProvider {
        &self.status
    }

    /// Flag change subscriptions.
    pub fn flag_changes(&self) -> &FlagChangeNotifier {
        &self.changes
    }

    fn store_failed(&self, e: StoreError) -> bool {
        tracing::warn!("data store rejected an update: {}", e.message);
        self.status.update(
            DataSourceState::Interrupted,
            Some(DataSourceErrorInfo::new(ErrorKind::StoreError, e.message)),
        );
        false
    }

    fn upsert<T>(
        &self,
        kind: DataKind,
        key: &str,
        item: ItemDescriptor<T>,
        deps: impl Fn(&T) -> HashSet<ItemRef>,
        write: impl FnOnce(ItemDescriptor<T>) -> Result<bool, StoreError>,
    ) -> bool {
        // Only a kept graph needs the item's dependencies, and it is kept only for subscribers.
        let new_deps = self
            .changes
            .has_subscribers()
            .then(|| item.item().map(&deps).unwrap_or_default());
        let changed = {
            let mut kept = self.graph.lock();
            match write(item) {
                Err(e) => {
                    drop(kept);
                    return self.store_failed(e);
                }
                Ok(false) => return true,
                Ok(true) => {}
            }
            if !self.changes.has_subscribers() {
                *kept = None;
                return true;
            }
            let item_ref = (kind, key.to_string());
            let graph = match (kept.take(), new_deps) {
                (Some(mut graph), Some(new_deps)) => {
                    graph.set(item_ref.clone(), new_deps);
                    graph
                }
                // Built from the store, which holds the item just written (also when the
                // subscriber arrived during this write).
                _ => {
                    let snapshot = self.store.snapshot();
                    graph_of(&snapshot.flags, &snapshot.segments)
                }
            };
            let graph = kept.insert(graph);
            let mut affected = HashSet::new();
            graph.add_affected(item_ref, &mut affected);
            flag_keys(affected)
        };
        self.changes.notify(&changed);
        true
    }
}

fn flag_keys(items: HashSet<ItemRef>) -> BTreeSet<String> {
    items
        .into_iter()
        .filter(|(k, _)| *k == DataKind::Flag)
        .map(|(_, key)| key)
        .collect()
}

/// Keys whose descriptor differs (version or presence) between the old and new maps.
fn changed_keys<T>(kind: DataKind, old: &ItemMap<T>, new: &ItemMap<T>, out: &mut Vec<ItemRef>) {
    for (k, d) in new {
        let same = old
            .get(k)
            .is_some_and(|o| o.version == d.version && o.is_deleted() == d.is_deleted());
        if !same {
            out.push((kind, k.to_string()));
        }
    }
    for k in old.keys() {
        if !new.contains_key(&**k) {
            out.push((kind, k.to_string()));
        }
    }
}

/// The dependency graph of a data set. Only items that use others have edges: the rest cost
/// nothing here.
fn graph_of(flags: &ItemMap<Flag>, segments: &ItemMap<Segment>) -> DependencyGraph {
    let mut graph = DependencyGraph::default();
    for (k, d) in flags {
        if let Some(deps) = d.item().map(flag_dependencies).filter(|s| !s.is_empty()) {
            graph.set((DataKind::Flag, k.to_string()), deps);
        }
    }
    for (k, d) in segments {
        if let Some(deps) = d.item().map(segment_dependencies).filter(|s| !s.is_empty()) {
            graph.set((DataKind::Segment, k.to_string()), deps);
        }
    }
    graph
}

fn diff(old: &Snapshot, new: &AllData) -> Vec<ItemRef> {
    let mut out = Vec::new();
    changed_keys(DataKind::Flag, &old.flags, &new.flags, &mut out);
    changed_keys(DataKind::Segment, &old.segments, &new.segments, &mut out);
    out
}

impl DataSourceUpdates for DataSourceUpdateSink {
    fn init(&self, data: AllData) -> bool {
        let changed = {
            let mut kept = self.graph.lock();
            if !self.changes.has_subscribers() {
                if let Err(e) = self.store.init(data) {
                    drop(kept);
                    return self.store_failed(e);
                }
                *kept = None;
                return true;
            }
            let candidates = diff(&self.store.snapshot(), &data);
            let graph = graph_of(&data.flags, &data.segments);
            if let Err(e) = self.store.init(data) {
                drop(kept);
                return self.store_failed(e);
            }
            let graph = kept.insert(graph);
            let mut affected = HashSet::new();
            for c in candidates {
                graph.add_affected(c, &mut affected);
            }
            flag_keys(affected)
        };
        self.changes.notify(&changed);
        true
    }

    fn upsert_flag(&self, key: &str, item: ItemDescriptor<Flag>) -> bool {
        self.upsert(DataKind::Flag, key, item, flag_dependencies, |i| {
            self.store.upsert_flag(key, i)
        })
    }

    fn upsert_segment(&self, key: &str, item: ItemDescriptor<Segment>) -> bool {
        self.upsert(DataKind::Segment, key, item, segment_dependencies, |i| {
            self.store.upsert_segment(key, i)
        })
    }

    fn update_status(&self, state: DataSourceState, error: Option<DataSourceErrorInfo>) {
        self.status.update(state, error);
    }
}

impl std::fmt::Debug for DataSourceUpdateSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataSourceUpdateSink")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}
