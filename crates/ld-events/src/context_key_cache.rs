//! The context-key LRU that decides when an `index` event is due: the first time a context's
//! fully-qualified key is seen (or seen again after it was evicted or the cache was cleared).
//!
//! It is consulted on the calling thread for every evaluation, so it stores 64-bit identity hashes
//! (see `event_context::identity_hash`) rather than key strings, preallocates everything, and is
//! split into shards so that threads working with different contexts do not wait on each other.
//! Recency is exact within a shard; across shards the capacity is divided evenly, which makes it an
//! approximation of one global LRU that is exact for small capacities (a single shard); each shard
//! of a large cache gets 25% slack so that `capacity` contexts fit even when a shard draws more
//! than its share.
//!
//! In front of it, each thread keeps a [`RecentContexts`] (in the summarizer's thread-local
//! state): a tiny direct-mapped set of the context hashes it saw lately. A hit skips the shared LRU
//! entirely, so the common evaluation takes no lock at all. Clearing the LRU, or evicting from it,
//! bumps a generation that invalidates every thread's set, so a context the LRU forgot is indexed
//! again. The one difference from a strict LRU: a fast-path hit does not refresh the context's
//! recency, so with more distinct contexts than the capacity a context in steady use can be
//! evicted (and re-indexed) a little earlier than a strict LRU would.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::fast_hash::FastBuildHasher;

const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Node {
    key: u64,
    prev: u32,
    next: u32,
}

/// One exact LRU: a map from key to slot plus a doubly linked recency list through the slots.
#[derive(Debug)]
struct Shard {
    index: HashMap<u64, u32, FastBuildHasher>,
    nodes: Vec<Node>,
    /// Most recently used.
    head: u32,
    /// Least recently used.
    tail: u32,
    capacity: usize,
    /// Sightings of already-known contexts since the last diagnostic event.
    deduplicated: u64,
}

impl Shard {
    fn new(capacity: usize) -> Self {
        Self {
            index: HashMap::with_capacity_and_hasher(capacity + 1, FastBuildHasher),
            nodes: Vec::with_capacity(capacity),
            head: NONE,
            tail: NONE,
            capacity,
            deduplicated: 0,
        }
    }

    fn unlink(&mut self, slot: u32) {
        let Node { prev, next, .. } = self.nodes[slot as usize];
        if prev == NONE {
            self.head = next;
        } else {
            self.nodes[prev as usize].next = next;
        }
        if next == NONE {
            self.tail = prev;
        } else {
            self.nodes[next as usize].prev = prev;
        }
    }

    fn push_front(&mut self, slot: u32) {
        self.nodes[slot as usize].prev = NONE;
        self.nodes[slot as usize].next = self.head;
        if self.head != NONE {
            self.nodes[self.head as usize].prev = slot;
        }
        self.head = slot;
        if self.tail == NONE {
            self.tail = slot;
        }
    }

    /// Marks `key` as most recently used; true when it was not present. Sets `evicted` when
    /// making room pushed another key out.
    fn notice(&mut self, key: u64, evicted: &mut bool) -> bool {
        if self.capacity == 0 {
            return true;
        }
        if let Some(&slot) = self.index.get(&key) {
            self.deduplicated += 1;
            if self.head != slot {
                self.unlink(slot);
                self.push_front(slot);
            }
            return false;
        }
        let slot = if self.nodes.len() < self.capacity {
            self.nodes.push(Node {
                key,
                prev: NONE,
                next: NONE,
            });
            (self.nodes.len() - 1) as u32
        } else {
            let victim = self.tail;
            *evicted = true;
            self.unlink(victim);
            let old = self.nodes[victim as usize].key;
            self.index.remove(&old);
            self.nodes[victim as usize].key = key;
            victim
        };
        self.index.insert(key, slot);
        self.push_front(slot);
        true
    }

    fn clear(&mut self) {
        self.index.clear();
        self.nodes.clear();
        self.head = NONE;
        self.tail = NONE;
    }
}

/// Sharded LRU of context identity hashes; see the module documentation.
#[derive(Debug)]
pub(crate) struct ContextKeyCache {
    shards: Box<[Mutex<Shard>]>,
    mask: u64,
    generation: AtomicU64,
}

const RECENT_SLOTS: usize = 16;

/// A thread's recently seen context hashes (see the module documentation). Thread-local: no
/// synchronisation.
#[derive(Debug, Default)]
pub(crate) struct RecentContexts {
    slots: [u64; RECENT_SLOTS],
    generation: u64,
    deduplicated: u64,
}

impl RecentContexts {
    /// True when `hash` was seen lately in `generation` (and counts it as deduplicated);
    /// otherwise remembers it and returns false, and the caller asks the shared LRU.
    #[inline]
    pub(crate) fn seen(&mut self, hash: u64, generation: u64) -> bool {
        if self.generation != generation {
            self.slots = [0; RECENT_SLOTS];
            self.generation = generation;
        }
        // Hash 0 is the empty-slot marker: such a context always goes to the shared LRU.
        let slot = &mut self.slots[(hash as usize) % RECENT_SLOTS];
        if *slot == hash && hash != 0 {
            self.deduplicated += 1;
            true
        } else {
            *slot = hash;
            false
        }
    }

