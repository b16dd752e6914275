//! Measures how long a change to a flag file takes to become visible to evaluation.
//!
//! Run with `cargo run --release -p ld-datasource-file --example reload_latency`.
//! For each round the file is rewritten, and the clock runs from the moment the write
//! returns until a reader polling the store's snapshot sees the new value.

use ld_datasource_file::{DEFAULT_DEBOUNCE, FileDataSource};
use ld_store::{DataSource, DataSourceUpdateSink, InMemoryDataStore};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let rounds = 40;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("flags.json");
    // A realistic file: 200 flags, one of which changes each round.
    let file = |round: usize| {
        let mut flags = serde_json::Map::new();
        for i in 0..200 {
            flags.insert(format!("flag-{i}"), serde_json::json!(i));
        }
        flags.insert("changing".into(), serde_json::json!(round));
        serde_json::to_vec(&serde_json::json!({ "flagValues": flags })).expect("json")
    };
    std::fs::write(&path, file(0)).expect("write");

    let sink = Arc::new(DataSourceUpdateSink::new(
        Arc::new(InMemoryDataStore::new()),
    ));
    let source = FileDataSource::builder()
        .path(&path)
        .auto_reload(true)
        .build();
    source.start(sink.clone());
    sink.status_provider()
        .wait_initialized(Duration::from_secs(10))
        .expect("initial load");

    let store = sink.store().clone();
    let mut samples = Vec::with_capacity(rounds);
    for round in 1..=rounds {
        std::fs::write(&path, file(round)).expect("write");
        let written = Instant::now();
        let deadline = written + Duration::from_secs(5);
        loop {
            let snap = store.snapshot();
            if snap
                .flag("changing")
                .and_then(|f| f.variations.first())
                .and_then(|v| v.as_u64())
                == Some(round as u64)
            {
                samples.push(written.elapsed());
                break;
            }
            assert!(
                Instant::now() < deadline,
                "change in round {round} never became visible"
            );
            std::hint::spin_loop();
        }
        // Let the file system settle so rounds do not coalesce into one reload.
        std::thread::sleep(DEFAULT_DEBOUNCE * 3);
    }
    source.stop();
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "file change -> visible to evaluation over {rounds} rounds (debounce {} ms): \
         min {:.1} ms, median {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        DEFAULT_DEBOUNCE.as_millis(),
        ms(samples[0]),
        ms(samples[rounds / 2]),
        ms(samples[rounds * 95 / 100]),
        ms(samples[rounds - 1]),
    );
}
