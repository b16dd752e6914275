//! LaunchDarkly's flag services: `GET /all` (streaming) answers an SSE `put` event and keeps the
//! stream open; `GET /sdk/latest-all` (polling) answers the same data as JSON. Requests in
//! absolute form (`GET http://host/all`, as sent to an HTTP proxy) are served too, so the mock
//! can stand in for a proxy in front of the real services.

use super::{SeenRequest, read_request};
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread;

/// The running flag services.
pub struct MockStream {
    /// `http://127.0.0.1:PORT`.
    pub base_uri: String,
    /// Every request, as it arrives.
    pub requests: Receiver<SeenRequest>,
    /// Open streams, kept alive until the mock is dropped.
    open: Arc<Mutex<Vec<TcpStream>>>,
}

/// What the services answer.
struct Payloads {
    sse_put: String,
    all_data: Vec<u8>,
    gzip: bool,
}

impl MockStream {
    /// Starts serving `put_data` (the `data` of the `put` event: `{"path":"/","data":{…}}`).
    pub fn start(put_data: serde_json::Value) -> Self {
        Self::start_with(put_data, false)
    }

    /// Like [`MockStream::start`], but polling answers are gzip-compressed
    /// (`Content-Encoding: gzip`).
    pub fn start_gzip_polling(put_data: serde_json::Value) -> Self {
        Self::start_with(put_data, true)
    }

    fn start_with(put_data: serde_json::Value, gzip: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base_uri = format!("http://{}", listener.local_addr().expect("address"));
        let (tx, requests) = channel();
        let open = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&open);
        let payloads = Payloads {
            sse_put: format!("event: put\ndata: {put_data}\n\n"),
            all_data: put_data["data"].to_string().into_bytes(),
            gzip,
        };
        thread::spawn(move || serve(listener, tx, kept, payloads));
        Self {
            base_uri,
            requests,
            open,
        }
    }
}

impl MockStream {
    /// Sends an SSE event (`event: NAME`, `data: JSON`) on every open stream.
    pub fn push(&self, name: &str, data: &serde_json::Value) {
        let text = format!("event: {name}\ndata: {data}\n\n");
        if let Ok(mut streams) = self.open.lock() {
            streams.retain_mut(|s| {
                s.write_all(text.as_bytes())
                    .and_then(|()| s.flush())
                    .is_ok()
            });
        }
    }
}

impl Drop for MockStream {
    fn drop(&mut self) {
        let streams = self
            .open
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default();
        for stream in streams {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

fn serve(
    listener: TcpListener,
    tx: Sender<SeenRequest>,
    open: Arc<Mutex<Vec<TcpStream>>>,
    payloads: Payloads,
) {
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { return };
        let Some(request) = read_request(&mut stream) else {
            continue;
        };
        let route = origin_form(&request.path);
        let streaming = request.method == "GET" && route.starts_with("/all");
        let polling = request.method == "GET" && route.starts_with("/sdk/latest-all");
        let _ = tx.send(request);
        if streaming {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n";
            // Registered before the `put` goes out: once the client has its data, a test may
            // push the next event at once.
            if let (Ok(kept), Ok(mut v)) = (stream.try_clone(), open.lock()) {
                v.push(kept);
            }
            let _ = stream
                .write_all(head.as_bytes())
                .and_then(|()| stream.write_all(payloads.sse_put.as_bytes()))
                .and_then(|()| stream.flush());
        } else if polling {
            let (body, encoding) = if payloads.gzip {
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                let _ = encoder.write_all(&payloads.all_data);
                (
                    encoder.finish().unwrap_or_default(),
                    "Content-Encoding: gzip\r\n",
                )
            } else {
                (payloads.all_data.clone(), "")
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{encoding}Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        } else {
            let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        }
    }
}

/// `http://host:port/p` → `/p`; `/p` stays.
fn origin_form(target: &str) -> &str {
    match target.strip_prefix("http://") {
        Some(rest) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => target,
    }
}
