//! The service binary driven over HTTP the way the harness drives it: a client against a local
//! streaming server, evaluations, all-flags, a custom event delivered to a local events server
//! by a flush, and the client's and the service's shutdown.

mod support;

use serde_json::{Value, json};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};
use support::SeenRequest;
use support::mock_events::MockEvents;
use support::mock_stream::MockStream;
use support::service_process::ServiceProcess;

const WAIT: Duration = Duration::from_secs(10);

fn flag(key: &str, version: u64, on: bool, variations: Value, fallthrough: u64, off: u64) -> Value {
    json!({
        "key": key, "version": version, "on": on, "variations": variations,
        "fallthrough": {"variation": fallthrough}, "offVariation": off,
        "targets": [], "contextTargets": [], "rules": [], "prerequisites": [],
        "salt": "salt", "trackEvents": false, "trackEventsFallthrough": false,
        "debugEventsUntilDate": null, "clientSideAvailability": {"usingMobileKey": false, "usingEnvironmentId": true}
    })
}

fn put_data() -> Value {
    json!({"path": "/", "data": {
        "flags": {
            "feature": flag("feature", 3, true, json!([false, true]), 1, 0),
            "greeting": flag("greeting", 7, false, json!(["off-value", "on-value"]), 1, 0),
        },
        "segments": {}
    }})
}

fn next_matching(
    rx: &Receiver<SeenRequest>,
    what: &str,
    pred: impl Fn(&SeenRequest) -> bool,
) -> SeenRequest {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(r) if pred(&r) => return r,
            Ok(_) => continue,
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

fn body_json(reply: &contract_tests::callback_client::Reply) -> Value {
    serde_json::from_slice(&reply.body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&reply.body)))
}

/// `xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx`, lower-case hex.
fn is_uuid_v4(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
        && groups[2].starts_with('4')
        && groups[3].starts_with(['8', '9', 'a', 'b', 'A', 'B'])
}

fn user() -> Value {
    json!({"kind": "user", "key": "user-1", "name": "Sandy"})
}