    /// Deduplicated sightings not yet taken.
    pub(crate) fn pending_deduplicated(&self) -> u64 {
        self.deduplicated
    }

    /// Deduplicated sightings since the last call.
    pub(crate) fn take_deduplicated(&mut self) -> u64 {
        std::mem::take(&mut self.deduplicated)
    }
}

impl ContextKeyCache {
    /// A cache remembering about `capacity` contexts. Small capacities get a single exact shard;
    /// larger ones up to 8 shards of at least 64 keys each.
    pub(crate) fn new(capacity: usize) -> Self {
        let mut shards = 1usize;
        while shards < 8 && capacity / (shards * 2) >= 64 {
            shards *= 2;
        }
        // Hashes never spread perfectly evenly: 25% slack per shard keeps `capacity` contexts
        // remembered even when one shard draws more than its share.
        let per_shard = if shards == 1 {
            capacity
        } else {
            capacity.div_ceil(shards) * 5 / 4
        };
        Self {
            shards: (0..shards)
                .map(|_| Mutex::new(Shard::new(per_shard)))
                .collect(),
            mask: (shards - 1) as u64,
            generation: AtomicU64::new(1),
        }
    }

    /// Records that the context with identity `hash` was seen; true the first time (that is, when
    /// an index event is due).
    pub(crate) fn notice(&self, hash: u64) -> bool {
        // The high bits pick the shard; the shard's map uses the whole hash.
        let shard = ((hash >> 48) & self.mask) as usize;
        let mut evicted = false;
        let new = self.shards[shard].lock().notice(hash, &mut evicted);
        if evicted {
            // The threads' recent sets may vouch for the evicted context: make them ask again.
            self.generation.fetch_add(1, Ordering::Relaxed);
        }
        new
    }

    /// Sightings of already-known contexts since the last call (diagnostic `deduplicatedUsers`).
    pub(crate) fn take_deduplicated(&self) -> u64 {
        self.shards
            .iter()
            .map(|s| std::mem::take(&mut s.lock().deduplicated))
            .sum()
    }

    /// Forgets every context (done every context-keys flush interval), including what the
    /// stripes' [`RecentContexts`] remember.
    pub(crate) fn clear(&self) {
        for shard in self.shards.iter() {
            shard.lock().clear();
        }
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    /// The current generation, for [`RecentContexts::seen`].
    #[inline]
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_sight_is_new_and_repeats_are_not() {
        let c = ContextKeyCache::new(10);
        assert!(c.notice(1));
        assert!(!c.notice(1));
        assert!(c.notice(2));
        assert_eq!(c.take_deduplicated(), 1);
        assert_eq!(c.take_deduplicated(), 0);
    }

    #[test]
    fn least_recently_used_key_is_evicted_first() {
        let c = ContextKeyCache::new(2);
        assert!(c.notice(1));
        assert!(c.notice(2));
        assert!(!c.notice(1)); // 1 is now the most recent
        assert!(c.notice(3)); // evicts 2
        assert!(!c.notice(1));
        assert!(c.notice(2));
    }

    #[test]
    fn eviction_and_clearing_start_a_new_generation() {
        let c = ContextKeyCache::new(1);
        let g = c.generation();
        c.notice(1);
        c.notice(1);
        assert_eq!(c.generation(), g, "no eviction yet");
        c.notice(2);
        assert_eq!(c.generation(), g + 1);
        c.clear();
        assert_eq!(c.generation(), g + 2);
    }

    #[test]
    fn clearing_forgets_everything() {
        let c = ContextKeyCache::new(1000);
        for k in 0..500u64 {
            assert!(c.notice(k.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
        }
        c.clear();
        assert!(c.notice(0));
        assert!(c.notice(0x9e37_79b9_7f4a_7c15));
    }

    #[test]
    fn large_caches_hold_their_capacity() {
        let c = ContextKeyCache::new(1000);
        let keys: Vec<u64> = (0..900u64)
            .map(|k| crate::fast_hash::hash_str(&k.to_string()))
            .collect();
        for &k in &keys {
            assert!(c.notice(k));
        }
        let remembered = keys.iter().filter(|&&k| !c.notice(k)).count();
        assert_eq!(remembered, 900);
    }

    #[test]
    fn recent_contexts_remember_until_the_generation_changes() {
        let mut r = RecentContexts::default();
        assert!(!r.seen(42, 1));
        assert!(r.seen(42, 1));
        assert!(!r.seen(42 + RECENT_SLOTS as u64, 1)); // same slot: replaces 42
        assert!(!r.seen(42, 1));
        assert!(!r.seen(42, 2));
        assert!(r.seen(42, 2));
        assert!(!r.seen(0, 2) && !r.seen(0, 2));
        assert_eq!(r.take_deduplicated(), 2);
        assert_eq!(r.take_deduplicated(), 0);
    }

    #[test]
    fn zero_capacity_treats_every_context_as_new() {
        let c = ContextKeyCache::new(0);
        assert!(c.notice(5));
        assert!(c.notice(5));
    }
}
