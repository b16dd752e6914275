//! # ld-events
//!
//! Analytics events exactly as LaunchDarkly expects them: per-flag summaries, `feature`, `debug`,
//! `custom`, `identify` and `index` events in event schema 4, private-attribute redaction, and
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
//! bumps a counter in a per-thread stripe and checks a sharded LRU of context hashes — no
//! allocation, no I/O, no shared hot lock; a context is copied only when an event must carry it.
//! Serialization, gzip, retries and HTTP all happen in a background tokio task.
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
mod http_date;
mod http_sender;
mod outbox;
mod processor;
mod sender;
mod summary;

pub use config::{DEFAULT_EVENTS_BASE_URI, DiagnosticsConfig, EventsConfig};
pub use context_source::{ContextPart, EventContextSource};
pub use diagnostics::{DiagnosticsRecorder, StreamInit};
pub use evaluation::{PrerequisiteEvents, is_experiment};
pub use event::{CustomEvent, FeatureEvent, OutputEvent, RawJson};
pub use event_context::{EventContext, IndividualContext};
pub use http_sender::HttpEventSender;
pub use processor::{Evaluation, EventProcessor, FlagEventSettings};
pub use sender::{EventRequest, EventResponse, EventSender, SendError, SendFuture};
pub use summary::SummarySnapshot;