#[test]
fn harness_scenario_creates_evaluates_tracks_flushes_and_deletes() {
    let stream = MockStream::start(put_data());
    let events = MockEvents::start();
    let mut service = ServiceProcess::start();

    // The status resource.
    let status = service.call("GET", "/", None);
    assert_eq!(status.status, 200);
    let status = body_json(&status);
    let capabilities: Vec<&str> = status["capabilities"]
        .as_array()
        .expect("capabilities")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(capabilities.contains(&"server-side"), "{capabilities:?}");
    assert!(status["name"].is_string() && status["clientVersion"].is_string());

    // Create a client against the mock services.
    let created = service.call(
        "POST",
        "/",
        Some(&json!({"tag": "scenario", "configuration": {
            "credential": "sdk-scenario-key",
            "startWaitTimeMs": 5000,
            "streaming": {"baseUri": stream.base_uri},
            "events": {"baseUri": events.base_uri, "flushIntervalMs": 600000, "enableGzip": false},
            "tags": {"applicationId": "app-1", "applicationVersion": "1.0.0"},
            "wrapper": {"name": "my-wrapper", "version": "2.0"}
        }})),
    );
    assert!(
        (200..300).contains(&created.status),
        "create failed: {} {}",
        created.status,
        String::from_utf8_lossy(&created.body)
    );
    let client = created
        .header("location")
        .expect("Location header")
        .to_owned();
    let connect = next_matching(&stream.requests, "the stream request", |r| {
        r.path.starts_with("/all")
    });
    assert_eq!(connect.header("authorization"), Some("sdk-scenario-key"));
    let instance_id = connect
        .header("x-launchdarkly-instance-id")
        .expect("an instance id on the stream request")
        .to_owned();
    assert!(is_uuid_v4(&instance_id), "{instance_id}");
    let tags = Some("application-id/app-1 application-version/1.0.0");
    assert_eq!(connect.header("x-launchdarkly-tags"), tags);
    assert_eq!(
        connect.header("x-launchdarkly-wrapper"),
        Some("my-wrapper/2.0")
    );

    // Evaluate with detail.
    let detail = service.call(
        "POST",
        &client,
        Some(&json!({"command": "evaluate", "evaluate": {
            "flagKey": "feature", "context": user(), "valueType": "bool",
            "defaultValue": false, "detail": true}})),
    );
    assert_eq!(detail.status, 200);
    assert_eq!(
        body_json(&detail),
        json!({"value": true, "variationIndex": 1, "reason": {"kind": "FALLTHROUGH"}})
    );

    // Evaluate without detail: an off flag serves its off variation.
    let plain = service.call(
        "POST",
        &client,
        Some(&json!({"command": "evaluate", "evaluate": {
            "flagKey": "greeting", "context": user(), "valueType": "string",
            "defaultValue": "default", "detail": false}})),
    );
    assert_eq!(body_json(&plain), json!({"value": "off-value"}));

    // An unknown flag: the default, with an error reason.
    let missing = service.call(
        "POST",
        &client,
        Some(&json!({"command": "evaluate", "evaluate": {
            "flagKey": "nope", "context": user(), "valueType": "int",
            "defaultValue": 42, "detail": true}})),
    );
    assert_eq!(
        body_json(&missing),
        json!({"value": 42, "reason": {"kind": "ERROR", "errorKind": "FLAG_NOT_FOUND"}})
    );

    // All flags.
    let all = service.call(
        "POST",
        &client,
        Some(&json!({"command": "evaluateAll", "evaluateAll": {"context": user(), "withReasons": true}})),
    );
    assert_eq!(all.status, 200);
    let state = &body_json(&all)["state"];
    assert_eq!(state["feature"], json!(true));
    assert_eq!(state["greeting"], json!("off-value"));
    assert_eq!(state["$valid"], json!(true));
    assert_eq!(state["$flagsState"]["feature"]["variation"], json!(1));
    assert_eq!(state["$flagsState"]["feature"]["version"], json!(3));
    assert_eq!(
        state["$flagsState"]["feature"]["reason"],
        json!({"kind": "FALLTHROUGH"})
    );

    // A custom event, delivered by an explicit flush.
    let tracked = service.call(
        "POST",
        &client,
        Some(&json!({"command": "customEvent", "customEvent": {
            "eventKey": "purchase", "context": user(), "data": {"sku": "x1"},
            "metricValue": 12.5, "omitNullData": false}})),
    );
    assert!((200..300).contains(&tracked.status), "{}", tracked.status);
    let flushed = service.call("POST", &client, Some(&json!({"command": "flushEvents"})));
    assert!((200..300).contains(&flushed.status), "{}", flushed.status);

    let bulk = next_matching(&events.requests, "an event payload", |r| {
        r.method == "POST" && r.path.ends_with("/bulk")
    });
    assert_eq!(bulk.header("authorization"), Some("sdk-scenario-key"));
    assert_eq!(bulk.header("content-encoding"), None, "enableGzip is false");
    assert_eq!(bulk.header("x-launchdarkly-tags"), tags);
    assert_eq!(
        bulk.header("x-launchdarkly-instance-id"),
        Some(instance_id.as_str()),
        "one instance id per client, on flag and event requests alike"
    );
    assert_eq!(
        bulk.header("x-launchdarkly-wrapper"),
        Some("my-wrapper/2.0")
    );
    let payload: Value = serde_json::from_slice(&bulk.body).expect("event payload is JSON");
    let payload = payload.as_array().expect("an array of events");
    let custom = payload
        .iter()
        .find(|e| e["kind"] == "custom")
        .unwrap_or_else(|| panic!("no custom event in {payload:?}"));
    assert_eq!(custom["key"], "purchase");
    assert_eq!(custom["data"], json!({"sku": "x1"}));
    assert_eq!(custom["metricValue"], json!(12.5));
    let summary = payload
        .iter()
        .find(|e| e["kind"] == "summary")
        .unwrap_or_else(|| panic!("no summary event in {payload:?}"));
    assert!(summary["features"]["feature"].is_object(), "{summary}");

    // Delete the client, then stop the service.
    assert!((200..300).contains(&service.call("DELETE", &client, None).status));
    assert_eq!(
        service
            .call("POST", &client, Some(&json!({"command": "flushEvents"})))
            .status,
        404
    );
    assert!((200..300).contains(&service.call("DELETE", "/", None).status));
    let exit = service
        .wait_for_exit(WAIT)
        .expect("the service exits after DELETE /");
    assert!(exit.success(), "{exit:?}");
}

