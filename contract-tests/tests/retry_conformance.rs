//! The `retry-conformance-fdv1-streaming` capability: after a 401 the stream is retried on the
//! extended schedule the harness configures (`extendedInitialDelayMs`), not at the normal
//! (1 ms) delay and not never.

mod support;

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::channel;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::read_request;
use support::service_process::ServiceProcess;

/// A streaming server that answers 401 to its first `failures` requests, then a `put` with one
/// flag, keeping that stream open. Sends the arrival time of every request.
fn flaky_stream(failures: usize) -> (String, std::sync::mpsc::Receiver<Instant>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base_uri = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = channel();
    thread::spawn(move || {
        let mut open: Vec<TcpStream> = Vec::new();
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            if read_request(&mut stream).is_none() {
                continue;
            }
            let _ = tx.send(Instant::now());
            if n < failures {
                let _ = stream.write_all(
                    b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                continue;
            }
            let data = json!({"path": "/", "data": {"flags": {"flag": {
                "key": "flag", "version": 1, "on": false, "variations": [1, 2],
                "offVariation": 0, "fallthrough": {"variation": 0}}}, "segments": {}}});
            let body = format!("event: put\ndata: {data}\n\n");
            let _ = stream.write_all(
                format!("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n{body}")
                    .as_bytes(),
            );
            open.push(stream);
        }
    });
    (base_uri, rx)
}

#[test]
fn after_a_401_the_stream_is_retried_on_the_configured_extended_schedule() {
    let service = ServiceProcess::start();
    let status = service.call("GET", "/", None);
    let status: Value = serde_json::from_slice(&status.body).unwrap();
    for capability in [
        "retry-conformance-fdv1-streaming",
        "retry-conformance-fdv1-polling",
    ] {
        assert!(
            status["capabilities"]
                .as_array()
                .unwrap()
                .contains(&json!(capability)),
            "{capability}"
        );
    }

    let (base_uri, arrivals) = flaky_stream(2);
    let created = service.call(
        "POST",
        "/",
        Some(&json!({"tag": "retry", "configuration": {
            "credential": "k", "startWaitTimeMs": 10000,
            "streaming": {"baseUri": base_uri, "initialRetryDelayMs": 1,
                          "extendedInitialDelayMs": 400}}})),
    );
    // Two 401s, then data: the client initializes (the source never stopped for good).
    assert!(
        (200..300).contains(&created.status),
        "client creation answered {}",
        created.status
    );
    let wait = Duration::from_secs(5);
    let first = arrivals.recv_timeout(wait).unwrap();
    let second = arrivals.recv_timeout(wait).unwrap();
    let third = arrivals.recv_timeout(wait).unwrap();
    // The normal schedule would have retried after about 1 ms; the extended one waits 400 ms
    // less up to half for jitter, then doubles.
    assert!(
        second - first >= Duration::from_millis(150),
        "{:?}",
        second - first
    );
    assert!(
        third - second >= Duration::from_millis(150),
        "{:?}",
        third - second
    );
}
