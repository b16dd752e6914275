//! An events recorder: accepts `POST /bulk` (and `/diagnostic`) and hands each payload over.

use super::{SeenRequest, read_request};
use std::io::Write;
use std::net::TcpListener;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;

/// The running events recorder.
pub struct MockEvents {
    /// `http://127.0.0.1:PORT`.
    pub base_uri: String,
    /// Every request, as it arrives.
    pub requests: Receiver<SeenRequest>,
}

impl MockEvents {
    /// Starts recording.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base_uri = format!("http://{}", listener.local_addr().expect("address"));
        let (tx, requests) = channel();
        thread::spawn(move || accept(listener, tx));
        Self { base_uri, requests }
    }
}

fn accept(listener: TcpListener, tx: Sender<SeenRequest>) {
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { return };
        let tx = tx.clone();
        // Keep-alive: one connection may carry several payloads.
        thread::spawn(move || {
            while let Some(request) = read_request(&mut stream) {
                if tx.send(request).is_err() {
                    return;
                }
                if stream
                    .write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
                    .is_err()
                {
                    return;
                }
            }
        });
    }
}
