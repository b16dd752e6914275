//! The request value callers hand to [`HttpClient::request`](crate::HttpClient::request).

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};

/// One HTTP request: method, absolute URL, headers and a (possibly empty) body.
///
/// ```
/// use ld_http::{HeaderValue, Method, Request, header};
///
/// let req = Request::post("http://127.0.0.1:8080/bulk", r#"[{"kind":"identify"}]"#)
///     .header(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
/// assert_eq!(req.method, Method::POST);
/// assert_eq!(req.headers["content-type"], "application/json");
/// ```
#[derive(Debug, Clone)]
pub struct Request {
    /// The HTTP method.
    pub method: Method,
    /// An absolute `http://` or `https://` URL.
    pub url: String,
    /// Request headers; they win over the client's default headers.
    pub headers: HeaderMap,
    /// The body (empty for `GET`).
    pub body: Bytes,
    /// Overrides the client's read timeout for this request when set.
    pub read_timeout: Option<Duration>,
}

impl Request {
    /// A request with the given method and URL, no headers and an empty body.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Request {
            method,
            url: url.into(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            read_timeout: None,
        }
    }

    /// A `GET` request.
    pub fn get(url: impl Into<String>) -> Self {
        Request::new(Method::GET, url)
    }

    /// A `POST` request with a body.
    pub fn post(url: impl Into<String>, body: impl Into<Bytes>) -> Self {
        let mut req = Request::new(Method::POST, url);
        req.body = body.into();
        req
    }

    /// Sets (replaces) one header.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Overrides the read timeout for this request.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = Some(timeout);
        self
    }
}
