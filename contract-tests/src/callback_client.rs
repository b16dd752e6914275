//! A small blocking HTTP/1.0 client for calling back into the harness (hooks, listeners, the big
//! segment store fixture).
//!
//! Callbacks happen inside SDK code — on an evaluating thread, or on the SDK's own runtime — so
//! this client must work from any thread without entering an async runtime: it speaks plain
//! HTTP/1.0 over a `std` socket (the harness's callback endpoints are plain `http://` on
//! loopback). HTTP/1.0 makes the server close the connection after one answer and never use
//! chunked encoding, so the body is simply everything until end of stream.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long one callback may take (connect, write, read).
const TIMEOUT: Duration = Duration::from_secs(10);

/// Answers larger than this are refused.
const MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;

/// Why a callback failed.
#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    /// The URI is not `http://host[:port][/path]`.
    #[error("unsupported callback URI {0:?}")]
    BadUri(String),
    /// Connecting, writing or reading failed.
    #[error("callback I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The answer is not HTTP.
    #[error("malformed callback response: {0}")]
    BadResponse(String),
    /// The answer's status is not 2xx.
    #[error("callback answered HTTP {status}: {body}")]
    Status {
        /// The status code.
        status: u16,
        /// The body, as text.
        body: String,
    },
}

/// One HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// Header names (lower-case) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// The first header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// POSTs `body` as JSON to `uri` joined with `path`, and returns the answer's body if 2xx.
pub fn post_json(
    uri: &str,
    path: &str,
    body: &serde_json::Value,
) -> Result<Vec<u8>, CallbackError> {
    let target = join(uri, path);
    let payload =
        serde_json::to_vec(body).map_err(|e| CallbackError::BadResponse(e.to_string()))?;
    let reply = request("POST", &target, Some(&payload))?;
    if (200..300).contains(&reply.status) {
        Ok(reply.body)
    } else {
        Err(CallbackError::Status {
            status: reply.status,
            body: String::from_utf8_lossy(&reply.body).into_owned(),
        })
    }
}

/// Sends one request with an optional JSON body and returns the answer, whatever its status.
pub fn request(method: &str, uri: &str, body: Option<&[u8]>) -> Result<Reply, CallbackError> {
    let (authority, path) = split_uri(uri)?;
    let address = with_default_port(authority);
    let socket_address = address
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| CallbackError::BadUri(uri.to_owned()))?;
    let mut stream = TcpStream::connect_timeout(&socket_address, TIMEOUT)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;

    let mut head = format!("{method} {path} HTTP/1.0\r\nHost: {authority}\r\nAccept: */*\r\n");
    if let Some(body) = body {
        head.push_str("Content-Type: application/json\r\n");
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    } else if method != "GET" {
        head.push_str("Content-Length: 0\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    if let Some(body) = body {
        stream.write_all(body)?;
    }
    stream.flush()?;

    parse_reply(&read_response(&mut stream)?)
}

/// Reads one answer: up to `Content-Length` body bytes when the server says how many (some
/// servers keep the connection open even for HTTP/1.0), otherwise until end of stream.
fn read_response(stream: &mut TcpStream) -> Result<Vec<u8>, CallbackError> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(raw);
        }
        raw.extend_from_slice(&buf[..n]);
        if raw.len() as u64 > MAX_RESPONSE_BYTES {
            return Err(CallbackError::BadResponse("answer too large".into()));
        }
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n")
            && let Some(length) = content_length(&raw[..end])
            && raw.len() >= end + 4 + length
        {
            return Ok(raw);
        }
    }
}

fn content_length(head: &[u8]) -> Option<usize> {
    String::from_utf8_lossy(head)
        .split("\r\n")
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
}

fn join(uri: &str, path: &str) -> String {
    if path.is_empty() {
        uri.to_owned()
    } else {
        format!(
            "{}/{}",
            uri.trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    }
}

/// `http://host:port/p?q` → (`host:port`, `/p?q`).
fn split_uri(uri: &str) -> Result<(&str, &str), CallbackError> {
    let rest = uri
        .strip_prefix("http://")
        .ok_or_else(|| CallbackError::BadUri(uri.to_owned()))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        return Err(CallbackError::BadUri(uri.to_owned()));
    }
    Ok((authority, path))
}

