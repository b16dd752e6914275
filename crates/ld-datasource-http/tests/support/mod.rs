//! A scriptable LaunchDarkly stand-in on 127.0.0.1 (built on ld-http's hyper test server), a
//! real store behind a recording sink, and polling helpers.
#![allow(dead_code)]

#[path = "../../../ld-http/tests/support/mod.rs"]
mod server;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use ld_store::{
    AllData, DataSourceErrorInfo, DataSourceState, DataSourceStatus, DataSourceUpdateSink,
    DataSourceUpdates, DataStore, Flag, InMemoryDataStore, ItemDescriptor, Segment,
};
#[allow(unused_imports)]
pub use server::{Seen, TestBody, TestCa, TestProxy, TestServer, handler, proxy, test_ca};
use tokio::sync::mpsc;

/// Builds a complete response from the request.
pub type Responder = Box<dyn Fn(&Seen) -> http::Response<TestBody> + Send + Sync>;

/// What the server does with the next request.
pub enum Reply {
    /// Answer with this status and an empty body.
    Status(u16),
    /// Open an event stream whose bytes the test sends through a [`StreamConn`].
    Stream,
    /// Answer with a complete response.
    Full(Responder),
}

/// One open event stream, as seen by the server.
pub struct StreamConn {
    pub request: Seen,
    tx: mpsc::UnboundedSender<Result<Bytes, std::io::Error>>,
}

impl StreamConn {
    /// Sends raw bytes on the stream.
    pub fn send(&self, bytes: impl Into<Bytes>) {
        let _ = self.tx.send(Ok(bytes.into()));
    }
    /// Breaks the connection abruptly (no clean end of the chunked body).
    pub fn abort(self) {
        let _ = self.tx.send(Err(std::io::Error::other("injected fault")));
    }
    /// Ends the response cleanly.
    pub fn close(self) {
        drop(self.tx);
    }
    /// Waits until the client has dropped this connection.
    pub async fn wait_client_gone(&self) {
        tokio::time::timeout(Duration::from_secs(10), self.tx.closed())
            .await
            .expect("client should drop the connection");
    }
}

pub struct LdServer {
    pub server: TestServer,
    plan: Arc<Mutex<VecDeque<Reply>>>,
    conns: tokio::sync::Mutex<mpsc::UnboundedReceiver<StreamConn>>,
    pub requests: Arc<AtomicUsize>,
}

impl LdServer {
    pub async fn start() -> Self {
        Self::start_with(server::serve).await
    }

    pub async fn start_tls(ca: &TestCa) -> Self {
        let config = ca.server_config.clone();
        Self::start_with(move |h| server::serve_tls(h, config)).await
    }

    async fn start_with<F, Fut>(serve: F) -> Self
    where
        F: FnOnce(server::Handler) -> Fut,
        Fut: std::future::Future<Output = TestServer>,
    {
        let plan: Arc<Mutex<VecDeque<Reply>>> = Arc::default();
        let (conn_tx, conn_rx) = mpsc::unbounded_channel();
        let requests = Arc::new(AtomicUsize::new(0));
        let (plan2, requests2) = (plan.clone(), requests.clone());
        let h = handler(move |seen: Seen| {
            requests2.fetch_add(1, Ordering::SeqCst);
            let reply = plan2.lock().unwrap().pop_front().unwrap_or(Reply::Stream);
            let response = match reply {
                Reply::Status(code) => http::Response::builder()
                    .status(code)
                    .body(TestBody::full(""))
                    .unwrap(),
                Reply::Full(f) => f(&seen),
                Reply::Stream => {
                    let (tx, body) = TestBody::channel();
                    let _ = conn_tx.send(StreamConn { request: seen, tx });
                    http::Response::builder()
                        .header("content-type", "text/event-stream")
                        .body(body)
                        .unwrap()
                }
            };
            async move { response }
        });
        let server = serve(h).await;
        LdServer {
            server,
            plan,
            conns: tokio::sync::Mutex::new(conn_rx),
            requests,
        }
    }

    /// Queues the reply to a future request (replies are used in order; then streams).
    pub fn then(&self, reply: Reply) -> &Self {
        self.plan.lock().unwrap().push_back(reply);
        self
    }

    /// The next event stream the client opens.
    pub async fn next_stream(&self) -> StreamConn {
        tokio::time::timeout(Duration::from_secs(10), self.conns.lock().await.recv())
            .await
            .expect("client should connect")
            .expect("server alive")
    }

    pub fn request_count(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    pub fn base_url(&self) -> String {
        self.server.url("")
    }
}

/// A real in-memory store and update sink, plus a count of `init` calls.
pub struct Harness {
    pub store: Arc<InMemoryDataStore>,
    pub sink: Arc<DataSourceUpdateSink>,
    pub inits: AtomicUsize,
}

impl Harness {
    pub fn new() -> Arc<Self> {
        let store = Arc::new(InMemoryDataStore::new());
        let sink = Arc::new(DataSourceUpdateSink::new(store.clone()));
        Arc::new(Harness {
            store,
            sink,
            inits: AtomicUsize::new(0),
        })
    }

