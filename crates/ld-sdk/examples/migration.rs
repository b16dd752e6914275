//! A technology migration with `Migrator`: a key-value store moving from an "old" map to a "new"
//! one as a migration flag goes through its stages (driven here by `TestData`).
//!
//! ```text
//! cargo run -p ld-sdk --example migration
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ld_sdk::{Client, Config, ContextBuilder, Migrator, Stage, TestData};

type Store = Arc<Mutex<HashMap<String, String>>>;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let td = TestData::new();
    let stages = Stage::ALL.map(Stage::as_str);
    let client = Client::new(
        Config::builder("sdk-key")
            .data_source(&td)
            .send_events(false)
            .build()?,
    )?;

    let old: Store = Arc::default();
    let new: Store = Arc::default();
    let (read_old, read_new, write_old, write_new) =
        (old.clone(), new.clone(), old.clone(), new.clone());
    let migrator = Migrator::builder(client.clone())
        .read_with_comparison(
            move |key: &(String, String)| get(&read_old, &key.0),
            move |key: &(String, String)| get(&read_new, &key.0),
            |a: &String, b: &String| a == b,
        )
        .write(
            move |kv: &(String, String)| put(&write_old, kv),
            move |kv: &(String, String)| put(&write_new, kv),
        )
        .build()?;

    let context = ContextBuilder::new("service-instance-1").build()?;
    for (i, stage) in Stage::ALL.into_iter().enumerate() {
        td.update(
            td.flag("kv-migration")
                .variations(stages)
                .variation_for_all(i),
        );
        let key = format!("key-{i}");
        let write = migrator.write(
            "kv-migration",
            &context,
            Stage::Off,
            &(key.clone(), format!("value {i}")),
        );
        let read = migrator.read("kv-migration", &context, Stage::Off, &(key, String::new()));
        println!(
            "{stage:<9} write -> {} (then {:?}), read <- {} = {:?}",
            write.authoritative.origin,
            write.non_authoritative.map(|r| r.origin),
            read.origin,
            read.result,
        );
    }
    println!("old holds {} keys, new holds {}", len(&old), len(&new));
    client.close();
    Ok(())
}

fn get(store: &Store, key: &str) -> Result<String, String> {
    let map = store.lock().map_err(|e| e.to_string())?;
    map.get(key)
        .cloned()
        .ok_or_else(|| format!("{key} not found"))
}

fn put(store: &Store, (key, value): &(String, String)) -> Result<String, String> {
    let mut map = store.lock().map_err(|e| e.to_string())?;
    map.insert(key.clone(), value.clone());
    Ok(value.clone())
}

fn len(store: &Store) -> usize {
    store.lock().map_or(0, |m| m.len())
}
