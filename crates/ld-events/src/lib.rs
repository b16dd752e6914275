//! # ld-events
//!
//! Analytics events exactly as LaunchDarkly expects them: per-flag summaries, `feature`, `debug`,
//! `custom`, `identify`, `index` and `migration_op` events in event schema 4, private-attribute
//! redaction, and
//! background delivery to `POST {events}/bulk` (plus diagnostic events).
//!
//! **What it is not for:** evaluating flags (that is `ld-eval`) or HTTP plumbing (that is
//! `ld-http`, reached through the [`EventSender`] seam).
//!
//! **Neighbours:** `ld-eval` provides the contexts, flags and reasons recorded here; `ld-http`
//! carries the payloads; `ld-sdk` owns an [`EventProcessor`] and calls it on every evaluation,
//! `track` and `identify`.
//!
//! **The decision that shaped it:** the calling thread only records. A summary-only evaluation
//! of a known context (the common case) touches nothing but its own thread's state: it finds its
//! counter in a direct-mapped table indexed by the flag key's address (and verified field by
//! field), checks a thread-local table of recently confirmed context hashes in front of a
//! sharded LRU, and bumps the counter with a plain store — no allocation, no lock, no atomic
//! read-modify-write, no clock read, no I/O. A context is copied only when an event must carry
//! it. Serialization, gzip, retries and HTTP all happen in a background tokio task.
//!
//! ```
//! use std::sync::Arc;
//! use ld_eval::{ContextBuilder, Flag, MemoryData};
//! use ld_events::{EventProcessor, EventsConfig, HttpEventSender, PrerequisiteEvents};
//!
//! let runtime = tokio::runtime::Runtime::new().unwrap();
//! let http = ld_http::HttpClient::new(ld_http::HttpConfig::default()).unwrap();
//! let mut config = EventsConfig::new("sdk-key");
//! config.events_base_uri = "http://127.0.0.1:9".into(); // nothing listens there
//! config.close_timeout = std::time::Duration::from_millis(100);
//! let events = EventProcessor::new(config, Arc::new(HttpEventSender::new(http)), runtime.handle());
//!
//! let flag: Flag = serde_json::from_str(
//!     r#"{"key":"f","version":1,"on":true,"variations":[true,false],
//!         "fallthrough":{"variation":0},"salt":"s"}"#).unwrap();
//! let context = ContextBuilder::new("user-1").build().unwrap();
//! let data = MemoryData::default();
//! let prerequisites = PrerequisiteEvents::new(&events, false);
//! let detail = ld_eval::Evaluator::new(&data)
//!     .with_prerequisite_recorder(&prerequisites)
//!     .evaluate(&flag, &context);
//! let default = serde_json::json!(false);
//! events.record_evaluation("f", Some(&flag), &context, &detail, &default, false, None);
//! events.record_custom(&context, "purchase", serde_json::json!({"sku": "x"}), Some(9.99));
//! events.record_identify(&context);
//! events.flush();
//! events.close();
//! ```
#![forbid(unsafe_code)]

mod config;
mod context_formatter;
mod context_key_cache;
mod context_source;
mod delivery;
mod diagnostics;
mod evaluation;
mod event;
mod event_context;
mod event_output;
mod fast_hash;
mod fast_key;
mod http_date;
#[cfg(feature = "http")]
mod http_sender;
mod migration_op_event;
mod outbox;
mod processor;
mod sender;
mod summary;
mod thread_tally;

pub use config::{DEFAULT_EVENTS_BASE_URI, DiagnosticsConfig, EventsConfig};
pub use context_source::{ContextPart, EventContextSource};
pub use diagnostics::{DiagnosticsRecorder, StreamInit};
pub use evaluation::{EvaluationRecorder, EvaluationResult, PrerequisiteEvents, is_experiment};
pub use event::{CustomEvent, FeatureEvent, OutputEvent, RawJson};
pub use event_context::{EventContext, IndividualContext};
#[cfg(feature = "http")]
pub use http_sender::HttpEventSender;
pub use migration_op_event::{ConsistencyCheck, MigrationOpEvent, PerOrigin};
pub use processor::{Evaluation, EventProcessor, FlagEventSettings};
pub use sender::{EventRequest, EventResponse, EventSender, SendError, SendFuture};
pub use summary::SummarySnapshot;
pub use thread_tally::ThreadTally;
