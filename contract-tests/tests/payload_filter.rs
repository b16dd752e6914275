//! The `filtering` capability: the harness's `filter` setting reaches the streaming and polling
//! requests as `?filter=KEY` when the key is valid, and is left out when it is not.

mod support;

use serde_json::{Value, json};
use std::sync::mpsc::Receiver;
use std::time::Duration;
use support::SeenRequest;
use support::mock_stream::MockStream;
use support::service_process::ServiceProcess;

fn data() -> Value {
    json!({"path": "/", "data": {"flags": {}, "segments": {}}})
}

fn first_flag_request(requests: &Receiver<SeenRequest>) -> String {
    requests
        .recv_timeout(Duration::from_secs(10))
        .expect("a flag request")
        .path
}

fn create(service: &ServiceProcess, configuration: Value) {
    let created = service.call(
        "POST",
        "/",
        Some(&json!({"tag": "filtering", "configuration": configuration})),
    );
    assert!((200..300).contains(&created.status), "{}", created.status);
}

#[test]
fn a_valid_streaming_filter_is_sent_and_an_invalid_one_is_left_out() {
    let service = ServiceProcess::start();
    let capabilities = service.call("GET", "/", None);
    let capabilities: Value = serde_json::from_slice(&capabilities.body).unwrap();
    for capability in ["filtering", "filtering-strict"] {
        assert!(
            capabilities["capabilities"]
                .as_array()
                .unwrap()
                .contains(&json!(capability)),
            "{capability}"
        );
    }

    let valid = MockStream::start(data());
    create(
        &service,
        json!({"credential": "k", "streaming": {"baseUri": valid.base_uri, "filter": "encoding_not_necessary"}}),
    );
    assert_eq!(
        first_flag_request(&valid.requests),
        "/all?filter=encoding_not_necessary"
    );

    let invalid = MockStream::start(data());
    create(
        &service,
        json!({"credential": "k", "streaming": {"baseUri": format!("{}/", invalid.base_uri),
                                                  "filter": "encoding necessary +! %& ( )"}}),
    );
    assert_eq!(first_flag_request(&invalid.requests), "/all");
}

#[test]
fn a_valid_polling_filter_is_sent_and_an_invalid_one_is_left_out() {
    let service = ServiceProcess::start();
    let valid = MockStream::start(data());
    create(
        &service,
        json!({"credential": "k", "polling": {"baseUri": valid.base_uri, "filter": "web.flags-1"}}),
    );
    assert_eq!(
        first_flag_request(&valid.requests),
        "/sdk/latest-all?filter=web.flags-1"
    );

    let invalid = MockStream::start(data());
    create(
        &service,
        json!({"credential": "k", "polling": {"baseUri": invalid.base_uri, "filter": "-leading-dash"}}),
    );
    assert_eq!(first_flag_request(&invalid.requests), "/sdk/latest-all");
}
