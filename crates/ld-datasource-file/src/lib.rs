//! # ld-datasource-file
//!
//! Flag data from JSON and YAML files (`flags`, `flagValues`, `segments`), from one or many
//! files, with optional automatic reloading: the "reading flags from a file" feature of the
//! LaunchDarkly server-side SDKs, for tests, prototypes and local development.
//!
//! **What it is not for:** production flag delivery (use the streaming source), or writing
//! files.
//!
//! **Neighbours:** implements `ld-store`'s [`DataSource`](ld_store::DataSource) and produces
//! `ld-eval`'s prepared flags; `ldflags` and `ld-sdk` use it. YAML needs the `yaml` feature,
//! and all `serde_yaml` use is in one private module.
//!
//! **The decision that shaped it:** loads are all-or-nothing. Every file is read, parsed,
//! merged (duplicate keys are an error naming both places, unless
//! [`DuplicateKeys::KeepFirst`]) and converted before anything reaches the store, so a bad
//! edit never half-applies: the store keeps the last good data and the status says why.
//!
//! Layers, each usable on its own: [`read_file`] → [`parse_file`] ([`Document`]) → [`merge`]
//! ([`RawData`], JSON) → [`to_all_data`] (typed); [`load_files`] does all of them, and
//! [`FileDataSource`] adds the thread, the watcher and status reporting.
//!
//! ```
//! use ld_datasource_file::{DuplicateKeys, load_files};
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("flags.json");
//! std::fs::write(&path, r#"{"flagValues": {"greeting": "hello"}}"#).unwrap();
//! let data = load_files(&[&path], DuplicateKeys::Error).unwrap();
//! let flag = data.flags["greeting"].item().unwrap();
//! assert_eq!(flag.variations[0], "hello");
//! ```
#![forbid(unsafe_code)]

mod data_set;
mod document;
mod error;
mod format;
mod loader;
mod merge;
mod origin;
mod source;
mod versioning;
mod watcher;
#[cfg(feature = "yaml")]
mod yaml;

pub use data_set::{load_files, raw_data, to_all_data};
pub use document::Document;
pub use error::FileDataError;
pub use format::FileFormat;
pub use loader::{FileContent, MAX_FILE_SIZE, parse_file, read_file, read_files};
pub use merge::{DuplicateKeys, RawData, RawItem, flag_for_value, merge};
pub use origin::{Origin, Section};
pub use source::{DEFAULT_DEBOUNCE, FileDataSource, FileDataSourceBuilder};
