//! # ld-store
//!
//! The seams between data sources and evaluation: the `DataStore` trait and its in-memory
//! implementation, the `DataSource` trait with the sink a source writes to, data source status,
//! and flag change notification.
//!
//! **Dependencies:** `ld-eval` only. The file and HTTP data sources implement this crate's traits;
//! `ld-sdk` composes them.
//!
//! **The decision that shaped it:** readers never wait on writers. Evaluation reads an immutable,
//! prepared snapshot; a writer builds the next snapshot and swaps it in.
#![forbid(unsafe_code)]

mod broadcaster;
mod status;
mod status_provider;

pub use broadcaster::Broadcaster;
pub use status::{DataSourceErrorInfo, DataSourceState, DataSourceStatus, ErrorKind};
pub use status_provider::{DataSourceStatusProvider, InitError};
