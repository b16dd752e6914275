//! `bool_variation` allocates nothing once warmed up: with events off, and with events on for a
//! summary-only flag and an already-seen context.
//!
//! The counting global allocator (`stats_alloc`) counts every thread, so this binary holds a
//! single test; the client's background thread is idle during the measurement (TestData has no
//! background work, the flush interval is an hour and diagnostics are off).

use std::alloc::System;
use std::time::Duration;

use ld_sdk::{Client, Config, ContextBuilder, EventsConfig, ServiceEndpoints, TestData};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn client(td: &TestData, events: bool) -> Client {
    let client = Client::new(
        Config::builder("sdk-key")
            .data_source(td)
            .send_events(events)
            .service_endpoints(ServiceEndpoints::default().events("http://127.0.0.1:9"))
            .events(
                EventsConfig::default()
                    .flush_interval(Duration::from_secs(3600))
                    .diagnostic_opt_out(true),
            )
            .build()
            .unwrap(),
    )
    .unwrap();
    client
        .wait_for_initialization(Duration::from_secs(5))
        .unwrap();
    client
}

#[test]
fn warmed_up_bool_variations_do_not_allocate() {
    let td = TestData::new();
    td.update(
        td.flag("f")
            .variation_for_all(false)
            .if_match("plan", ["gold"])
            .then_return(true),
    );
    let user = ContextBuilder::new("user-1")
        .set("plan", serde_json::json!("gold"))
        .build()
        .unwrap();
    for events in [false, true] {
        let client = client(&td, events);
        // Warm-up: the first evaluation with events creates the summary entry and notes the context.
        assert!(client.bool_variation("f", &user, false));
        assert!(!client.bool_variation("missing", &user, false));
        std::thread::sleep(Duration::from_millis(50));

        let region = Region::new(GLOBAL);
        for _ in 0..1000 {
            assert!(client.bool_variation("f", &user, false));
            assert!(!client.bool_variation("missing", &user, false));
        }
        let stats = region.change();
        assert_eq!(
            stats.allocations, 0,
            "events {events}: {} allocations ({} bytes)",
            stats.allocations, stats.bytes_allocated
        );
        client.close();
    }
}