#[test]
fn service_answers_400_to_bad_json_and_unknown_commands() {
    let stream = MockStream::start(put_data());
    let service = ServiceProcess::start();

    assert_eq!(
        service.call_raw("POST", "/", b"{\"configuration\":").status,
        400
    );

    let created = service.call(
        "POST",
        "/",
        Some(&json!({"tag": "bad", "configuration": {
            "credential": "k", "streaming": {"baseUri": stream.base_uri}}})),
    );
    assert!(
        (200..300).contains(&created.status),
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let client = created.header("location").expect("Location").to_owned();
    assert_eq!(service.call_raw("POST", &client, b"not json").status, 400);
    assert_eq!(
        service
            .call("POST", &client, Some(&json!({"command": "noSuchCommand"})))
            .status,
        400
    );
    assert_eq!(
        service
            .call(
                "POST",
                "/clients/999",
                Some(&json!({"command": "flushEvents"}))
            )
            .status,
        404
    );
}

#[test]
fn polling_client_delivers_gzipped_events_when_asked() {
    let flags = MockStream::start(put_data());
    let events = MockEvents::start();
    let service = ServiceProcess::start();

    let created = service.call(
        "POST",
        "/",
        Some(&json!({"tag": "polling", "configuration": {
            "credential": "sdk-polling-key",
            "polling": {"baseUri": flags.base_uri, "pollIntervalMs": 600000},
            "events": {"baseUri": events.base_uri, "enableGzip": true, "flushIntervalMs": 600000}
        }})),
    );
    assert!(
        (200..300).contains(&created.status),
        "create failed: {}",
        String::from_utf8_lossy(&created.body)
    );
    let client = created.header("location").expect("Location").to_owned();
    let poll = next_matching(&flags.requests, "the polling request", |r| {
        r.path.starts_with("/sdk/latest-all")
    });
    assert_eq!(poll.header("authorization"), Some("sdk-polling-key"));

    let value = service.call(
        "POST",
        &client,
        Some(&json!({"command": "evaluate", "evaluate": {
            "flagKey": "feature", "context": user(), "valueType": "bool", "defaultValue": false}})),
    );
    assert_eq!(body_json(&value), json!({"value": true}));

    let identified = service.call(
        "POST",
        &client,
        Some(&json!({"command": "identifyEvent", "identifyEvent": {"context": user()}})),
    );
    assert!((200..300).contains(&identified.status));
    service.call("POST", &client, Some(&json!({"command": "flushEvents"})));

    let bulk = next_matching(&events.requests, "an event payload", |r| {
        r.path.ends_with("/bulk")
    });
    assert_eq!(bulk.header("content-encoding"), Some("gzip"));
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bulk.body[..]), &mut text)
        .expect("a gzip body");
    let payload: Value = serde_json::from_str(&text).expect("JSON inside the gzip");
    let identify = payload
        .as_array()
        .and_then(|a| a.iter().find(|e| e["kind"] == "identify"))
        .unwrap_or_else(|| panic!("no identify event in {payload}"));
    assert_eq!(identify["context"]["key"], "user-1");
    assert!((200..300).contains(&service.call("DELETE", &client, None).status));
}

#[test]
fn http_proxy_carries_the_requests_to_the_services() {
    // The mock answers absolute-form requests, so it plays the proxy: the configured base URI
    // itself is unreachable, and the flags can only arrive through the proxy.
    let proxy = MockStream::start(put_data());
    let service = ServiceProcess::start();
    let created = service.call(
        "POST",
        "/",
        Some(&json!({"tag": "proxy", "configuration": {
            "credential": "sdk-proxy-key", "startWaitTimeMs": 5000,
            "streaming": {"baseUri": "http://flags.invalid:9"},
            "proxy": {"httpProxy": proxy.base_uri}
        }})),
    );
    assert!(
        (200..300).contains(&created.status),
        "create failed: {}",
        String::from_utf8_lossy(&created.body)
    );
    let through = next_matching(&proxy.requests, "a proxied request", |r| r.method == "GET");
    assert!(
        through.path.starts_with("http://flags.invalid:9/all"),
        "{}",
        through.path
    );
    let client = created.header("location").expect("Location").to_owned();
    let value = service.call(
        "POST",
        &client,
        Some(&json!({"command": "evaluate", "evaluate": {
            "flagKey": "feature", "context": user(), "valueType": "bool", "defaultValue": false}})),
    );
    assert_eq!(body_json(&value), json!({"value": true}));
}

