//! Per-thread summary state that a caller keeps for the event processor.

use std::cell::RefCell;

use crate::summary::Local;

/// One thread's summary counters and recently seen contexts for one event processor, kept by
/// the caller rather than in a thread-local of this crate.
///
/// The SDK client already keeps per-thread state for every evaluation (its cached store
/// snapshot); handing its `ThreadTally` to [`EventProcessor::record_evaluation_in`] spares the
/// processor a thread-local lookup of its own on every evaluation. A tally starts empty and
/// belongs to the first processor that records into it, until that processor is dropped; given
/// to another processor meanwhile, it is ignored (that processor uses its thread-local state).
/// It must stay on one thread (it is not `Sync`); dropping it loses no count (the processor
/// holds every cell until it is reported).
///
/// [`EventProcessor::record_evaluation_in`]: crate::EventProcessor::record_evaluation_in
///
/// ```
/// use ld_eval::{ContextBuilder, Detail, ErrorKind};
/// use ld_events::{EventProcessor, ThreadTally};
/// let events = EventProcessor::disabled();
/// let tally = ThreadTally::default();
/// let context = ContextBuilder::new("user-1").build().unwrap();
/// let detail = Detail::error(ErrorKind::FlagNotFound);
/// events.record_evaluation_in(Some(&tally), "missing-flag", None, &context, &detail,
///     || serde_json::Value::Bool(false), false, None);
/// ```
#[derive(Debug)]
pub struct ThreadTally {
    /// Inline, so that the fast path reaches the cell table with no extra load; empty
    /// ([`Local::empty`]) until the first processor records into it.
    pub(crate) local: RefCell<Local>,
}

impl Default for ThreadTally {
    fn default() -> Self {
        Self {
            local: RefCell::new(Local::empty()),
        }
    }
}
