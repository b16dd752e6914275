//! Turning transport and protocol failures into data source status, and choosing the retry
//! schedule for them.

use ld_http::{HttpError, StatusCode};
use ld_store::{DataSourceErrorInfo, DataSourceState, DataSourceUpdates, ErrorKind};

use crate::retry_rule::{RetrySchedule, schedule_for_status};

/// Reports an HTTP error status and returns the schedule to retry on.
pub(crate) fn http_status(
    updates: &dyn DataSourceUpdates,
    status: StatusCode,
    what: &str,
) -> RetrySchedule {
    let code = status.as_u16();
    let schedule = schedule_for_status(code);
    let hint = match code {
        401 | 403 => " (is the SDK key valid?)",
        _ => "",
    };
    match schedule {
        RetrySchedule::Normal => {
            tracing::warn!("{what}: HTTP error {code}; will retry");
        }
        RetrySchedule::Extended => {
            tracing::error!("{what}: HTTP error {code}{hint}; will retry on the extended schedule");
        }
    }
    updates.update_status(
        DataSourceState::Interrupted,
        Some(DataSourceErrorInfo::new(
            ErrorKind::ErrorResponse(code),
            format!("HTTP error {code}{hint}"),
        )),
    );
    schedule
}

/// Reports a network failure (connection, TLS, timeout, broken stream).
pub(crate) fn network(updates: &dyn DataSourceUpdates, err: &HttpError, what: &str) {
    tracing::warn!("{what}: {err}; will retry");
    updates.update_status(
        DataSourceState::Interrupted,
        Some(DataSourceErrorInfo::new(
            ErrorKind::NetworkError,
            err.to_string(),
        )),
    );
}

/// Reports a network failure described by a message.
pub(crate) fn network_message(updates: &dyn DataSourceUpdates, message: &str, what: &str) {
    tracing::warn!("{what}: {message}; will retry");
    updates.update_status(
        DataSourceState::Interrupted,
        Some(DataSourceErrorInfo::new(ErrorKind::NetworkError, message)),
    );
}

/// Reports data that could not be parsed.
pub(crate) fn invalid_data(updates: &dyn DataSourceUpdates, message: &str, what: &str) {
    tracing::error!("{what}: {message}");
    updates.update_status(
        DataSourceState::Interrupted,
        Some(DataSourceErrorInfo::new(ErrorKind::InvalidData, message)),
    );
}
