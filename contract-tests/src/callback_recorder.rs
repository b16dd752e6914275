//! Test helper: a loopback HTTP server that records JSON bodies POSTed to it and answers 200.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc::{Receiver, channel};
use std::thread;
use std::time::Duration;

/// A running recorder.
pub struct CallbackRecorder {
    /// `http://127.0.0.1:PORT`.
    pub uri: String,
    bodies: Receiver<(String, serde_json::Value)>,
}

impl CallbackRecorder {
    /// Starts recording.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let uri = format!("http://{}", listener.local_addr().expect("address"));
        let (tx, bodies) = channel();
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                let tx = tx.clone();
                thread::spawn(move || {
                    let mut raw = Vec::new();
                    let mut buf = [0u8; 8192];
                    loop {
                        let n = conn.read(&mut buf).unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        raw.extend_from_slice(&buf[..n]);
                        let text = String::from_utf8_lossy(&raw).into_owned();
                        let Some(end) = text.find("\r\n\r\n") else {
                            continue;
                        };
                        let length = text[..end]
                            .lines()
                            .find_map(|l| l.strip_prefix("Content-Length: "))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if raw.len() < end + 4 + length {
                            continue;
                        }
                        let path = text.split_whitespace().nth(1).unwrap_or("").to_owned();
                        let body = serde_json::from_slice(&raw[end + 4..end + 4 + length])
                            .unwrap_or(serde_json::Value::Null);
                        let _ = conn.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
                        let _ = tx.send((path, body));
                        return;
                    }
                });
            }
        });
        Self { uri, bodies }
    }

    /// The next recorded (path, body), waiting up to 10 seconds.
    pub fn next(&self) -> (String, serde_json::Value) {
        self.bodies
            .recv_timeout(Duration::from_secs(10))
            .expect("a callback within 10 seconds")
    }

    /// Whether nothing arrives within `wait`.
    pub fn stays_quiet(&self, wait: Duration) -> bool {
        self.bodies.recv_timeout(wait).is_err()
    }
}
