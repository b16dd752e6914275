//! The harness's big segment store fixture: `POST /getMetadata` answers `{"lastUpToDate": ms}`,
//! `POST /getMembership` answers `{"values": {ref: bool}}` for the posted `contextHash`; either
//! can be made to fail (HTTP 500), and every membership query is recorded.

use super::read_request;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Write;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;

/// What the fixture answers: `Ok(ms)` / `Err(())` for metadata, memberships by hash.
#[derive(Default)]
struct State {
    last_up_to_date: Option<Result<u64, ()>>,
    memberships: HashMap<String, Value>,
    membership_fails: bool,
    membership_queries: Vec<String>,
    metadata_queries: usize,
}

/// The running fixture.
pub struct MockBigSegments {
    /// `http://127.0.0.1:PORT`.
    pub base_uri: String,
    state: Arc<Mutex<State>>,
}

impl MockBigSegments {
    /// Starts a fixture whose store was updated at `last_up_to_date` (Unix ms).
    pub fn start(last_up_to_date: u64) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base_uri = format!("http://{}", listener.local_addr().expect("address"));
        let state = Arc::new(Mutex::new(State {
            last_up_to_date: Some(Ok(last_up_to_date)),
            ..State::default()
        }));
        let shared = Arc::clone(&state);
        thread::spawn(move || serve(listener, shared));
        Self { base_uri, state }
    }

    /// The membership answered for `context_hash`: segment ref → included.
    pub fn set_membership(&self, context_hash: &str, values: Value) {
        self.lock()
            .memberships
            .insert(context_hash.to_owned(), values);
    }

    /// The store's last update time (`Ok`), or a metadata failure (`Err`).
    pub fn set_last_up_to_date(&self, answer: Result<u64, ()>) {
        self.lock().last_up_to_date = Some(answer);
    }

    /// Makes membership queries fail (or succeed again).
    pub fn fail_memberships(&self, fail: bool) {
        self.lock().membership_fails = fail;
    }

    /// The context hashes queried so far, in order.
    pub fn membership_queries(&self) -> Vec<String> {
        self.lock().membership_queries.clone()
    }

    /// How many metadata queries were made.
    pub fn metadata_queries(&self) -> usize {
        self.lock().metadata_queries
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn serve(listener: TcpListener, state: Arc<Mutex<State>>) {
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { return };
        let Some(request) = read_request(&mut stream) else {
            continue;
        };
        let answer = {
            let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
            match (request.method.as_str(), request.path.as_str()) {
                ("POST", "/getMetadata") => {
                    s.metadata_queries += 1;
                    match s.last_up_to_date {
                        Some(Ok(ms)) => Ok(json!({"lastUpToDate": ms})),
                        _ => Err(500),
                    }
                }
                ("POST", "/getMembership") => {
                    let params: Value = serde_json::from_slice(&request.body).unwrap_or_default();
                    let hash = params["contextHash"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    s.membership_queries.push(hash.clone());
                    if s.membership_fails {
                        Err(500)
                    } else {
                        let values = s.memberships.get(&hash).cloned().unwrap_or(Value::Null);
                        Ok(json!({ "values": values }))
                    }
                }
                _ => Err(404),
            }
        };
        let (status, body) = match answer {
            Ok(body) => ("200 OK", body.to_string()),
            Err(500) => ("500 Internal Server Error", "deliberate error".to_owned()),
            Err(_) => ("404 Not Found", String::new()),
        };
        let _ = stream.write_all(
            format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        );
    }
}
