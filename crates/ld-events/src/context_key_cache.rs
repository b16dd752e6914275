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
//! state): an open-addressing table of the context hashes the LRU confirmed to it, sized for the
//! whole cache (twice the capacity, 64 to 8,192 entries of 8 bytes) and allocated once. A hit
//! skips the shared LRU entirely, so the common evaluation takes no lock at all, and a context
//! the LRU knows but this thread has not met costs one shard lock and no allocation. Clearing the
//! LRU, or evicting from it, bumps a generation; entries are stored mixed with the generation they
//! were confirmed in, so a new generation invalidates every thread's entries without touching
//! them, and a context the LRU forgot is indexed again. The one difference from a strict LRU: a
//! fast-path hit does not refresh the context's recency, so with more distinct contexts than the
//! capacity a context in steady use can be evicted (and re-indexed) a little earlier than a
//! strict LRU would.

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
    remembers: bool,
}

/// Entries a thread's [`RecentContexts`] probes for one context.
const RECENT_WAYS: usize = 8;
/// Bounds of a [`RecentContexts`] table (entries; 8 bytes each).
const RECENT_MIN_SLOTS: usize = 64;
const RECENT_MAX_SLOTS: usize = 8192;

/// A thread's recently seen contexts (see the module documentation): an open-addressing table of
/// context identity hashes, each stored mixed with the cache generation it was confirmed in, so
/// that a new generation invalidates every entry without touching the table. Thread-local: no
/// synchronisation; allocated once, never grows.
///
/// The top byte of an entry is not part of the identity: it is the context's [`KindsTag`], with
/// which the summary's fast path counts a context object that carries no memo yet (one built
/// for this evaluation) without reading its kinds, when it is a plain user.
#[derive(Debug)]
pub(crate) struct RecentContexts {
    /// `hash ^ mix(generation)` in the low 56 bits, the [`KindsTag`] in the top 8; 0 is empty.
    slots: Box<[u64]>,
    mask: usize,
    /// Rotates the entry replaced when all the probed ones are taken.
    victim: usize,
    deduplicated: u64,
}