fn with_default_port(authority: &str) -> String {
    let has_port = match authority.rfind(':') {
        // An IPv6 literal's colons sit inside brackets.
        Some(i) => !authority[i..].contains(']'),
        None => false,
    };
    if has_port {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    }
}

fn parse_reply(raw: &[u8]) -> Result<Reply, CallbackError> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| CallbackError::BadResponse("no end of headers".into()))?;
    let head = std::str::from_utf8(&raw[..end])
        .map_err(|_| CallbackError::BadResponse("headers are not UTF-8".into()))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| CallbackError::BadResponse(format!("bad status line {status_line:?}")))?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect::<Vec<_>>();
    let mut body = raw[end + 4..].to_vec();
    if let Some(length) = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
    {
        body.truncate(length);
    }
    Ok(Reply {
        status,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread;

    /// Serves one connection: records the request, answers `answer`.
    fn one_shot_server(answer: &'static str) -> (String, thread::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let uri = format!("http://{}", listener.local_addr().unwrap());
        let handle = thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut buf = vec![0u8; 65536];
            let mut seen = Vec::new();
            // Read until the declared body has arrived.
            loop {
                let n = conn.read(&mut buf).unwrap();
                seen.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&seen).into_owned();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text[..end]
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .map(|v| v.parse::<usize>().unwrap())
                        .unwrap_or(0);
                    if seen.len() >= end + 4 + length {
                        break;
                    }
                }
                if n == 0 {
                    break;
                }
            }
            conn.write_all(answer.as_bytes()).unwrap();
            String::from_utf8(seen).unwrap()
        });
        (uri, handle)
    }

    #[test]
    fn post_json_sends_the_body_to_the_joined_path_and_returns_the_answer() {
        let (uri, server) = one_shot_server(
            "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"lastUpToDate\":5}",
        );
        let body = post_json(
            &format!("{uri}/store/"),
            "/getMetadata",
            &serde_json::json!({"a": 1}),
        )
        .unwrap();
        assert_eq!(body, br#"{"lastUpToDate":5}"#);
        let seen = server.join().unwrap();
        assert!(
            seen.starts_with("POST /store/getMetadata HTTP/1.0\r\n"),
            "{seen}"
        );
        assert!(seen.ends_with(r#"{"a":1}"#), "{seen}");
    }

    #[test]
    fn answer_with_a_length_is_complete_even_if_the_server_keeps_the_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let uri = format!("http://{}", listener.local_addr().unwrap());
        let server = thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            let _ = conn.read(&mut buf).unwrap();
            conn.write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok")
                .unwrap();
            // Hold the connection open until the client has its answer and hangs up.
            let _ = conn.read(&mut buf);
        });
        let reply = request("GET", &uri, None).unwrap();
        assert_eq!((reply.status, reply.body.as_slice()), (202, &b"ok"[..]));
        server.join().unwrap();
    }

    #[test]
    fn non_2xx_answers_are_errors_with_their_body() {
        let (uri, server) = one_shot_server("HTTP/1.0 500 Oops\r\nContent-Length: 4\r\n\r\nfail");
        let err = post_json(&uri, "", &serde_json::json!(null)).unwrap_err();
        assert!(matches!(err, CallbackError::Status { status: 500, ref body } if body == "fail"));
        server.join().unwrap();
    }

    #[test]
    fn only_plain_http_uris_are_accepted() {
        assert!(matches!(
            request("GET", "https://example.invalid/", None),
            Err(CallbackError::BadUri(_))
        ));
        assert!(matches!(
            request("GET", "http:///x", None),
            Err(CallbackError::BadUri(_))
        ));
    }

    #[test]
    fn replies_without_a_header_end_are_malformed() {
        assert!(matches!(
            parse_reply(b"HTTP/1.0 200"),
            Err(CallbackError::BadResponse(_))
        ));
        assert!(matches!(
            parse_reply(b"garbage\r\n\r\n"),
            Err(CallbackError::BadResponse(_))
        ));
    }

    #[test]
    fn default_port_is_80_and_ipv6_literals_keep_theirs() {
        assert_eq!(with_default_port("h"), "h:80");
        assert_eq!(with_default_port("h:1"), "h:1");
        assert_eq!(with_default_port("[::1]"), "[::1]:80");
        assert_eq!(with_default_port("[::1]:9"), "[::1]:9");
    }
}
