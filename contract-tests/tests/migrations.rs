//! The `migrations` capability driven the way the harness drives it: the service binary, a
//! local streaming server with migration flags, local old/new origins, and a local events server
//! receiving the `migration_op` events.

mod support;

use serde_json::{Value, json};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};
use support::mock_events::MockEvents;
use support::mock_origin::{OriginCall, start_origin};
use support::mock_stream::MockStream;
use support::service_process::ServiceProcess;

const WAIT: Duration = Duration::from_secs(10);
const STAGES: [&str; 6] = ["off", "dualwrite", "shadow", "live", "rampdown", "complete"];

fn migration_flag(key: &str, stage: usize) -> Value {
    json!({
        "key": key, "version": 5, "on": true, "variations": STAGES,
        "fallthrough": {"variation": stage}, "offVariation": 0, "salt": "salt",
        "targets": [], "rules": [], "prerequisites": [], "trackEvents": false
    })
}

fn put_data() -> Value {
    json!({"path": "/", "data": {
        "flags": {
            "live-flag": migration_flag("live-flag", 3),
            "dualwrite-flag": migration_flag("dualwrite-flag", 1),
        },
        "segments": {}
    }})
}

fn body_json(reply: &contract_tests::callback_client::Reply) -> Value {
    serde_json::from_slice(&reply.body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&reply.body)))
}

fn calls(log: &Receiver<OriginCall>, count: usize) -> Vec<OriginCall> {
    let calls: Vec<OriginCall> = (0..count)
        .map(|_| log.recv_timeout(WAIT).expect("an origin call"))
        .collect();
    assert!(
        log.recv_timeout(Duration::from_millis(100)).is_err(),
        "more origin calls than {count}"
    );
    calls
}

fn migration_ops(events: &MockEvents) -> Vec<Value> {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let request = events
            .requests
            .recv_timeout(left)
            .expect("an events payload");
        if request.path != "/bulk" {
            continue;
        }
        let payload: Vec<Value> = serde_json::from_slice(&request.body).expect("JSON events");
        return payload
            .into_iter()
            .filter(|e| e["kind"] == "migration_op")
            .collect();
    }
}

#[test]
fn migration_commands_call_the_origins_the_stage_names_and_send_migration_op_events() {
    let stream = MockStream::start(put_data());
    let events = MockEvents::start();
    let service = ServiceProcess::start();
    let status = body_json(&service.call("GET", "/", None));
    assert!(
        status["capabilities"]
            .as_array()
            .expect("capabilities")
            .contains(&json!("migrations"))
    );

    let created = service.call(
        "POST",
        "/",
        Some(&json!({"tag": "migrations", "configuration": {
            "credential": "sdk-migrations-key",
            "startWaitTimeMs": 5000,
            "streaming": {"baseUri": stream.base_uri},
            "events": {"baseUri": events.base_uri, "flushIntervalMs": 600000}
        }})),
    );
    assert!((200..300).contains(&created.status), "create failed");
    let client = created.header("location").expect("Location").to_owned();
    let context = json!({"kind": "user", "key": "user-1"});

    // migrationVariation: the flag's stage; an unknown default stage is a bad request.
    let variation = service.call(
        "POST",
        &client,
        Some(
            &json!({"command": "migrationVariation", "migrationVariation": {
                "key": "live-flag", "context": context, "defaultStage": "off"
            }}),
        ),
    );
    assert_eq!(body_json(&variation), json!({"result": "live"}));
    let bad = service.call(
        "POST",
        &client,
        Some(
            &json!({"command": "migrationVariation", "migrationVariation": {
                "key": "live-flag", "context": context, "defaultStage": "halfway"
            }}),
        ),
    );
    assert_eq!(bad.status, 400);

    // A serial read in `live`: new (authoritative) first, then old, both with the payload.
    let (log, calls_rx) = channel();
    let old = start_origin("old", 200, "old read", log.clone());
    let new = start_origin("new", 200, "new read", log.clone());
    let read = service.call(
        "POST",
        &client,
        Some(
            &json!({"command": "migrationOperation", "migrationOperation": {
                "key": "live-flag", "context": context, "defaultStage": "off",
                "readExecutionOrder": "serial", "operation": "read",
                "oldEndpoint": old, "newEndpoint": new, "payload": "row 7",
                "trackLatency": true, "trackErrors": true, "trackConsistency": true
            }}),
        ),
    );
    assert_eq!(body_json(&read), json!({"result": "new read"}));
    let seen = calls(&calls_rx, 2);
    assert_eq!(
        seen,
        [
            OriginCall {
                origin: "new",
                body: "row 7".into()
            },
            OriginCall {
                origin: "old",
                body: "row 7".into()
            },
        ]
    );

    // A write in `dualwrite` whose authoritative (old) origin fails: the new one is not called.
    let failing_old = start_origin("old", 409, "", log.clone());
    let write = service.call(
        "POST",
        &client,
        Some(
            &json!({"command": "migrationOperation", "migrationOperation": {
                "key": "dualwrite-flag", "context": context, "defaultStage": "off",
                "readExecutionOrder": "concurrent", "operation": "write",
                "oldEndpoint": failing_old, "newEndpoint": new, "trackErrors": true
            }}),
        ),
    );
    assert_eq!(write.status, 200);
    assert!(
        body_json(&write)["result"]
            .as_str()
            .unwrap()
            .contains("409")
    );
    assert_eq!(calls(&calls_rx, 1)[0].origin, "old");

    // The migration_op events.
    let flushed = service.call("POST", &client, Some(&json!({"command": "flushEvents"})));
    assert!((200..300).contains(&flushed.status));
    let ops = migration_ops(&events);
    assert_eq!(ops.len(), 2, "{ops:?}");
    let read_op = ops
        .iter()
        .find(|e| e["operation"] == "read")
        .expect("read op");
    assert_eq!(read_op["context"], json!({"kind": "user", "key": "user-1"}));
    assert_eq!(
        read_op["evaluation"],
        json!({"key": "live-flag", "value": "live", "default": "off",
               "reason": {"kind": "FALLTHROUGH"}, "variation": 3, "version": 5})
    );
    let m = read_op["measurements"].as_array().expect("measurements");
    assert_eq!(
        m[0],
        json!({"key": "invoked", "values": {"old": true, "new": true}})
    );
    assert_eq!(
        m[1],
        json!({"key": "consistent", "value": false, "samplingRatio": 1})
    );
    assert_eq!(m[2]["key"], "latency_ms");
    assert!(m[2]["values"]["old"].is_u64() && m[2]["values"]["new"].is_u64());
    assert_eq!(m.len(), 3, "no errors: {m:?}");

    let write_op = ops
        .iter()
        .find(|e| e["operation"] == "write")
        .expect("write op");
    assert_eq!(write_op["evaluation"]["value"], "dualwrite");
    assert_eq!(
        write_op["measurements"],
        json!([
            {"key": "invoked", "values": {"old": true}},
            {"key": "error", "values": {"old": true}}
        ])
    );

    assert!((200..300).contains(&service.call("DELETE", &client, None).status));
}
