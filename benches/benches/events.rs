//! What analytics events cost on the evaluating thread: a flag evaluation with events disabled,
//! the same evaluation recorded by an enabled processor (summary only: no `trackEvents`, a context
//! already seen), the recording call alone, and the recording call from two threads at once.
//!
//! The `events_client/*` groups time `ld_sdk::Client::bool_variation` with events off and on
//! (summary only) on the `flag_off` and `fallthrough` scenarios of `eval_scenarios`, cycling over
//! their 1,000 contexts — the "events on costs at most 1.3× events off".
//!
//! Run: `cargo bench -p ld-benches --bench events -- --warm-up-time 1 --measurement-time 3`
//!
//! **Instruction counts.** With `LD_EVENTS_DRIVER=SCENARIO:on|off:N` set, the binary instead runs
//! `N` client evaluations of that scenario (after one warm-up pass over the contexts) and exits,
//! for `valgrind --tool=callgrind`: the difference between two runs with different `N`, divided
//! by the difference in `N`, is the per-evaluation instruction count, free of setup costs.

// criterion_group! generates undocumented items.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group};
use ld_benches::client_fixture::client;
use ld_benches::eval_scenarios::{Scenario, scenarios};
use ld_eval::{Context, ContextBuilder, Flag, MemoryData};
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

fn contexts(s: &Scenario) -> Vec<Context> {
    s.contexts
        .iter()
        .map(|c| serde_json::from_value(c.clone()).expect("valid context"))
        .collect()
}

/// The scenarios the 1.3× target is stated on.
fn client_scenarios() -> Vec<Scenario> {
    scenarios()
        .into_iter()
        .filter(|s| s.name == "flag_off" || s.name == "fallthrough")
        .collect()
}

fn events_client(c: &mut Criterion) {
    for s in client_scenarios() {
        let contexts = contexts(&s);
        let key = s.flag_key;
        let mut group = c.benchmark_group(format!("events_client/{}", s.name));
        for (name, events) in [("events_off", false), ("events_on", true)] {
            let client = client(&s, events);
            group.bench_function(name, |b| {
                let mut i = 0;
                b.iter(|| {
                    i = (i + 1) % contexts.len();
                    black_box(client.bool_variation(black_box(key), &contexts[i], false))
                })
            });
            client.close();
        }
        group.finish();
    }
}

/// `LD_EVENTS_DRIVER=SCENARIO:on|off:N`: see the module documentation.
fn driver(spec: &str) {
    let mut parts = spec.split(':');
    let (Some(name), Some(side), Some(n)) = (parts.next(), parts.next(), parts.next()) else {
        panic!("LD_EVENTS_DRIVER is SCENARIO:on|off:N, not {spec:?}");
    };
    let n: usize = n.parse().expect("N is a number");
    let s = scenarios()
        .into_iter()
        .find(|s| s.name == name)
        .expect("a scenario of eval_scenarios");
    let contexts = contexts(&s);
    let client = client(&s, side == "on");
    for context in &contexts {
        black_box(client.bool_variation(s.flag_key, context, false));
    }
    for i in 0..n {
        black_box(client.bool_variation(
            black_box(s.flag_key),
            &contexts[i % contexts.len()],
            false,
        ));
    }
    client.close();
}

criterion_group!(benches, events, events_client);

fn main() {
    if let Ok(spec) = std::env::var("LD_EVENTS_DRIVER") {
        driver(&spec);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
