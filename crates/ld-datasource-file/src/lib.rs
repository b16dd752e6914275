//! # ld-datasource-file
//!
//! Flag data from JSON and YAML files (`flags`, `flagValues`, `segments`), from one or many files,
//! with optional automatic reloading.
//!
//! **Dependencies:** `ld-store` (the traits it implements) and `ld-eval` (the data model).
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
