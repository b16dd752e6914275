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
    /// The evaluation reason as JSON, when it is to be sent.
    pub reason: Option<Value>,
    /// The flag's sampling ratio, written when it is not 1.
    pub sampling_ratio: Option<u32>,
    /// `true` for a `debug` event, which inlines the context without anonymous redaction.
    pub debug: bool,
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
        }
    }
}
