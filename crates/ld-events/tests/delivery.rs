//! Delivery against a real HTTP server on 127.0.0.1: endpoint and headers, payload IDs and the
//! retry, disabling on unrecoverable statuses, the bounded buffer, gzip, flushing on close and on
//! the interval, diagnostic events.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ld_events::{
    DiagnosticsConfig, EventContext, EventProcessor, EventRequest, EventResponse, EventSender,
    EventsConfig, IndividualContext, SendError, SendFuture,
};
use serde_json::json;
use support::{RecordingServer, http_sender, runtime, without_dates};

const WAIT: Duration = Duration::from_secs(5);

fn config(server: &RecordingServer) -> EventsConfig {
    let mut c = EventsConfig::new("sdk-test-key-123456");
    c.events_base_uri = server.base_uri();
    c.flush_interval = Duration::from_secs(3600);
    c.retry_delay = Duration::from_millis(50);
    c
}

fn user(key: &str) -> EventContext {
    EventContext::single(IndividualContext::new("user", key))
}

#[test]
fn payload_is_posted_to_bulk_with_launchdarkly_headers() {
    let rt = runtime();
    let server = RecordingServer::start(&rt);
    let mut c = config(&server);
    c.extra_headers = vec![("X-LaunchDarkly-Wrapper".into(), "my-wrapper/1.0".into())];
    let events = EventProcessor::new(c, http_sender(), rt.handle());

    events.record_identify(&user("u1"));
    assert!(events.flush_and_wait(WAIT));

    let requests = server.wait_for("/bulk", 1, WAIT);
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("authorization"), Some("sdk-test-key-123456"));
    assert!(
        r.header("user-agent")
            .unwrap()
            .starts_with("RustServerClient/")
    );
    assert_eq!(r.header("x-launchdarkly-event-schema"), Some("4"));
    assert_eq!(r.header("x-launchdarkly-wrapper"), Some("my-wrapper/1.0"));
    let id = r.header("x-launchdarkly-payload-id").unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(
        without_dates(r.json()),
        json!([{"kind": "identify", "creationDate": 0, "context": {"kind": "user", "key": "u1"}}])
    );
    events.close();
}

#[test]
fn failed_delivery_is_retried_once_with_the_same_payload_id() {
    let rt = runtime();
    let server = RecordingServer::start(&rt);
    server.respond_with(&[503]);
    let events = EventProcessor::new(config(&server), http_sender(), rt.handle());

    events.record_identify(&user("u1"));
    assert!(events.flush_and_wait(WAIT));
    let requests = server.wait_for("/bulk", 2, WAIT);
    assert_eq!(requests.len(), 2);
    let first = requests[0].header("x-launchdarkly-payload-id").unwrap();
    assert_eq!(requests[1].header("x-launchdarkly-payload-id"), Some(first));
    assert_eq!(requests[0].body, requests[1].body);

    // The next payload gets a new ID.
    events.record_identify(&user("u2"));
    assert!(events.flush_and_wait(WAIT));
    let requests = server.wait_for("/bulk", 3, WAIT);
    assert_ne!(requests[2].header("x-launchdarkly-payload-id"), Some(first));
    events.close();
}

#[test]
fn payload_failing_twice_is_dropped_but_sending_continues() {
    let rt = runtime();
    let server = RecordingServer::start(&rt);
    server.respond_with(&[500, 429]);
    let events = EventProcessor::new(config(&server), http_sender(), rt.handle());

    events.record_identify(&user("u1"));
    assert!(events.flush_and_wait(WAIT));
    assert_eq!(server.wait_for("/bulk", 2, WAIT).len(), 2);

    events.record_identify(&user("u2"));
    assert!(events.flush_and_wait(WAIT));
    let requests = server.wait_for("/bulk", 3, WAIT);
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[2].events()[0]["context"]["key"], "u2");
    assert!(events.is_enabled());
    events.close();
}

