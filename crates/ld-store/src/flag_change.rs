//! Flag change notifications: "this flag's configuration changed" and "this flag's value for
//! this context changed".

use crate::broadcaster::Broadcaster;
use crate::data_store::DataStore;
use crate::snapshot::Snapshot;
use parking_lot::Mutex;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

/// A flag's configuration changed, or something it depends on did (a prerequisite flag or a
/// segment it references, transitively). Also sent when a flag is added or deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagChangeEvent {
    /// The flag key.
    pub key: String,
}

/// The value a flag gives one particular context changed.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagValueChangeEvent {
    /// The flag key.
    pub key: String,
    /// The value before the change.
    pub old_value: Value,
    /// The value after the change.
    pub new_value: Value,
}

/// Computes a flag's value for one context from a snapshot: `(snapshot, flag_key) -> value`.
/// The SDK passes a closure that captures the context and calls the evaluator (returning the
/// application's default when the flag is missing).
pub type ValueEvaluator = dyn Fn(&Snapshot, &str) -> Value + Send + Sync;

struct ValueSubscription {
    key: String,
    evaluate: Box<ValueEvaluator>,
    last: Mutex<Value>,
    tx: Sender<FlagValueChangeEvent>,
}

struct Inner {
    store: Arc<dyn DataStore>,
    changes: Broadcaster<FlagChangeEvent>,
    value_subscriptions: Mutex<Vec<Arc<ValueSubscription>>>,
}

/// Lets the application subscribe to flag changes. Cloning gives another handle to the same
/// subscriptions. The update sink calls it after every write that changed something; events
/// are delivered on channels, so no subscriber code runs on the data source's thread and no lock
/// is held while the value evaluators run.
///
/// ```
/// use ld_store::{AllData, DataSourceUpdateSink, DataSourceUpdates, InMemoryDataStore, flag_from_json};
/// use std::sync::Arc;
///
/// let sink = DataSourceUpdateSink::new(Arc::new(InMemoryDataStore::new()));
/// sink.init(AllData::default());
/// let changes = sink.flag_changes().subscribe();
/// sink.upsert_flag("f", flag_from_json(r#"{"key":"f","version":1}"#).unwrap());
/// assert_eq!(changes.try_recv().unwrap().key, "f");
/// ```
#[derive(Clone)]
pub struct FlagChangeNotifier {
    inner: Arc<Inner>,
}

impl FlagChangeNotifier {
    /// A notifier whose value subscriptions evaluate against `store`'s snapshots.
    pub fn new(store: Arc<dyn DataStore>) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                changes: Broadcaster::new(),
                value_subscriptions: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Receives a [`FlagChangeEvent`] for every flag whose configuration (or dependencies)
    /// changed. Drop the receiver to unsubscribe.
    pub fn subscribe(&self) -> Receiver<FlagChangeEvent> {
        self.inner.changes.subscribe()
    }

    /// Receives a [`FlagValueChangeEvent`] whenever `evaluate` gives a different value for
    /// `flag_key` after a change. The current value is computed now, as the baseline. Drop the
    /// receiver to unsubscribe.
    pub fn subscribe_value(
        &self,
        flag_key: &str,
        evaluate: impl Fn(&Snapshot, &str) -> Value + Send + Sync + 'static,
    ) -> Receiver<FlagValueChangeEvent> {
        let (tx, rx) = channel();
        let current = evaluate(&self.inner.store.snapshot(), flag_key);
        let sub = ValueSubscription {
            key: flag_key.to_string(),
            evaluate: Box::new(evaluate),
            last: Mutex::new(current),
            tx,
        };
        self.inner.value_subscriptions.lock().push(Arc::new(sub));
        rx
    }

    /// Whether anybody listens (lets the sink skip computing change sets).
    pub fn has_subscribers(&self) -> bool {
        self.inner.changes.has_subscribers() || !self.inner.value_subscriptions.lock().is_empty()
    }

    /// Sends events for the flags in `changed`.
    pub(crate) fn notify(&self, changed: &BTreeSet<String>) {
        if changed.is_empty() {
            return;
        }
        for key in changed {
            self.inner
                .changes
                .broadcast(&FlagChangeEvent { key: key.clone() });
        }
        let subs: Vec<Arc<ValueSubscription>> = self.inner.value_subscriptions.lock().clone();
        let interested: Vec<_> = subs
            .into_iter()
            .filter(|s| changed.contains(&s.key))
            .collect();
        if interested.is_empty() {
            return;
        }
        let snapshot = self.inner.store.snapshot();
        let mut gone = Vec::new();
        for sub in interested {
            let new_value = (sub.evaluate)(&snapshot, &sub.key);
            let old_value = {
                let mut last = sub.last.lock();
                if *last == new_value {
                    continue;
                }
                std::mem::replace(&mut *last, new_value.clone())
            };
            let event = FlagValueChangeEvent {
                key: sub.key.clone(),
                old_value,
                new_value,
            };
            if sub.tx.send(event).is_err() {
                gone.push(sub);
            }
        }
        if !gone.is_empty() {
            self.inner
                .value_subscriptions
                .lock()
                .retain(|s| !gone.iter().any(|g| Arc::ptr_eq(g, s)));
        }
    }
}

impl std::fmt::Debug for FlagChangeNotifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlagChangeNotifier").finish_non_exhaustive()
    }
}
