//! A real HTTP server on 127.0.0.1 that records every request and answers with scripted statuses,
//! plus helpers shared by the integration tests.

#![allow(dead_code)] // each test binary uses a different subset

use std::collections::VecDeque;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;

/// One request as the server received it.
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

    /// The body, gunzipped when `Content-Encoding: gzip`.
    pub fn body_text(&self) -> String {
        if self.header("content-encoding") == Some("gzip") {
            let mut out = String::new();
            flate2::read::GzDecoder::new(&self.body[..])
                .read_to_string(&mut out)
                .expect("valid gzip body");
            out
        } else {
            String::from_utf8(self.body.clone()).expect("utf-8 body")
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body_text()).expect("JSON body")
    }

    /// The events of a `/bulk` payload.
    pub fn events(&self) -> Vec<Value> {
        match self.json() {
            Value::Array(events) => events,
            other => panic!("payload is not an array: {other}"),
        }
    }
}

#[derive(Default)]
struct State {
    requests: Vec<Recorded>,
    statuses: VecDeque<u16>,
    date: Option<String>,
}

/// The recording server. Answers 202 unless statuses were scripted with [`Self::respond_with`].
#[derive(Clone)]
pub struct RecordingServer {
    pub addr: SocketAddr,
    state: Arc<(Mutex<State>, Condvar)>,
}

impl RecordingServer {
    /// Starts the server on `runtime`.
    pub fn start(runtime: &tokio::runtime::Runtime) -> Self {
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        let state: Arc<(Mutex<State>, Condvar)> = Arc::default();
        let server_state = Arc::clone(&state);
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let state = Arc::clone(&server_state);
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let state = Arc::clone(&state);
                        async move { Ok::<_, hyper::Error>(handle(req, &state).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, state }
    }

    pub fn base_uri(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next responses' statuses, in order; after them the server answers 202 again.
    pub fn respond_with(&self, statuses: &[u16]) {
        self.state.0.lock().unwrap().statuses.extend(statuses);
    }

    /// The `Date` header of later responses (default: a date in November 2023).
    pub fn set_date(&self, date: &str) {
        self.state.0.lock().unwrap().date = Some(date.to_owned());
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.0.lock().unwrap().requests.clone()
    }

    /// Requests to `path`, waiting up to `timeout` until there are at least `n`.
    pub fn wait_for(&self, path: &str, n: usize, timeout: Duration) -> Vec<Recorded> {
        let deadline = Instant::now() + timeout;
        let (lock, cond) = &*self.state;
        let mut state = lock.lock().unwrap();
        loop {
            let matching: Vec<Recorded> = state
                .requests
                .iter()
                .filter(|r| r.path == path)
                .cloned()
                .collect();
            let now = Instant::now();
            if matching.len() >= n || now >= deadline {
                return matching;
            }
            state = cond.wait_timeout(state, deadline - now).unwrap().0;
        }
    }

    /// Requests to `path` so far.
    pub fn count(&self, path: &str) -> usize {
        self.requests().iter().filter(|r| r.path == path).count()
    }
}

async fn handle(
    req: Request<Incoming>,
    state: &Arc<(Mutex<State>, Condvar)>,
) -> Response<Full<Bytes>> {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let headers = req
        .headers()
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    let (lock, cond) = &**state;
    let (status, date) = {
        let mut state = lock.lock().unwrap();
        state.requests.push(Recorded {
            method,
            path,
            headers,
            body,
        });
        let date = state
            .date
            .clone()
            .unwrap_or_else(|| "Tue, 14 Nov 2023 22:13:20 GMT".into());
        (state.statuses.pop_front().unwrap_or(202), date)
    };
    cond.notify_all();
    Response::builder()
        .status(status)
        .header("Date", date)
        .body(Full::new(Bytes::new()))
        .unwrap()
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Replaces every `creationDate`, `startDate` and `endDate` with 0 so payloads compare exactly.
pub fn without_dates(mut v: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for (k, child) in map.iter_mut() {
                    if matches!(k.as_str(), "creationDate" | "startDate" | "endDate") {
                        *child = Value::from(0);
                    } else {
                        walk(child);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut v);
    v
}

/// The sender the SDK uses: ld-http's client.
pub fn http_sender() -> Arc<ld_events::HttpEventSender> {
    let client = ld_http::HttpClient::new(ld_http::HttpConfig::default()).expect("http client");
    Arc::new(ld_events::HttpEventSender::new(client))
}
