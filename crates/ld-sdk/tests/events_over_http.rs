//! Analytics events delivered to a local HTTP server, as LaunchDarkly's events service receives them.
#![cfg(feature = "http")]

mod local_server;

use std::time::Duration;

use ld_sdk::{Client, Config, ContextBuilder, EventsConfig, ServiceEndpoints, TestData};
use local_server::{LocalServer, Recorded};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(10);

fn events_client(server: &LocalServer, td: &TestData) -> Client {
    let config = Config::builder("sdk-key-events")
        .data_source(td)
        .service_endpoints(ServiceEndpoints::default().events(&server.base_uri))
        .application_id("events-test")
        .events(
            EventsConfig::default()
                .flush_interval(Duration::from_secs(3600))
                .diagnostic_opt_out(true),
        )
        .build()
        .unwrap();
    let client = Client::new(config).unwrap();
    client.wait_for_initialization(WAIT).unwrap();
    client
}

/// The next `/bulk` payload (skipping anything else, such as diagnostics).
fn next_bulk(server: &LocalServer) -> (Recorded, Vec<Value>) {
    loop {
        let request = server
            .requests
            .recv_timeout(WAIT)
            .expect("an events request");
        if request.path == "/bulk" {
            let events: Vec<Value> = serde_json::from_slice(&request.body).unwrap();
            return (request, events);
        }
    }
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().filter_map(|e| e["kind"].as_str()).collect()
}

#[test]
fn evaluations_track_and_identify_reach_the_events_service_on_flush() {
    let server = LocalServer::start(|_| (202, "application/json", Vec::new()));
    let td = TestData::new();
    td.use_preconfigured_flag(json!({
        "key": "tracked", "on": true, "variations": [false, true],
        "fallthrough": {"variation": 1}, "trackEvents": true
    }));
    let client = events_client(&server, &td);
    let user = ContextBuilder::new("alice").build().unwrap();

    assert!(client.bool_variation("tracked", &user, false));
    client.track_metric("purchase", &user, 99.5, Some(json!({"sku": "x"})));
    client.identify(&user);
    assert!(client.flush_and_wait(WAIT));

    let (request, events) = next_bulk(&server);
    assert_eq!(request.method, "POST");
    assert_eq!(request.header("Authorization"), Some("sdk-key-events"));
    assert_eq!(
        request.header("X-LaunchDarkly-Tags"),
        Some("application-id/events-test")
    );
    assert!(
        request
            .header("User-Agent")
            .is_some_and(|ua| ua.starts_with("RustServerClient/"))
    );
    let kinds = kinds(&events);
    for expected in ["index", "feature", "custom", "identify", "summary"] {
        assert!(kinds.contains(&expected), "{expected} missing in {kinds:?}");
    }
    let feature = events.iter().find(|e| e["kind"] == "feature").unwrap();
    assert_eq!(feature["key"], "tracked");
    assert_eq!(feature["value"], true);
    assert_eq!(feature["default"], false);
    assert_eq!(feature["variation"], 1);
    let custom = events.iter().find(|e| e["kind"] == "custom").unwrap();
    assert_eq!(custom["key"], "purchase");
    assert_eq!(custom["metricValue"], 99.5);
    assert_eq!(custom["data"], json!({"sku": "x"}));
    let summary = events.iter().find(|e| e["kind"] == "summary").unwrap();
    assert_eq!(summary["features"]["tracked"]["default"], false);
    client.close();
}

#[test]
fn unknown_flags_and_wrong_types_are_summarized_with_the_default() {
    let server = LocalServer::start(|_| (202, "application/json", Vec::new()));
    let td = TestData::new();
    td.update(td.flag("text").value_for_all("hello"));
    let client = events_client(&server, &td);
    let user = ContextBuilder::new("bob").build().unwrap();
    assert_eq!(client.int_variation("missing", &user, 5), 5);
    assert!(!client.bool_variation("text", &user, false));
    assert!(client.flush_and_wait(WAIT));
    let (_, events) = next_bulk(&server);
    let summary = events.iter().find(|e| e["kind"] == "summary").unwrap();
    let missing = &summary["features"]["missing"];
    assert_eq!(missing["default"], 5);
    assert_eq!(missing["counters"][0]["unknown"], true);
    let text = &summary["features"]["text"];
    assert_eq!(text["counters"][0]["value"], false);
    client.close();
}

