//! A migration origin as the harness's migration callback service provides it: every request is
//! logged (with the origin's label, so the order across origins is visible) and answered with a
//! fixed status and body, then the connection is closed.

use super::read_request;
use std::io::Write;
use std::net::TcpListener;
use std::sync::mpsc::Sender;
use std::thread;

/// One call to an origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginCall {
    /// `old` or `new`.
    pub origin: &'static str,
    /// The request body (the migration payload).
    pub body: String,
}

/// Starts an origin answering `status` with `body`; returns its URI. Calls go to `log`.
pub fn start_origin(
    origin: &'static str,
    status: u16,
    body: &'static str,
    log: Sender<OriginCall>,
) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let uri = format!(
        "http://{}/endpoint",
        listener.local_addr().expect("address")
    );
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let Some(request) = read_request(&mut stream) else {
                continue;
            };
            let _ = log.send(OriginCall {
                origin,
                body: String::from_utf8_lossy(&request.body).into_owned(),
            });
            let answer = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    uri
}
