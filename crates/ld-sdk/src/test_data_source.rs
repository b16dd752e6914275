//! Runs a [`TestData`] as a client's data source: its JSON becomes store items.

use std::sync::Arc;

use ld_store::{AllData, DataSource, DataSourceState, DataSourceUpdates, ItemDescriptor};
use parking_lot::Mutex;
use serde_json::Value;

use crate::TestData;
use crate::test_data::TestDataSink;

/// The data source a client builds from its configured [`TestData`].
pub(crate) struct TestDataSource {
    td: TestData,
    /// The live sink; dropping it detaches the client from the `TestData`.
    attached: Mutex<Option<Arc<Sink>>>,
}

impl TestDataSource {
    pub(crate) fn new(td: TestData) -> Self {
        Self {
            td,
            attached: Mutex::new(None),
        }
    }
}

struct Sink {
    updates: Arc<dyn DataSourceUpdates>,
}

fn descriptor<T: serde::de::DeserializeOwned>(json: Value) -> Option<ItemDescriptor<T>> {
    let version = json.get("version").and_then(Value::as_u64).unwrap_or(1);
    match serde_json::from_value::<T>(json) {
        Ok(item) => Some(ItemDescriptor::new(version, item)),
        Err(e) => {
            tracing::warn!("TestData: ignoring an item LaunchDarkly would not accept: {e}");
            None
        }
    }
}

impl TestDataSink for Sink {
    fn init(&self, flags: Vec<(String, Value)>, segments: Vec<(String, Value)>) {
        let mut data = AllData::default();
        for (key, json) in flags {
            if let Some(d) = descriptor(json) {
                data.flags.insert(key.into(), d);
            }
        }
        for (key, json) in segments {
            if let Some(d) = descriptor(json) {
                data.segments.insert(key.into(), d);
            }
        }
        self.updates.init(data);
        self.updates.update_status(DataSourceState::Valid, None);
    }

    fn upsert_flag(&self, key: &str, flag: Value) {
        if let Some(d) = descriptor(flag) {
            self.updates.upsert_flag(key, d);
        }
    }

    fn upsert_segment(&self, key: &str, segment: Value) {
        if let Some(d) = descriptor(segment) {
            self.updates.upsert_segment(key, d);
        }
    }
}

impl DataSource for TestDataSource {
    fn start(&self, updates: Arc<dyn DataSourceUpdates>) {
        let sink = Arc::new(Sink { updates });
        *self.attached.lock() = Some(sink.clone());
        self.td.attach(sink);
    }

    fn stop(&self) {
        if let Some(sink) = self.attached.lock().take() {
            sink.updates.update_status(DataSourceState::Off, None);
        }
    }
}
