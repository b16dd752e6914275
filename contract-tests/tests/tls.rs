//! TLS towards the (mock) LaunchDarkly services: the SDK verifies certificates by default,
//! trusts a custom CA when told to, and skips verification only when told to.

mod support;

use serde_json::{Value, json};
use std::time::Duration;
use support::mock_tls_stream::MockTlsStream;
use support::service_process::ServiceProcess;

fn put_data() -> Value {
    json!({"path": "/", "data": {"flags": {"secure-flag": {
        "key": "secure-flag", "version": 1, "on": true, "variations": ["no", "yes"],
        "fallthrough": {"variation": 1}, "offVariation": 0, "targets": [], "rules": [],
        "prerequisites": [], "salt": "s"
    }}, "segments": {}}})
}

fn create(service: &ServiceProcess, stream: &MockTlsStream, tls: Value) -> (u16, Option<String>) {
    let reply = service.call(
        "POST",
        "/",
        Some(&json!({"tag": "tls", "configuration": {
            "credential": "sdk-tls-key", "startWaitTimeMs": 1000,
            "streaming": {"baseUri": stream.base_uri}, "tls": tls}})),
    );
    (reply.status, reply.header("location").map(str::to_owned))
}

fn served_value(service: &ServiceProcess, client: &str) -> Value {
    let reply = service.call(
        "POST",
        client,
        Some(&json!({"command": "evaluate", "evaluate": {"flagKey": "secure-flag",
            "context": {"kind": "user", "key": "u"}, "valueType": "string", "defaultValue": "default"}})),
    );
    serde_json::from_slice::<Value>(&reply.body).expect("JSON")["value"].clone()
}

#[test]
fn untrusted_certificate_fails_initialization() {
    let stream = MockTlsStream::start(put_data());
    let service = ServiceProcess::start();
    let (status, _) = create(&service, &stream, json!({}));
    assert_eq!(
        status, 500,
        "a self-signed chain must not be trusted by default"
    );
}

#[test]
fn custom_ca_file_is_trusted() {
    let stream = MockTlsStream::start(put_data());
    let service = ServiceProcess::start();
    let ca = stream
        .ca_file
        .path()
        .to_str()
        .expect("UTF-8 path")
        .to_owned();
    let (status, client) = create(&service, &stream, json!({"customCAFile": ca}));
    assert!((200..300).contains(&status), "status {status}");
    let line = stream
        .requests
        .recv_timeout(Duration::from_secs(10))
        .expect("a request");
    assert!(line.starts_with("GET /all"), "{line}");
    assert_eq!(
        served_value(&service, &client.expect("Location")),
        json!("yes")
    );
}

#[test]
fn skip_verify_peer_accepts_any_certificate() {
    let stream = MockTlsStream::start(put_data());
    let service = ServiceProcess::start();
    let (status, client) = create(&service, &stream, json!({"skipVerifyPeer": true}));
    assert!((200..300).contains(&status), "status {status}");
    assert_eq!(
        served_value(&service, &client.expect("Location")),
        json!("yes")
    );
}
