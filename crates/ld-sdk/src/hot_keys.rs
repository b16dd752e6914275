//! A thread's memo of the flags and segments it found in one snapshot, keyed by the *address*
//! of the key string it looked them up with.
//!
//! Applications evaluate the same flags over and over with the same key strings: literals such
//! as `client.bool_variation("new-checkout", ..)`, whose address never changes, and the
//! evaluator looks up prerequisites and segments with keys stored inside the flags, which do
//! not move while the snapshot lives. Finding a flag by key in the store's hash map means
//! hashing the key, probing and comparing bytes, about a hundred instructions; a flag chain or
//! a segment rule repeats that for every item. Here a lookup takes the key's address to a slot
//! of a small table (one multiplication), and a slot that holds that address is *verified* by
//! comparing the key with the item's own key, so an address reused for another string can
//! never return the wrong item: it just misses.
//!
//! Each slot is filled once per snapshot (a `OnceCell`, so nothing handed out is ever
//! overwritten while borrowed) and holds a clone of the item's `Arc`, which keeps the
//! borrow safe without touching any reference count on a hit. A key whose slot is taken by
//! another key, or a key built afresh for every call (a new address each time), is looked up
//! in the map as before: the table only ever saves work. [`HotKeys::clear`] empties the table
//! when its thread moves to a newer snapshot; the items it held are still held by the old
//! snapshot then, so clearing never frees one on the evaluating thread.

use std::cell::OnceCell;
use std::sync::Arc;

use ld_store::{Flag, Segment, Snapshot};

/// Slots for flags: enough for the flags one thread evaluates, with room for their
/// prerequisites, before collisions become common.
const FLAG_SLOTS: usize = 256;
/// Slots for segments.
const SEGMENT_SLOTS: usize = 64;

/// One item found by the key at `address`.
type Slot<T> = OnceCell<(usize, Arc<T>)>;

/// The per-thread, per-snapshot table described in the module documentation.
#[derive(Debug)]
pub(crate) struct HotKeys {
    flags: Box<[Slot<Flag>]>,
    segments: Box<[Slot<Segment>]>,
}

impl Default for HotKeys {
    fn default() -> Self {
        Self {
            flags: (0..FLAG_SLOTS).map(|_| OnceCell::new()).collect(),
            segments: (0..SEGMENT_SLOTS).map(|_| OnceCell::new()).collect(),
        }
    }
}

impl HotKeys {
    /// The live flag `key` in `snapshot`, which must be the snapshot this table was filled from
    /// since its last [`HotKeys::clear`].
    #[inline(always)]
    pub(crate) fn flag<'s>(&'s self, snapshot: &'s Snapshot, key: &str) -> Option<&'s Flag> {
        let slot = &self.flags[slot_index(key, FLAG_SLOTS)];
        lookup(
            slot,
            key,
            |f| &f.key,
            || {
                snapshot
                    .flag_descriptor(key)
                    .and_then(|d| d.item.as_ref())
                    .filter(|f| !f.deleted)
            },
        )
    }

    /// The live segment `key` in `snapshot`; as for [`HotKeys::flag`].
    #[inline]
    pub(crate) fn segment<'s>(&'s self, snapshot: &'s Snapshot, key: &str) -> Option<&'s Segment> {
        let slot = &self.segments[slot_index(key, SEGMENT_SLOTS)];
        lookup(
            slot,
            key,
            |s| &s.key,
            || {
                snapshot
                    .segment_descriptor(key)
                    .and_then(|d| d.item.as_ref())
                    .filter(|s| !s.deleted)
            },
        )
    }

    /// Empties every slot, for a newer snapshot.
    pub(crate) fn clear(&mut self) {
        for slot in self.flags.iter_mut() {
            slot.take();
        }
        for slot in self.segments.iter_mut() {
            slot.take();
        }
    }
}

/// The slot for the key at `key`'s address. Keys are at least a byte apart (literals packed
/// together) or 8–16 bytes apart (heap strings): a multiplicative hash spreads both.
#[inline(always)]
fn slot_index(key: &str, slots: usize) -> usize {
    let address = key.as_ptr() as usize as u64;
    // The top bits of the product depend on every bit of the address.
    let mixed = address.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (mixed >> (64 - slots.trailing_zeros())) as usize
}

/// Reads `slot` for `key`: the slot's item on a verified hit; otherwise the item `find` (the
/// map lookup) returns, filling the slot with it if the slot was empty. Only an item whose own
/// key is `key` is put in a slot, so a verified hit is exactly what the map holds for `key`.
#[inline(always)]
fn lookup<'s, T>(
    slot: &'s Slot<T>,
    key: &str,
    key_of: impl Fn(&T) -> &str,
    find: impl FnOnce() -> Option<&'s Arc<T>>,
) -> Option<&'s T> {
    let address = key.as_ptr() as usize;
    match slot.get() {
        Some((a, item)) if *a == address && same_key(key_of(item), key) => Some(item),
        Some(_) => find().map(|item| &**item),
        None => {
            let item = find()?;
            if key_of(item) == key {
                fill(slot, address, item);
            }
            Some(item)
        }
    }
}

