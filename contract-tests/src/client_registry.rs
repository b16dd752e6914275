//! The clients the harness created, by the id in their URL (`/clients/{id}`).

use crate::sdk_client::SdkClient;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// A thread-safe map from client id to client. Ids are never reused.
#[derive(Default)]
pub struct ClientRegistry {
    next_id: AtomicU64,
    clients: Mutex<HashMap<u64, Arc<dyn SdkClient>>>,
}

impl ClientRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `client` and returns its new id (1, 2, …).
    pub fn insert(&self, client: Arc<dyn SdkClient>) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        self.lock().insert(id, client);
        id
    }

    /// The client with this id, if it exists.
    pub fn get(&self, id: u64) -> Option<Arc<dyn SdkClient>> {
        self.lock().get(&id).cloned()
    }

    /// Removes and returns the client with this id.
    pub fn remove(&self, id: u64) -> Option<Arc<dyn SdkClient>> {
        self.lock().remove(&id)
    }

    /// Removes and returns every client.
    pub fn drain(&self) -> Vec<Arc<dyn SdkClient>> {
        self.lock().drain().map(|(_, c)| c).collect()
    }

    /// How many clients exist.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no client exists.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<dyn SdkClient>>> {
        // A panic elsewhere never leaves the map half-updated, so a poisoned lock is still usable.
        self.clients.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nothing;
    impl SdkClient for Nothing {
        fn close(&self) {}
    }

    #[test]
    fn ids_start_at_one_and_are_never_reused() {
        let r = ClientRegistry::new();
        let a = r.insert(Arc::new(Nothing));
        let b = r.insert(Arc::new(Nothing));
        assert_eq!((a, b), (1, 2));
        assert!(r.remove(a).is_some());
        assert!(r.get(a).is_none());
        assert_eq!(r.insert(Arc::new(Nothing)), 3);
        assert_eq!(r.len(), 2);
        assert_eq!(r.drain().len(), 2);
        assert!(r.is_empty());
    }
}
