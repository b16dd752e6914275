//! HTTP settings shared by the streaming, polling and events connections.

use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

/// How long to wait for a TCP (and TLS) connection by default.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long to wait for a response (or, on a stream, for the next byte) by default.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(300);

/// A problem with the HTTP settings, found when the configuration is built.
#[derive(Debug, Error)]
pub enum HttpOptionsError {
    /// A custom header name is not an HTTP token.
    #[error("custom header name {0:?} is not a valid HTTP header name")]
    InvalidHeaderName(String),
    /// A custom header value contains a control character (such as a newline).
    #[error("custom header {0:?} has a value with control characters")]
    InvalidHeaderValue(String),
    /// The proxy URI is not an absolute `http://` or `https://` URI with a host.
    #[error(transparent)]
    InvalidProxy(#[from] crate::InvalidUri),
    /// A CA certificate file could not be read.
    #[error("cannot read CA certificate file {path}: {source}")]
    CaFileUnreadable {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// A CA certificate file (or PEM data) holds no PEM certificate.
    #[error("CA certificates from {0} contain no PEM certificate")]
    CaFileWithoutCertificate(String),
    /// A timeout is zero.
    #[error("the {0} timeout must be greater than zero")]
    ZeroTimeout(&'static str),
}

/// HTTP settings: timeouts, proxy, TLS trust and custom headers.
///
/// ```
/// use std::time::Duration;
/// use ld_sdk::HttpOptions;
///
/// let http = HttpOptions::default()
///     .connect_timeout(Duration::from_secs(5))
///     .proxy("http://proxy.internal:3128")
///     .header("X-Team", "payments");
/// assert_eq!(http.connect_timeout_value(), Duration::from_secs(5));
/// ```
#[derive(Debug, Clone)]
pub struct HttpOptions {
    connect_timeout: Duration,
    read_timeout: Duration,
    proxy: Option<String>,
    ca_files: Vec<PathBuf>,
    ca_pem: Vec<u8>,
    verify_tls: bool,
    headers: Vec<(String, String)>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            proxy: None,
            ca_files: Vec::new(),
            ca_pem: Vec::new(),
            verify_tls: true,
            headers: Vec::new(),
        }
    }
}

impl HttpOptions {
    /// How long to wait for a connection to be established.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long to wait for response data before giving up on a request or restarting a stream.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Sends every request through this HTTP proxy (`http://host:port`, credentials allowed as
    /// `http://user:pass@host:port`).
    pub fn proxy(mut self, uri: impl Into<String>) -> Self {
        self.proxy = Some(uri.into());
        self
    }

    /// Also trusts the CA certificates in this PEM file (in addition to the public roots).
    pub fn ca_certificate_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_files.push(path.into());
        self
    }

    /// Also trusts these PEM-encoded CA certificates.
    pub fn ca_certificate_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        self.ca_pem.extend_from_slice(pem.as_ref());
        self.ca_pem.push(b'\n');
        self
    }

    /// Turns TLS certificate verification off. **Only for tests**: anyone on the network path
    /// can then impersonate LaunchDarkly.
    pub fn danger_accept_invalid_certificates(mut self) -> Self {
        self.verify_tls = false;
        self
    }

    /// Adds a header to every request (for example for a corporate gateway).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The connect timeout.
    pub fn connect_timeout_value(&self) -> Duration {
        self.connect_timeout
    }

    /// The read timeout.
    pub fn read_timeout_value(&self) -> Duration {
        self.read_timeout
    }

    /// The proxy URI, if any.
    pub fn proxy_uri(&self) -> Option<&str> {
        self.proxy.as_deref()
    }

    /// Whether TLS certificates are verified (true unless turned off for tests).
    pub fn verifies_tls(&self) -> bool {
        self.verify_tls
    }

    /// The custom headers, in the order they were added.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The extra CA certificates as PEM: the PEM data given directly followed by the files' contents
    /// (read when the configuration is built).
    pub fn ca_certificates_pem(&self) -> &[u8] {
        &self.ca_pem
    }

    /// Checks every setting and reads the CA files, so a bad file fails the build, not the first
    /// connection.
    pub(crate) fn validated(mut self) -> Result<Self, HttpOptionsError> {
        if self.connect_timeout.is_zero() {
            return Err(HttpOptionsError::ZeroTimeout("connect"));
        }
        if self.read_timeout.is_zero() {
            return Err(HttpOptionsError::ZeroTimeout("read"));
        }
        if let Some(proxy) = &self.proxy {
            crate::endpoints::validate_uri("proxy", proxy)?;
        }
        for (name, value) in &self.headers {
            if name.is_empty() || !name.bytes().all(is_token_byte) {
                return Err(HttpOptionsError::InvalidHeaderName(name.clone()));
            }
            if value.chars().any(|c| c.is_control() && c != '\t') {
                return Err(HttpOptionsError::InvalidHeaderValue(name.clone()));
            }
        }
        if !self.ca_pem.is_empty() && !holds_certificate(&self.ca_pem) {
            return Err(HttpOptionsError::CaFileWithoutCertificate(
                "ca_certificate_pem".into(),
            ));
        }
        for path in std::mem::take(&mut self.ca_files) {
            let pem =
                std::fs::read(&path).map_err(|source| HttpOptionsError::CaFileUnreadable {
                    path: path.clone(),
                    source,
                })?;
            if !holds_certificate(&pem) {
                return Err(HttpOptionsError::CaFileWithoutCertificate(
                    path.display().to_string(),
                ));
            }
            self = self.ca_certificate_pem(pem);
        }
        Ok(self)
    }
}

fn holds_certificate(pem: &[u8]) -> bool {
    pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----")
}

/// RFC 9110 `tchar`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_with_spaces_or_colons_are_rejected() {
        for bad in ["X Team", "X:Team", ""] {
            let err = HttpOptions::default()
                .header(bad, "v")
                .validated()
                .unwrap_err();
            assert!(matches!(err, HttpOptionsError::InvalidHeaderName(_)));
        }
    }

    #[test]
    fn header_values_with_newlines_are_rejected() {
        let err = HttpOptions::default()
            .header("X-A", "a\r\nInjected: yes")
            .validated()
            .unwrap_err();
        assert!(matches!(err, HttpOptionsError::InvalidHeaderValue(_)));
    }

    #[test]
    fn a_missing_ca_file_is_reported_with_its_path() {
        let err = HttpOptions::default()
            .ca_certificate_file("/nonexistent/ca.pem")
            .validated()
            .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    }

    #[test]
    fn a_ca_file_is_read_when_validated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(
            &path,
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let http = HttpOptions::default()
            .ca_certificate_file(&path)
            .validated()
            .unwrap();
        assert!(holds_certificate(http.ca_certificates_pem()));
    }

    #[test]
    fn a_file_without_a_certificate_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate").unwrap();
        let err = HttpOptions::default()
            .ca_certificate_file(&path)
            .validated()
            .unwrap_err();
        assert!(matches!(err, HttpOptionsError::CaFileWithoutCertificate(_)));
    }

    #[test]
    fn a_zero_connect_timeout_is_rejected() {
        let err = HttpOptions::default()
            .connect_timeout(Duration::ZERO)
            .validated()
            .unwrap_err();
        assert!(matches!(err, HttpOptionsError::ZeroTimeout("connect")));
    }
}
