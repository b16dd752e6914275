//! The `DataSource` trait and the update sink a data source writes to.

use crate::all_data::AllData;
use crate::item_descriptor::ItemDescriptor;
use crate::model::{Flag, Segment};
use crate::status::{DataSourceErrorInfo, DataSourceState};
use std::sync::Arc;

/// Where a data source delivers what it receives: full data sets, single-item updates and
/// status changes. Implemented by [`DataSourceUpdateSink`](crate::DataSourceUpdateSink), which
/// writes to the store, computes flag change events and tracks status; tests and wrappers may
/// implement it too.
///
/// Methods return `false` when the store rejected the write; the sink has then already set the
/// status to `Interrupted` with [`ErrorKind::StoreError`](crate::ErrorKind::StoreError).
pub trait DataSourceUpdates: Send + Sync {
    /// Replaces all data.
    fn init(&self, data: AllData) -> bool;

    /// Adds, updates or (with a tombstone) deletes one flag; stale versions are ignored.
    fn upsert_flag(&self, key: &str, item: ItemDescriptor<Flag>) -> bool;

    /// Adds, updates or (with a tombstone) deletes one segment; stale versions are ignored.
    fn upsert_segment(&self, key: &str, item: ItemDescriptor<Segment>) -> bool;

    /// Reports the source's state, with the error that caused it if any. `Interrupted` while
    /// still initializing keeps the state `Initializing` (the error is recorded).
    fn update_status(&self, state: DataSourceState, error: Option<DataSourceErrorInfo>);
}

/// Something that feeds flag data into the SDK: the streaming, polling and file sources, or a
/// custom one.
///
/// `start` is synchronous and must return promptly: a source spawns its own thread or async
/// task and reports progress through `updates` (`Valid` after its first full data set, `Off`
/// when it gives up for good). `stop` asks it to end (it should set the status to `Off`); it
/// may be called more than once and before `start`.
///
/// Status is deliberately not a method here: a source *reports* it through
/// [`DataSourceUpdates::update_status`], and the application *reads* it from the sink's
/// [`DataSourceStatusProvider`](crate::DataSourceStatusProvider), so every source gets the same
/// transition rules, subscriptions and `wait_initialized` for free.
///
/// ```
/// use ld_store::{AllData, DataSource, DataSourceState, DataSourceUpdates};
/// use std::sync::Arc;
///
/// /// A source that serves a fixed data set.
/// struct Fixed(AllData);
/// impl DataSource for Fixed {
///     fn start(&self, updates: Arc<dyn DataSourceUpdates>) {
///         updates.init(self.0.clone());
///         updates.update_status(DataSourceState::Valid, None);
///     }
///     fn stop(&self) {}
/// }
///
/// let sink = Arc::new(ld_store::DataSourceUpdateSink::new(Arc::new(ld_store::InMemoryDataStore::new())));
/// Fixed(AllData::default()).start(sink.clone());
/// assert_eq!(sink.status_provider().status().state, DataSourceState::Valid);
/// ```
pub trait DataSource: Send + Sync {
    /// Begins delivering data to `updates` (on the source's own thread or task).
    fn start(&self, updates: Arc<dyn DataSourceUpdates>);

    /// Stops delivering data and releases the source's resources.
    fn stop(&self);
}