#[test]
fn events_inline_contexts_redact_anonymous_ones_and_honour_sampling() {
    let mut tracked = flag("tracked", 2, true, json!(["a", "b"]), 1, 0);
    tracked["trackEvents"] = json!(true);
    let mut sampled_out = flag("sampled-out", 4, true, json!(["a", "b"]), 1, 0);
    sampled_out["trackEvents"] = json!(true);
    sampled_out["samplingRatio"] = json!(0);
    let mut unsummarized = flag("unsummarized", 5, true, json!(["a", "b"]), 1, 0);
    unsummarized["excludeFromSummaries"] = json!(true);
    let flags = MockStream::start(json!({"path": "/", "data": {"flags": {
        "tracked": tracked, "sampled-out": sampled_out, "unsummarized": unsummarized
    }, "segments": {}}}));
    let events = MockEvents::start();
    let service = ServiceProcess::start();
    let created = service.call(
        "POST",
        "/",
        Some(&json!({"tag": "events", "configuration": {
            "credential": "sdk-events-key",
            "streaming": {"baseUri": flags.base_uri},
            "events": {"baseUri": events.base_uri, "flushIntervalMs": 600000}
        }})),
    );
    assert!((200..300).contains(&created.status));
    let client = created.header("location").expect("Location").to_owned();

    let anonymous = json!({"kind": "user", "key": "anon-1", "anonymous": true, "name": "Hidden",
                           "secret": "s"});
    for key in ["tracked", "sampled-out", "unsummarized"] {
        service.call(
            "POST",
            &client,
            Some(&json!({"command": "evaluate", "evaluate": {
                "flagKey": key, "context": anonymous, "valueType": "string", "defaultValue": "x"}})),
        );
    }
    service.call(
        "POST",
        &client,
        Some(&json!({"command": "customEvent", "customEvent": {
            "eventKey": "clicked", "context": anonymous, "omitNullData": true}})),
    );
    service.call("POST", &client, Some(&json!({"command": "flushEvents"})));

    let bulk = next_matching(&events.requests, "an event payload", |r| {
        r.path.ends_with("/bulk")
    });
    let payload: Value = serde_json::from_slice(&bulk.body).expect("JSON");
    let payload = payload.as_array().expect("an array");
    let redacted = json!({"kind": "user", "key": "anon-1", "anonymous": true,
                          "_meta": {"redactedAttributes": ["name", "secret"]}});

    let features: Vec<&Value> = payload.iter().filter(|e| e["kind"] == "feature").collect();
    assert_eq!(
        features.len(),
        1,
        "only the tracked, sampled-in flag: {payload:?}"
    );
    assert_eq!(features[0]["key"], "tracked");
    assert_eq!(features[0]["context"], redacted);
    assert!(features[0].get("contextKeys").is_none());

    let custom = payload
        .iter()
        .find(|e| e["kind"] == "custom")
        .unwrap_or_else(|| panic!("no custom event in {payload:?}"));
    assert_eq!(custom["context"], redacted);

    let summary = payload
        .iter()
        .find(|e| e["kind"] == "summary")
        .unwrap_or_else(|| panic!("no summary in {payload:?}"));
    assert!(summary["features"]["tracked"].is_object());
    assert!(
        summary["features"]["sampled-out"].is_object(),
        "sampling does not affect summaries"
    );
    assert!(
        summary["features"].get("unsummarized").is_none(),
        "{summary}"
    );
}

#[test]
fn omit_anonymous_contexts_drops_their_identify_and_index_events_only() {
    let flags = MockStream::start(put_data());
    let events = MockEvents::start();
    let service = ServiceProcess::start();
    let created = service.call(
        "POST",
        "/",
        Some(&json!({"tag": "omit-anonymous", "configuration": {
            "credential": "sdk-omit-key",
            "streaming": {"baseUri": flags.base_uri},
            "events": {"baseUri": events.base_uri, "flushIntervalMs": 600000,
                       "omitAnonymousContexts": true}
        }})),
    );
    assert!((200..300).contains(&created.status));
    let client = created.header("location").expect("Location").to_owned();

    let anonymous = json!({"kind": "user", "key": "anon-2", "anonymous": true});
    let known = json!({"kind": "user", "key": "known-2"});
    for context in [&anonymous, &known] {
        service.call(
            "POST",
            &client,
            Some(&json!({"command": "identifyEvent", "identifyEvent": {"context": context}})),
        );
        service.call(
            "POST",
            &client,
            Some(&json!({"command": "evaluate", "evaluate": {
                "flagKey": "feature", "context": context, "valueType": "bool",
                "defaultValue": false}})),
        );
    }
    service.call("POST", &client, Some(&json!({"command": "flushEvents"})));

    let bulk = next_matching(&events.requests, "an event payload", |r| {
        r.path.ends_with("/bulk")
    });
    let payload: Value = serde_json::from_slice(&bulk.body).expect("JSON");
    let payload = payload.as_array().expect("an array");
    let keys_of = |kind: &str| -> Vec<&Value> {
        payload
            .iter()
            .filter(|e| e["kind"] == kind)
            .map(|e| &e["context"]["key"])
            .collect()
    };
    assert_eq!(keys_of("identify"), vec!["known-2"], "{payload:?}");
    assert!(!keys_of("index").contains(&&json!("anon-2")), "{payload:?}");
    let summary = payload
        .iter()
        .find(|e| e["kind"] == "summary")
        .unwrap_or_else(|| panic!("no summary in {payload:?}"));
    let counters = summary["features"]["feature"]["counters"]
        .as_array()
        .expect("counters");
    let total: u64 = counters.iter().map(|c| c["count"].as_u64().unwrap()).sum();
    assert_eq!(total, 2, "both evaluations are summarised: {summary}");
}

