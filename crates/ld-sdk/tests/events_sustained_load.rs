//! Sustained load with analytics events on: two threads call `Client::bool_variation` (summary
//! only) for ten seconds, aiming at 1,000,000 evaluations per second in total, while the
//! client flushes summaries every 200 ms to a local events server. The live heap, sampled every
//! second through a counting global allocator, must stay flat, and the summaries delivered must
//! add up to exactly the evaluations made.
//!
//! The rate reached is printed, not asserted: it depends on the build profile and on what else
//! the machine runs (performance figures come from the criterion benches). Its own test binary,
//! so the counting allocator sees nothing but this test.
#![cfg(feature = "http")]

mod local_server;

use std::alloc::System;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ld_sdk::{Client, Config, Context, ContextBuilder, EventsConfig, ServiceEndpoints, TestData};
use local_server::LocalServer;
use serde_json::{Value, json};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const THREADS: usize = 2;
const TARGET_PER_SECOND: u64 = 1_000_000;
const RUN: Duration = Duration::from_secs(10);
const CONTEXTS_PER_THREAD: usize = 400;
/// How far the live heap may drift from its value after the first second. A leak of even one
/// byte per evaluation would exceed it a hundredfold.
const FLAT_BOUND: i64 = 256 * 1024;

/// Bytes currently allocated by the whole process (`bytes_allocated` and `bytes_deallocated`
/// already include what reallocations grew or shrank).
fn live_bytes() -> i64 {
    let s = GLOBAL.stats();
    s.bytes_allocated as i64 - s.bytes_deallocated as i64
}

/// The evaluations of flag `f` counted in one `/bulk` payload's summary.
fn summary_count(body: &[u8]) -> u64 {
    let events: Vec<Value> = serde_json::from_slice(body).expect("a JSON array of events");
    events
        .iter()
        .filter(|e| e["kind"] == "summary")
        .flat_map(|e| e["features"]["f"]["counters"].as_array().cloned())
        .flatten()
        .map(|c| c["count"].as_u64().expect("a count"))
        .sum()
}

/// One evaluating thread: cycles over its contexts, pacing itself to its share of the target
/// rate; returns how many evaluations it made.
fn evaluate_until(client: &Client, contexts: &[Context], stop: &AtomicBool) -> u64 {
    let per_thread = TARGET_PER_SECOND / THREADS as u64;
    let started = Instant::now();
    let mut done = 0u64;
    while !stop.load(Ordering::Relaxed) {
        for context in contexts {
            std::hint::black_box(client.bool_variation("f", context, false));
        }
        done += contexts.len() as u64;
        // Ahead of schedule: wait for it (a faster machine is not asked for more than the target).
        let due = Duration::from_secs_f64(done as f64 / per_thread as f64);
        if let Some(ahead) = due.checked_sub(started.elapsed()) {
            std::thread::sleep(ahead);
        }
    }
    done
}

#[test]
fn two_threads_evaluating_for_ten_seconds_keep_memory_flat_and_every_count_is_delivered() {
    let server = LocalServer::start(|_| (202, "application/json", Vec::new()));
    // Count summaries as they arrive and drop the recorded requests at once, so the test's own
    // bookkeeping does not grow the heap.
    let delivered = Arc::new(AtomicU64::new(0));
    let payloads = Arc::new(AtomicU64::new(0));
    let requests = server.requests;
    {
        let (delivered, payloads) = (Arc::clone(&delivered), Arc::clone(&payloads));
        std::thread::spawn(move || {
            for request in requests {
                if request.path == "/bulk" {
                    delivered.fetch_add(summary_count(&request.body), Ordering::Relaxed);
                    payloads.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }

    let td = TestData::new();
    td.use_preconfigured_flag(json!({
        "key": "f", "version": 3, "on": true, "variations": [false, true],
        "fallthrough": {"variation": 1}, "offVariation": 0, "salt": "s"
    }));
    let client = Client::new(
        Config::builder("sdk-key-load")
            .data_source(&td)
            .service_endpoints(ServiceEndpoints::default().events(&server.base_uri))
            .events(
                EventsConfig::default()
                    .flush_interval(Duration::from_millis(200))
                    .diagnostic_opt_out(true),
            )
            .build()
            .unwrap(),
    )
    .unwrap();
    client
        .wait_for_initialization(Duration::from_secs(5))
        .unwrap();
    let contexts: Vec<Vec<Context>> = (0..THREADS)
        .map(|t| {
            (0..CONTEXTS_PER_THREAD)
                .map(|i| {
                    ContextBuilder::new(format!("load-{t}-{i}"))
                        .build()
                        .unwrap()
                })
                .collect()
        })
        .collect();

    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let (total, samples) = std::thread::scope(|s| {
        let workers: Vec<_> = contexts
            .iter()
            .map(|mine| s.spawn(|| evaluate_until(&client, mine, &stop)))
            .collect();
        let mut samples = Vec::new();
        for second in 1..=RUN.as_secs() {
            let due = started + Duration::from_secs(second);
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
            samples.push(live_bytes());
        }
        stop.store(true, Ordering::Relaxed);
        let total: u64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
        (total, samples)
    });
    let elapsed = started.elapsed();
    let rate = total as f64 / elapsed.as_secs_f64();
    println!(
        "{total} evaluations in {elapsed:.2?} from {THREADS} threads: {rate:.0}/s \
         (target {TARGET_PER_SECOND}/s); live heap per second: {samples:?}"
    );

    assert!(client.flush_and_wait(Duration::from_secs(10)));
    client.close();
    // The last payload may still be on its way through the drain thread.
    let deadline = Instant::now() + Duration::from_secs(10);
    while delivered.load(Ordering::Relaxed) < total && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        payloads.load(Ordering::Relaxed) >= RUN.as_secs(),
        "flushes happened throughout the run"
    );
    assert_eq!(
        delivered.load(Ordering::Relaxed),
        total,
        "every evaluation is counted in a delivered summary"
    );

    let baseline = samples[0];
    for (second, &live) in samples.iter().enumerate() {
        assert!(
            (live - baseline).abs() <= FLAT_BOUND,
            "live heap after {}s is {live} bytes, {} from the {baseline} after 1s \
             (all samples: {samples:?})",
            second + 1,
            live - baseline
        );
    }
}
