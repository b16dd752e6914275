//! Delivering one payload the way LaunchDarkly expects: the headers, a payload ID that stays the
//! same on the retry, optional gzip, one retry after a delay on network errors and recoverable
//! statuses, and the verdict on statuses that mean "stop sending".

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::http_date::parse_http_date;
use crate::sender::{EventRequest, EventSender};

/// Which endpoint a payload goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PayloadKind {
    /// `POST {events}/bulk`, with schema and payload-ID headers.
    Analytics,
    /// `POST {events}/diagnostic`.
    Diagnostic,
}

/// How a delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Accepted; carries the server's clock when it sent a `Date` header.
    Delivered { server_time: Option<u64> },
    /// Given up after the retry; the payload is lost.
    Failed,
    /// The server rejected the SDK key or the request for good: stop sending.
    Disable,
}

/// Whether sending may go on after `status` (LaunchDarkly's rule: every 4xx except 400, 408, 413
/// and 429 is permanent; everything else is worth a retry).
pub(crate) fn is_recoverable(status: u16) -> bool {
    if (400..500).contains(&status) {
        matches!(status, 400 | 408 | 413 | 429)
    } else {
        true
    }
}

/// Static parts of every request.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    pub(crate) sender: Arc<dyn EventSender>,
    pub(crate) base_uri: String,
    pub(crate) sdk_key: String,
    pub(crate) user_agent: String,
    pub(crate) extra_headers: Vec<(String, String)>,
    pub(crate) gzip: bool,
    pub(crate) retry_delay: Duration,
}

impl std::fmt::Debug for dyn EventSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventSender")
    }
}

impl Delivery {
    fn request(&self, kind: PayloadKind, body: Bytes, payload_id: Option<&str>) -> EventRequest {
        let base = self.base_uri.trim_end_matches('/');
        let url = match kind {
            PayloadKind::Analytics => format!("{base}/bulk"),
            PayloadKind::Diagnostic => format!("{base}/diagnostic"),
        };
        let mut headers = vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("Authorization".to_owned(), self.sdk_key.clone()),
            ("User-Agent".to_owned(), self.user_agent.clone()),
        ];
        if let Some(id) = payload_id {
            headers.push(("X-LaunchDarkly-Event-Schema".to_owned(), "4".to_owned()));
            headers.push(("X-LaunchDarkly-Payload-ID".to_owned(), id.to_owned()));
        }
        if self.gzip {
            headers.push(("Content-Encoding".to_owned(), "gzip".to_owned()));
        }
        headers.extend(self.extra_headers.iter().cloned());
        EventRequest { url, headers, body }
    }

    /// Sends `json` (an encoded payload), retrying once.
    pub(crate) async fn deliver(&self, kind: PayloadKind, json: Vec<u8>) -> Outcome {
        let body = if self.gzip {
            match gzip(&json) {
                Ok(b) => Bytes::from(b),
                Err(e) => {
                    tracing::warn!(error = %e, "could not compress an event payload; dropping it");
                    return Outcome::Failed;
                }
            }
        } else {
            Bytes::from(json)
        };
        // One ID per payload, reused by the retry, so the service can drop a duplicate delivery.
        let payload_id = (kind == PayloadKind::Analytics).then(|| uuid::Uuid::new_v4().to_string());
        let request = self.request(kind, body, payload_id.as_deref());
        for attempt in 0..2 {
            if attempt > 0 {
                tokio::time::sleep(self.retry_delay).await;
            }
            let will = if attempt == 0 {
                "will retry"
            } else {
                "payload dropped"
            };
            match self.sender.send(request.clone()).await {
                Ok(response) if (200..300).contains(&response.status) => {
                    return Outcome::Delivered {
                        server_time: response.date.as_deref().and_then(parse_http_date),
                    };
                }
                Ok(response) if !is_recoverable(response.status) => {
                    tracing::error!(
                        status = response.status,
                        "events service rejected the payload; analytics events are disabled \
                         (check the SDK key)"
                    );
                    return Outcome::Disable;
                }
                Ok(response) => {
                    tracing::warn!(status = response.status, "event delivery failed; {will}");
                }
                Err(e) => {
                    tracing::warn!(error = %e, "event delivery failed; {will}");
                }
            }
        }
        Outcome::Failed
    }
}

fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(data.len() / 4 + 64), Compression::fast());
    encoder.write_all(data)?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recoverable_statuses_follow_launchdarkly_rules() {
        for s in [400, 408, 413, 429, 500, 503, 302] {
            assert!(is_recoverable(s), "{s}");
        }
        for s in [401, 403, 404, 405, 410, 499] {
            assert!(!is_recoverable(s), "{s}");
        }
    }
}