    pub fn status(&self) -> DataSourceStatus {
        self.sink.status_provider().status()
    }

    pub fn flag_version(&self, key: &str) -> Option<u64> {
        self.store.flag(key).map(|f| f.version)
    }

    pub fn segment_version(&self, key: &str) -> Option<u64> {
        self.store.segment(key).map(|s| s.version)
    }

    pub fn flag_count(&self) -> usize {
        self.store.all_flags().len()
    }

    pub fn init_count(&self) -> usize {
        self.inits.load(Ordering::SeqCst)
    }

    /// Waits until the status satisfies `f`.
    pub async fn wait_status(&self, what: &str, f: impl Fn(&DataSourceStatus) -> bool) {
        eventually(what, || f(&self.status())).await;
    }
}

impl DataSourceUpdates for Harness {
    fn init(&self, data: AllData) -> bool {
        self.inits.fetch_add(1, Ordering::SeqCst);
        self.sink.init(data)
    }
    fn upsert_flag(&self, key: &str, item: ItemDescriptor<Flag>) -> bool {
        self.sink.upsert_flag(key, item)
    }
    fn upsert_segment(&self, key: &str, item: ItemDescriptor<Segment>) -> bool {
        self.sink.upsert_segment(key, item)
    }
    fn update_status(&self, state: DataSourceState, error: Option<DataSourceErrorInfo>) {
        self.sink.update_status(state, error)
    }
}

/// Polls `cond` every few milliseconds for up to 10 seconds.
pub async fn eventually(what: &str, cond: impl Fn() -> bool) {
    eventually_within(Duration::from_secs(10), what, cond).await;
}

/// Polls `cond` every few milliseconds for up to `limit` (for slow debug-build work such as
/// parsing 10 MB, on a loaded machine).
pub async fn eventually_within(limit: Duration, what: &str, cond: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    let mut checks = 0u32;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        checks += 1;
        if checks < 100 {
            // Most conditions become true within a few scheduler turns.
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

/// A realistic flag: targets, rules with clauses, a rollout fallthrough.
pub fn flag_json(key: &str, version: u64) -> String {
    format!(
        r#"{{"key":"{key}","version":{version},"on":true,"salt":"{key}-salt","trackEvents":false,"trackEventsFallthrough":false,"debugEventsUntilDate":null,"clientSide":false,"deleted":false,"prerequisites":[],"targets":[{{"values":["user-1","user-2"],"variation":0}}],"contextTargets":[],"rules":[{{"id":"rule-{key}","clauses":[{{"attribute":"email","op":"endsWith","values":["@example.com"],"negate":false,"contextKind":"user"}}],"variation":1,"trackEvents":false}}],"fallthrough":{{"rollout":{{"variations":[{{"variation":0,"weight":60000}},{{"variation":1,"weight":40000}}]}}}},"offVariation":1,"variations":[true,false]}}"#
    )
}

pub fn segment_json(key: &str, version: u64) -> String {
    format!(
        r#"{{"key":"{key}","version":{version},"included":["a"],"excluded":[],"includedContexts":[],"excludedContexts":[],"rules":[],"salt":"s","deleted":false}}"#
    )
}

/// `{"flags":{...},"segments":{...}}` with the given flags (key, version) and segments.
pub fn all_data_json(flags: &[(&str, u64)], segments: &[(&str, u64)]) -> String {
    let flags: Vec<String> = flags
        .iter()
        .map(|(k, v)| format!("\"{k}\":{}", flag_json(k, *v)))
        .collect();
    let segments: Vec<String> = segments
        .iter()
        .map(|(k, v)| format!("\"{k}\":{}", segment_json(k, *v)))
        .collect();
    format!(
        r#"{{"flags":{{{}}},"segments":{{{}}}}}"#,
        flags.join(","),
        segments.join(",")
    )
}

pub fn put_event(flags: &[(&str, u64)], segments: &[(&str, u64)]) -> String {
    format!(
        "event: put\ndata: {{\"path\":\"/\",\"data\":{}}}\n\n",
        all_data_json(flags, segments)
    )
}

pub fn patch_flag_event(key: &str, version: u64) -> String {
    format!(
        "event: patch\ndata: {{\"path\":\"/flags/{key}\",\"data\":{}}}\n\n",
        flag_json(key, version)
    )
}

pub fn patch_segment_event(key: &str, version: u64) -> String {
    format!(
        "event: patch\ndata: {{\"path\":\"/segments/{key}\",\"data\":{}}}\n\n",
        segment_json(key, version)
    )
}

pub fn delete_event(kind: &str, key: &str, version: u64) -> String {
    format!("event: delete\ndata: {{\"path\":\"/{kind}/{key}\",\"version\":{version}}}\n\n")
}

impl LdServer {
    pub fn https_base_url(&self, host: &str) -> String {
        self.server.https_url(host, "")
    }
}
