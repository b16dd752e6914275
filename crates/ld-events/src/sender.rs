//! The transport seam: one HTTP POST of an already-encoded payload.
//!
//! Everything LaunchDarkly-specific about delivery (headers, payload IDs, gzip, the retry, which
//! statuses disable sending) lives in `delivery`; an [`EventSender`] only moves bytes. The SDK
//! plugs in the `ld-http` client; tests can plug in anything.

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;

/// A boxed, sendable future, as returned by [`EventSender::send`].
pub type SendFuture = Pin<Box<dyn Future<Output = Result<EventResponse, SendError>> + Send>>;

/// One POST to make.
#[derive(Debug, Clone)]
pub struct EventRequest {
    /// Absolute URL, such as `https://events.launchdarkly.com/bulk`.
    pub url: String,
    /// Request headers, in order.
    pub headers: Vec<(String, String)>,
    /// The (possibly gzipped) body.
    pub body: Bytes,
}

/// What the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventResponse {
    /// HTTP status code.
    pub status: u16,
    /// The `Date` response header, if present.
    pub date: Option<String>,
}

/// The request did not produce a response (connection refused, timeout, TLS failure, …).
#[derive(Debug, Clone, thiserror::Error)]
#[error("event delivery failed: {0}")]
pub struct SendError(pub String);

/// Posts event payloads; implemented over `ld-http` by the SDK, or by tests.
///
/// ```
/// use ld_events::{EventRequest, EventResponse, EventSender, SendFuture};
///
/// /// Accepts everything without sending it anywhere.
/// struct Accepting;
///
/// impl EventSender for Accepting {
///     fn send(&self, _request: EventRequest) -> SendFuture {
///         Box::pin(async { Ok(EventResponse { status: 202, date: None }) })
///     }
/// }
/// ```
pub trait EventSender: Send + Sync + 'static {
    /// Performs one POST. Must not retry: the caller decides about retries.
    fn send(&self, request: EventRequest) -> SendFuture;
}
