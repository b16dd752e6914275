//! # ld-http
//!
//! The small HTTP client transport shared by the network crates of this SDK (`ld-datasource-http`
//! and `ld-events`): hyper 1.x over HTTP/1.1, TLS through rustls, custom CA, proxies.
//!
//! **Dependencies:** no other workspace crate.
#![forbid(unsafe_code)]
