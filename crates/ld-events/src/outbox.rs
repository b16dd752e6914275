//! The bounded buffer of events waiting for the next flush.
//!
//! Callers push without blocking; when the buffer holds `capacity` events, new ones are dropped
//! and counted (the count feeds the diagnostic `droppedEvents`), and a warning is logged once each
//! time the buffer starts overflowing. Memory is therefore bounded by `capacity` events however
//! fast the application produces them or however slow delivery is.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::event::OutputEvent;

#[derive(Debug)]
pub(crate) struct Outbox {
    events: Mutex<Vec<OutputEvent>>,
    capacity: usize,
    dropped: AtomicU64,
    dropped_total: AtomicU64,
    overflowing: AtomicBool,
}

impl Outbox {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            events: Mutex::new(Vec::new()),
            capacity,
            dropped: AtomicU64::new(0),
            dropped_total: AtomicU64::new(0),
            overflowing: AtomicBool::new(false),
        }
    }

    /// Adds `event`, or drops and counts it when the buffer is full.
    pub(crate) fn push(&self, event: OutputEvent) {
        let mut events = self.events.lock();
        if events.len() >= self.capacity {
            drop(events);
            self.dropped.fetch_add(1, Ordering::Relaxed);
            self.dropped_total.fetch_add(1, Ordering::Relaxed);
            if !self.overflowing.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    capacity = self.capacity,
                    "exceeded event buffer capacity; events are being dropped (increase the capacity \
                     or flush more often)"
                );
            }
            return;
        }
        events.push(event);
        drop(events);
        // Only a writer that found room re-arms the warning, so it is logged once per overflow.
        if self.overflowing.load(Ordering::Relaxed) {
            self.overflowing.store(false, Ordering::Relaxed);
        }
    }

    /// Takes every buffered event.
    pub(crate) fn take(&self) -> Vec<OutputEvent> {
        std::mem::take(&mut *self.events.lock())
    }

    /// Number of buffered events.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.events.lock().len()
    }

    /// Events dropped since the last call (for the periodic diagnostic event).
    pub(crate) fn take_dropped(&self) -> u64 {
        self.dropped.swap(0, Ordering::Relaxed)
    }

    /// Events dropped since the processor started.
    pub(crate) fn dropped_total(&self) -> u64 {
        self.dropped_total.load(Ordering::Relaxed)
    }

    /// Discards everything (when sending has been disabled).
    pub(crate) fn clear(&self) {
        self.events.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_context::{EventContext, IndividualContext};
    use std::sync::Arc;

    fn event() -> OutputEvent {
        OutputEvent::Identify {
            creation_date: 1,
            context: Arc::new(EventContext::single(IndividualContext::new("user", "u"))),
        }
    }

    #[test]
    fn events_beyond_capacity_are_dropped_and_counted() {
        let o = Outbox::new(3);
        for _ in 0..5 {
            o.push(event());
        }
        assert_eq!(o.len(), 3);
        assert_eq!(o.take_dropped(), 2);
        assert_eq!(o.take_dropped(), 0);
        assert_eq!(o.dropped_total(), 2);
        assert_eq!(o.take().len(), 3);
        o.push(event());
        assert_eq!(o.len(), 1);
    }
}
