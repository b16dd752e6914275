//! The [`EventSender`] the SDK uses: `ld-http`'s client.

use ld_http::{HeaderName, HeaderValue, HttpClient, Request, header};

use crate::sender::{EventRequest, EventResponse, EventSender, SendError, SendFuture};

/// Posts event payloads with an [`ld_http::HttpClient`] (TLS, proxies, timeouts, connection
/// reuse all come from its configuration).
///
/// ```no_run
/// use std::sync::Arc;
/// use ld_events::{EventProcessor, EventsConfig, HttpEventSender};
/// use ld_http::{HttpClient, HttpConfig};
///
/// let runtime = tokio::runtime::Runtime::new().unwrap();
/// let client = HttpClient::new(HttpConfig::default()).unwrap();
/// let events = EventProcessor::new(
///     EventsConfig::new("sdk-key"),
///     Arc::new(HttpEventSender::new(client)),
///     runtime.handle(),
/// );
/// ```
#[derive(Debug, Clone)]
pub struct HttpEventSender {
    client: HttpClient,
}

impl HttpEventSender {
    /// Sends through `client`.
    pub fn new(client: HttpClient) -> Self {
        Self { client }
    }
}

/// Responses to event posts carry no useful body; reading a little of it lets the connection be
/// reused without letting a misbehaving server make us buffer much.
const MAX_RESPONSE_BODY: usize = 64 * 1024;

impl EventSender for HttpEventSender {
    fn send(&self, request: EventRequest) -> SendFuture {
        let client = self.client.clone();
        Box::pin(async move {
            let mut req = Request::post(request.url, request.body);
            for (name, value) in &request.headers {
                let name = HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| SendError(format!("invalid header name {name:?}")))?;
                // The value may be the SDK key: never echo it in the error.
                let value = HeaderValue::from_str(value)
                    .map_err(|_| SendError(format!("invalid value for header {name}")))?;
                req.headers.insert(name, value);
            }
            let response = client
                .request(req)
                .await
                .map_err(|e| SendError(e.to_string()))?;
            let status = response.status.as_u16();
            let date = response
                .headers
                .get(header::DATE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let _ = response.bytes_limited(MAX_RESPONSE_BODY).await;
            Ok(EventResponse { status, date })
        })
    }
}
