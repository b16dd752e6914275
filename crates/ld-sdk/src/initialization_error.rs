//! Why a client did not initialize.

use std::time::Duration;

use ld_store::{DataSourceErrorInfo, DataSourceStatusProvider, ErrorKind, InitError};
use thiserror::Error;

/// Why [`Client::wait_for_initialization`](crate::Client::wait_for_initialization) returned
/// without flags.
///
/// Only [`InitializationError::Timeout`] may still resolve by itself: the client keeps trying in
/// the background and serves defaults meanwhile.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InitializationError {
    /// LaunchDarkly rejected the SDK key (HTTP 401 or 403); the client has given up.
    #[error("LaunchDarkly rejected the SDK key (HTTP {status})")]
    InvalidSdkKey {
        /// The HTTP status received.
        status: u16,
    },
    /// No complete flag data arrived within the timeout; the client is still trying.
    #[error("no flag data within {timeout:?}{}", last(.last_error))]
    Timeout {
        /// How long was waited.
        timeout: Duration,
        /// The most recent error (invalid data, network error, error response…), if any.
        last_error: Option<DataSourceErrorInfo>,
    },
    /// The data source stopped for good for another reason.
    #[error("the data source stopped{}", last(.last_error))]
    Failed {
        /// The error that stopped it, if any.
        last_error: Option<DataSourceErrorInfo>,
    },
    /// The client was closed.
    #[error("the client is closed")]
    Closed,
}

fn last(error: &Option<DataSourceErrorInfo>) -> String {
    error
        .as_ref()
        .map(|e| format!(" (last error: {e})"))
        .unwrap_or_default()
}

/// Waits up to `timeout` for the first flag data. A 401 or 403 does not end the wait: as
/// LaunchDarkly's retry rules require, the data source keeps retrying (on its extended schedule),
/// and a key that becomes valid, or a transient rejection, can still initialize the client in
/// time. When the time is up after such a rejection, the error is
/// [`InitializationError::InvalidSdkKey`].
pub(crate) fn wait_for_flags(
    provider: &DataSourceStatusProvider,
    timeout: Duration,
) -> Result<(), InitializationError> {
    provider.wait_initialized(timeout).map_err(Into::into)
}

impl From<InitError> for InitializationError {
    fn from(e: InitError) -> Self {
        match e {
            InitError::Timeout {
                timeout,
                last_error,
                ..
            } => match last_error.as_ref().map(|e| e.kind) {
                // LaunchDarkly will not accept this key on a retry either.
                Some(ErrorKind::ErrorResponse(status @ (401 | 403))) => {
                    Self::InvalidSdkKey { status }
                }
                _ => Self::Timeout {
                    timeout,
                    last_error,
                },
            },
            InitError::Off { last_error } => match last_error.as_ref().map(|e| e.kind) {
                Some(ErrorKind::ErrorResponse(status @ (401 | 403))) => {
                    Self::InvalidSdkKey { status }
                }
                _ => Self::Failed { last_error },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_401_that_stopped_the_source_is_an_invalid_sdk_key() {
        let e = InitError::Off {
            last_error: Some(DataSourceErrorInfo::new(
                ErrorKind::ErrorResponse(401),
                "unauthorized",
            )),
        };
        assert_eq!(
            InitializationError::from(e),
            InitializationError::InvalidSdkKey { status: 401 }
        );
    }

    #[test]
    fn a_timeout_keeps_the_last_error_in_its_message() {
        let e = InitializationError::Timeout {
            timeout: Duration::from_secs(1),
            last_error: Some(DataSourceErrorInfo::new(ErrorKind::InvalidData, "bad JSON")),
        };
        assert!(e.to_string().contains("INVALID_DATA: bad JSON"), "{e}");
    }
}
