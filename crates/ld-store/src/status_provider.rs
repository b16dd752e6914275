//! Tracking a data source's status and letting the application observe and wait on it.

use crate::broadcaster::Broadcaster;
use crate::status::{DataSourceErrorInfo, DataSourceState, DataSourceStatus};
use parking_lot::{Condvar, Mutex};
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant, SystemTime};

/// Why waiting for a data source to initialize did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InitError {
    /// The timeout elapsed while the source was still initializing (or interrupted).
    #[error("data source did not initialize within {timeout:?} (state {state}{})", describe(.last_error))]
    Timeout {
        /// The timeout that elapsed.
        timeout: Duration,
        /// The state at the time of giving up.
        state: DataSourceState,
        /// The most recent error, if any: usually the reason it could not initialize.
        last_error: Option<DataSourceErrorInfo>,
    },
    /// The data source shut down (permanently) before initializing.
    #[error("data source is off{}", describe(.last_error))]
    Off {
        /// The error that turned it off, if any.
        last_error: Option<DataSourceErrorInfo>,
    },
}

fn describe(e: &Option<DataSourceErrorInfo>) -> String {
    match e {
        Some(e) => format!("; last error {e}"),
        None => String::new(),
    }
}

struct Inner {
    status: Mutex<DataSourceStatus>,
    changed: Condvar,
    broadcaster: Broadcaster<DataSourceStatus>,
}

/// Holds a data source's status: written by the update sink, read and awaited by the
/// application. Cloning gives another handle to the same status.
///
/// Status transitions follow the LaunchDarkly SDKs: reporting `Interrupted` while still
/// `Initializing` leaves the state `Initializing` (but records the error), and subscribers are
/// notified only when something actually changed.
///
/// ```
/// use ld_store::{DataSourceErrorInfo, DataSourceState, DataSourceStatusProvider, ErrorKind};
/// use std::time::Duration;
///
/// let status = DataSourceStatusProvider::new();
/// let changes = status.subscribe();
/// status.update(DataSourceState::Valid, None);
/// assert_eq!(changes.recv().unwrap().state, DataSourceState::Valid);
/// assert!(status.wait_initialized(Duration::from_millis(10)).is_ok());
/// ```
#[derive(Clone)]
pub struct DataSourceStatusProvider {
    inner: Arc<Inner>,
}

impl DataSourceStatusProvider {
    /// A provider whose status is `Initializing`.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                status: Mutex::new(DataSourceStatus::initializing()),
                changed: Condvar::new(),
                broadcaster: Broadcaster::new(),
            }),
        }
    }

    /// The current status.
    pub fn status(&self) -> DataSourceStatus {
        self.inner.status.lock().clone()
    }

    /// A channel receiving every status change from now on.
    pub fn subscribe(&self) -> Receiver<DataSourceStatus> {
        // Under the status lock, so a subscriber sees exactly the changes made after it
        // subscribed, in order.
        let _status = self.inner.status.lock();
        self.inner.broadcaster.subscribe()
    }

    /// Records a new state and/or error; returns whether anything changed. Subscribers are
    /// sent the new status (over unbounded channels, so this never blocks on them).
    pub fn update(&self, state: DataSourceState, error: Option<DataSourceErrorInfo>) -> bool {
        {
            let mut cur = self.inner.status.lock();
            let state = if state == DataSourceState::Interrupted
                && cur.state == DataSourceState::Initializing
            {
                DataSourceState::Initializing
            } else {
                state
            };
            if state == cur.state && error.is_none() {
                return false;
            }
            if state != cur.state {
                cur.state = state;
                cur.state_since = SystemTime::now();
            }
            if error.is_some() {
                cur.last_error = error;
            }
            self.inner.broadcaster.broadcast(&cur);
        }
        self.inner.changed.notify_all();
        true
    }

    /// Blocks until the state is `desired` (true), the source is `Off` (false, unless `Off`
    /// was desired), or `timeout` elapses (false).
    pub fn wait_for(&self, desired: DataSourceState, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut cur = self.inner.status.lock();
        loop {
            if cur.state == desired {
                return true;
            }
            if cur.state == DataSourceState::Off {
                return false;
            }
            if self
                .inner
                .changed
                .wait_until(&mut cur, deadline)
                .timed_out()
            {
                return cur.state == desired;
            }
        }
    }

    /// Blocks until the source has initialized (its state has been `Valid` at least once and is
    /// `Valid` or `Interrupted`), and explains why not when it fails: the source went `Off`, or
    /// the timeout elapsed (with the last error, which is usually the reason).
    pub fn wait_initialized(&self, timeout: Duration) -> Result<(), InitError> {
        let deadline = Instant::now() + timeout;
        let mut cur = self.inner.status.lock();
        loop {
            match cur.state {
                DataSourceState::Valid | DataSourceState::Interrupted => return Ok(()),
                DataSourceState::Off => {
                    return Err(InitError::Off {
                        last_error: cur.last_error.clone(),
                    });
                }
                DataSourceState::Initializing => {}
            }
            if self
                .inner
                .changed
                .wait_until(&mut cur, deadline)
                .timed_out()
                && cur.state == DataSourceState::Initializing
            {
                return Err(InitError::Timeout {
                    timeout,
                    state: cur.state,
                    last_error: cur.last_error.clone(),
                });
            }
        }
    }
}

