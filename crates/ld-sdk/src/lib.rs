//! # ld-sdk
//!
//! The client facade of a fast, LaunchDarkly-compatible server-side feature flag SDK.
#![forbid(unsafe_code)]

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
mod client;
mod config;
mod data_source_config;
mod data_source_factory;
mod evaluation_detail;
mod event_delivery;
#[cfg(feature = "file")]
mod file_source;
mod flag_value;
mod flags_state;
pub mod global;
mod hook;
mod hook_runner;
#[cfg(feature = "http")]
mod http_source;
#[cfg(feature = "http")]
mod http_transport;
mod initialization_error;
mod secure_mode;
mod test_data;
mod test_data_source;

pub use client::{Client, ClientError};
pub use config::{Config, ConfigBuilder, ConfigError, DEFAULT_START_WAIT};
#[cfg(feature = "file")]
pub use data_source_config::FileOptions;
pub use data_source_config::{
    DEFAULT_INITIAL_RECONNECT_DELAY, DEFAULT_POLL_INTERVAL, DataSourceConfig, DataSourceConfigError,
};
#[cfg(feature = "http")]
pub use data_source_config::{PollingOptions, StreamingOptions};
pub use data_source_factory::{DataSourceBuildError, DataSourceContext, DataSourceFactory};
pub use initialization_error::InitializationError;
pub use ld_store::{
    AllData, DataSource, DataSourceErrorInfo, DataSourceState, DataSourceStatus,
    DataSourceStatusProvider, DataSourceUpdates, ErrorKind as DataSourceErrorKind, FlagChangeEvent,
    FlagChangeNotifier, FlagValueChangeEvent, ItemDescriptor,
};

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