/// The summary count of `key` at `version` and `variation` in `summary`.
fn counted(summary: &Value, key: &str, version: u64, variation: u64) -> u64 {
    summary["features"][key]["counters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["version"] == version && c["variation"] == variation)
        .map(|c| c["count"].as_u64().unwrap())
        .sum()
}

#[test]
fn prerequisite_counts_are_exact_across_passing_failing_and_updated_prerequisites() {
    let server = LocalServer::start(|_| (202, "application/json", Vec::new()));
    let td = TestData::new();
    td.use_preconfigured_flag(json!({
        "key": "parent", "version": 1, "on": true, "variations": [false, true],
        "offVariation": 0, "fallthrough": {"variation": 1},
        "prerequisites": [{"key": "middle", "variation": 1}, {"key": "last", "variation": 0}]
    }));
    td.use_preconfigured_flag(json!({
        "key": "middle", "version": 1, "on": true, "variations": ["m0", "m1"],
        "offVariation": 0, "fallthrough": {"variation": 1},
        "prerequisites": [{"key": "leaf", "variation": 1}]
    }));
    td.use_preconfigured_flag(json!({
        "key": "last", "version": 1, "on": true, "variations": ["l0", "l1"],
        "fallthrough": {"variation": 0}
    }));
    let leaf = |version: u64| {
        json!({
            "key": "leaf", "version": version, "on": true, "variations": ["x0", "x1"],
            "fallthrough": {"variation": 1},
            "targets": [{"values": ["blocked"], "variation": 0}]
        })
    };
    td.use_preconfigured_flag(leaf(1));
    let client = events_client(&server, &td);
    let passing = ContextBuilder::new("alice").build().unwrap();
    let blocked = ContextBuilder::new("blocked").build().unwrap();
    for _ in 0..50 {
        assert!(client.bool_variation("parent", &passing, false));
        assert!(!client.bool_variation("parent", &blocked, false));
    }
    // A new version of the leaf: later counts are the new version's.
    td.use_preconfigured_flag(leaf(2));
    for _ in 0..30 {
        assert!(client.bool_variation("parent", &passing, false));
    }
    assert!(!client.bool_variation("parent", &blocked, false));
    assert!(client.flush_and_wait(WAIT));
    let (_, events) = next_bulk(&server);
    let summary = events.iter().find(|e| e["kind"] == "summary").unwrap();
    assert_eq!(counted(summary, "parent", 1, 1), 80, "{summary}");
    assert_eq!(counted(summary, "parent", 1, 0), 51);
    assert_eq!(counted(summary, "middle", 1, 1), 80);
    // A blocked leaf fails `middle`, which serves its off variation; `last` is not evaluated.
    assert_eq!(counted(summary, "middle", 1, 0), 51);
    assert_eq!(counted(summary, "last", 1, 0), 80);
    assert_eq!(counted(summary, "last", 1, 1), 0);
    assert_eq!(counted(summary, "leaf", 1, 1), 50);
    assert_eq!(counted(summary, "leaf", 1, 0), 50);
    assert_eq!(counted(summary, "leaf", 2, 1), 30);
    assert_eq!(counted(summary, "leaf", 2, 0), 1);
    client.close();
}

#[test]
fn close_delivers_pending_events() {
    let server = LocalServer::start(|_| (202, "application/json", Vec::new()));
    let client = events_client(&server, &TestData::new());
    let user = ContextBuilder::new("carol").build().unwrap();
    client.track("signed-up", &user);
    client.close();
    let (_, events) = next_bulk(&server);
    assert!(kinds(&events).contains(&"custom"));
}

#[test]
fn no_events_are_sent_when_events_are_off() {
    let server = LocalServer::start(|_| (202, "application/json", Vec::new()));
    let td = TestData::new();
    let client = Client::new(
        Config::builder("k")
            .data_source(&td)
            .send_events(false)
            .service_endpoints(ServiceEndpoints::default().events(&server.base_uri))
            .build()
            .unwrap(),
    )
    .unwrap();
    let user = ContextBuilder::new("dave").build().unwrap();
    client.track("x", &user);
    client.identify(&user);
    assert!(client.flush_and_wait(Duration::from_millis(200)));
    client.close();
    assert!(
        server
            .requests
            .recv_timeout(Duration::from_millis(200))
            .is_err()
    );
}
