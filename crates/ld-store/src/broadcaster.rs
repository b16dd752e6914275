//! A fan-out of values to any number of channel subscribers.

use parking_lot::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};

/// Sends every broadcast value to each live subscriber's channel.
///
/// Subscribers receive on a plain [`std::sync::mpsc::Receiver`]; dropping the receiver
/// unsubscribes (the sender is pruned on the next broadcast). Broadcasting never runs
/// subscriber code and never blocks on a slow subscriber: channels are unbounded.
///
/// ```
/// use ld_store::Broadcaster;
///
/// let b = Broadcaster::new();
/// let rx = b.subscribe();
/// b.broadcast(&7u32);
/// assert_eq!(rx.try_recv().unwrap(), 7);
/// ```
pub struct Broadcaster<T> {
    senders: Mutex<Vec<Sender<T>>>,
}

impl<T: Clone + Send> Broadcaster<T> {
    /// A broadcaster with no subscribers.
    pub fn new() -> Self {
        Self {
            senders: Mutex::new(Vec::new()),
        }
    }

    /// Adds a subscriber and returns the receiving end of its channel.
    pub fn subscribe(&self) -> Receiver<T> {
        let (tx, rx) = channel();
        self.senders.lock().push(tx);
        rx
    }

    /// Whether anyone is subscribed (so callers can skip building events nobody reads).
    pub fn has_subscribers(&self) -> bool {
        !self.senders.lock().is_empty()
    }

    /// Sends a clone of `value` to every subscriber, dropping those whose receiver is gone.
    pub fn broadcast(&self, value: &T) {
        self.senders
            .lock()
            .retain(|tx| tx.send(value.clone()).is_ok());
    }
}

impl<T: Clone + Send> Default for Broadcaster<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> std::fmt::Debug for Broadcaster<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broadcaster")
            .field("subscribers", &self.senders.lock().len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_receivers_are_pruned_and_others_keep_receiving() {
        let b = Broadcaster::new();
        let kept = b.subscribe();
        let dropped = b.subscribe();
        drop(dropped);
        b.broadcast(&"x".to_string());
        assert_eq!(kept.try_recv().unwrap(), "x");
        assert!(b.has_subscribers());
        drop(kept);
        b.broadcast(&"y".to_string());
        assert!(!b.has_subscribers());
    }
}
