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
mod evaluation_detail;
mod flag_value;
mod flags_state;
mod hook;
mod hook_runner;
mod secure_mode;
mod test_data;
// Waiting for ld-store's public types to be merged:
// mod config; mod data_source_config; pub mod global; mod client; mod data_source_factory;
// mod initialization_error; mod test_data_source;

pub use evaluation_detail::EvaluationDetail;
pub use flag_value::FlagValue;
pub use flags_state::{FlagState, FlagsState, FlagsStateBuilder, FlagsStateOptions};
pub use hook::{EvaluationSeriesContext, Hook, HookError, HookMetadata, TrackSeriesContext};
pub use ld_eval::{
    AttrRef, BigSegmentsStatus, Context, ContextBuilder, ContextError, ErrorKind,
    MultiContextBuilder, Reason, ReasonKind,
};
pub use secure_mode::secure_mode_hash;
pub use test_data::TestData;
