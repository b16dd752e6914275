//! The flag change listeners the harness registered on one client, by the harness's listener id.
//!
//! The SDK delivers change events on channels; each registration owns a forwarder thread that
//! turns them into notifications and POSTs them to the harness's callback URI, in order, so the
//! SDK never waits on the network. Unregistering stops the forwarder (it drops the SDK's
//! receiver, which unsubscribes) and guarantees no notification is sent afterwards.

use crate::callback_client::post_json;
use crate::command_params::ListenerNotification;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How often an idle forwarder checks whether it was stopped.
const STOP_POLL: Duration = Duration::from_millis(100);

/// What a change event becomes: the changed flag, and for value listeners the old and new
/// values; `None` to skip the event (for example another flag than the one listened to).
pub type Notification = (String, Option<(Value, Value)>);

/// Starts a forwarder from `events` to `callback_uri` and returns how to stop it.
pub fn forward<E: Send + 'static>(
    listener_id: &str,
    callback_uri: &str,
    events: Receiver<E>,
    to_notification: impl Fn(E) -> Option<Notification> + Send + 'static,
) -> Unsubscribe {
    let stopped = Arc::new(AtomicBool::new(false));
    let stop = Arc::clone(&stopped);
    let id = listener_id.to_owned();
    let uri = callback_uri.to_owned();
    let spawned = thread::Builder::new()
        .name(format!("listener-{id}"))
        .spawn(move || {
            loop {
                let event = match events.recv_timeout(STOP_POLL) {
                    Ok(event) => event,
                    Err(RecvTimeoutError::Timeout) if !stopped.load(Ordering::Acquire) => continue,
                    Err(_) => return,
                };
                if stopped.load(Ordering::Acquire) {
                    return;
                }
                if let Some((flag_key, values)) = to_notification(event) {
                    notify(&id, &uri, flag_key, values);
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(listener = %listener_id, error = %e, "could not start a listener thread");
    }
    Box::new(move || stop.store(true, Ordering::Release))
}

fn notify(listener_id: &str, uri: &str, flag_key: String, values: Option<(Value, Value)>) {
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    let (old_value, new_value) = match values {
        Some((old, new)) => (Some(old), Some(new)),
        None => (None, None),
    };
    let notification = ListenerNotification {
        listener_id: listener_id.to_owned(),
        flag_key,
        old_value,
        new_value,
        timestamp,
    };
    let result = serde_json::to_value(&notification)
        .map_err(|e| e.to_string())
        .and_then(|body| post_json(uri, "", &body).map_err(|e| e.to_string()));
    if let Err(e) = result {
        tracing::warn!(listener = %listener_id, error = %e, "listener callback failed");
    }
}

/// Undoes one SDK-side registration.
pub type Unsubscribe = Box<dyn FnOnce() + Send>;

/// The listeners of one client.
#[derive(Default)]
pub struct ListenerRegistry {
    entries: Mutex<HashMap<String, Unsubscribe>>,
}

impl ListenerRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a registration; an earlier one with the same id is unsubscribed first.
    pub fn insert(&self, listener_id: &str, unsubscribe: Unsubscribe) {
        let previous = self.lock().insert(listener_id.to_owned(), unsubscribe);
        if let Some(previous) = previous {
            previous();
        }
    }

    /// Unsubscribes the listener with this id; `false` if there is none.
    pub fn remove(&self, listener_id: &str) -> bool {
        let entry = self.lock().remove(listener_id);
        match entry {
            Some(unsubscribe) => {
                unsubscribe();
                true
            }
            None => false,
        }
    }

    /// Unsubscribes every listener.
    pub fn clear(&self) {
        let entries: Vec<Unsubscribe> = self.lock().drain().map(|(_, u)| u).collect();
        for unsubscribe in entries {
            unsubscribe();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Unsubscribe>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::sync::atomic::AtomicUsize;
    use std::sync::mpsc::channel;

    #[test]
    fn notifications_reach_the_callback_in_order() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let uri = format!("http://{}/cb", listener.local_addr().unwrap());
        let (tx, rx) = channel();
        thread::spawn(move || {
            for conn in listener.incoming().take(2) {
                let mut conn = conn.unwrap();
                let mut raw = Vec::new();
                let mut buf = [0u8; 4096];
                // HTTP/1.0 with a body: read until the JSON object closes.
                while !raw.ends_with(b"}") {
                    let n = conn.read(&mut buf).unwrap();
                    if n == 0 {
                        break;
                    }
                    raw.extend_from_slice(&buf[..n]);
                }
                conn.write_all(b"HTTP/1.0 200 OK\r\n\r\n").unwrap();
                let text = String::from_utf8(raw).unwrap();
                let body = text.split("\r\n\r\n").nth(1).unwrap().to_owned();
                tx.send(serde_json::from_str::<serde_json::Value>(&body).unwrap())
                    .unwrap();
            }
        });
        let (events, sdk_side) = channel::<(&'static str, Option<(Value, Value)>)>();
        let _stop = forward("l1", &uri, sdk_side, |(key, values)| {
            (key != "ignored").then(|| (key.to_owned(), values))
        });
        events.send(("ignored", None)).unwrap();
        events.send(("a", None)).unwrap();
        events
            .send(("b", Some((serde_json::json!(1), serde_json::json!(2)))))
            .unwrap();
        let first = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        let second = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(first["listenerId"], "l1");
        assert_eq!(first["flagKey"], "a");
        assert!(first.get("oldValue").is_none());
        assert!(first["timestamp"].as_u64().unwrap() > 0);
        assert_eq!(second["flagKey"], "b");
        assert_eq!(second["oldValue"], 1);
        assert_eq!(second["newValue"], 2);
    }

    #[test]
    fn stopped_forwarder_drops_the_receiver_and_sends_nothing_more() {
        // Nothing listens at this URI: a notification would only log a warning, so what is
        // checked is that the forwarder lets go of the SDK's receiver.
        let (events, sdk_side) = channel::<u32>();
        let stop = forward("l2", "http://127.0.0.1:9/none", sdk_side, |_| None);
        stop();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while events.send(1).is_ok() {
            assert!(
                std::time::Instant::now() < deadline,
                "the forwarder kept the receiver"
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn removing_or_replacing_a_listener_unsubscribes_it_once() {
        let count = Arc::new(AtomicUsize::new(0));
        let counting = |count: &Arc<AtomicUsize>| -> Unsubscribe {
            let count = Arc::clone(count);
            Box::new(move || {
                count.fetch_add(1, Ordering::SeqCst);
            })
        };
        let registry = ListenerRegistry::new();
        registry.insert("a", counting(&count));
        registry.insert("a", counting(&count));
        assert_eq!(count.load(Ordering::SeqCst), 1);
        assert!(registry.remove("a"));
        assert!(!registry.remove("a"));
        assert_eq!(count.load(Ordering::SeqCst), 2);
        registry.insert("b", counting(&count));
        registry.insert("c", counting(&count));
        registry.clear();
        assert_eq!(count.load(Ordering::SeqCst), 4);
    }
}
