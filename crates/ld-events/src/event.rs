//! The analytics events waiting in the buffer for the next flush.
//!
//! These are the *output* events (index, feature, debug, identify, custom); the summary is kept
//! apart, in counters (see `summary`). The context is shared through an `Arc` because one
//! evaluation can produce an index, a feature and a debug event for the same context.

use std::sync::Arc;

use serde_json::Value;

use crate::event_context::EventContext;

/// A `feature` or `debug` event.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureEvent {
    /// Unix milliseconds.
    pub creation_date: u64,
    /// The flag key.
    pub key: String,
    /// The flag version; `None` for an unknown flag.
    pub version: Option<u64>,
    /// The evaluated context.
    pub context: Arc<EventContext>,
    /// The variation index, if any.
    pub variation: Option<usize>,
    /// The value served.
    pub value: Value,
    /// The application's default value.
    pub default: Value,
    /// For prerequisite evaluations, the key of the flag that required this one.
    pub prereq_of: Option<String>,
    /// The evaluation reason, when it is to be sent.
    pub reason: Option<RawJson>,
    /// The flag's sampling ratio, written when it is not 1.
    pub sampling_ratio: Option<u32>,
    /// `true` for a `debug` event, which inlines the context without anonymous redaction.
    pub debug: bool,
}

/// A JSON value kept as the text it was serialized to, so that its field order survives until
/// the payload is written (a `serde_json::Value` would sort object keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawJson(pub(crate) String);

impl RawJson {
    /// Serializes `value`.
    ///
    /// ```
    /// use ld_events::RawJson;
    /// let reason = RawJson::to_raw(&serde_json::json!({"kind": "OFF"})).unwrap();
    /// assert_eq!(reason.as_str(), r#"{"kind":"OFF"}"#);
    /// ```
    pub fn to_raw<T: serde::Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        serde_json::to_string(value).map(RawJson)
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for RawJson {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The text came from serde_json, so it parses; `null` is only a defensive fallback.
        match serde_json::from_str::<&serde_json::value::RawValue>(&self.0) {
            Ok(raw) => raw.serialize(serializer),
            Err(_) => serializer.serialize_none(),
        }
    }
}

/// A `custom` event (from `track`).
#[derive(Debug, Clone, PartialEq)]
pub struct CustomEvent {
    /// Unix milliseconds.
    pub creation_date: u64,
    /// The event key.
    pub key: String,
    /// The context.
    pub context: Arc<EventContext>,
    /// Optional data; `null` is omitted.
    pub data: Value,
    /// Optional metric value.
    pub metric_value: Option<f64>,
}

/// An event in the buffer.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputEvent {
    /// `index`: the first sighting of a context.
    Index {
        /// Unix milliseconds.
        creation_date: u64,
        /// The context.
        context: Arc<EventContext>,
    },
    /// `identify`.
    Identify {
        /// Unix milliseconds.
        creation_date: u64,
        /// The context.
        context: Arc<EventContext>,
    },
    /// `feature` or `debug`.
    Feature(Box<FeatureEvent>),
    /// `custom`.
    Custom(Box<CustomEvent>),
    /// `migration_op`: one migration-assisted read or write.
    MigrationOp(Box<crate::migration_op_event::MigrationOpEvent>),
}

impl OutputEvent {
    /// The `kind` field this event is written with.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use ld_events::{EventContext, IndividualContext, OutputEvent};
    /// let context = Arc::new(EventContext::single(IndividualContext::new("user", "u")));
    /// let e = OutputEvent::Identify { creation_date: 1, context };
    /// assert_eq!(e.kind(), "identify");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self {
            OutputEvent::Index { .. } => "index",
            OutputEvent::Identify { .. } => "identify",
            OutputEvent::Feature(f) if f.debug => "debug",
            OutputEvent::Feature(_) => "feature",
            OutputEvent::Custom(_) => "custom",
            OutputEvent::MigrationOp(_) => "migration_op",
        }
    }
}
