//! Parsing and applying a streaming `put` of 10,000 realistic flags while another thread keeps
//! evaluating: SSE framing, JSON parsing into prepared flags, and the store swap.
//!
//! Reports throughput (MB/s of event bytes), the reader's worst single evaluation latency while
//! puts are applied (readers must never wait for the writer), and the store's memory use
//! relative to the JSON size (Linux RSS delta, so an upper bound that includes allocator slack).

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ld_datasource_http::{SseParser, apply_stream_event};
use ld_eval::{ContextBuilder, Value, evaluate};
use ld_store::{AllData, DataSourceUpdateSink, DataStore, InMemoryDataStore};

const FLAGS: usize = 10_000;

/// One realistic flag: individual targets, three rules with different operators, a
/// percentage rollout fallthrough, and every tenth flag with a prerequisite.
fn flag_json(i: usize) -> String {
    let key = format!("flag-{i:05}");
    let prereq = if i % 10 == 9 {
        format!(r#"[{{"key":"flag-{:05}","variation":0}}]"#, i - 1)
    } else {
        "[]".to_string()
    };
    let targets: Vec<String> = (0..10).map(|t| format!("\"user-{i}-{t}\"")).collect();
    format!(
        r#"{{"key":"{key}","version":{v},"on":true,"salt":"{key}-salt","trackEvents":false,"trackEventsFallthrough":false,"debugEventsUntilDate":null,"clientSide":false,"clientSideAvailability":{{"usingMobileKey":false,"usingEnvironmentId":false}},"deleted":false,"prerequisites":{prereq},"targets":[{{"values":[{targets}],"variation":0}}],"contextTargets":[],"rules":[{{"id":"r1-{key}","clauses":[{{"contextKind":"user","attribute":"email","op":"endsWith","values":["@example.com","@test.org"],"negate":false}}],"variation":1,"trackEvents":false}},{{"id":"r2-{key}","clauses":[{{"contextKind":"user","attribute":"country","op":"in","values":["de","fr","it","es","nl"],"negate":false}},{{"contextKind":"user","attribute":"plan","op":"in","values":["enterprise"],"negate":true}}],"rollout":{{"variations":[{{"variation":0,"weight":30000}},{{"variation":1,"weight":70000}}]}},"trackEvents":false}},{{"id":"r3-{key}","clauses":[{{"contextKind":"user","attribute":"version","op":"semVerGreaterThan","values":["2.5.0"],"negate":false}}],"variation":0,"trackEvents":false}}],"fallthrough":{{"rollout":{{"variations":[{{"variation":0,"weight":50000}},{{"variation":1,"weight":50000}}],"bucketBy":"key"}}}},"offVariation":1,"variations":[true,false]}}"#,
        v = i % 97 + 1,
        targets = targets.join(","),
    )
}

fn put_data() -> String {
    let flags: Vec<String> = (0..FLAGS)
        .map(|i| format!("\"flag-{i:05}\":{}", flag_json(i)))
        .collect();
    format!(
        r#"{{"path":"/","data":{{"flags":{{{}}},"segments":{{}}}}}}"#,
        flags.join(",")
    )
}

fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn report_memory(data: &str) {
    let before = rss_bytes();
    let inner = &data[data.find("\"data\":").unwrap_or(0) + 7..data.len() - 1];
    let all = AllData::from_json(inner).expect("valid put");
    let store = InMemoryDataStore::new();
    store.init(all).expect("store accepts");
    let after = rss_bytes();
    if let (Some(b), Some(a)) = (before, after) {
        let used = a.saturating_sub(b);
        eprintln!(
            "memory: {FLAGS} flags, JSON {:.2} MB, store RSS delta {:.2} MB = {:.2}x the JSON size",
            data.len() as f64 / 1e6,
            used as f64 / 1e6,
            used as f64 / data.len() as f64
        );
    }
    drop(store);
}

/// Evaluates flags in a loop until told to stop; records the worst single evaluation.
fn spawn_reader(
    store: Arc<InMemoryDataStore>,
    stop: Arc<AtomicBool>,
    worst_ns: Arc<AtomicU64>,
    count: Arc<AtomicU64>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let ctx = ContextBuilder::new("user-123")
            .set("email", Value::from("a@example.com"))
            .set("country", Value::from("de"))
            .build()
            .expect("valid context");
        let keys: Vec<String> = (0..FLAGS)
            .step_by(37)
            .map(|i| format!("flag-{i:05}"))
            .collect();
        let mut worst = 0u64;
        let mut n = 0u64;
        while !stop.load(Ordering::Relaxed) {
            for key in &keys {
                let start = Instant::now();
                let snap = store.snapshot();
                if let Some(flag) = snap.flag(key) {
                    std::hint::black_box(evaluate(&*snap, flag, &ctx));
                }
                worst = worst.max(start.elapsed().as_nanos() as u64);
                n += 1;
            }
        }
        worst_ns.store(worst, Ordering::Relaxed);
        count.store(n, Ordering::Relaxed);
    })
}

fn put_parse(c: &mut Criterion) {
    let data = put_data();
    let event = format!("event: put\ndata: {data}\n\n");
    report_memory(&data);

    let store = Arc::new(InMemoryDataStore::new());
    let sink = DataSourceUpdateSink::new(store.clone());
    assert_eq!(apply_stream_event(&sink, "put", &data), Ok(true));

    let stop = Arc::new(AtomicBool::new(false));
    let worst = Arc::new(AtomicU64::new(0));
    let count = Arc::new(AtomicU64::new(0));
    let reader = spawn_reader(store.clone(), stop.clone(), worst.clone(), count.clone());
    let started = Instant::now();

    let mut group = c.benchmark_group("put_parse");
    group.throughput(Throughput::Bytes(event.len() as u64));
    group.sample_size(10);
    group.bench_function("sse_parse_and_apply_10k_flags_while_evaluating", |b| {
        b.iter(|| {
            let mut parser = SseParser::new();
            for chunk in event.as_bytes().chunks(64 * 1024) {
                for ev in parser.push(chunk).expect("within limits") {
                    let stored = apply_stream_event(&sink, &ev.event, &ev.data);
                    assert_eq!(stored, Ok(true));
                }
            }
        })
    });
    group.bench_function("json_parse_only_10k_flags", |b| {
        let inner = &data[data.find("\"data\":").unwrap_or(0) + 7..data.len() - 1];
        b.iter(|| std::hint::black_box(AllData::from_json(inner).expect("valid")))
    });
    group.finish();

    stop.store(true, Ordering::Relaxed);
    let _ = reader.join();
    let elapsed = started.elapsed().max(Duration::from_millis(1));
    eprintln!(
        "reader during puts: {} evaluations ({:.1} M/s), worst single evaluation {:.1} µs",
        count.load(Ordering::Relaxed),
        count.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64() / 1e6,
        worst.load(Ordering::Relaxed) as f64 / 1e3
    );
}

criterion_group!(benches, put_parse);
criterion_main!(benches);