/// Spreads a generation over all 64 bits, so that an entry of another generation does not match.
#[inline(always)]
fn mix(generation: u64) -> u64 {
    generation.wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// The identity bits of an entry.
const IDENTITY: u64 = (1 << 56) - 1;

/// What an entry of [`RecentContexts`] says about its context's kinds, in one byte: 0 for a
/// *plain user*, otherwise `0x80` plus the id under which the summarizer interned the context's
/// kinds (`summary::Registry::intern_kinds`).
///
/// A plain user is a single `user` context whose fully-qualified key has no `:`; that is exactly
/// what such a key implies (every other context's key names its kinds, followed by `:`), so an
/// entry found by the key's hash vouches for its kinds. For any other context the entry's kinds
/// are those of *a* context with the same fully-qualified key, which is the same kinds unless one
/// of the two is a `user` whose key contains `:`: the summary checks that (see
/// `Summarizer::known_context`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KindsTag(pub(crate) u8);

impl KindsTag {
    /// A plain user's tag.
    pub(crate) const PLAIN_USER: KindsTag = KindsTag(0);

    /// The tag of a context that is not a plain user, whose kinds were interned as `id` (< 128).
    pub(crate) fn interned(id: u8) -> KindsTag {
        KindsTag(0x80 | (id & 0x7f))
    }

    /// The kinds' interned id (a plain user's kinds, `user`, are always id 0).
    #[inline(always)]
    pub(crate) fn id(self) -> u8 {
        self.0 & 0x7f
    }

    /// Whether the context is a plain user.
    #[inline(always)]
    pub(crate) fn is_plain_user(self) -> bool {
        self.0 == 0
    }
}

impl RecentContexts {
    /// A table for a context-key cache of `capacity` keys: twice that (so that the whole cache
    /// fits), within fixed bounds.
    pub(crate) fn for_capacity(capacity: usize) -> Self {
        let slots = capacity
            .saturating_mul(2)
            .clamp(RECENT_MIN_SLOTS, RECENT_MAX_SLOTS)
            .next_power_of_two();
        Self {
            slots: vec![0; slots].into_boxed_slice(),
            mask: slots - 1,
            victim: 0,
            deduplicated: 0,
        }
    }

    /// The context's [`KindsTag`] when `hash` was confirmed by the shared LRU in `generation`;
    /// otherwise `None`, and the caller asks the shared LRU and then calls
    /// [`RecentContexts::remember`]. Does not count a deduplicated sighting (see
    /// [`RecentContexts::seen`]).
    #[inline(always)]
    pub(crate) fn lookup(&self, hash: u64, generation: u64) -> Option<KindsTag> {
        let tagged = (hash ^ mix(generation)) & IDENTITY;
        if tagged == 0 {
            return None; // would match an empty entry
        }
        let start = hash as usize;
        for i in 0..RECENT_WAYS {
            let entry = self.slots[(start + i) & self.mask];
            if entry & IDENTITY == tagged {
                return Some(KindsTag((entry >> 56) as u8));
            }
        }
        None
    }

    /// Whether [`RecentContexts::lookup`] finds `hash`, counting a deduplicated sighting when
    /// it does.
    #[inline]
    pub(crate) fn seen(&mut self, hash: u64, generation: u64) -> bool {
        let found = self.lookup(hash, generation).is_some();
        if found {
            self.deduplicated += 1;
        }
        found
    }

    /// Remembers that the shared LRU holds `hash` in `generation`; `kinds` as described in
    /// [`KindsTag`].
    pub(crate) fn remember(&mut self, hash: u64, generation: u64, kinds: KindsTag) {
        let tagged = (hash ^ mix(generation)) & IDENTITY;
        if tagged == 0 {
            return;
        }
        let start = hash as usize;
        let mask = self.mask;
        let tag = mix(generation);
        // Reuse this context's entry, or take an empty one, or one of an older generation:
        // unmixed with the current generation, its value is noise whose home bucket is (almost
        // surely) not near `at`.
        let free = (0..RECENT_WAYS).map(|i| (start + i) & mask).find(|&at| {
            let entry = self.slots[at];
            entry & IDENTITY == tagged
                || entry == 0
                || at.wrapping_sub((entry ^ tag) as usize) & mask >= RECENT_WAYS
        });
        let at = free.unwrap_or_else(|| {
            self.victim = self.victim.wrapping_add(1);
            (start + self.victim % RECENT_WAYS) & mask
        });
        self.slots[at] = tagged | (u64::from(kinds.0) << 56);
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

/// Source of [`ContextKeyCache`] ids.
static NEXT_CACHE_ID: AtomicU64 = AtomicU64::new(1);

/// What one new generation adds (see [`ContextKeyCache::generation`]).
const GENERATION_STEP: u64 = 1 << 8;

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
            generation: AtomicU64::new(
                (NEXT_CACHE_ID.fetch_add(1, Ordering::Relaxed) << 40) | GENERATION_STEP,
            ),
            remembers: capacity > 0,
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
            self.generation
                .fetch_add(GENERATION_STEP, Ordering::Relaxed);
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
        self.generation
            .fetch_add(GENERATION_STEP, Ordering::Relaxed);
    }

    /// Whether the cache remembers contexts at all (a capacity of 0 makes every sighting new).
    pub(crate) fn remembers(&self) -> bool {
        self.remembers
    }

    /// The current generation, for [`RecentContexts::seen`] and for the memo the summary writes
    /// on contexts: the cache's id (unique in the process) in the top 24 bits and a counter in
    /// the next 32, the low 8 clear. So a generation of another cache never equals this one's
    /// (barring 2^24 caches in one process, or 2^32 generations of one cache, that is 2^32
    /// evictions and clearings).
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
        assert_eq!(c.generation(), g + GENERATION_STEP);
        c.clear();
        assert_eq!(c.generation(), g + 2 * GENERATION_STEP);
    }

    #[test]
    fn generations_of_two_caches_never_coincide_and_leave_room_for_a_kinds_id() {
        let (a, b) = (ContextKeyCache::new(1), ContextKeyCache::new(1));
        assert_ne!(a.generation(), b.generation());
        b.clear();
        assert_ne!(a.generation(), b.generation());
        assert_eq!(a.generation() & 0xff, 0);
        assert_eq!(b.generation() & 0xff, 0);
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
            .map(|k| ld_eval::Context::hash_key(&k.to_string()))
            .collect();
        for &k in &keys {
            assert!(c.notice(k));
        }
        let remembered = keys.iter().filter(|&&k| !c.notice(k)).count();
        assert_eq!(remembered, 900);
    }

    #[test]
    fn recent_contexts_remember_until_the_generation_changes() {
        let mut r = RecentContexts::for_capacity(10);
        assert!(!r.seen(42, 1));
        r.remember(42, 1, KindsTag::PLAIN_USER);
        assert!(r.seen(42, 1));
        assert!(!r.seen(44, 1));
        assert!(!r.seen(42, 2), "a new generation forgets");
        r.remember(42, 2, KindsTag::interned(3));
        assert!(r.seen(42, 2));
        assert_eq!(
            r.lookup(42, 2),
            Some(KindsTag::interned(3)),
            "looking up does not count"
        );
        assert_eq!(r.take_deduplicated(), 2);
        assert_eq!(r.take_deduplicated(), 0);
    }

    #[test]
    fn recent_contexts_hold_a_whole_cache_worth_of_contexts() {
        let mut r = RecentContexts::for_capacity(1000);
        let keys: Vec<u64> = (0..1000u64)
            .map(|k| ld_eval::Context::hash_key(&format!("user-{k}")))
            .collect();
        for &k in &keys {
            r.remember(k, 7, KindsTag::PLAIN_USER);
        }
        let held = keys.iter().filter(|&&k| r.seen(k, 7)).count();
        assert!(held >= 990, "only {held} of 1000 held");
        // Entries of the old generation are reused first.
        for &k in &keys {
            r.remember(k, 8, KindsTag(0x85));
        }
        assert!(
            keys.iter()
                .filter(|&&k| r.lookup(k, 8) == Some(KindsTag(0x85)))
                .count()
                >= 990
        );
    }

    #[test]
    fn recent_contexts_never_vouch_for_an_unseen_context() {
        let mut r = RecentContexts::for_capacity(0);
        for k in 1..=10_000u64 {
            r.remember(
                k.wrapping_mul(0x9e37_79b9_7f4a_7c15),
                1,
                KindsTag::PLAIN_USER,
            );
        }
        // The table is small and overflowed: old entries were replaced, new ones never invented.
        assert!(!r.seen(12_344, 1));
        assert!(!r.seen(0, 1));
    }

    #[test]
    fn kinds_tags_tell_plain_users_apart() {
        assert!(KindsTag::PLAIN_USER.is_plain_user());
        // A user whose key has a `:` is not vouched for, but has the `user` kinds id.
        let colon_user = KindsTag::interned(0);
        assert!(!colon_user.is_plain_user());
        assert_eq!(colon_user.id(), KindsTag::PLAIN_USER.id());
        assert_eq!(KindsTag::interned(5).id(), 5);
    }

    #[test]
    fn zero_capacity_treats_every_context_as_new() {
        let c = ContextKeyCache::new(0);
        assert!(c.notice(5));
        assert!(c.notice(5));
    }
}
