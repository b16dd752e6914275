//! # ld-datasource-http
//!
//! Streaming (server-sent events) and polling data sources speaking the LaunchDarkly protocol.
//!
//! **Dependencies:** `ld-store` (the traits it implements), `ld-eval` (the data model) and
//! `ld-http` (the transport).
#![forbid(unsafe_code)]
