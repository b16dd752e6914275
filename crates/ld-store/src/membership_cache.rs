//! A bounded, time-limited cache of big segment memberships by context key, evicting the least
//! recently used entry when full.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::BigSegmentMembership;

struct Entry {
    membership: Arc<BigSegmentMembership>,
    stored_at: Instant,
    last_used: u64,
}

/// Context key → membership. A hit costs one hash lookup and no allocation; eviction (only on
/// insertion into a full cache, which follows a store query anyway) scans for the least
/// recently used entry.
pub(crate) struct MembershipCache {
    entries: HashMap<String, Entry>,
    capacity: usize,
    ttl: Duration,
    clock: u64,
}

impl MembershipCache {
    /// A cache of at most `capacity` contexts, each kept for `ttl`; a zero capacity or TTL
    /// disables caching.
    pub(crate) fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            entries: HashMap::new(),
            capacity,
            ttl,
            clock: 0,
        }
    }

    /// The membership cached for `key`, if it has not expired; marks it recently used.
    pub(crate) fn get(&mut self, key: &str) -> Option<Arc<BigSegmentMembership>> {
        self.clock += 1;
        let now = self.clock;
        let ttl = self.ttl;
        let entry = self.entries.get_mut(key)?;
        if entry.stored_at.elapsed() >= ttl {
            self.entries.remove(key);
            return None;
        }
        entry.last_used = now;
        Some(Arc::clone(&entry.membership))
    }

    /// Caches `membership` for `key`, evicting the least recently used entry if full.
    pub(crate) fn insert(&mut self, key: &str, membership: Arc<BigSegmentMembership>) {
        if self.capacity == 0 || self.ttl.is_zero() {
            return;
        }
        self.clock += 1;
        if !self.entries.contains_key(key) && self.entries.len() >= self.capacity {
            self.evict_one();
        }
        self.entries.insert(
            key.to_owned(),
            Entry {
                membership,
                stored_at: Instant::now(),
                last_used: self.clock,
            },
        );
    }

    /// Drops every entry.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    fn evict_one(&mut self) {
        // Expired entries go first; otherwise the least recently used.
        let ttl = self.ttl;
        let victim = self
            .entries
            .iter()
            .min_by_key(|(_, e)| (e.stored_at.elapsed() < ttl, e.last_used))
            .map(|(k, _)| k.clone());
        if let Some(key) = victim {
            self.entries.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member() -> Arc<BigSegmentMembership> {
        Arc::new(BigSegmentMembership::default())
    }

    #[test]
    fn a_full_cache_evicts_the_least_recently_used_context() {
        let mut cache = MembershipCache::new(2, Duration::from_secs(60));
        cache.insert("a", member());
        cache.insert("b", member());
        assert!(cache.get("a").is_some()); // b is now the least recently used
        cache.insert("c", member());
        assert!(cache.get("a").is_some());
        assert!(cache.get("b").is_none());
        assert!(cache.get("c").is_some());
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn reinserting_a_key_does_not_evict_another() {
        let mut cache = MembershipCache::new(2, Duration::from_secs(60));
        cache.insert("a", member());
        cache.insert("b", member());
        cache.insert("a", member());
        assert!(cache.get("b").is_some());
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn entries_expire_after_the_cache_time() {
        let mut cache = MembershipCache::new(10, Duration::from_millis(30));
        cache.insert("a", member());
        assert!(cache.get("a").is_some());
        std::thread::sleep(Duration::from_millis(40));
        assert!(cache.get("a").is_none());
        assert_eq!(cache.len(), 0, "an expired entry is dropped when found");
    }

    #[test]
    fn zero_capacity_or_zero_time_caches_nothing() {
        let mut none = MembershipCache::new(0, Duration::from_secs(60));
        none.insert("a", member());
        assert!(none.get("a").is_none());
        let mut instant = MembershipCache::new(10, Duration::ZERO);
        instant.insert("a", member());
        assert!(instant.get("a").is_none());
    }

    #[test]
    fn clear_drops_everything() {
        let mut cache = MembershipCache::new(10, Duration::from_secs(60));
        cache.insert("a", member());
        cache.clear();
        assert!(cache.get("a").is_none());
    }
}
