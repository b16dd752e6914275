//! # ld-http
//!
//! The small HTTP client transport shared by the network crates of this SDK
//! (`ld-datasource-http` for streaming and polling, `ld-events` for posting analytics events).
//!
//! **What it does:** HTTP/1.1 requests with hyper 1.x on the current tokio runtime; TLS through
//! rustls with the ring provider, certificate verification on by default against the Mozilla
//! roots (`webpki-roots`), an optional extra CA file, and an explicit insecure opt-out; proxies
//! from explicit configuration or `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` (HTTPS targets through a
//! `CONNECT` tunnel); connect and read timeouts; transparent gzip decoding; streaming bodies;
//! keep-alive connection reuse.
//!
//! **What it is not:** a general-purpose HTTP client. No HTTP/2, no redirects, no cookies, no
//! retries beyond resending once on a kept-alive connection the server had closed — retry
//! policy belongs to the callers, which know the LaunchDarkly rules.
//!
//! **Neighbours:** used by `ld-datasource-http` and `ld-events`; depends on no workspace crate.
//!
//! **Key design decision:** one small connector written against hyper's low-level
//! `client::conn::http1` API instead of a full client stack, so that proxy tunnelling, TLS
//! configuration and timeouts are explicit and testable, with no dependency on system OpenSSL.
//!
//! ```no_run
//! use ld_http::{HttpClient, HttpConfig, Request};
//!
//! # async fn demo() -> Result<(), ld_http::HttpError> {
//! let client = HttpClient::new(HttpConfig::default())?;
//! let mut response = client.request(Request::get("https://stream.launchdarkly.com/all")).await?;
//! while let Some(chunk) = response.body.next_chunk().await? {
//!     println!("{} bytes", chunk.len());
//! }
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod client;
mod config;
mod connect;
mod error;
mod gzip;
mod proxy;
mod request;
mod response;
mod tls;

pub use client::HttpClient;
pub use config::{HttpConfig, TlsConfig};
pub use error::HttpError;
pub use proxy::ProxyConfig;
pub use request::Request;
pub use response::{Response, ResponseBody};

pub use bytes::Bytes;
pub use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
