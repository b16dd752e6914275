//! Our evaluator and LaunchDarkly's official Rust evaluation crate, side by side, "by key": look
//! the flag up by key, evaluate it for the next of 1,000 contexts, take the value out (what a
//! client's `variation()` does). Both read the same JSON.
//!
//! Each side uses its own lookup API, as its SDK's `variation()` does: ours borrows the flag
//! through [`DataLookup`], evaluates with `Evaluator::evaluate_ref` (value and reason borrowed
//! from the flag, as `ld_sdk::Client::bool_variation` does) and reads the borrowed value; the official crate's `Store::flag` returns
//! an owned flag, so its SDK (`launchdarkly-server-sdk` 3.x, `variation_internal`) clones the
//! flag out of its in-memory store, evaluates, and clones the value. Our store is
//! `ld_eval::MemoryData` (hash maps with `ld_eval::FastBuildHasher`); theirs is a
//! `HashMap<String, Flag>` with the standard hasher, as in their SDK.
//!
//! Times are the benchmark thread's CPU time (`cpu_time::ThreadTime`), not wall-clock time: the
//! development machine is shared by several builds at once, and wall-clock figures there are
//! inflated several-fold and noisy.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::collections::HashMap;
use std::hint::black_box;

use cpu_time::ThreadTime;
use criterion::{Criterion, criterion_group, criterion_main};
use launchdarkly_server_sdk_evaluation as official;
use ld_benches::eval_scenarios::{Scenario, scenarios};
use ld_eval::{Context, DataLookup, Evaluator, MemoryData};

/// The official crate's `Store` hands out owned flags and segments, so its prerequisite and
/// segment lookups clone; that is part of what is being compared.
struct Theirs {
    flags: HashMap<String, official::Flag>,
    segments: HashMap<String, official::Segment>,
}

impl official::Store for Theirs {
    fn flag(&self, key: &str) -> Option<official::Flag> {
        self.flags.get(key).cloned()
    }
    fn segment(&self, key: &str) -> Option<official::Segment> {
        self.segments.get(key).cloned()
    }
}

fn ours(s: &Scenario) -> (MemoryData, Vec<Context>) {
    (s.memory_data(), s.parsed_contexts())
}

fn theirs(s: &Scenario) -> (Theirs, Vec<official::Context>) {
    let data = Theirs {
        flags: s
            .flags
            .iter()
            .map(|f| {
                let f: official::Flag = serde_json::from_value(f.clone()).unwrap();
                (f.key.clone(), f)
            })
            .collect(),
        segments: s
            .segments
            .iter()
            .map(|v| {
                let v: official::Segment = serde_json::from_value(v.clone()).unwrap();
                (v.key.clone(), v)
            })
            .collect(),
    };
    let contexts = s
        .contexts
        .iter()
        .map(|c| serde_json::from_value(c.clone()).unwrap())
        .collect();
    (data, contexts)
}

fn bench(c: &mut Criterion) {
    for s in scenarios() {
        let (our_data, our_contexts) = ours(&s);
        let (their_data, their_contexts) = theirs(&s);
        // Both sides must serve the same values, or the comparison means nothing.
        let evaluator = Evaluator::new(&our_data);
        for (oc, tc) in our_contexts.iter().zip(&their_contexts) {
            let a = evaluator
                .evaluate(&our_data.flags[s.flag_key], oc)
                .value
                .and_then(|v| v.as_bool());
            let b = official::evaluate(&their_data, &their_data.flags[s.flag_key], tc, None)
                .value
                .and_then(|v| v.as_bool());
            assert_eq!(a, b, "{}: evaluators disagree", s.name);
        }

        let mut group = c.benchmark_group(s.name);
        let key = s.flag_key;
        group.bench_function("ours", |b| {
            let mut i = 0;
            b.iter_custom(|iters| {
                let start = ThreadTime::now();
                for _ in 0..iters {
                    i = (i + 1) % our_contexts.len();
                    let flag = DataLookup::flag(&our_data, black_box(key)).unwrap();
                    let value = evaluator
                        .evaluate_ref(flag, &our_contexts[i])
                        .value
                        .and_then(|v| v.as_bool());
                    black_box(value);
                }
                start.elapsed()
            })
        });
        group.bench_function("official", |b| {
            let mut i = 0;
            b.iter_custom(|iters| {
                let start = ThreadTime::now();
                for _ in 0..iters {
                    i = (i + 1) % their_contexts.len();
                    let flag = official::Store::flag(&their_data, black_box(key)).unwrap();
                    let value = official::evaluate(&their_data, &flag, &their_contexts[i], None)
                        .map(|v| v.clone())
                        .value
                        .and_then(|v| v.as_bool());
                    black_box(value);
                }
                start.elapsed()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
