//! Reporting each attempt to open the stream, for LaunchDarkly's diagnostic events
//! (`streamInits`: when an attempt started, how long it took, whether it failed).
//!
//! This crate knows nothing of events: the SDK hands the streaming source a callback that
//! forwards each attempt to its diagnostics.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One attempt to open the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionAttempt {
    /// When the attempt started, in Unix milliseconds.
    pub started_at_millis: u64,
    /// How long it took to succeed (the first event was applied) or to fail.
    pub duration: Duration,
    /// Whether it failed (network error, or a response other than 200).
    pub failed: bool,
}

/// A callback that receives every [`ConnectionAttempt`] of a streaming source.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use ld_datasource_http::{ConnectionAttempt, ConnectionAttemptRecorder};
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// let recorder = ConnectionAttemptRecorder::new(move |a: ConnectionAttempt| {
///     sink.lock().unwrap().push(a.failed)
/// });
/// # drop(recorder);
/// ```
#[derive(Clone)]
pub struct ConnectionAttemptRecorder(Arc<dyn Fn(ConnectionAttempt) + Send + Sync>);

impl ConnectionAttemptRecorder {
    /// Wraps a callback. It runs on the source's task: keep it short and non-blocking.
    pub fn new(record: impl Fn(ConnectionAttempt) + Send + Sync + 'static) -> Self {
        Self(Arc::new(record))
    }

    /// Reports one attempt (the streaming source calls this; so may a custom source).
    pub fn record(&self, attempt: ConnectionAttempt) {
        (self.0)(attempt);
    }
}

impl fmt::Debug for ConnectionAttemptRecorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConnectionAttemptRecorder")
    }
}

/// An attempt in progress: reports itself once, as succeeded or failed.
pub(crate) struct PendingAttempt<'a> {
    recorder: Option<&'a ConnectionAttemptRecorder>,
    started_at_millis: u64,
    started: std::time::Instant,
}

impl<'a> PendingAttempt<'a> {
    pub(crate) fn start(recorder: Option<&'a ConnectionAttemptRecorder>) -> Self {
        let started_at_millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        Self {
            recorder,
            started_at_millis,
            started: std::time::Instant::now(),
        }
    }

    /// Reports the attempt (only the first call reports anything).
    pub(crate) fn finish(&mut self, failed: bool) {
        if let Some(recorder) = self.recorder.take() {
            recorder.record(ConnectionAttempt {
                started_at_millis: self.started_at_millis,
                duration: self.started.elapsed(),
                failed,
            });
        }
    }
}
