//! # ld-sdk
//!
//! The client facade of a fast, LaunchDarkly-compatible server-side feature flag SDK.
#![forbid(unsafe_code)]
// Until the client that uses them is wired in (waiting for ld-eval/ld-store).
#![allow(dead_code)]

mod application_info;
mod endpoints;
mod events_config;
mod http_options;
mod series_data;

pub use application_info::{ApplicationInfo, MAX_TAG_VALUE_LEN, TagError};
pub use endpoints::{
    DEFAULT_EVENTS_URI, DEFAULT_POLLING_URI, DEFAULT_STREAMING_URI, InvalidUri, ServiceEndpoints,
};
pub use events_config::*;
pub use http_options::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT, HttpOptions, HttpOptionsError,
};
pub use series_data::SeriesData;
mod background_runtime;
mod test_flag;
pub use test_flag::{FlagBuilder, RuleBuilder, Variation};
// Waiting for the ld-eval and ld-store public types to be merged:
// mod config; mod data_source_config; mod evaluation_detail; mod flag_value; mod flags_state;
// pub mod global; mod hook; mod hook_runner; mod secure_mode; mod test_data;
