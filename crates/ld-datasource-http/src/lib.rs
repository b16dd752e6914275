//! # ld-datasource-http
//!
//! Streaming (server-sent events) and polling data sources speaking LaunchDarkly's server-side
//! protocol (FDv1), against LaunchDarkly itself or a Relay Proxy.
//!
//! **What it is for:** [`StreamingDataSource`] (`GET {stream}/all`: `put`, `patch`, `delete`
//! events) and [`PollingDataSource`] (`GET {polling}/sdk/latest-all` with ETags). Both implement
//! [`ld_store::DataSource`] and write through [`ld_store::DataSourceUpdates`], reporting status
//! (`Initializing` → `Valid`, `Interrupted` with the error kind and HTTP status).
//!
//! **What it is not for:** the HTTP transport itself (that is `ld-http`: TLS, proxies, timeouts,
//! gzip), storing data or computing change events (that is `ld-store`), or evaluating (`ld-eval`).
//!
//! **Neighbours:** `ld-store` (traits, data set parsing), `ld-eval` (data model via `ld-store`),
//! `ld-http` (transport). `ld-sdk` builds these sources from its configuration and owns the
//! tokio runtime they run on.
//!
//! **Key design decision:** robustness over cleverness. A small SSE parser of our own
//! ([`SseParser`], fuzzed) that accepts every line ending and any split of the byte stream;
//! every malformed event drops and restarts the stream while the store keeps the last good
//! data; and, following LaunchDarkly's newer retry rules, no error ever stops a source for good
//! ([`schedule_for_status`]): recoverable failures use exponential [`Backoff`] with jitter, and
//! 401/403-style failures retry on a slow extended schedule.
//!
//! ```no_run
//! use std::sync::Arc;
//! use ld_datasource_http::{SdkHeaders, StreamingDataSource};
//! use ld_store::{DataSource, DataSourceUpdateSink, InMemoryDataStore};
//!
//! # fn demo(runtime: tokio::runtime::Handle) -> Result<(), Box<dyn std::error::Error>> {
//! let sink = Arc::new(DataSourceUpdateSink::new(Arc::new(InMemoryDataStore::new())));
//! let source = StreamingDataSource::builder(SdkHeaders::new("sdk-key"))
//!     .runtime(runtime)
//!     .build()?;
//! source.start(sink.clone());
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod backoff;
mod build_error;
mod connection_attempt;
mod endpoint;
mod failure;
mod polling;
mod retry_rule;
mod sdk_headers;
mod source_task;
mod sse;
mod stream_message;
mod streaming;
mod utf8_text;

pub use backoff::Backoff;
pub use build_error::BuildError;
pub use connection_attempt::{ConnectionAttempt, ConnectionAttemptRecorder};
pub use polling::{
    DEFAULT_POLL_INTERVAL, DEFAULT_POLLING_BASE_URL, PollingDataSource, PollingDataSourceBuilder,
};
pub use retry_rule::{
    EXTENDED_INITIAL_DELAY, EXTENDED_MAX_DELAY, NORMAL_MAX_DELAY, RetrySchedule,
    schedule_for_status,
};
pub use sdk_headers::{DEFAULT_USER_AGENT, InvalidHeader, SdkHeaders};
pub use sse::{DEFAULT_MAX_EVENT_SIZE, SseError, SseEvent, SseParser};
pub use stream_message::MalformedEvent;
pub use streaming::{
    DEFAULT_INITIAL_RECONNECT_DELAY, DEFAULT_STREAM_BASE_URL, DEFAULT_STREAM_READ_TIMEOUT,
    StreamingDataSource, StreamingDataSourceBuilder, apply_stream_event,
};
