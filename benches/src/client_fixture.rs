//! A real `ld_sdk::Client` serving a scenario's flags, for the facade benchmarks.

use std::time::Duration;

use ld_sdk::{Client, Config, EventsConfig, ServiceEndpoints, TestData};

use crate::eval_scenarios::Scenario;

/// A client whose `TestData` source holds the scenario's flags and segments, initialized.
/// With `events`, analytics events are recorded (summaries and index events) but nothing is
/// delivered while measuring: the flush interval is an hour and diagnostics are off.
pub fn client(s: &Scenario, events: bool) -> Client {
    let td = TestData::new();
    for flag in &s.flags {
        td.use_preconfigured_flag(flag.clone());
    }
    for segment in &s.segments {
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
