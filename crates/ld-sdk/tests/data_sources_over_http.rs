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
    let started = std::time::Instant::now();
    assert_eq!(
        client.wait_for_initialization(Duration::from_secs(60)),
        Err(InitializationError::InvalidSdkKey { status: 401 })
    );
    // Not a performance claim: the wait must end on the 401, long before its 60 s bound.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "reported as soon as LaunchDarkly answers 401, not after the whole wait"
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