#[test]
fn unauthorized_response_disables_sending_without_retry() {
    let rt = runtime();
    let server = RecordingServer::start(&rt);
    server.respond_with(&[401]);
    let events = EventProcessor::new(config(&server), http_sender(), rt.handle());

    events.record_identify(&user("u1"));
    assert!(events.flush_and_wait(WAIT));
    assert_eq!(server.wait_for("/bulk", 1, WAIT).len(), 1);
    assert!(!events.is_enabled());

    events.record_identify(&user("u2"));
    events.flush();
    assert!(events.flush_and_wait(WAIT));
    events.close();
    assert_eq!(server.count("/bulk"), 1, "no retry and nothing after a 401");
}

#[test]
fn forbidden_and_not_found_also_disable_but_bad_request_does_not() {
    for (status, disables) in [(403, true), (404, true), (400, false), (413, false)] {
        let rt = runtime();
        let server = RecordingServer::start(&rt);
        server.respond_with(&[status, status]);
        let events = EventProcessor::new(config(&server), http_sender(), rt.handle());
        events.record_identify(&user("u1"));
        assert!(events.flush_and_wait(WAIT));
        assert_eq!(events.is_enabled(), !disables, "status {status}");
        events.close();
    }
}

#[test]
fn events_beyond_capacity_are_dropped_and_counted() {
    let rt = runtime();
    let server = RecordingServer::start(&rt);
    let mut c = config(&server);
    c.capacity = 3;
    let events = EventProcessor::new(c, http_sender(), rt.handle());

    for i in 0..5 {
        events.record_identify(&user(&format!("u{i}")));
    }
    assert_eq!(events.dropped_events(), 2);
    assert!(events.flush_and_wait(WAIT));
    let requests = server.wait_for("/bulk", 1, WAIT);
    let keys: Vec<_> = requests[0]
        .events()
        .iter()
        .map(|e| e["context"]["key"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(keys, ["u0", "u1", "u2"]);

    // The buffer has room again after the flush.
    events.record_identify(&user("u5"));
    assert!(events.flush_and_wait(WAIT));
    assert_eq!(server.wait_for("/bulk", 2, WAIT)[1].events().len(), 1);
    assert_eq!(events.dropped_events(), 2);
    events.close();
}

#[test]
fn gzip_bodies_round_trip() {
    let rt = runtime();
    let server = RecordingServer::start(&rt);
    let mut c = config(&server);
    c.compress_events = true;
    let events = EventProcessor::new(c, http_sender(), rt.handle());

    events.record_custom(&user("u1"), "purchase", json!({"sku": "x"}), Some(9.5));
    assert!(events.flush_and_wait(WAIT));
    let r = &server.wait_for("/bulk", 1, WAIT)[0];
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(&r.body[..2], &[0x1f, 0x8b], "gzip magic");
    assert_eq!(
        without_dates(r.json()),
        json!([
            {"kind": "index", "creationDate": 0, "context": {"kind": "user", "key": "u1"}},
            {"kind": "custom", "creationDate": 0, "key": "purchase", "data": {"sku": "x"},
             "context": {"kind": "user", "key": "u1"}, "metricValue": 9.5}
        ])
    );
    events.close();
}

#[test]
fn close_delivers_what_is_buffered_before_returning() {
    let rt = runtime();
    let server = RecordingServer::start(&rt);
    let events = EventProcessor::new(config(&server), http_sender(), rt.handle());

    events.record_identify(&user("u1"));
    events.close();
    assert_eq!(server.count("/bulk"), 1);
    assert!(!events.is_enabled());

    // Closed: later calls are no-ops, and closing again is harmless.
    events.record_identify(&user("u2"));
    events.close();
    assert_eq!(server.count("/bulk"), 1);
}

#[test]
fn close_gives_up_after_its_bound_when_the_server_never_answers() {
    let rt = runtime();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut c = EventsConfig::new("k");
    c.events_base_uri = format!("http://{}", listener.local_addr().unwrap());
    c.close_timeout = Duration::from_millis(300);
    let events = EventProcessor::new(c, http_sender(), rt.handle());
    events.record_identify(&user("u1"));
    let started = std::time::Instant::now();
    events.close();
    assert!(started.elapsed() < Duration::from_secs(3));
    drop(listener);
}

#[test]
fn events_are_flushed_on_the_flush_interval() {
    let rt = runtime();
    let server = RecordingServer::start(&rt);
    let mut c = config(&server);
    c.flush_interval = Duration::from_millis(50);
    let events = EventProcessor::new(c, http_sender(), rt.handle());

    events.record_identify(&user("u1"));
    assert_eq!(server.wait_for("/bulk", 1, WAIT).len(), 1);
    events.close();
}

#[test]
fn nothing_is_posted_when_there_is_nothing_to_send() {
    let rt = runtime();
    let server = RecordingServer::start(&rt);
    let events = EventProcessor::new(config(&server), http_sender(), rt.handle());
    assert!(events.flush_and_wait(WAIT));
    events.close();
    assert_eq!(server.count("/bulk"), 0);
}

#[test]
fn diagnostic_init_and_periodic_events_go_to_the_diagnostic_endpoint() {
    let rt = runtime();
    let server = RecordingServer::start(&rt);
    let mut c = config(&server);
    c.capacity = 1;
    c.diagnostic_recording_interval = Duration::from_millis(100);
    c.diagnostics = Some(DiagnosticsConfig {
        sdk_name: "rust-server-sdk".into(),
        sdk_version: "0.1.0".into(),
        configuration: json!({"eventsCapacity": 1}).as_object().unwrap().clone(),
        ..Default::default()
    });
    let events = EventProcessor::new(c, http_sender(), rt.handle());
    events
        .diagnostics_recorder()
        .record_stream_init(1_000, 25, true);
    events.record_identify(&user("u1"));
    events.record_identify(&user("u2")); // dropped: capacity 1

    let diagnostics = server.wait_for("/diagnostic", 2, WAIT);
    assert!(diagnostics.len() >= 2);
    let init = diagnostics[0].json();
    assert_eq!(init["kind"], "diagnostic-init");
    assert_eq!(init["id"]["sdkKeySuffix"], "123456");
    assert_eq!(init["sdk"]["name"], "rust-server-sdk");
    assert_eq!(init["configuration"]["eventsCapacity"], 1);
    assert_eq!(diagnostics[0].header("x-launchdarkly-payload-id"), None);
    assert_eq!(
        diagnostics[0].header("authorization"),
        Some("sdk-test-key-123456")
    );
    let periodic = diagnostics[1].json();
    assert_eq!(periodic["kind"], "diagnostic");
    assert_eq!(periodic["id"], init["id"]);
    assert_eq!(periodic["droppedEvents"], 1);
    assert_eq!(
        periodic["streamInits"],
        json!([{"timestamp": 1000, "durationMillis": 25, "failed": true}])
    );
    events.close();
}

#[test]
fn periodic_diagnostics_count_every_sighting_of_an_already_known_context() {
    let rt = runtime();
    let server = RecordingServer::start(&rt);
    let mut c = config(&server);
    c.diagnostic_recording_interval = Duration::from_millis(50);
    c.diagnostics = Some(DiagnosticsConfig::default());
    let events = EventProcessor::new(c, http_sender(), rt.handle());
    let flag: ld_eval::Flag = serde_json::from_value(json!({
        "key": "f", "version": 1, "on": false, "offVariation": 0, "variations": [true]
    }))
    .unwrap();
    let data = ld_eval::MemoryData::default();
    let context = ld_eval::ContextBuilder::new("u1").build().unwrap();
    let default = json!(false);
    let record = |context: &ld_eval::Context| {
        let detail = ld_eval::evaluate(&data, &flag, context);
        events.record_evaluation("f", Some(&flag), context, &detail, &default, false, None);
    };
    // Ten sightings of one context object: the first indexes it, the other nine are counted by
    // the fast path. (Sightings the general path deduplicates are published in batches of 64
    // per thread, so they are left out here.)
    for _ in 0..10 {
        record(&context);
    }
    assert!(events.flush_and_wait(WAIT));
    let deadline = std::time::Instant::now() + WAIT;
    let deduplicated = loop {
        let total: u64 = server
            .requests()
            .iter()
            .filter(|r| r.path == "/diagnostic")
            .map(|r| r.json())
            .filter(|e| e["kind"] == "diagnostic")
            .map(|e| e["deduplicatedUsers"].as_u64().unwrap())
            .sum();
        if total >= 9 || std::time::Instant::now() > deadline {
            break total;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(deduplicated, 9);
    events.close();
}

/// Fails the first `failures` sends with a network error, then accepts.
struct Flaky {
    failures: usize,
    calls: AtomicUsize,
}

impl EventSender for Flaky {
    fn send(&self, _request: EventRequest) -> SendFuture {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let fail = call < self.failures;
        Box::pin(async move {
            if fail {
                Err(SendError("connection refused".into()))
            } else {
                Ok(EventResponse {
                    status: 202,
                    date: None,
                })
            }
        })
    }
}

#[test]
fn network_errors_are_retried_once() {
    let rt = runtime();
    for (failures, expected_calls) in [(1, 2), (5, 2)] {
        let flaky = Arc::new(Flaky {
            failures,
            calls: AtomicUsize::new(0),
        });
        let mut c = EventsConfig::new("k");
        c.retry_delay = Duration::from_millis(10);
        let events =
            EventProcessor::new(c, Arc::clone(&flaky) as Arc<dyn EventSender>, rt.handle());
        events.record_identify(&user("u1"));
        assert!(events.flush_and_wait(WAIT));
        assert_eq!(flaky.calls.load(Ordering::SeqCst), expected_calls);
        assert!(events.is_enabled());
        events.close();
    }
}

/// Holds every send until released, and records how many were in flight at once.
struct Gate {
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
    bodies: Arc<std::sync::Mutex<Vec<String>>>,
    open: Arc<tokio::sync::Notify>,
}

impl EventSender for Gate {
    fn send(&self, request: EventRequest) -> SendFuture {
        let (in_flight, max, bodies, open) = (
            Arc::clone(&self.in_flight),
            Arc::clone(&self.max_in_flight),
            Arc::clone(&self.bodies),
            Arc::clone(&self.open),
        );
        Box::pin(async move {
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            max.fetch_max(now, Ordering::SeqCst);
            bodies
                .lock()
                .unwrap()
                .push(String::from_utf8(request.body.to_vec()).unwrap());
            open.notified().await;
            in_flight.fetch_sub(1, Ordering::SeqCst);
            Ok(EventResponse {
                status: 202,
                date: None,
            })
        })
    }
}

#[test]
fn at_most_max_in_flight_payloads_and_busy_flushes_keep_their_events() {
    let rt = runtime();
    let gate = Gate {
        in_flight: Arc::default(),
        max_in_flight: Arc::default(),
        bodies: Arc::default(),
        open: Arc::new(tokio::sync::Notify::new()),
    };
    let (max, bodies, open) = (
        Arc::clone(&gate.max_in_flight),
        Arc::clone(&gate.bodies),
        Arc::clone(&gate.open),
    );
    let mut c = EventsConfig::new("k");
    c.max_in_flight = 2;
    c.flush_interval = Duration::from_secs(3600);
    let events = EventProcessor::new(c, Arc::new(gate), rt.handle());

    let wait_for_bodies = |n: usize| {
        let deadline = std::time::Instant::now() + WAIT;
        while bodies.lock().unwrap().len() < n && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        bodies.lock().unwrap().len()
    };
    for i in 0..2 {
        events.record_identify(&user(&format!("u{i}")));
        events.flush();
        assert_eq!(wait_for_bodies(i + 1), i + 1);
    }
    // Both slots are busy: these flushes keep their events buffered.
    events.record_identify(&user("u2"));
    events.flush();
    events.record_identify(&user("u3"));
    events.flush();
    assert!(!events.flush_and_wait(Duration::from_millis(200)));
    assert_eq!(bodies.lock().unwrap().len(), 2);

    // Release the deliveries one by one; the buffered events go out together.
    let deadline = std::time::Instant::now() + WAIT;
    while !events.flush_and_wait(Duration::from_millis(20)) {
        open.notify_waiters();
        assert!(
            std::time::Instant::now() < deadline,
            "deliveries never finished"
        );
    }
    assert_eq!(max.load(Ordering::SeqCst), 2);
    let all = bodies.lock().unwrap().join("");
    for key in ["u0", "u1", "u2", "u3"] {
        assert!(
            all.contains(&format!("\"key\":\"{key}\"")),
            "{key} missing from {all}"
        );
    }
    events.close();
}
