//! The client facade against the bare evaluator, on the ten scenarios of `eval.rs`
//! (`ld_benches::eval_scenarios`), cycling over the same 1,000 contexts.
//!
//! - `bare`: look the flag up by key in `ld_eval::MemoryData` and run
//!   `ld_eval::Evaluator::evaluate_ref` — the floor, exactly the `ours` line of `eval.rs`.
//! - `client_events_off`: `Client::bool_variation` with events disabled. The facade's overhead
//!   is the difference to `bare` (target: at most 15 ns).
//! - `client_events_on`: the same with analytics events recorded (summaries and index events;
//!   nothing is delivered during the measurement: the flush interval is an hour).
//!
//! Before criterion runs, the binary prints the facade overhead and the cost of events measured
//! in a way that survives a busy machine: bare, events off and events on alternate in batches of
//! 1,000 evaluations, and each side's *fastest* batch (one that was not preempted) is kept.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group};
use ld_benches::client_fixture::client;
use ld_benches::eval_scenarios::scenarios;
use ld_eval::{DataLookup, Evaluator};

fn bench(c: &mut Criterion) {
    for s in scenarios() {
        let data = s.memory_data();
        let contexts = s.parsed_contexts();
        let quiet = client(&s, false);
        let recording = client(&s, true);
        // The facade must serve what the evaluator serves, or the comparison means nothing.
        let evaluator = Evaluator::new(&data);
        for context in &contexts {
            let expected = evaluator
                .evaluate(&data.flags[s.flag_key], context)
                .value
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            assert_eq!(quiet.bool_variation(s.flag_key, context, false), expected);
        }

        let key = s.flag_key;
        let mut group = c.benchmark_group(format!("client/{}", s.name));
        group.bench_function("bare", |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % contexts.len();
                let flag = DataLookup::flag(&data, black_box(key)).expect("flag");
                let value = Evaluator::new(&data)
                    .evaluate_ref(flag, &contexts[i])
                    .value
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false);
                black_box(value)
            })
        });
        group.bench_function("client_events_off", |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % contexts.len();
                black_box(quiet.bool_variation(black_box(key), &contexts[i], false))
            })
        });
        group.bench_function("client_events_on", |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % contexts.len();
                black_box(recording.bool_variation(black_box(key), &contexts[i], false))
            })
        });
        group.finish();
        quiet.close();
        recording.close();
    }
}

/// Prints, per scenario, the fastest-batch time of `bare`, `client_events_off` and
/// `client_events_on`, the facade overhead (off − bare) and the cost of events (on ÷ off).
/// The three alternate batch by batch, so a slow spell of the machine hits all of them alike.
fn facade_overhead_report() {
    const BATCH: usize = 1_000;
    const ROUNDS: usize = 400;
    for s in scenarios() {
        let data = s.memory_data();
        let contexts = s.parsed_contexts();
        let quiet = client(&s, false);
        let recording = client(&s, true);
        let key = s.flag_key;
        let (mut best_bare, mut best_off, mut best_on) = (f64::MAX, f64::MAX, f64::MAX);
        let per_eval = |start: Instant| start.elapsed().as_nanos() as f64 / BATCH as f64;
        let batch = |client: &ld_sdk::Client| {
            let start = Instant::now();
            for i in 0..BATCH {
                black_box(client.bool_variation(
                    black_box(key),
                    &contexts[i % contexts.len()],
                    false,
                ));
            }
            per_eval(start)
        };
        for _ in 0..ROUNDS {
            let start = Instant::now();
            for i in 0..BATCH {
                let flag = DataLookup::flag(&data, black_box(key)).expect("flag");
                let value = Evaluator::new(&data)
                    .evaluate_ref(flag, &contexts[i % contexts.len()])
                    .value
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false);
                black_box(value);
            }
            best_bare = best_bare.min(per_eval(start));
            best_off = best_off.min(batch(&quiet));
            best_on = best_on.min(batch(&recording));
        }
        println!(
            "facade overhead {:<28} bare {:>8.1} ns  client {:>8.1} ns  overhead {:>6.1} ns  \
             events on {:>8.1} ns  on/off {:>5.2}",
            s.name,
            best_bare,
            best_off,
            best_off - best_bare,
            best_on,
            best_on / best_off
        );
        quiet.close();
        recording.close();
    }
}

criterion_group!(benches, bench);

fn main() {
    facade_overhead_report();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
