//! Sustained evaluation from two threads, with the background task flushing all along, leaves
//! the heap where it was: summary counters are reused in place, the context-key cache and the
//! event buffer are bounded.
//!
//! Heap use is measured with `stats_alloc`'s counting global allocator (no `unsafe` here), which
//! sees every thread, so this binary holds a single test.

use std::alloc::System;
use std::sync::Arc;
use std::time::Duration;

use ld_eval::{Context, ContextBuilder, Flag, MemoryData};
use ld_events::{
    EventProcessor, EventRequest, EventResponse, EventSender, EventsConfig, SendFuture,
};
use serde_json::json;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Accepts every payload after serialization, without network I/O.
struct Accepting;

impl EventSender for Accepting {
    fn send(&self, _request: EventRequest) -> SendFuture {
        Box::pin(async {
            Ok(EventResponse {
                status: 202,
                date: None,
            })
        })
    }
}

fn live_heap_bytes() -> i64 {
    let s = GLOBAL.stats();
    // `bytes_allocated`/`bytes_deallocated` already include what reallocations grew or shrank.
    s.bytes_allocated as i64 - s.bytes_deallocated as i64
}

fn evaluate_from_two_threads(
    events: &EventProcessor,
    flags: &[Flag],
    contexts: &[Context],
    n: usize,
) {
    let data = MemoryData::default();
    let default = json!(null);
    std::thread::scope(|s| {
        for t in 0..2 {
            let data = &data;
            let default = &default;
            s.spawn(move || {
                for i in 0..n {
                    let flag = &flags[i % flags.len()];
                    let context = &contexts[(i + t) % contexts.len()];
                    let detail = ld_eval::evaluate(data, flag, context);
                    events.record_evaluation(
                        &flag.key,
                        Some(flag),
                        context,
                        &detail,
                        default,
                        false,
                        None,
                    );
                }
            });
        }
    });
}

#[test]
fn sustained_evaluation_keeps_memory_flat() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut config = EventsConfig::new("sdk-key");
    config.flush_interval = Duration::from_millis(5);
    let events = EventProcessor::new(config, Arc::new(Accepting), runtime.handle());
    let flags: Vec<Flag> = (0..20)
        .map(|i| {
            serde_json::from_value(json!({
                "key": format!("flag-{i}"), "version": 1, "on": true, "salt": "s",
                "variations": [true, false], "fallthrough": {"variation": i % 2}
            }))
            .unwrap()
        })
        .collect();
    let contexts: Vec<Context> = (0..100)
        .map(|i| ContextBuilder::new(format!("user-{i}")).build().unwrap())
        .collect();

    evaluate_from_two_threads(&events, &flags, &contexts, 20_000);
    assert!(events.flush_and_wait(Duration::from_secs(5)));
    let before = live_heap_bytes();

    evaluate_from_two_threads(&events, &flags, &contexts, 150_000);
    assert!(events.flush_and_wait(Duration::from_secs(5)));
    let grown = live_heap_bytes() - before;

    eprintln!("heap growth after 300,000 evaluations: {grown} bytes");
    // 300,000 evaluations and dozens of flushes later: at most a few transient buffers more.
    assert!(grown < 256 * 1024, "heap grew by {grown} bytes");
    events.close();
}
