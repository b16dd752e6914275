//! The `big-segments` capability driven the way the harness drives it: the service binary,
//! a local streaming server with a flag whose rule uses a big segment, and a local big segment
//! fixture answering `getMetadata` / `getMembership` over HTTP.

mod support;

use serde_json::{Value, json};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::mock_big_segments::MockBigSegments;
use support::mock_stream::MockStream;
use support::service_process::ServiceProcess;

/// base64(SHA-256("user-key")), the hash the harness expects for context key `user-key`.
const USER_KEY_HASH: &str = "CEXjZY7cHJG/ydFy7q4+YEFwVrG3/pkJwA4FAjrbfx0=";
const WAIT: Duration = Duration::from_secs(10);

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn put_data() -> Value {
    json!({"path": "/", "data": {
        "flags": {"big-flag": {
            "key": "big-flag", "version": 1, "on": true, "variations": [false, true],
            "fallthrough": {"variation": 0}, "offVariation": 0, "salt": "s",
            "targets": [], "contextTargets": [], "prerequisites": [],
            "rules": [{"id": "rule1", "variation": 1, "trackEvents": false, "clauses": [
                {"attribute": "key", "op": "segmentMatch", "values": ["big-seg"], "negate": false}]}]
        }},
        "segments": {"big-seg": {
            "key": "big-seg", "version": 1, "unbounded": true, "generation": 100,
            "included": [], "excluded": [], "rules": [], "salt": "x"
        }}
    }})
}

fn create_client(service: &ServiceProcess, configuration: Value) -> String {
    let created = service.call(
        "POST",
        "/",
        Some(&json!({"tag": "big segments", "configuration": configuration})),
    );
    assert!(
        (200..300).contains(&created.status),
        "create failed: {} {}",
        created.status,
        String::from_utf8_lossy(&created.body)
    );
    created.header("location").expect("Location").to_owned()
}

fn command(service: &ServiceProcess, client: &str, body: Value) -> Value {
    let reply = service.call("POST", client, Some(&body));
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    serde_json::from_slice(&reply.body).expect("JSON answer")
}

fn evaluate(service: &ServiceProcess, client: &str, key: &str) -> Value {
    command(
        service,
        client,
        json!({"command": "evaluate", "evaluate": {
            "flagKey": "big-flag", "context": {"kind": "user", "key": key},
            "valueType": "bool", "defaultValue": false, "detail": true}}),
    )
}

fn store_status(service: &ServiceProcess, client: &str) -> Value {
    command(
        service,
        client,
        json!({"command": "getBigSegmentStoreStatus"}),
    )
}

fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn big_segment_membership_comes_from_the_fixture_with_its_status_in_the_reason() {
    let stream = MockStream::start(put_data());
    let fixture = MockBigSegments::start(now_ms());
    fixture.set_membership(USER_KEY_HASH, json!({"big-seg.g100": true}));
    let service = ServiceProcess::start();

    let status = service.call("GET", "/", None);
    let status: Value = serde_json::from_slice(&status.body).unwrap();
    assert!(
        status["capabilities"]
            .as_array()
            .unwrap()
            .contains(&json!("big-segments"))
    );

    let client = create_client(
        &service,
        json!({
            "credential": "sdk-key",
            "streaming": {"baseUri": stream.base_uri},
            "bigSegments": {"callbackUri": fixture.base_uri, "statusPollIntervalMs": 10}
        }),
    );

    // Included: the rule matches, and the store is healthy.
    assert_eq!(
        evaluate(&service, &client, "user-key"),
        json!({"value": true, "variationIndex": 1, "reason": {
            "kind": "RULE_MATCH", "ruleIndex": 0, "ruleId": "rule1", "bigSegmentsStatus": "HEALTHY"}})
    );
    assert_eq!(fixture.membership_queries(), [USER_KEY_HASH]);
    assert_eq!(
        store_status(&service, &client),
        json!({"available": true, "stale": false})
    );

    // A second evaluation is served from the membership cache.
    evaluate(&service, &client, "user-key");
    assert_eq!(fixture.membership_queries().len(), 1);

    // Not listed: the fallthrough, still healthy.
    assert_eq!(
        evaluate(&service, &client, "someone-else"),
        json!({"value": false, "variationIndex": 0, "reason": {
            "kind": "FALLTHROUGH", "bigSegmentsStatus": "HEALTHY"}})
    );

    // The store stops being updated: the status poller notices, reasons say STALE.
    fixture.set_last_up_to_date(Ok(1));
    eventually("a stale status", || {
        store_status(&service, &client) == json!({"available": true, "stale": true})
    });
    assert_eq!(
        evaluate(&service, &client, "user-key")["reason"]["bigSegmentsStatus"],
        "STALE"
    );

    // The store fails: unavailable, and uncached memberships are store errors.
    fixture.set_last_up_to_date(Err(()));
    fixture.fail_memberships(true);
    eventually("an unavailable status", || {
        store_status(&service, &client) == json!({"available": false, "stale": false})
    });
    assert_eq!(
        evaluate(&service, &client, "a-third-user"),
        json!({"value": false, "variationIndex": 0, "reason": {
            "kind": "FALLTHROUGH", "bigSegmentsStatus": "STORE_ERROR"}})
    );

    // And recovers.
    fixture.set_last_up_to_date(Ok(now_ms()));
    eventually("a healthy status", || {
        store_status(&service, &client) == json!({"available": true, "stale": false})
    });
    assert!(fixture.metadata_queries() > 3, "the status is polled");
    assert_eq!(service.call("DELETE", &client, None).status, 204);
}

#[test]
fn cache_size_and_time_settings_are_honoured() {
    let stream = MockStream::start(put_data());
    let fixture = MockBigSegments::start(now_ms());
    let service = ServiceProcess::start();
    let client = create_client(
        &service,
        json!({
            "credential": "sdk-key",
            "streaming": {"baseUri": stream.base_uri},
            "bigSegments": {"callbackUri": fixture.base_uri, "userCacheSize": 1,
                            "userCacheTimeMs": 3600000, "statusPollIntervalMs": 3600000}
        }),
    );
    for key in ["user1", "user1", "user2", "user1"] {
        evaluate(&service, &client, key);
    }
    // user1 was evicted when user2 was cached (room for one context only).
    assert_eq!(fixture.membership_queries().len(), 3);
    // One on-demand status query at the first evaluation; the hour-long interval adds none.
    assert_eq!(fixture.metadata_queries(), 1);
}

#[test]
fn a_client_without_big_segments_reports_not_configured() {
    let stream = MockStream::start(put_data());
    let service = ServiceProcess::start();
    let client = create_client(
        &service,
        json!({"credential": "sdk-key", "streaming": {"baseUri": stream.base_uri}}),
    );
    assert_eq!(
        evaluate(&service, &client, "user-key")["reason"],
        json!({"kind": "FALLTHROUGH", "bigSegmentsStatus": "NOT_CONFIGURED"})
    );
    let reply = service.call(
        "POST",
        &client,
        Some(&json!({"command": "getBigSegmentStoreStatus"})),
    );
    assert_eq!(reply.status, 400);
}
