//! Data source status: what state a data source is in, since when, and its last error.

use std::fmt;
use std::time::SystemTime;

/// The state of a data source, as the SDK reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataSourceState {
    /// Starting up; no complete data set received yet.
    Initializing,
    /// Has data and is receiving updates (or, for a file source, the last load succeeded).
    Valid,
    /// Had data (or is still trying to get it) but something went wrong; it will keep trying
    /// and the store keeps the last good data.
    Interrupted,
    /// Permanently stopped, either deliberately or by an unrecoverable error.
    Off,
}

impl fmt::Display for DataSourceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Initializing => "INITIALIZING",
            Self::Valid => "VALID",
            Self::Interrupted => "INTERRUPTED",
            Self::Off => "OFF",
        })
    }
}

/// The kind of a data source error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Data was received or read but could not be parsed or was not valid flag data.
    InvalidData,
    /// An I/O or network failure (connection refused, reset, timeout, unreadable file).
    NetworkError,
    /// The service answered with an HTTP error status.
    ErrorResponse(u16),
    /// The data store rejected a write.
    StoreError,
    /// Anything else.
    Unknown,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidData => f.write_str("INVALID_DATA"),
            Self::NetworkError => f.write_str("NETWORK_ERROR"),
            Self::ErrorResponse(s) => write!(f, "ERROR_RESPONSE({s})"),
            Self::StoreError => f.write_str("STORE_ERROR"),
            Self::Unknown => f.write_str("UNKNOWN"),
        }
    }
}

/// A data source error as recorded in the status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSourceErrorInfo {
    /// What kind of failure it was.
    pub kind: ErrorKind,
    /// A human-readable description (never contains the SDK key).
    pub message: String,
    /// When it happened.
    pub time: SystemTime,
}

impl DataSourceErrorInfo {
    /// An error of `kind` happening now.
    ///
    /// ```
    /// use ld_store::{DataSourceErrorInfo, ErrorKind};
    /// let e = DataSourceErrorInfo::new(ErrorKind::ErrorResponse(503), "service unavailable");
    /// assert_eq!(e.to_string(), "ERROR_RESPONSE(503): service unavailable");
    /// ```
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            time: SystemTime::now(),
        }
    }
}

impl fmt::Display for DataSourceErrorInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

/// A snapshot of a data source's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSourceStatus {
    /// The current state.
    pub state: DataSourceState,
    /// When the state last changed (Interrupted → Interrupted does not reset it).
    pub state_since: SystemTime,
    /// The most recent error, kept even after recovery.
    pub last_error: Option<DataSourceErrorInfo>,
}

impl DataSourceStatus {
    /// The status of a data source that has just been created.
    pub fn initializing() -> Self {
        Self {
            state: DataSourceState::Initializing,
            state_since: SystemTime::now(),
            last_error: None,
        }
    }
}
