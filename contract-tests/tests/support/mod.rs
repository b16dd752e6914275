//! Real loopback stand-ins for what the harness provides: the service process, a streaming
//! server and an events recorder.

// Each test binary uses only part of this module.
#![allow(dead_code)]

pub mod mock_big_segments;
pub mod mock_events;
pub mod mock_origin;
pub mod mock_stream;
pub mod mock_tls_stream;
pub mod redis_server;
pub mod service_process;

use std::io::Read;
use std::net::TcpStream;

/// One HTTP request as a mock server saw it.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Header names (lower-case) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl SeenRequest {
    /// The first header with this lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one request (head + `Content-Length` body) from `stream`; `None` at end of stream.
pub fn read_request(stream: &mut TcpStream) -> Option<SeenRequest> {
    let mut raw = Vec::new();
    let mut byte = [0u8; 1];
    while !raw.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => raw.push(byte[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8_lossy(&raw).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split_whitespace();
    let method = first.next()?.to_owned();
    let path = first.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).ok()?;
    Some(SeenRequest {
        method,
        path,
        headers,
        body,
    })
}