#[cold]
#[inline(never)]
fn fill<T>(slot: &Slot<T>, address: usize, item: &Arc<T>) {
    let _ = slot.set((address, Arc::clone(item)));
}

/// `a == b`, with keys of up to 32 bytes compared in registers (overlapping loads) rather than
/// by a `memcmp` call.
#[inline(always)]
fn same_key(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| {
        s.get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map_or(0, u64::from_le_bytes)
    };
    let half = |s: &[u8], at: usize| {
        s.get(at..at + 4)
            .and_then(|w| <[u8; 4]>::try_from(w).ok())
            .map_or(0, u32::from_le_bytes)
    };
    match n {
        0 => true,
        // Three bytes cover every byte of a key this short.
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        17..=32 => {
            word(a, 0) == word(b, 0)
                && word(a, 8) == word(b, 8)
                && word(a, n - 16) == word(b, n - 16)
                && word(a, n - 8) == word(b, n - 8)
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ld_store::{AllData, DataStore, InMemoryDataStore};

    fn snapshot(json: &str) -> Arc<Snapshot> {
        let store = InMemoryDataStore::new();
        store.init(AllData::from_json(json).unwrap()).unwrap();
        store.snapshot()
    }

    const DATA: &str = r#"{"flags": {
        "a": {"key": "a", "version": 1},
        "b": {"key": "b", "version": 2},
        "gone": {"key": "gone", "version": 3, "deleted": true}},
        "segments": {"s": {"key": "s", "version": 4}}}"#;

    #[test]
    fn a_key_finds_its_item_the_first_time_and_every_time_after() {
        let snap = snapshot(DATA);
        let hot = HotKeys::default();
        let key = "a";
        for _ in 0..3 {
            assert_eq!(hot.flag(&snap, key).map(|f| f.version), Some(1));
            assert_eq!(hot.segment(&snap, "s").map(|s| s.version), Some(4));
        }
        assert!(hot.flag(&snap, "missing").is_none());
        assert!(hot.flag(&snap, "gone").is_none());
        assert!(hot.segment(&snap, "missing").is_none());
    }

    #[test]
    fn an_address_reused_for_another_key_never_returns_the_first_keys_item() {
        let snap = snapshot(DATA);
        let hot = HotKeys::default();
        // The same buffer holds "a", then "b": same address, different key.
        let mut buffer = String::from("a");
        assert_eq!(hot.flag(&snap, &buffer).map(|f| f.version), Some(1));
        buffer.replace_range(.., "b");
        assert_eq!(hot.flag(&snap, &buffer).map(|f| f.version), Some(2));
        // And one that is no flag at all.
        buffer.replace_range(.., "z");
        assert!(hot.flag(&snap, &buffer).is_none());
    }

    #[test]
    fn keys_that_share_a_slot_are_both_found() {
        let snap = snapshot(DATA);
        let hot = HotKeys::default();
        // Every key of a long-enough list of fresh strings is found, whichever slot it takes.
        let keys: Vec<String> = (0..2000)
            .map(|i| if i % 2 == 0 { "a" } else { "b" }.to_owned())
            .collect();
        for (i, key) in keys.iter().enumerate() {
            let expected = if i % 2 == 0 { 1 } else { 2 };
            assert_eq!(hot.flag(&snap, key).map(|f| f.version), Some(expected));
        }
    }

    #[test]
    fn a_cleared_table_serves_the_newer_snapshot() {
        let old = snapshot(DATA);
        let new = snapshot(r#"{"flags": {"a": {"key": "a", "version": 9}}}"#);
        let mut hot = HotKeys::default();
        let key = "a";
        assert_eq!(hot.flag(&old, key).map(|f| f.version), Some(1));
        hot.clear();
        assert_eq!(hot.flag(&new, key).map(|f| f.version), Some(9));
    }

    #[test]
    fn keys_compare_equal_exactly_when_their_bytes_do() {
        let words = [
            "",
            "a",
            "ab",
            "abcdefg",
            "abcdefgh",
            "abcdefghi",
            "abcdefghijklmnop",
            "abcdefghijklmnopq",
            "abcdefghijklmnopqrstuvwxyz012345",
            "abcdefghijklmnopqrstuvwxyz0123456",
            "abcdefghijklmnopqrstuvwxyz0123457",
            "bbcdefghijklmnop",
            "abcdefghijklmnoq",
            "abcdefghXjklmnopqrstuvwxyz012345",
        ];
        for a in words {
            for b in words {
                assert_eq!(same_key(a, b), a == b, "{a:?} vs {b:?}");
            }
        }
    }
}
