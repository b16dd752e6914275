//! ld-store: the cost of reading (snapshot + evaluate) with and without a concurrent
//! 10,000-flag `init`, and the cost of writes.
//!
//! `cargo bench -p ld-benches --bench store_snapshot -- --warm-up-time 1 --measurement-time 3`
// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use ld_store::{AllData, DataStore, InMemoryDataStore, ItemDescriptor, flag_from_json};
use serde_json::json;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn flag_json(key: &str, version: u64) -> String {
    json!({
        "key": key, "version": version, "on": true, "salt": key,
        "variations": [false, true], "offVariation": 0,
        "rules": [{"id": "r", "variation": 1, "clauses": [
            {"attribute": "email", "op": "endsWith", "values": ["@example.com"]}]}],
        "fallthrough": {"rollout": {"variations": [
            {"variation": 0, "weight": 50000}, {"variation": 1, "weight": 50000}]}}
    })
    .to_string()
}

fn data(n: usize, version: u64) -> AllData {
    let mut d = AllData::default();
    for i in 0..n {
        let key = format!("flag-{i}");
        d.flags.insert(
            key.as_str().into(),
            flag_from_json(&flag_json(&key, version)).unwrap(),
        );
    }
    d
}

fn bench(c: &mut Criterion) {
    let context =
        ld_eval::Context::from_json_value(&json!({"key": "user-1", "email": "a@example.com"}))
            .unwrap();
    let store = Arc::new(InMemoryDataStore::new());
    store.init(data(10_000, 1)).unwrap();

    c.bench_function("store/snapshot+evaluate (idle store)", |b| {
        b.iter(|| {
            let snap = store.snapshot();
            let flag = snap.flag(black_box("flag-42")).unwrap();
            black_box(ld_eval::evaluate(&*snap, flag, &context).variation_index)
        })
    });

    // A writer thread re-initializing 10,000 flags in a loop while we read.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (store, stop) = (store.clone(), stop.clone());
        let sets = [data(10_000, 2), data(10_000, 3)];
        std::thread::spawn(move || {
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                store.init(sets[i % 2].clone()).unwrap();
                i += 1;
            }
            i
        })
    };
    c.bench_function("store/snapshot+evaluate (during 10k-flag inits)", |b| {
        b.iter(|| {
            let snap = store.snapshot();
            let flag = snap.flag(black_box("flag-42")).unwrap();
            black_box(ld_eval::evaluate(&*snap, flag, &context).variation_index)
        })
    });
    stop.store(true, Ordering::Relaxed);
    let inits = writer.join().unwrap();
    eprintln!("(writer completed {inits} full 10k-flag inits during the measurement)");

    let prepared = data(10_000, 5);
    c.bench_function("store/init 10k prepared flags", |b| {
        b.iter(|| store.init(prepared.clone()).unwrap())
    });

    let mut version = 100u64;
    let one = flag_from_json(&flag_json("flag-7", 0)).unwrap();
    c.bench_function("store/upsert one prepared flag into 10k", |b| {
        b.iter(|| {
            version += 1;
            let d = ItemDescriptor {
                version,
                item: one.item.clone(),
            };
            store.upsert_flag("flag-7", d).unwrap()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
