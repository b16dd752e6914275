//! The flag change listeners the harness registered on one client, by the harness's listener id.
//!
//! Each registration owns a notifier thread that POSTs notifications to the harness's callback
//! URI in the order the SDK produced them, so the SDK's listener callback only enqueues and never
//! waits on the network. Unregistering runs the SDK-side unsubscribe and stops the thread.

use crate::callback_client::post_json;
use crate::command_params::ListenerNotification;
use std::collections::HashMap;
use std::sync::mpsc::{Sender, channel};
use std::sync::{Mutex, PoisonError};
use std::thread;
use std::time::{SystemTime, UNIX_EPOCH};

/// Sends notifications to one callback URI, in order, from its own thread.
#[derive(Debug, Clone)]
pub struct Notifier {
    listener_id: String,
    queue: Sender<ListenerNotification>,
}

impl Notifier {
    /// Starts the notifier thread for `listener_id` posting to `callback_uri`.
    pub fn start(listener_id: &str, callback_uri: &str) -> Self {
        let (queue, notifications) = channel::<ListenerNotification>();
        let uri = callback_uri.to_owned();
        let id = listener_id.to_owned();
        let spawned = thread::Builder::new()
            .name(format!("listener-{id}"))
            .spawn(move || {
                for notification in notifications {
                    let body = match serde_json::to_value(&notification) {
                        Ok(body) => body,
                        Err(e) => {
                            tracing::warn!(listener = %id, error = %e, "unserializable notification");
                            continue;
                        }
                    };
                    if let Err(e) = post_json(&uri, "", &body) {
                        tracing::warn!(listener = %id, error = %e, "listener callback failed");
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!(listener = %listener_id, error = %e, "could not start a notifier thread");
        }
        Self {
            listener_id: listener_id.to_owned(),
            queue,
        }
    }

    /// Queues a configuration-change notification for `flag_key`.
    pub fn flag_changed(&self, flag_key: &str) {
        self.send(flag_key, None, None);
    }

    /// Queues a value-change notification for `flag_key`.
    pub fn value_changed(
        &self,
        flag_key: &str,
        old_value: serde_json::Value,
        new_value: serde_json::Value,
    ) {
        self.send(flag_key, Some(old_value), Some(new_value));
    }

    fn send(
        &self,
        flag_key: &str,
        old_value: Option<serde_json::Value>,
        new_value: Option<serde_json::Value>,
    ) {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        // A closed queue means the listener was unregistered: dropping is right.
        let _ = self.queue.send(ListenerNotification {
            listener_id: self.listener_id.clone(),
            flag_key: flag_key.to_owned(),
            old_value,
            new_value,
            timestamp,
        });
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
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

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
        let notifier = Notifier::start("l1", &uri);
        notifier.flag_changed("a");
        notifier.value_changed("b", serde_json::json!(1), serde_json::json!(2));
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
