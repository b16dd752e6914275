//! Recording a summary-only evaluation allocates nothing on the calling thread.
//!
//! The counting global allocator comes from `stats_alloc`, so this file needs no `unsafe`. It
//! counts every thread's allocations, so this binary holds a single test and the processor's
//! background task lives on a current-thread runtime that is never driven during the measurement:
//! the calling thread is the only one running.

use std::alloc::System;
use std::sync::Arc;

use ld_eval::{ContextBuilder, Detail, ErrorKind, Flag, MemoryData, MultiContextBuilder};
use ld_events::{
    EventProcessor, EventRequest, EventResponse, EventSender, EventsConfig, SendFuture, ThreadTally,
};
use serde_json::json;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

struct Unused;

impl EventSender for Unused {
    fn send(&self, _request: EventRequest) -> SendFuture {
        Box::pin(async {
            Ok(EventResponse {
                status: 202,
                date: None,
            })
        })
    }
}

#[test]
fn summary_only_evaluations_do_not_allocate_on_the_calling_thread() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let events = EventProcessor::new(
        EventsConfig::new("sdk-key"),
        Arc::new(Unused),
        runtime.handle(),
    );

    let flag: Flag = serde_json::from_value(json!({
        "key": "flag", "version": 1, "on": true, "salt": "s",
        "variations": [true, false], "fallthrough": {"variation": 0}
    }))
    .unwrap();
    let data = MemoryData::default();
    let single = ContextBuilder::new("user-1").name("Sandy").build().unwrap();
    let org = ContextBuilder::new("org-1").kind("org").build().unwrap();
    let multi = MultiContextBuilder::new()
        .push(single.clone())
        .push(org)
        .build()
        .unwrap();
    let default = json!(false);
    let unknown = Detail::error(ErrorKind::FlagNotFound);
    // Both places a thread's summary state can live: the thread-local list and a tally the
    // caller keeps (as the SDK client does).
    let tally = ThreadTally::default();

    let record_all = || {
        for context in [&single, &multi] {
            let detail = ld_eval::evaluate(&data, &flag, context);
            events.record_evaluation("flag", Some(&flag), context, &detail, &default, false, None);
            events.record_evaluation("flag", Some(&flag), context, &detail, &default, true, None);
            events.record_evaluation("missing", None, context, &unknown, &default, false, None);
            let default = || serde_json::Value::Bool(false);
            events.record_evaluation_in(
                Some(&tally),
                "flag",
                Some(&flag),
                context,
                &detail,
                default,
                false,
                None,
            );
        }
    };
    // The first evaluations create the summary entries and remember the contexts.
    record_all();

    // The allocator counts every thread, and the test harness's own thread may still be doing
    // its bookkeeping for this test when the first round starts. Such stray allocations are
    // few and one-off, whereas an allocating recording path would allocate in every round: so
    // one clean round out of three proves the point.
    let rounds: Vec<_> = (0..3)
        .map(|_| {
            let region = Region::new(GLOBAL);
            for _ in 0..10_000 {
                record_all();
            }
            region.change()
        })
        .collect();
    assert!(
        rounds
            .iter()
            .any(|c| c.allocations == 0 && c.reallocations == 0),
        "recording allocated in every round: {rounds:?}"
    );
    assert!(events.is_enabled());
}