#[test]
fn gzip_compressed_polling_answers_from_service_endpoints_are_understood() {
    let flags = MockStream::start_gzip_polling(put_data());
    let service = ServiceProcess::start();
    let created = service.call(
        "POST",
        "/",
        Some(&json!({"tag": "polling-gzip", "configuration": {
            "credential": "sdk-gzip-key", "startWaitTimeMs": 5000,
            "serviceEndpoints": {"polling": flags.base_uri},
            "polling": {"pollIntervalMs": 600000}
        }})),
    );
    assert!(
        (200..300).contains(&created.status),
        "create failed: {}",
        String::from_utf8_lossy(&created.body)
    );
    let client = created.header("location").expect("Location").to_owned();
    let value = service.call(
        "POST",
        &client,
        Some(&json!({"command": "evaluate", "evaluate": {
            "flagKey": "greeting", "context": user(), "valueType": "string", "defaultValue": "d"}})),
    );
    assert_eq!(body_json(&value), json!({"value": "off-value"}));
}

#[test]
fn listeners_report_streamed_flag_changes_until_unregistered() {
    let flags = MockStream::start(put_data());
    let callbacks = MockEvents::start();
    let service = ServiceProcess::start();
    let created = service.call(
        "POST",
        "/",
        Some(&json!({"tag": "listeners", "configuration": {
            "credential": "sdk-listener-key", "streaming": {"baseUri": flags.base_uri}}})),
    );
    assert!((200..300).contains(&created.status));
    let client = created.header("location").expect("Location").to_owned();
    let register = |command: &str, params: Value| {
        let reply = service.call(
            "POST",
            &client,
            Some(&json!({"command": command, command: params})),
        );
        assert!(
            (200..300).contains(&reply.status),
            "{command}: {}",
            reply.status
        );
    };
    register(
        "registerFlagChangeListener",
        json!({"listenerId": "any-change", "callbackUri": format!("{}/changes", callbacks.base_uri)}),
    );
    register(
        "registerFlagValueChangeListener",
        json!({"listenerId": "feature-value", "flagKey": "feature", "context": user(),
               "defaultValue": false, "callbackUri": format!("{}/values", callbacks.base_uri)}),
    );

    // The flag now serves `false` (variation 0) to everyone.
    flags.push(
        "patch",
        &json!({"path": "/flags/feature", "data": flag("feature", 4, true, json!([false, true]), 0, 0)}),
    );
    // The two listeners notify independently, so their callbacks may arrive in either order.
    let (mut change, mut value) = (None, None);
    while change.is_none() || value.is_none() {
        let r = next_matching(&callbacks.requests, "change and value notifications", |r| {
            r.path == "/changes" || r.path == "/values"
        });
        let body: Value = serde_json::from_slice(&r.body).expect("JSON");
        if r.path == "/changes" {
            change = Some(body);
        } else {
            value = Some(body);
        }
    }
    let (change, value) = (change.unwrap(), value.unwrap());
    assert_eq!(change["listenerId"], "any-change");
    assert_eq!(change["flagKey"], "feature");
    assert_eq!(value["listenerId"], "feature-value");
    assert_eq!(value["oldValue"], json!(true));
    assert_eq!(value["newValue"], json!(false));

    for id in ["any-change", "feature-value"] {
        register("unregisterListener", json!({"listenerId": id}));
    }
    let unknown = service.call(
        "POST",
        &client,
        Some(
            &json!({"command": "unregisterListener", "unregisterListener": {"listenerId": "nope"}}),
        ),
    );
    assert_eq!(unknown.status, 400);
    flags.push(
        "patch",
        &json!({"path": "/flags/feature", "data": flag("feature", 5, true, json!([false, true]), 1, 0)}),
    );
    // The update is applied (the evaluation sees it) and no listener reports it.
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let reply = service.call(
            "POST",
            &client,
            Some(&json!({"command": "evaluate", "evaluate": {
                "flagKey": "feature", "context": user(), "valueType": "bool", "defaultValue": false}})),
        );
        if body_json(&reply)["value"] == json!(true) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the second patch never applied"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        callbacks
            .requests
            .recv_timeout(Duration::from_millis(300))
            .is_err(),
        "no notification after unregistering"
    );
}