impl Default for DataSourceStatusProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for DataSourceStatusProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("DataSourceStatusProvider")
            .field(&self.status())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::ErrorKind;

    #[test]
    fn interrupted_while_initializing_stays_initializing_but_records_the_error() {
        let p = DataSourceStatusProvider::new();
        let err = DataSourceErrorInfo::new(ErrorKind::NetworkError, "refused");
        assert!(p.update(DataSourceState::Interrupted, Some(err.clone())));
        let s = p.status();
        assert_eq!(s.state, DataSourceState::Initializing);
        assert_eq!(s.last_error, Some(err));
    }

    #[test]
    fn repeating_the_same_state_without_error_notifies_nobody() {
        let p = DataSourceStatusProvider::new();
        p.update(DataSourceState::Valid, None);
        let rx = p.subscribe();
        let since = p.status().state_since;
        assert!(!p.update(DataSourceState::Valid, None));
        assert!(rx.try_recv().is_err());
        assert_eq!(p.status().state_since, since);
    }

    #[test]
    fn wait_initialized_times_out_with_the_last_error_as_the_reason() {
        let p = DataSourceStatusProvider::new();
        p.update(
            DataSourceState::Interrupted,
            Some(DataSourceErrorInfo::new(
                ErrorKind::ErrorResponse(503),
                "unavailable",
            )),
        );
        let err = p.wait_initialized(Duration::from_millis(20)).unwrap_err();
        match &err {
            InitError::Timeout {
                last_error: Some(e),
                state,
                ..
            } => {
                assert_eq!(e.kind, ErrorKind::ErrorResponse(503));
                assert_eq!(*state, DataSourceState::Initializing);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(err.to_string().contains("ERROR_RESPONSE(503)"), "{err}");
    }

    #[test]
    fn wait_initialized_reports_off_with_its_cause() {
        let p = DataSourceStatusProvider::new();
        p.update(
            DataSourceState::Off,
            Some(DataSourceErrorInfo::new(
                ErrorKind::ErrorResponse(401),
                "invalid SDK key",
            )),
        );
        assert!(matches!(
            p.wait_initialized(Duration::from_secs(5)),
            Err(InitError::Off {
                last_error: Some(_)
            })
        ));
    }

    #[test]
    fn wait_initialized_wakes_when_another_thread_marks_the_source_valid() {
        let p = DataSourceStatusProvider::new();
        let writer = p.clone();
        let t = std::thread::spawn(move || writer.update(DataSourceState::Valid, None));
        assert!(p.wait_initialized(Duration::from_secs(10)).is_ok());
        t.join().unwrap();
        assert!(p.wait_for(DataSourceState::Valid, Duration::from_millis(1)));
    }
}
