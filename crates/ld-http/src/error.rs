//! The typed error every transport operation returns.

use std::time::Duration;

/// Everything that can go wrong while sending a request or reading a response.
///
/// The variants are coarse on purpose: callers (data sources, the event sender) only need to
/// decide "retry or not" and log a clear message. None of the messages contain header values,
/// so the SDK key never ends up in a log line through this type.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The configuration could not be turned into a client (bad CA file, bad proxy URL...).
    #[error("invalid HTTP configuration: {0}")]
    Config(String),
    /// The request URL is not an absolute `http://` or `https://` URL.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The TCP connection (to the server or the proxy) could not be established.
    #[error("could not connect to {target}: {source}")]
    Connect {
        /// `host:port` that was dialled.
        target: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Establishing the connection (TCP, proxy tunnel and TLS handshake) took too long.
    #[error("connecting to {target} timed out after {timeout:?}")]
    ConnectTimeout {
        /// `host:port` that was dialled.
        target: String,
        /// The configured connect timeout.
        timeout: Duration,
    },
    /// The proxy refused or botched the `CONNECT` tunnel.
    #[error("proxy error: {0}")]
    Proxy(String),
    /// The TLS handshake failed (for example the certificate is not trusted).
    #[error("TLS error with {host}: {source}")]
    Tls {
        /// The server name that was verified.
        host: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// No byte arrived within the read timeout (while waiting for headers or body data).
    #[error("no data received for {0:?}")]
    ReadTimeout(Duration),
    /// The HTTP exchange failed (connection reset, malformed response, ...).
    #[error("HTTP protocol error: {0}")]
    Protocol(#[from] hyper::Error),
    /// The response body is `Content-Encoding: gzip` but is not valid gzip.
    #[error("could not decode gzip response body: {0}")]
    Decode(std::io::Error),
    /// The response body is larger than the limit the caller asked for.
    #[error("response body larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit, in (decoded) bytes.
        limit: usize,
    },
}

impl HttpError {
    /// `true` for errors that say nothing about the server's answer (network trouble, timeouts):
    /// the kind of failure a data source reports as a network error and simply retries.
    pub fn is_network(&self) -> bool {
        !matches!(
            self,
            HttpError::Config(_) | HttpError::InvalidUrl { .. } | HttpError::BodyTooLarge { .. }
        )
    }

    /// `true` when the error is a connect or read timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            HttpError::ConnectTimeout { .. } | HttpError::ReadTimeout(_)
        )
    }
}
