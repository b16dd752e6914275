//! LaunchDarkly's newer retry rules: which failures retry on the normal schedule and which
//! move to the extended one. No failure stops a data source for good.

use std::time::Duration;

/// Which reconnection schedule a failure puts the data source on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetrySchedule {
    /// Network errors, malformed data, 400, 408, 429 and 5xx: exponential backoff from the
    /// initial delay (default 1 s) to 30 s.
    Normal,
    /// Other 4xx responses (including 401 and 403, usually a wrong or revoked SDK key): retry
    /// rarely, from about 5 minutes up to 60 minutes, reporting the error in the status.
    Extended,
}

/// First delay of the extended schedule.
pub const EXTENDED_INITIAL_DELAY: Duration = Duration::from_secs(5 * 60);
/// Longest delay of the extended schedule.
pub const EXTENDED_MAX_DELAY: Duration = Duration::from_secs(60 * 60);
/// Longest delay of the normal schedule.
pub const NORMAL_MAX_DELAY: Duration = Duration::from_secs(30);

/// Classifies an HTTP error status.
///
/// ```
/// use ld_datasource_http::{RetrySchedule, schedule_for_status};
/// assert_eq!(schedule_for_status(503), RetrySchedule::Normal);
/// assert_eq!(schedule_for_status(429), RetrySchedule::Normal);
/// assert_eq!(schedule_for_status(401), RetrySchedule::Extended);
/// ```
pub fn schedule_for_status(status: u16) -> RetrySchedule {
    match status {
        400 | 408 | 429 => RetrySchedule::Normal,
        400..=499 => RetrySchedule::Extended,
        _ => RetrySchedule::Normal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recoverable_statuses_use_the_normal_schedule() {
        for s in [400, 408, 429, 500, 502, 503, 504, 599, 301, 304] {
            assert_eq!(schedule_for_status(s), RetrySchedule::Normal, "{s}");
        }
    }

    #[test]
    fn other_client_errors_use_the_extended_schedule() {
        for s in [401, 403, 404, 405, 410, 413, 499] {
            assert_eq!(schedule_for_status(s), RetrySchedule::Extended, "{s}");
        }
    }
}
