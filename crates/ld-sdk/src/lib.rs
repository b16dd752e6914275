//! # ld-sdk
//!
//! The client facade of a fast, LaunchDarkly-compatible server-side feature flag SDK: the API an
//! application calls — [`Config`], [`Client`], contexts, variations, events, [`TestData`] — with
//! every part of the LaunchDarkly Python SDK reference available in idiomatic Rust.
//!
//! ```
//! use std::time::Duration;
//! use ld_sdk::{Client, Config, ContextBuilder, TestData};
//!
//! let td = TestData::new(); // in production: the default streaming source and your SDK key
//! td.update(td.flag("your.feature.key").variation_for_all(true));
//! let client = Client::new(Config::builder("YOUR_SDK_KEY").data_source(&td).send_events(false).build()?)?;
//! client.wait_for_initialization(Duration::from_secs(5))?;
//!
//! let user = ContextBuilder::new("aa0ceb").name("Ernestina").build()?;
//! if client.bool_variation("your.feature.key", &user, false) {
//!     // the new behaviour
//! }
//! client.track("Signed up", &user);
//! client.close();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **What it is not for:** evaluating flags without a client (use `ld-eval`), writing a data
//! source or store (implement `ld-store`'s traits; [`DataSourceFactory`] plugs one in), or
//! client-side/mobile use.
//!
//! **Neighbours:** it composes `ld-eval` (evaluation, contexts, reasons), `ld-store` (the store,
//! data source seam, status, flag change notification), `ld-events` (analytics events),
//! `ld-datasource-file` (feature `file`), `ld-datasource-http` and `ld-http` (feature `http`:
//! streaming, polling and event delivery). It re-exports what an application needs from them.
//!
//! **The decision that shaped it:** the evaluation path is a lock-free snapshot read followed by
//! a borrowed evaluation; everything that can block or allocate — I/O, serialization, delivery,
//! hooks' extra work — happens elsewhere or only when asked for. Background work runs on a tokio
//! runtime the client owns on its own thread, so the client behaves the same with or without an
//! application runtime. See `docs/quickstart.md`, `docs/configuration.md` and `docs/testing.md`.
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
mod big_segments_config;
pub use big_segments_config::BigSegmentsConfig;
mod test_flag;
pub use test_flag::{FlagBuilder, RuleBuilder, Variation};
mod client;
mod config;
mod data_source_config;
mod data_source_factory;
mod data_store_config;
mod evaluation_detail;
mod event_delivery;
#[cfg(feature = "file")]
mod file_source;
mod flag_value;
mod flags_state;
pub mod global;
mod guarded_store;
mod hook;
mod hook_runner;
mod hot_keys;
#[cfg(feature = "http")]
mod http_source;
#[cfg(feature = "http")]
mod http_transport;
mod initialization_error;
mod migration;
mod migration_tracker;
mod migrator;
mod secure_mode;
mod snapshot_view;
mod test_data;
mod test_data_source;
mod variation_output;

pub use client::{Client, ClientError};
pub use config::{Config, ConfigBuilder, ConfigError, DEFAULT_START_WAIT};
#[cfg(feature = "file")]
pub use data_source_config::FileOptions;
pub use data_source_config::{
    DEFAULT_EXTENDED_RETRY_INITIAL_DELAY, DEFAULT_INITIAL_RECONNECT_DELAY, DEFAULT_POLL_INTERVAL,
    DataSourceConfig, DataSourceConfigError,
};
#[cfg(feature = "http")]
pub use data_source_config::{PollingOptions, StreamingOptions};
pub use data_source_factory::{DataSourceBuildError, DataSourceContext, DataSourceFactory};
pub use initialization_error::InitializationError;
pub use ld_store::{
    AllData, DataKind, DataSource, DataSourceErrorInfo, DataSourceState, DataSourceStatus,
    DataSourceStatusProvider, DataSourceUpdates, DataStore, ErrorKind as DataSourceErrorKind,
    FlagChangeEvent, FlagChangeNotifier, FlagValueChangeEvent, ItemDescriptor, PersistentDataStore,
    PersistentDataStoreWrapper, SerializedAllData, SerializedItem, StoreError,
};
pub use ld_store::{
    BigSegmentMembership, BigSegmentStore, BigSegmentStoreError, BigSegmentStoreStatus,
    BigSegmentStoreWrapper, BigSegmentsOptions, context_hash as big_segment_context_hash,
};
pub use migration::{
    ExecutionOrder, InvalidExecutionOrder, InvalidStage, Operation, Origin, Stage,
};
pub use migration_tracker::{MigrationOpTracker, MigrationOpTrackerError};
pub use migrator::{
    MigrationOriginResult, MigrationWriteResult, Migrator, MigratorBuildError, MigratorBuilder,
};

pub use evaluation_detail::EvaluationDetail;
pub use flags_state::{FlagState, FlagsState, FlagsStateBuilder, FlagsStateOptions};
pub use hook::{EvaluationSeriesContext, Hook, HookError, HookMetadata, TrackSeriesContext};
pub use ld_eval::{
    AttrRef, BigSegmentAnswer, BigSegmentProvider, BigSegmentsStatus, Context, ContextBuilder,
    ContextError, ErrorKind, MultiContextBuilder, Reason, ReasonKind, Segment,
};
/// Redis: a persistent [`DataStore`] (`RedisDataStore`, for [`ConfigBuilder::data_store`]) and a
/// [`BigSegmentStore`] (`RedisBigSegmentStore`, for [`BigSegmentsConfig::builder`]), in the
/// schema the Relay Proxy and LaunchDarkly's other SDKs share.
#[cfg(feature = "redis")]
pub use ld_store::redis;
pub use secure_mode::secure_mode_hash;
pub use test_data::TestData;

/// The workspace README's usage example, compiled as a doc test so it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeExample;
