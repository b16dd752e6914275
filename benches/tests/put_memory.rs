//! Memory kept by the store after a streaming `put` of 10,000 realistic flags is at most twice
//! the size of the put's JSON.
//!
//! Heap use is measured with `stats_alloc`'s counting global allocator (no `unsafe` here): the
//! bytes live after the event was framed, parsed and applied, minus the bytes live before, with
//! the event's own text allocated before and still held after, so only what the put left behind
//! is counted. The allocator's per-allocation bookkeeping (8–16 bytes each with glibc) is not in
//! these bytes; the test prints the number of live allocations so that cost can be estimated,
//! and bounds it too. The counter sees every thread, so this binary holds a single test.

use std::alloc::System;
use std::sync::Arc;

use ld_benches::put_fixture::{FLAGS, put_data};
use ld_datasource_http::{SseParser, apply_stream_event};
use ld_store::{DataSourceUpdateSink, DataStore, InMemoryDataStore};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// (live bytes, live allocations)
fn live() -> (i64, i64) {
    let s = GLOBAL.stats();
    // `bytes_allocated`/`bytes_deallocated` already include what reallocations grew or shrank.
    (
        s.bytes_allocated as i64 - s.bytes_deallocated as i64,
        s.allocations as i64 - s.deallocations as i64,
    )
}

#[test]
fn a_put_of_ten_thousand_flags_keeps_at_most_twice_its_json_size() {
    let data = put_data(FLAGS);
    let event = format!("event: put\ndata: {data}\n\n");
    let store = Arc::new(InMemoryDataStore::new());
    let sink = DataSourceUpdateSink::new(store.clone());

    let (bytes_before, allocs_before) = live();
    let made_before = GLOBAL.stats().allocations + GLOBAL.stats().reallocations;
    let mut parser = SseParser::new();
    for chunk in event.as_bytes().chunks(64 * 1024) {
        for ev in parser.push(chunk).expect("within limits") {
            assert_eq!(apply_stream_event(&sink, &ev.event, &ev.data), Ok(true));
        }
    }
    drop(parser);
    let (bytes_after, allocs_after) = live();
    let made = GLOBAL.stats().allocations + GLOBAL.stats().reallocations - made_before;

    assert_eq!(store.snapshot().flags().count(), FLAGS);
    let kept = bytes_after - bytes_before;
    let allocations = allocs_after - allocs_before;
    let ratio = kept as f64 / data.len() as f64;
    // glibc's malloc rounds each request up to a 16-byte multiple with an 8-byte header: about
    // 16 bytes per allocation on average.
    let with_overhead = (kept + 16 * allocations) as f64 / data.len() as f64;
    eprintln!(
        "{FLAGS} flags: JSON {} bytes, store keeps {kept} bytes = {ratio:.2}x in {allocations} \
         allocations ({:.1} per flag, {:.0} bytes per flag); with ~16 bytes of allocator \
         overhead each: {with_overhead:.2}x; {:.1} allocations and reallocations per flag made \
         during the put",
        data.len(),
        allocations as f64 / FLAGS as f64,
        kept as f64 / FLAGS as f64,
        made as f64 / FLAGS as f64,
    );
    assert!(ratio <= 2.0, "store keeps {ratio:.2}x the JSON size");
    drop(store);
}
