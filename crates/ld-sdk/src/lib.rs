//! # ld-sdk
//!
//! The client facade of a fast, LaunchDarkly-compatible server-side feature flag SDK.
//!
//! **Dependencies:** every other crate of the workspace; the optional ones (HTTP, files, Redis)
//! behind cargo features.
#![forbid(unsafe_code)]
