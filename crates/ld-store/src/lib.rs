//! # ld-store
//!
//! The seams between data sources and evaluation: the [`DataStore`] trait and its in-memory
//! implementation, the [`DataSource`] trait with the sink a source writes to
//! ([`DataSourceUpdates`] / [`DataSourceUpdateSink`]), data source status
//! ([`DataSourceStatusProvider`]), and flag change notification ([`FlagChangeNotifier`]) driven
//! by a dependency graph of prerequisites and segments. For big segments it has the raw store
//! seam ([`BigSegmentStore`]) and the [`BigSegmentStoreWrapper`] that adds the membership cache,
//! status polling and the evaluator's `BigSegmentProvider` on top of any such store.
//!
//! **What it is not for:** fetching data (the file and HTTP sources do that) or evaluating
//! flags (`ld-eval` does; a [`Snapshot`] implements its lookup trait).
//!
//! **Neighbours:** depends on `ld-eval` only. `ld-datasource-file` and `ld-datasource-http`
//! implement [`DataSource`]; `ld-sdk` composes store, sink and source. A database store plugs in
//! either by implementing [`DataStore`] directly (as the Redis store behind this crate's `redis`
//! feature does, with its own cache) or, more simply, by implementing [`PersistentDataStore`]
//! over serialized items and wrapping it in [`PersistentDataStoreWrapper`], which supplies the
//! snapshot cache, (de)serialization and version rules.
//!
//! **The decision that shaped it:** readers never wait on writers. Evaluation reads an
//! immutable, `Arc`-shared [`Snapshot`] of prepared flags obtained with one atomic load; a writer
//! builds the next snapshot (copying only `Arc` pointers) and swaps it in.
//!
//! ```
//! use ld_store::*;
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! let store = Arc::new(InMemoryDataStore::new());
//! let sink = Arc::new(DataSourceUpdateSink::new(store.clone()));
//! // A data source would do this from its own thread:
//! sink.init(AllData::from_json(r#"{"flags":{"f":{"key":"f","version":1}}}"#).unwrap());
//! sink.update_status(DataSourceState::Valid, None);
//!
//! sink.status_provider().wait_initialized(Duration::from_secs(1)).unwrap();
//! let snapshot = store.snapshot(); // evaluate against this
//! assert!(snapshot.flag("f").is_some());
//! ```
#![forbid(unsafe_code)]

mod all_data;
mod big_segment_store;
mod big_segment_store_wrapper;
mod broadcaster;
mod context_hash;
mod data_kind;
mod data_source;
mod data_store;
mod dependency_graph;
mod flag_change;
mod item_descriptor;
mod membership_cache;
mod memory_store;
mod model;
mod persistent;
mod reclaimer;
mod snapshot;
mod status;
mod status_provider;
mod update_sink;

pub use all_data::{AllData, ItemMap, flag_from_json, segment_from_json};
pub use big_segment_store::{
    BigSegmentMembership, BigSegmentStore, BigSegmentStoreError, BigSegmentStoreStatus,
};
pub use big_segment_store_wrapper::{
    BigSegmentStoreWrapper, BigSegmentsOptions, DEFAULT_CONTEXT_CACHE_SIZE,
    DEFAULT_CONTEXT_CACHE_TIME, DEFAULT_STALE_AFTER, DEFAULT_STATUS_POLL_INTERVAL,
};
pub use broadcaster::Broadcaster;
pub use context_hash::context_hash;
pub use data_kind::DataKind;
pub use data_source::{DataSource, DataSourceUpdates};
pub use data_store::{DataStore, StoreError};
pub use flag_change::{FlagChangeEvent, FlagChangeNotifier, FlagValueChangeEvent, ValueEvaluator};
pub use item_descriptor::ItemDescriptor;
pub use memory_store::InMemoryDataStore;
pub use model::{DataLookup, Flag, Segment};
pub use persistent::{
    PersistentDataStore, PersistentDataStoreWrapper, SerializedAllData, SerializedItem,
    serialize_flag, serialize_segment,
};
pub use reclaimer::retire_snapshot;
pub use snapshot::Snapshot;
pub use status::{DataSourceErrorInfo, DataSourceState, DataSourceStatus, ErrorKind};
pub use status_provider::{DataSourceStatusProvider, InitError};
pub use update_sink::DataSourceUpdateSink;

#[cfg(feature = "redis")]
pub mod redis;
