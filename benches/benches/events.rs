//! What analytics events cost on the evaluating thread: a flag evaluation with events disabled,
//! the same evaluation recorded by an enabled processor (summary only: no `trackEvents`, a context
//! already seen), the recording call alone, and the recording call from two threads at once.
//!
//! Run: `cargo bench -p ld-benches --bench events -- --warm-up-time 1 --measurement-time 3`

// criterion_group! generates undocumented items.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ld_eval::{ContextBuilder, Flag, MemoryData};
use ld_events::{
    EventProcessor, EventRequest, EventResponse, EventSender, EventsConfig, SendFuture,
};
use serde_json::json;

/// Accepts payloads without sending them anywhere (flushes are an hour apart anyway).
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

fn events(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut config = EventsConfig::new("sdk-key");
    config.flush_interval = Duration::from_secs(3600);
    let on = EventProcessor::new(config, Arc::new(Accepting), runtime.handle());
    let off = EventProcessor::disabled();

    let flag: Flag = serde_json::from_value(json!({
        "key": "checkout", "version": 12, "on": true, "salt": "salty",
        "variations": [false, true], "offVariation": 0, "fallthrough": {"variation": 1},
        "rules": [{"id": "beta", "variation": 1, "clauses": [
            {"attribute": "groups", "op": "in", "values": ["beta"]}
        ]}]
    }))
    .unwrap();
    let data = MemoryData::default();
    let context = ContextBuilder::new("user-123")
        .name("Sandy")
        .set("groups", json!(["staff"]))
        .build()
        .unwrap();
    let default = json!(false);

    let mut group = c.benchmark_group("events");
    for (name, processor) in [
        ("variation_events_off", &off),
        ("variation_events_on_summary_only", &on),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let detail = ld_eval::evaluate(&data, black_box(&flag), black_box(&context));
                processor.record_evaluation(
                    "checkout",
                    Some(&flag),
                    &context,
                    &detail,
                    &default,
                    false,
                    None,
                );
                black_box(detail.value_or(&default).as_bool())
            })
        });
    }
    let detail = ld_eval::evaluate(&data, &flag, &context);
    group.bench_function("record_summary_only", |b| {
        b.iter(|| {
            on.record_evaluation(
                black_box("checkout"),
                Some(&flag),
                black_box(&context),
                &detail,
                &default,
                false,
                None,
            )
        })
    });
    // Two threads recording the same flag at once: per-evaluation wall time (the two run in
    // parallel, so this is half the per-thread cost when nothing is shared).
    group.bench_function("record_summary_only_2_threads", |b| {
        b.iter_custom(|iters| {
            let per_thread = iters.div_ceil(2);
            let started = std::time::Instant::now();
            std::thread::scope(|s| {
                for _ in 0..2 {
                    s.spawn(|| {
                        for _ in 0..per_thread {
                            on.record_evaluation(
                                black_box("checkout"),
                                Some(&flag),
                                black_box(&context),
                                &detail,
                                &default,
                                false,
                                None,
                            );
                        }
                    });
                }
            });
            started.elapsed()
        })
    });
    group.finish();
    on.close();
}

criterion_group!(benches, events);
criterion_main!(benches);
