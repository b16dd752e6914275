//! Streaming and polling against local HTTP servers standing in for LaunchDarkly.
#![cfg(feature = "http")]

mod local_server;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ld_sdk::{
    Client, Config, ContextBuilder, DataSourceConfig, DataSourceState, InitializationError,
    ServiceEndpoints,
};
use local_server::LocalServer;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);

fn flag(key: &str, version: u64, value: serde_json::Value) -> serde_json::Value {
    json!({"key": key, "version": version, "on": true, "variations": [value],
           "fallthrough": {"variation": 0}, "salt": "s"})
}

fn client(server: &LocalServer, source: DataSourceConfig) -> Client {
    Client::new(
        Config::builder("sdk-key-http")
            .data_source(source)
            .service_endpoints(ServiceEndpoints::relay_proxy(&server.base_uri))
            .application_id("http-test")
            .send_events(false)
            .build()
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn streaming_receives_the_put_and_serves_its_flags() {
    let put = json!({"path": "/", "data": {"flags": {"streamed": flag("streamed", 3, json!("yes"))}, "segments": {}}});
    let body = format!("event: put\ndata: {put}\n\n").into_bytes();
    let server = LocalServer::start(move |_| (200, "text/event-stream", body.clone()));
    let client = client(&server, DataSourceConfig::streaming());
    client.wait_for_initialization(WAIT).unwrap();
    let user = ContextBuilder::new("u").build().unwrap();
    assert_eq!(client.string_variation("streamed", &user, "no"), "yes");
    assert_eq!(client.data_source_status().state, DataSourceState::Valid);

    let request = server.requests.recv_timeout(WAIT).unwrap();
    assert_eq!(request.path, "/all");
    assert_eq!(request.header("Authorization"), Some("sdk-key-http"));
    assert_eq!(
        request.header("X-LaunchDarkly-Tags"),
        Some("application-id/http-test")
    );
    client.close();
    assert_eq!(client.data_source_status().state, DataSourceState::Off);
}

#[test]
fn a_rejected_sdk_key_on_the_stream_is_reported_by_wait_for_initialization() {
    let server = LocalServer::start(|_| (401, "text/plain", b"unauthorized".to_vec()));
    let client = client(&server, DataSourceConfig::streaming());
    assert_eq!(
        client.wait_for_initialization(Duration::from_secs(1)),
        Err(InitializationError::InvalidSdkKey { status: 401 })
    );
    client.close();
}

#[test]
fn a_stream_rejected_with_401_is_retried_and_can_still_initialize_the_client() {
    // LaunchDarkly's retry rules: a 401 moves the stream to the extended schedule (shortened
    // here), it never stops it; a wait for initialization keeps waiting meanwhile.
    let put =
        json!({"path": "/", "data": {"flags": {"f": flag("f", 1, json!(7))}, "segments": {}}});
    let body = format!("event: put\ndata: {put}\n\n").into_bytes();
    let calls = Arc::new(Mutex::new(0));
    let counted = calls.clone();
    let server = LocalServer::start(move |_| {
        let mut calls = counted.lock().unwrap();
        *calls += 1;
        if *calls == 1 {
            (401, "text/plain", b"unauthorized".to_vec())
        } else {
            (200, "text/event-stream", body.clone())
        }
    });
    let options = ld_sdk::StreamingOptions {
        initial_reconnect_delay: Duration::from_millis(1),
        extended_retry_initial_delay: Duration::from_millis(200),
        ..Default::default()
    };
    let client = client(&server, DataSourceConfig::Streaming(options));
    client.wait_for_initialization(WAIT).unwrap();
    let user = ContextBuilder::new("u").build().unwrap();
    assert_eq!(client.int_variation("f", &user, 0), 7);
    assert!(
        *calls.lock().unwrap() >= 2,
        "the stream was retried after the 401"
    );
    client.close();
}

#[test]
fn polling_picks_up_changes_at_the_next_poll() {
    let current = Arc::new(Mutex::new(
        json!({"flags": {"polled": flag("polled", 1, json!(1))}, "segments": {}}),
    ));
    let served = current.clone();
    let server = LocalServer::start(move |_| {
        (
            200,
            "application/json",
            served.lock().unwrap().to_string().into_bytes(),
        )
    });
    let client = client(
        &server,
        DataSourceConfig::polling(Duration::from_millis(50)),
    );
    client.wait_for_initialization(WAIT).unwrap();
    let user = ContextBuilder::new("u").build().unwrap();
    assert_eq!(client.int_variation("polled", &user, 0), 1);
    assert_eq!(
        server.requests.recv_timeout(WAIT).unwrap().path,
        "/sdk/latest-all"
    );

    *current.lock().unwrap() =
        json!({"flags": {"polled": flag("polled", 2, json!(2))}, "segments": {}});
    let deadline = Instant::now() + WAIT;
    while client.int_variation("polled", &user, 0) != 2 {
        assert!(Instant::now() < deadline, "the change was never polled");
        std::thread::sleep(Duration::from_millis(10));
    }
    client.close();
}
