//! Client configuration: timeouts, TLS and proxy settings.

use std::path::PathBuf;
use std::time::Duration;

use http::HeaderMap;

use crate::proxy::ProxyConfig;

/// How the client verifies servers' TLS certificates.
#[derive(Debug, Clone, Default)]
pub struct TlsConfig {
    /// A PEM file with one or more extra CA certificates to trust, in addition to the built-in
    /// Mozilla roots (for a Relay Proxy behind a private CA, or tests).
    pub ca_file: Option<PathBuf>,
    /// Extra CA certificates (DER) to trust, for callers that hold them in memory.
    pub extra_roots_der: Vec<Vec<u8>>,
    /// Turns certificate verification **off**. Anyone on the network path can then read and
    /// change flag data and see the SDK key. Only for local testing; off by default.
    pub insecure_skip_verify: bool,
}

/// Configuration of an [`HttpClient`](crate::HttpClient).
///
/// ```
/// use std::time::Duration;
/// use ld_http::{HttpConfig, ProxyConfig};
///
/// let config = HttpConfig {
///     connect_timeout: Duration::from_secs(3),
///     proxy: ProxyConfig::None,
///     ..HttpConfig::default()
/// };
/// assert_eq!(config.read_timeout, Some(Duration::from_secs(300)));
/// ```
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Maximum time for TCP connect, proxy tunnel and TLS handshake together. Default 10 s.
    pub connect_timeout: Duration,
    /// Maximum time without receiving a byte, while waiting for response headers or for the next
    /// piece of body. `None` waits forever. Default 5 minutes (the streaming read timeout);
    /// a [`Request`](crate::Request) can override it.
    pub read_timeout: Option<Duration>,
    /// Certificate verification settings.
    pub tls: TlsConfig,
    /// Which proxy, if any, to go through. Default: the `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`
    /// environment variables, read once when the client is built.
    pub proxy: ProxyConfig,
    /// Headers added to every request unless the request sets the same header itself
    /// (for example `User-Agent`).
    pub default_headers: HeaderMap,
    /// Idle keep-alive connections kept per destination (0 disables connection reuse). Default 4.
    pub max_idle_per_host: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Some(Duration::from_secs(300)),
            tls: TlsConfig::default(),
            proxy: ProxyConfig::FromEnv,
            default_headers: HeaderMap::new(),
            max_idle_per_host: 4,
        }
    }
}
