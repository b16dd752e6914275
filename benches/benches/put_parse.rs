//! Parsing and applying a streaming `put` of 10,000 realistic flags while another thread keeps
//! evaluating: SSE framing, JSON parsing into prepared flags, and the store swap.
//!
//! Reports throughput (MB/s of event bytes), the reader's worst single evaluation latency while
//! puts are applied (readers must never wait for the writer), and the store's memory use
//! relative to the JSON size (Linux RSS delta, so an upper bound that includes allocator slack;
//! the exact figure, from a counting allocator, is asserted by `benches/tests/put_memory.rs`).
//!
//! Times are the benchmark thread's CPU time (`cpu_time::ThreadTime`, user and system), not
//! wall-clock time: on the shared development machine the put thread is descheduled for a
//! large and varying share of wall-clock time, so CPU time is what estimates a quiet machine
//! (where the evaluating thread has a core of its own). Compare MB/s with
//! `serde_json_value_baseline` from the same run. The `_settled` variants space puts 150 ms
//! apart and start each once the reclaimer thread has freed the data set the previous one
//! replaced (as when puts are minutes apart, one per stream connection); the others apply puts
//! back to back, and the writer then frees each replaced data set itself, within the timed
//! put. Figures and method are in `benches/README.md` ("Streaming put").

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use cpu_time::ThreadTime;
use criterion::{Bencher, Criterion, Throughput, criterion_group, criterion_main};
use ld_benches::put_fixture::{FLAGS, put_data};
use ld_datasource_http::{SseParser, apply_stream_event};
use ld_eval::{ContextBuilder, Value, evaluate};
use ld_store::{
    AllData, DataSourceUpdateSink, DataSourceUpdates, DataStore, InMemoryDataStore, Snapshot,
    retire_snapshot,
};

fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn put_inner(data: &str) -> &str {
    &data[data.find("\"data\":").unwrap_or(0) + 7..data.len() - 1]
}

fn load_store(data: &str) -> InMemoryDataStore {
    let all = AllData::from_json(put_inner(data)).expect("valid put");
    let store = InMemoryDataStore::new();
    store.init(all).expect("store accepts");
    store
}

/// Marginal resident memory of one loaded store: RSS growth between holding one and holding
/// three stores, halved. Parsing garbage freed by the first load is reused by the later ones,
/// so this approximates what a store keeps, not the parser's transient peak.
fn report_memory(data: &str) {
    let first = load_store(data);
    let Some(one) = rss_bytes() else { return };
    let second = load_store(data);
    let third = load_store(data);
    let Some(three) = rss_bytes() else { return };
    let per_store = three.saturating_sub(one) / 2;
    eprintln!(
        "memory: {FLAGS} flags, JSON {:.2} MB, store keeps ~{:.2} MB = {:.2}x the JSON size",
        data.len() as f64 / 1e6,
        per_store as f64 / 1e6,
        per_store as f64 / data.len() as f64
    );
    drop((first, second, third));
}

/// Latencies in power-of-two nanosecond buckets.
struct Histogram {
    buckets: [u64; 64],
    count: u64,
    max_ns: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: [0; 64],
            count: 0,
            max_ns: 0,
        }
    }
}

impl Histogram {
    fn record(&mut self, ns: u64) {
        self.buckets[((64 - ns.leading_zeros()) as usize).min(63)] += 1;
        self.count += 1;
        self.max_ns = self.max_ns.max(ns);
    }

    /// Upper bound of the bucket holding quantile `q`.
    fn quantile_ns(&self, q: f64) -> u64 {
        let target = (self.count as f64 * q).ceil() as u64;
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= target {
                return 1u64 << i.min(63);
            }
        }
        self.max_ns
    }

    fn summary(&self, label: &str, elapsed: Duration) -> String {
        format!(
            "{label}: {:.2} M evaluations/s; latency p50 <= {} ns, p99 <= {} ns, p99.9 <= {} ns, max {:.1} us",
            self.count as f64 / elapsed.as_secs_f64() / 1e6,
            self.quantile_ns(0.5),
            self.quantile_ns(0.99),
            self.quantile_ns(0.999),
            self.max_ns as f64 / 1e3
        )
    }
}

/// Evaluates flags in a loop until told to stop, recording each evaluation's latency
/// (snapshot load + lookup + evaluation).
fn spawn_reader(
    store: Arc<InMemoryDataStore>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<(Histogram, Duration)> {
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
        let mut hist = Histogram::default();
        let started = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            for key in &keys {
                let start = Instant::now();
                let snap = store.snapshot();
                if let Some(flag) = snap.flag(key) {
                    std::hint::black_box(evaluate(&*snap, flag, &ctx));
                }
                hist.record(start.elapsed().as_nanos() as u64);
            }
        }
        (hist, started.elapsed())
    })
}

