//! Everything that can go wrong loading flag files.

use crate::origin::Origin;
use std::path::PathBuf;

/// An error loading flag data from files. Any such error means none of the files' data was
/// used.
#[derive(Debug, thiserror::Error)]
pub enum FileDataError {
    /// The file could not be read (missing, unreadable, ...).
    #[error("{path}: cannot read file: {source}", path = .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The path names a directory, not a file.
    #[error("{path}: is a directory, not a flag file", path = .path.display())]
    IsDirectory {
        /// The path.
        path: PathBuf,
    },
    /// The file is empty (or only whitespace).
    #[error("{path}: file is empty", path = .path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The file is larger than the loader accepts.
    #[error("{path}: file is {size} bytes, more than the {limit}-byte limit", path = .path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The file is not valid JSON/YAML, or not shaped like flag data.
    #[error("{path}:{line}:{column}: {message}", path = .path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the error (0 when unknown).
        line: usize,
        /// 1-based column of the error (0 when unknown).
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The file is YAML but the crate was built without the `yaml` feature.
    #[error("{path}: YAML flag files need the `yaml` feature of ld-datasource-file", path = .path.display())]
    YamlNotEnabled {
        /// The file.
        path: PathBuf,
    },
    /// The same flag or segment key is defined twice.
    #[error("duplicate {kind} key \"{key}\": defined in {first} and again in {second}")]
    DuplicateKey {
        /// "flag" or "segment".
        kind: &'static str,
        /// The key.
        key: String,
        /// Where it was first defined.
        first: Origin,
        /// Where it was defined again.
        second: Origin,
    },
    /// An item is well-formed JSON/YAML but not a valid flag or segment.
    #[error("{origin}: {kind} \"{key}\" is invalid: {message}")]
    InvalidItem {
        /// "flag" or "segment".
        kind: &'static str,
        /// The key.
        key: String,
        /// Where it was defined.
        origin: Origin,
        /// What is wrong.
        message: String,
    },
}

impl FileDataError {
    /// The file this error is about, when it is about exactly one file.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            Self::Io { path, .. }
            | Self::IsDirectory { path }
            | Self::Empty { path }
            | Self::TooLarge { path, .. }
            | Self::Parse { path, .. }
            | Self::YamlNotEnabled { path } => Some(path),
            Self::DuplicateKey { second, .. } => Some(&second.path),
            Self::InvalidItem { origin, .. } => Some(&origin.path),
        }
    }
}
