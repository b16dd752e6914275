//! The client facade against the bare evaluator, on the same flags and contexts.
//!
//! `bare`: look the flag up in a `MemoryData` and run `ld_eval::Evaluator` — the floor.
//! `client_events_off`: `Client::bool_variation` with events disabled — the facade's overhead is
//! the difference (target: at most 15 ns).
//! `client_events_on`: the same with analytics events recorded (summaries, index events), sent to
//! a local address that is never reached within the measurement (a long flush interval).

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ld_eval::{ContextBuilder, DataLookup, Evaluator, Flag, MemoryData, Segment};
use ld_sdk::{Client, Config, EventsConfig, ServiceEndpoints, TestData};
use serde_json::{Value, json};

struct Scenario {
    name: &'static str,
    flag_key: &'static str,
    flags: Vec<Value>,
    segments: Vec<Value>,
    context_key: &'static str,
    attributes: Vec<(&'static str, Value)>,
}

fn scenarios() -> Vec<Scenario> {
    let many_targets: Vec<String> = (0..1000).map(|i| format!("user-{i}")).collect();
    let rules: Vec<Value> = (0..10)
        .map(|i| {
            json!({"id": format!("r{i}"), "variation": 0, "clauses": [
                {"attribute": "email", "op": "endsWith", "values": [format!("@corp{i}.example")], "negate": false},
                {"attribute": "plan", "op": "in", "values": ["gold", "platinum"], "negate": false}
            ]})
        })
        .collect();
    vec![
        Scenario {
            name: "fallthrough",
            flag_key: "simple",
            flags: vec![json!({"key": "simple", "version": 1, "on": true, "salt": "s",
                "variations": [true, false], "offVariation": 1, "fallthrough": {"variation": 0}})],
            segments: vec![],
            context_key: "user-42",
            attributes: vec![],
        },
        Scenario {
            name: "target_match_1000",
            flag_key: "targeted",
            flags: vec![json!({"key": "targeted", "version": 1, "on": true, "salt": "s",
                "variations": [true, false], "offVariation": 1, "fallthrough": {"variation": 1},
                "targets": [{"values": many_targets, "variation": 0}]})],
            segments: vec![],
            context_key: "user-999",
            attributes: vec![],
        },
        Scenario {
            name: "rule_match_10th",
            flag_key: "rules",
            flags: vec![json!({"key": "rules", "version": 1, "on": true, "salt": "s",
                "variations": [true, false], "offVariation": 1, "fallthrough": {"variation": 1},
                "rules": rules})],
            segments: vec![],
            context_key: "user-7",
            attributes: vec![
                ("email", json!("someone@corp9.example")),
                ("plan", json!("gold")),
            ],
        },
        Scenario {
            name: "rollout",
            flag_key: "rollout",
            flags: vec![json!({"key": "rollout", "version": 1, "on": true, "salt": "s",
                "variations": [true, false], "offVariation": 1,
                "fallthrough": {"rollout": {"variations": [
                    {"variation": 0, "weight": 50000}, {"variation": 1, "weight": 50000}]}}})],
            segments: vec![],
            context_key: "user-123",
            attributes: vec![],
        },
        Scenario {
            name: "prerequisite_and_segment",
            flag_key: "gated",
            flags: vec![
                json!({"key": "gate", "version": 1, "on": true, "salt": "s",
                    "variations": [true, false], "offVariation": 1, "fallthrough": {"variation": 0}}),
                json!({"key": "gated", "version": 1, "on": true, "salt": "s",
                    "variations": [true, false], "offVariation": 1, "fallthrough": {"variation": 1},
                    "prerequisites": [{"key": "gate", "variation": 0}],
                    "rules": [{"id": "seg", "variation": 0, "clauses": [
                        {"attribute": "key", "op": "segmentMatch", "values": ["beta"], "negate": false}]}]}),
            ],
            segments: vec![json!({"key": "beta", "version": 1, "salt": "s",
                "included": ["user-5", "user-6"], "rules": []})],
            context_key: "user-5",
            attributes: vec![],
        },
    ]
}

fn client_for(scenario: &Scenario, events: bool) -> Client {
    let td = TestData::new();
    for flag in &scenario.flags {
        td.use_preconfigured_flag(flag.clone());
    }
    for segment in &scenario.segments {
        td.use_preconfigured_segment(segment.clone());
    }
    let config = Config::builder("bench-sdk-key")
        .data_source(&td)
        .send_events(events)
        .service_endpoints(ServiceEndpoints::default().events("http://127.0.0.1:9"))
        .events(
            EventsConfig::default()
                .flush_interval(Duration::from_secs(3600))
                .diagnostic_opt_out(true),
        )
        .build()
        .expect("valid bench configuration");
    let client = Client::new(config).expect("client starts");
    client
        .wait_for_initialization(Duration::from_secs(5))
        .expect("TestData initializes at once");
    client
}

fn bench_client(c: &mut Criterion) {
    for scenario in scenarios() {
        let mut builder = ContextBuilder::new(scenario.context_key);
        for (name, value) in &scenario.attributes {
            builder = builder.set(name, value.clone());
        }
        let context = builder.build().expect("valid context");

        let mut data = MemoryData::default();
        for flag in &scenario.flags {
            data.insert_flag(serde_json::from_value::<Flag>(flag.clone()).expect("valid flag"));
        }
        for segment in &scenario.segments {
            data.insert_segment(
                serde_json::from_value::<Segment>(segment.clone()).expect("valid segment"),
            );
        }

        let mut group = c.benchmark_group(format!("client/{}", scenario.name));
        group.bench_function("bare_evaluator", |b| {
            b.iter(|| {
                let flag = data.flag(black_box(scenario.flag_key)).expect("flag");
                let detail = Evaluator::new(&data).evaluate(flag, black_box(&context));
                black_box(detail.value.and_then(Value::as_bool).unwrap_or(false))
            })
        });

        let quiet = client_for(&scenario, false);
        group.bench_function("client_events_off", |b| {
            b.iter(|| quiet.bool_variation(black_box(scenario.flag_key), black_box(&context), false))
        });
        quiet.close();

        let recording = client_for(&scenario, true);
        group.bench_function("client_events_on", |b| {
            b.iter(|| {
                recording.bool_variation(black_box(scenario.flag_key), black_box(&context), false)
            })
        });
        recording.close();
        group.finish();
    }
}

criterion_group!(benches, bench_client);
criterion_main!(benches);
