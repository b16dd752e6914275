//! A tiny HTTP/1.1 server on 127.0.0.1 for end-to-end tests: it records every request and
//! answers with canned responses (a body, or a server-sent-events stream that stays open).
// Each test crate including this module uses only part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread;

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What to answer: the status, content type and body, decided per request path.
pub type Responder = dyn Fn(&Recorded) -> (u16, &'static str, Vec<u8>) + Send + Sync;

pub struct LocalServer {
    pub base_uri: String,
    pub requests: Receiver<Recorded>,
}

impl LocalServer {
    pub fn start(
        responder: impl Fn(&Recorded) -> (u16, &'static str, Vec<u8>) + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let base_uri = format!("http://{}", listener.local_addr().unwrap());
        let (tx, requests) = channel();
        let responder: Arc<Responder> = Arc::new(responder);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let tx = tx.clone();
                let responder = responder.clone();
                thread::spawn(move || serve(stream, &tx, &*responder));
            }
        });
        LocalServer { base_uri, requests }
    }
}

fn serve(stream: TcpStream, tx: &Sender<Recorded>, responder: &Responder) {
    let writer = Mutex::new(stream.try_clone().expect("clone stream"));
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let path = parts.next().unwrap_or_default().to_owned();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((n, v)) = h.split_once(':') {
                headers.push((n.trim().to_owned(), v.trim().to_owned()));
            }
        }
        let len = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let request = Recorded {
            method,
            path,
            headers,
            body,
        };
        let (status, content_type, payload) = responder(&request);
        let _ = tx.send(request);
        let mut w = writer.lock().unwrap();
        if content_type == "text/event-stream" {
            // Keep the stream open: send the events and never end the body.
            let _ = write!(
                w,
                "HTTP/1.1 {status} OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n",
                payload.len()
            );
            let _ = w.write_all(&payload);
            let _ = w.write_all(b"\r\n");
            let _ = w.flush();
            drop(w);
            // Hold the connection until the client goes away.
            let mut sink = [0u8; 64];
            while matches!(reader.read(&mut sink), Ok(n) if n > 0) {}
            return;
        }
        let _ = write!(
            w,
            "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            payload.len()
        );
        let _ = w.write_all(&payload);
        let _ = w.flush();
    }
}