#[test]
fn configured_hooks_report_evaluations_and_tracks_to_their_callback() {
    let flags = MockStream::start(put_data());
    let callbacks = MockEvents::start();
    let service = ServiceProcess::start();
    let created = service.call(
        "POST",
        "/",
        Some(&json!({"tag": "hooks", "configuration": {
            "credential": "sdk-hook-key", "streaming": {"baseUri": flags.base_uri},
            "hooks": {"hooks": [{"name": "recorder", "callbackUri": format!("{}/hook", callbacks.base_uri),
                                 "data": {"beforeEvaluation": {"from-before": 1}}}]}}})),
    );
    assert!((200..300).contains(&created.status));
    let client = created.header("location").expect("Location").to_owned();
    service.call(
        "POST",
        &client,
        Some(&json!({"command": "evaluate", "evaluate": {
            "flagKey": "feature", "context": user(), "valueType": "bool", "defaultValue": false,
            "detail": true}})),
    );
    let stage = |r: &SeenRequest| -> Value { serde_json::from_slice(&r.body).expect("JSON") };
    let before = stage(&next_matching(
        &callbacks.requests,
        "beforeEvaluation",
        |r| r.path == "/hook",
    ));
    assert_eq!(before["stage"], "beforeEvaluation");
    assert_eq!(before["evaluationSeriesContext"]["flagKey"], "feature");
    assert_eq!(
        before["evaluationSeriesContext"]["defaultValue"],
        json!(false)
    );
    let after = stage(&next_matching(
        &callbacks.requests,
        "afterEvaluation",
        |r| r.path == "/hook",
    ));
    assert_eq!(after["stage"], "afterEvaluation");
    assert_eq!(after["evaluationSeriesData"], json!({"from-before": 1}));
    assert_eq!(after["evaluationDetail"]["value"], json!(true));

    service.call(
        "POST",
        &client,
        Some(&json!({"command": "customEvent", "customEvent": {
            "eventKey": "k", "context": user(), "metricValue": 3.0}})),
    );
    let track = stage(&next_matching(&callbacks.requests, "afterTrack", |r| {
        r.path == "/hook"
    }));
    assert_eq!(track["stage"], "afterTrack");
    assert_eq!(track["trackSeriesContext"]["key"], "k");
    assert_eq!(track["trackSeriesContext"]["metricValue"], json!(3.0));
}

#[test]
fn init_can_fail_decides_whether_an_uninitialized_client_is_an_error() {
    // Nothing listens here: the client cannot initialize within the start wait.
    let unreachable = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", listener.local_addr().expect("address"))
    };
    let service = ServiceProcess::start();
    let create = |init_can_fail: bool| {
        service.call(
            "POST",
            "/",
            Some(&json!({"tag": "init", "configuration": {
                "credential": "k", "startWaitTimeMs": 200, "initCanFail": init_can_fail,
                "streaming": {"baseUri": unreachable}}})),
        )
    };
    let strict = create(false);
    assert_eq!(strict.status, 500);
    assert!(!strict.body.is_empty(), "the 500 says why");
    let lenient = create(true);
    assert!((200..300).contains(&lenient.status), "{}", lenient.status);
    let client = lenient.header("location").expect("Location").to_owned();
    let value = service.call(
        "POST",
        &client,
        Some(&json!({"command": "evaluate", "evaluate": {
            "flagKey": "feature", "context": user(), "valueType": "bool", "defaultValue": false,
            "detail": true}})),
    );
    assert_eq!(
        body_json(&value),
        json!({"value": false, "reason": {"kind": "ERROR", "errorKind": "CLIENT_NOT_READY"}})
    );
}
