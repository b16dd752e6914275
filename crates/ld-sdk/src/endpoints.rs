//! Where the SDK connects: LaunchDarkly's streaming, polling and events services, or a Relay Proxy.

use thiserror::Error;

/// LaunchDarkly's streaming service.
pub const DEFAULT_STREAMING_URI: &str = "https://stream.launchdarkly.com";
/// LaunchDarkly's polling service.
pub const DEFAULT_POLLING_URI: &str = "https://sdk.launchdarkly.com";
/// LaunchDarkly's events service.
pub const DEFAULT_EVENTS_URI: &str = "https://events.launchdarkly.com";

/// A base URI that is not an absolute `http://` or `https://` URI with a host.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid {service} base URI {uri:?}: {reason}")]
pub struct InvalidUri {
    /// Which service the URI was for (`streaming`, `polling`, `events`, `relay proxy`).
    pub service: &'static str,
    /// The rejected URI.
    pub uri: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// The base URIs of the three LaunchDarkly services.
///
/// ```
/// use ld_sdk::ServiceEndpoints;
///
/// // Everything through a Relay Proxy:
/// let relay = ServiceEndpoints::relay_proxy("http://relay.internal:8030/");
/// assert_eq!(relay.streaming_uri(), "http://relay.internal:8030");
/// assert_eq!(relay.events_uri(), "http://relay.internal:8030");
///
/// // Or one service at a time:
/// let custom = ServiceEndpoints::default().events("https://events.example.com");
/// assert_eq!(custom.polling_uri(), ld_sdk::DEFAULT_POLLING_URI);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEndpoints {
    streaming: String,
    polling: String,
    events: String,
}

impl Default for ServiceEndpoints {
    fn default() -> Self {
        Self {
            streaming: DEFAULT_STREAMING_URI.into(),
            polling: DEFAULT_POLLING_URI.into(),
            events: DEFAULT_EVENTS_URI.into(),
        }
    }
}

impl ServiceEndpoints {
    /// All three services behind one Relay Proxy (or any proxy that serves all three paths).
    pub fn relay_proxy(uri: impl Into<String>) -> Self {
        let uri = trim(uri.into());
        Self {
            streaming: uri.clone(),
            polling: uri.clone(),
            events: uri,
        }
    }

    /// Sets the streaming service base URI.
    pub fn streaming(mut self, uri: impl Into<String>) -> Self {
        self.streaming = trim(uri.into());
        self
    }

    /// Sets the polling service base URI.
    pub fn polling(mut self, uri: impl Into<String>) -> Self {
        self.polling = trim(uri.into());
        self
    }

    /// Sets the events service base URI.
    pub fn events(mut self, uri: impl Into<String>) -> Self {
        self.events = trim(uri.into());
        self
    }

    /// The streaming service base URI, without a trailing slash.
    pub fn streaming_uri(&self) -> &str {
        &self.streaming
    }

    /// The polling service base URI, without a trailing slash.
    pub fn polling_uri(&self) -> &str {
        &self.polling
    }

    /// The events service base URI, without a trailing slash.
    pub fn events_uri(&self) -> &str {
        &self.events
    }

    /// True when the polling URI is LaunchDarkly's own (its minimum polling interval applies).
    pub fn is_default_polling(&self) -> bool {
        self.polling == DEFAULT_POLLING_URI
    }

    /// Checks that each URI is absolute `http(s)` with a host.
    pub fn validate(&self) -> Result<(), InvalidUri> {
        validate_uri("streaming", &self.streaming)?;
        validate_uri("polling", &self.polling)?;
        validate_uri("events", &self.events)
    }
}

fn trim(uri: String) -> String {
    uri.trim_end_matches('/').to_owned()
}

/// Checks that `uri` is an absolute `http://` or `https://` URI with a host and no whitespace.
pub(crate) fn validate_uri(service: &'static str, uri: &str) -> Result<(), InvalidUri> {
    let fail = |reason| {
        Err(InvalidUri {
            service,
            uri: uri.to_owned(),
            reason,
        })
    };
    let Some(rest) = uri
        .strip_prefix("https://")
        .or_else(|| uri.strip_prefix("http://"))
    else {
        return fail("must start with http:// or https://");
    };
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return fail("contains whitespace");
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.starts_with(':') {
        return fail("has no host");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_launchdarkly_services_and_valid() {
        let e = ServiceEndpoints::default();
        assert!(e.validate().is_ok());
        assert!(e.is_default_polling());
    }

    #[test]
    fn trailing_slashes_are_removed() {
        let e = ServiceEndpoints::default().streaming("http://localhost:1234//");
        assert_eq!(e.streaming_uri(), "http://localhost:1234");
    }

    #[test]
    fn uris_without_scheme_or_host_are_rejected() {
        for bad in [
            "localhost:8030",
            "ftp://x",
            "http://",
            "http://:80/x",
            "http://a b",
        ] {
            let err = ServiceEndpoints::relay_proxy(bad).validate().unwrap_err();
            assert_eq!(err.service, "streaming", "{bad}");
        }
    }

    #[test]
    fn a_custom_polling_uri_is_not_the_default() {
        assert!(
            !ServiceEndpoints::default()
                .polling("http://127.0.0.1:9")
                .is_default_polling()
        );
    }
}
