//! Diagnostic events: `diagnostic-init` once at start, then a periodic `diagnostic` with the
//! dropped and deduplicated counts, the size of the last payload and the stream connection
//! attempts since the previous one. They go to `POST {events}/diagnostic`.

use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use serde_json::{Value, json};

use crate::config::DiagnosticsConfig;

/// One streaming connection attempt, reported in the next periodic diagnostic event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamInit {
    /// When the attempt started, Unix milliseconds.
    pub timestamp: u64,
    /// How long it took until it succeeded or failed.
    pub duration_millis: u64,
    /// Whether it failed.
    pub failed: bool,
}

/// Where the streaming data source reports its connection attempts; shared through an `Arc`
/// obtained from [`crate::EventProcessor::diagnostics_recorder`].
///
/// ```
/// use ld_events::DiagnosticsRecorder;
/// let recorder = DiagnosticsRecorder::default();
/// recorder.record_stream_init(1_700_000_000_000, 120, false);
/// ```
#[derive(Debug, Default)]
pub struct DiagnosticsRecorder {
    stream_inits: Mutex<Vec<StreamInit>>,
}

impl DiagnosticsRecorder {
    /// Records one stream connection attempt.
    pub fn record_stream_init(&self, timestamp: u64, duration_millis: u64, failed: bool) {
        let mut inits = self.stream_inits.lock();
        // Bounded: a flapping connection must not grow memory between two diagnostic events.
        if inits.len() < 1_000 {
            inits.push(StreamInit {
                timestamp,
                duration_millis,
                failed,
            });
        }
    }

    /// The attempts recorded since the last periodic diagnostic event (what the next one will
    /// report as `streamInits`).
    pub fn pending_stream_inits(&self) -> Vec<StreamInit> {
        self.stream_inits.lock().clone()
    }

    fn take(&self) -> Vec<StreamInit> {
        std::mem::take(&mut *self.stream_inits.lock())
    }
}

/// Builds the diagnostic payloads of one processor.
#[derive(Debug)]
pub(crate) struct Diagnostics {
    id: Value,
    config: DiagnosticsConfig,
    data_since: AtomicU64,
    events_in_last_batch: AtomicU64,
}

impl Diagnostics {
    pub(crate) fn new(config: DiagnosticsConfig, sdk_key: &str, now: u64) -> Self {
        // The last six characters identify the key to LaunchDarkly without revealing it.
        let suffix: String = {
            let chars: Vec<char> = sdk_key.chars().collect();
            chars[chars.len().saturating_sub(6)..].iter().collect()
        };
        Self {
            id: json!({"diagnosticId": uuid::Uuid::new_v4().to_string(), "sdkKeySuffix": suffix}),
            config,
            data_since: AtomicU64::new(now),
            events_in_last_batch: AtomicU64::new(0),
        }
    }

    pub(crate) fn set_events_in_last_batch(&self, n: u64) {
        self.events_in_last_batch.store(n, Ordering::Relaxed);
    }

    pub(crate) fn init_event(&self, now: u64) -> Value {
        let mut sdk = json!({"name": self.config.sdk_name, "version": self.config.sdk_version});
        if let Some(name) = &self.config.wrapper_name {
            sdk["wrapperName"] = json!(name);
        }
        if let Some(version) = &self.config.wrapper_version {
            sdk["wrapperVersion"] = json!(version);
        }
        json!({
            "kind": "diagnostic-init",
            "id": self.id,
            "creationDate": now,
            "sdk": sdk,
            "configuration": self.config.configuration,
            "platform": {
                "name": "Rust",
                "osArch": std::env::consts::ARCH,
                "osName": os_name(),
            },
        })
    }

    pub(crate) fn periodic_event(
        &self,
        now: u64,
        dropped: u64,
        deduplicated: u64,
        recorder: &DiagnosticsRecorder,
    ) -> Value {
        let since = self.data_since.swap(now, Ordering::Relaxed);
        let inits: Vec<Value> = recorder
            .take()
            .into_iter()
            .map(|i| {
                json!({"timestamp": i.timestamp, "durationMillis": i.duration_millis, "failed": i.failed})
            })
            .collect();
        json!({
            "kind": "diagnostic",
            "id": self.id,
            "creationDate": now,
            "dataSinceDate": since,
            "droppedEvents": dropped,
            "deduplicatedUsers": deduplicated,
            "eventsInLastBatch": self.events_in_last_batch.swap(0, Ordering::Relaxed),
            "streamInits": inits,
        })
    }
}

fn os_name() -> &'static str {
    match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "MacOS",
        "windows" => "Windows",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_event_identifies_the_sdk_without_the_key() {
        let config = DiagnosticsConfig {
            sdk_name: "rust-server-sdk".into(),
            sdk_version: "0.1.0".into(),
            wrapper_name: Some("w".into()),
            ..Default::default()
        };
        let d = Diagnostics::new(config, "sdk-0123456789", 5);
        let e = d.init_event(6);
        assert_eq!(e["kind"], "diagnostic-init");
        assert_eq!(e["id"]["sdkKeySuffix"], "456789");
        assert_eq!(e["sdk"]["wrapperName"], "w");
        assert!(!e.to_string().contains("sdk-0123456789"));
    }

    #[test]
    fn periodic_event_reports_counts_and_stream_inits_once() {
        let d = Diagnostics::new(DiagnosticsConfig::default(), "k", 100);
        let r = DiagnosticsRecorder::default();
        r.record_stream_init(150, 20, true);
        d.set_events_in_last_batch(4);
        let e = d.periodic_event(200, 3, 7, &r);
        assert_eq!(e["dataSinceDate"], 100);
        assert_eq!(e["droppedEvents"], 3);
        assert_eq!(e["deduplicatedUsers"], 7);
        assert_eq!(e["eventsInLastBatch"], 4);
        assert_eq!(e["streamInits"][0]["failed"], true);
        let next = d.periodic_event(300, 0, 0, &r);
        assert_eq!(next["dataSinceDate"], 200);
        assert_eq!(next["streamInits"].as_array().map(Vec::len), Some(0));
    }
}