/// Waits until the store's reclaimer thread has freed every data set handed to it so far: it
/// frees them in turn, so once a marker handed to it after them is gone, they are too.
fn wait_for_reclaimer() {
    let marker = Arc::new(Snapshot::default());
    let gone = Arc::downgrade(&marker);
    retire_snapshot(marker);
    while gone.strong_count() > 0 {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Times `f` in the benchmark thread's CPU time, each run starting 150 ms after the previous
/// one (more than the store's 100 ms burst interval, so the store treats the puts as spaced
/// and frees the data set each replaces in the background) and once the reclaimer has freed
/// the data sets earlier runs replaced (waiting is not timed).
fn cpu_timed_settled(b: &mut Bencher<'_>, mut f: impl FnMut()) {
    b.iter_custom(|iters| {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            std::thread::sleep(Duration::from_millis(150));
            wait_for_reclaimer();
            let start = ThreadTime::now();
            f();
            total += start.elapsed();
        }
        total
    })
}

/// Times `f` in the benchmark thread's CPU time.
fn cpu_timed(b: &mut Bencher<'_>, mut f: impl FnMut()) {
    b.iter_custom(|iters| {
        let start = ThreadTime::now();
        for _ in 0..iters {
            f();
        }
        start.elapsed()
    })
}

fn put_parse(c: &mut Criterion) {
    let data = put_data(FLAGS);
    let event = format!("event: put\ndata: {data}\n\n");
    report_memory(&data);

    let store = Arc::new(InMemoryDataStore::new());
    let sink = DataSourceUpdateSink::new(store.clone());
    assert_eq!(apply_stream_event(&sink, "put", &data), Ok(true));

    // Baseline: the reader alone.
    let stop = Arc::new(AtomicBool::new(false));
    let reader = spawn_reader(store.clone(), stop.clone());
    std::thread::sleep(Duration::from_secs(1));
    stop.store(true, Ordering::Relaxed);
    if let Ok((hist, elapsed)) = reader.join() {
        eprintln!("{}", hist.summary("reader alone", elapsed));
    }

    let mut group = c.benchmark_group("put_parse");
    group.throughput(Throughput::Bytes(event.len() as u64));
    group.sample_size(10);
    group.bench_function("sse_framing_only", |b| {
        cpu_timed(b, || {
            let mut parser = SseParser::new();
            let mut n = 0;
            for chunk in event.as_bytes().chunks(64 * 1024) {
                n += parser.push(chunk).expect("within limits").len();
            }
            assert_eq!(n, 1);
        })
    });
    group.bench_function("serde_json_value_baseline", |b| {
        cpu_timed(b, || {
            std::hint::black_box(serde_json::from_str::<serde_json::Value>(&data).expect("valid"));
        })
    });
    group.bench_function("all_data_from_json", |b| {
        let inner = put_inner(&data);
        cpu_timed(b, || {
            std::hint::black_box(AllData::from_json(inner).expect("valid"));
        })
    });

    group.bench_function("store_init_only", |b| {
        let parsed = AllData::from_json(put_inner(&data)).expect("valid");
        cpu_timed(b, || assert!(sink.init(parsed.clone())))
    });
    // Thousands of data sets were just replaced: let the reclaimer free them before the next
    // measurements, which its backlog would otherwise slow down.
    wait_for_reclaimer();

    let apply_put = || {
        let mut parser = SseParser::new();
        for chunk in event.as_bytes().chunks(64 * 1024) {
            for ev in parser.push(chunk).expect("within limits") {
                let stored = apply_stream_event(&sink, &ev.event, &ev.data);
                assert_eq!(stored, Ok(true));
            }
        }
    };
    // The same path with no reader competing for the machine's two cores.
    group.bench_function("sse_parse_and_apply_10k_flags", |b| cpu_timed(b, apply_put));
    // Puts as a stream sends them (one when a connection starts): the store frees the data
    // set each replaces in the background, and that is done by the time the next one arrives.
    // Back to back (above), the store has the writer free the replaced data set itself after
    // the swap (its CPU time is in the figure), since a background thread freeing it while
    // the next put is parsed would contend with the writer for the allocator.
    group.bench_function("sse_parse_and_apply_10k_flags_settled", |b| {
        cpu_timed_settled(b, apply_put)
    });

    let stop = Arc::new(AtomicBool::new(false));
    let reader = spawn_reader(store.clone(), stop.clone());
    group.bench_function("sse_parse_and_apply_10k_flags_while_evaluating", |b| {
        cpu_timed(b, apply_put)
    });
    group.bench_function(
        "sse_parse_and_apply_10k_flags_settled_while_evaluating",
        |b| cpu_timed_settled(b, apply_put),
    );
    group.finish();
    stop.store(true, Ordering::Relaxed);
    if let Ok((hist, elapsed)) = reader.join() {
        eprintln!("{}", hist.summary("reader while puts are applied", elapsed));
    }
}

criterion_group!(benches, put_parse);
criterion_main!(benches);
