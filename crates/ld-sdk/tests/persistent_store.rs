//! Daemon mode: flags another process wrote to a persistent database, read through the client.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ld_sdk::DataKind;
use ld_sdk::{
    Client, Config, ContextBuilder, DataSourceConfig, PersistentDataStore, SerializedAllData,
    SerializedItem, StoreError,
};

/// A database in memory, shared with the test (which plays the Relay Proxy writing to it).
#[derive(Default, Clone)]
struct SharedDatabase {
    items: Arc<Mutex<HashMap<(DataKind, String), SerializedItem>>>,
    initialized: Arc<Mutex<bool>>,
}

impl SharedDatabase {
    fn put_flag(&self, key: &str, version: u64, value: bool) {
        let json = serde_json::json!({
            "key": key, "version": version, "on": true, "variations": [value],
            "fallthrough": {"variation": 0}
        });
        self.items.lock().unwrap().insert(
            (DataKind::Flag, key.to_owned()),
            SerializedItem {
                version,
                deleted: false,
                json: json.to_string(),
            },
        );
        *self.initialized.lock().unwrap() = true;
    }
}

impl PersistentDataStore for SharedDatabase {
    fn init(&self, data: SerializedAllData) -> Result<(), StoreError> {
        let mut items = self.items.lock().unwrap();
        items.clear();
        for (k, v) in data.flags {
            items.insert((DataKind::Flag, k), v);
        }
        for (k, v) in data.segments {
            items.insert((DataKind::Segment, k), v);
        }
        *self.initialized.lock().unwrap() = true;
        Ok(())
    }
    fn get(&self, kind: DataKind, key: &str) -> Result<Option<SerializedItem>, StoreError> {
        Ok(self
            .items
            .lock()
            .unwrap()
            .get(&(kind, key.to_owned()))
            .cloned())
    }
    fn get_all(&self, kind: DataKind) -> Result<Vec<(String, SerializedItem)>, StoreError> {
        Ok(self
            .items
            .lock()
            .unwrap()
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|((_, key), item)| (key.clone(), item.clone()))
            .collect())
    }
    fn upsert(&self, kind: DataKind, key: &str, item: SerializedItem) -> Result<bool, StoreError> {
        self.items
            .lock()
            .unwrap()
            .insert((kind, key.to_owned()), item);
        Ok(true)
    }
    fn initialized(&self) -> Result<bool, StoreError> {
        Ok(*self.initialized.lock().unwrap())
    }
}

fn eventually(mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

#[test]
fn daemon_mode_serves_and_follows_what_another_process_stored() {
    let database = SharedDatabase::default();
    database.put_flag("from-relay", 1, true);
    let client = Client::new(
        Config::builder("k")
            .data_source(DataSourceConfig::External)
            .persistent_store(database.clone(), Duration::from_millis(20))
            .send_events(false)
            .build()
            .unwrap(),
    )
    .unwrap();
    assert!(client.is_initialized());
    client.wait_for_initialization(Duration::ZERO).unwrap();
    let user = ContextBuilder::new("u").build().unwrap();
    assert!(eventually(|| client.bool_variation(
        "from-relay",
        &user,
        false
    )));

    database.put_flag("from-relay", 2, false);
    assert!(eventually(|| !client.bool_variation(
        "from-relay",
        &user,
        true
    )));
    client.close();
}

#[test]
fn an_empty_database_in_daemon_mode_gives_flag_not_found() {
    let client = Client::new(
        Config::builder("k")
            .data_source(DataSourceConfig::External)
            .persistent_store(SharedDatabase::default(), Duration::from_secs(60))
            .send_events(false)
            .build()
            .unwrap(),
    )
    .unwrap();
    let user = ContextBuilder::new("u").build().unwrap();
    let detail = client.bool_variation_detail("f", &user, false);
    assert_eq!(
        detail.reason,
        ld_sdk::Reason::error(ld_sdk::ErrorKind::FlagNotFound),
        "daemon mode counts as initialized and evaluates what the store holds"
    );
    client.close();
}
