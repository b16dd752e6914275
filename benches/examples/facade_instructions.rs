//! A driver for counting instructions, not a benchmark: evaluates one scenario's flag for its
//! 1,000 contexts in turn, `ROUNDS` times, through the bare evaluator, the client with events
//! off, and the client with events on, each in its own never-inlined function. Run it under
//! callgrind and read the inclusive cost of each function (divide by `ROUNDS * 1000`):
//!
//! ```sh
//! cargo build --release -p ld-benches --example facade_instructions
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out \
//!     target/release/examples/facade_instructions fallthrough
//! callgrind_annotate --inclusive=yes /tmp/cg.out | grep -E 'run_(bare|client)'
//! ```
//!
//! A second argument `off` runs only the bare evaluator and the events-off client, so that a
//! flat profile (`callgrind_annotate --inclusive=no`) shows where the facade's own instructions
//! go.
//!
//! A second argument `fresh` measures contexts built anew for each evaluation, as an
//! application that builds a request's context and evaluates one flag for it does: after the
//! usual runs, each client evaluates a second, freshly parsed copy of the 1,000 contexts once
//! (`run_fresh_events_off` / `run_fresh_events_on`; divide by 1,000). The contexts are known to
//! the event processor, but these objects carry no memo yet.
//!
//! Instruction counts are repeatable on a busy machine, where criterion's times are not.

use std::hint::black_box;

use ld_benches::client_fixture::client;
use ld_benches::eval_scenarios::scenarios;
use ld_eval::{Context, Evaluator, MemoryData};
use ld_sdk::Client;

const ROUNDS: usize = 20;

#[inline(never)]
fn run_bare(data: &MemoryData, key: &str, contexts: &[Context]) -> usize {
    let evaluator = Evaluator::new(data);
    let mut served = 0;
    for _ in 0..ROUNDS {
        for c in contexts {
            let flag = ld_eval::DataLookup::flag(data, black_box(key)).expect("flag exists");
            let value = evaluator
                .evaluate_ref(flag, c)
                .value
                .and_then(|v| v.as_bool());
            served += usize::from(black_box(value).unwrap_or(false));
        }
    }
    served
}

#[inline(never)]
fn run_client_events_off(client: &Client, key: &str, contexts: &[Context]) -> usize {
    // The tags keep the linker from folding the two identical functions into one.
    run_client(client, key, contexts) + black_box(0)
}

#[inline(never)]
fn run_client_events_on(client: &Client, key: &str, contexts: &[Context]) -> usize {
    run_client(client, key, contexts) + black_box(1) - 1
}

#[inline(never)]
fn run_fresh_events_off(client: &Client, key: &str, contexts: &[Context]) -> usize {
    run_once(client, key, contexts) + black_box(0)
}

#[inline(never)]
fn run_fresh_events_on(client: &Client, key: &str, contexts: &[Context]) -> usize {
    run_once(client, key, contexts) + black_box(1) - 1
}

#[inline(always)]
fn run_once(client: &Client, key: &str, contexts: &[Context]) -> usize {
    contexts
        .iter()
        .map(|c| usize::from(black_box(client.bool_variation(black_box(key), c, false))))
        .sum()
}

#[inline(always)]
fn run_client(client: &Client, key: &str, contexts: &[Context]) -> usize {
    let mut served = 0;
    for _ in 0..ROUNDS {
        for c in contexts {
            served += usize::from(black_box(client.bool_variation(black_box(key), c, false)));
        }
    }
    served
}

fn main() {
    let wanted = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "flag_off".to_owned());
    let s = scenarios()
        .into_iter()
        .find(|s| s.name == wanted)
        .unwrap_or_else(|| panic!("no scenario named {wanted}"));
    let contexts = s.parsed_contexts();
    let data = s.memory_data();
    let quiet = client(&s, false);
    if std::env::args().nth(2).as_deref() == Some("off") {
        // Only the events-off client: its flat profile is then the facade alone.
        let a = run_bare(&data, s.flag_key, &contexts);
        assert_eq!(a, run_client_events_off(&quiet, s.flag_key, &contexts));
        return;
    }
    let recording = client(&s, true);
    // Warm every path once (first-seen contexts, summary entries) before the counted runs.
    run_client(&recording, s.flag_key, &contexts);
    let a = run_bare(&data, s.flag_key, &contexts);
    let b = run_client_events_off(&quiet, s.flag_key, &contexts);
    let c = run_client_events_on(&recording, s.flag_key, &contexts);
    assert_eq!(a, b, "client and evaluator disagree");
    assert_eq!(b, c, "events change the served values");
    if std::env::args().nth(2).as_deref() == Some("fresh") {
        let (fresh_off, fresh_on) = (s.parsed_contexts(), s.parsed_contexts());
        assert_eq!(
            run_fresh_events_off(&quiet, s.flag_key, &fresh_off),
            run_fresh_events_on(&recording, s.flag_key, &fresh_on)
        );
    }
    println!(
        "{}: {} evaluations per side, {} served true",
        s.name,
        ROUNDS * contexts.len(),
        a
    );
}
