//! Lists of keys (targets, segment includes and excludes) prepared for fast membership tests.

use std::cell::RefCell;
use std::fmt;
use std::hash::Hasher;
use std::sync::Arc;

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::borrowed_str::BorrowedStr;

use crate::fast_hash::FastHasher;

/// Up to this many keys are scanned linearly; longer lists get a hash index.
const LINEAR_SCAN_MAX: usize = 8;

/// An empty slot of the hash index.
const EMPTY: u32 = u32::MAX;

/// An ordered list of string keys that answers "is this key in it?" in constant time.
///
/// Serializes as the JSON array it was read from. The keys are stored concatenated in one
/// string, and their end offsets in one table of `u32`s that long lists extend with a hash
/// index of key positions (open addressing, at most half full): two allocations whatever the
/// number of keys, and beyond the key bytes themselves 4–12 bytes a key. Reading a JSON list
/// fills these directly, with no allocation per key.
///
/// ```
/// use ld_eval::KeySet;
/// let s: KeySet = (0..100).map(|i| format!("k{i}")).collect();
/// assert!(s.contains("k42"));
/// assert!(!s.contains("k100"));
/// assert_eq!(s.len(), 100);
/// ```
#[derive(Debug, Clone)]
pub struct KeySet {
    /// All keys, concatenated from `start` on (one allocation instead of one per key). A flag
    /// read by the fast reader keeps the keys of its targets in its shared text block (see
    /// [`SharedStr`](crate::SharedStr)), so they cost no allocation of their own.
    text: Arc<str>,
    /// Where the first key starts in `text`.
    start: u32,
    /// Where each key ends in `text` (the first `len` entries); for long lists, followed by a
    /// power-of-two hash index of key positions.
    table: Box<[u32]>,
    /// The number of keys.
    len: u32,
}

impl Default for KeySet {
    /// No keys (no allocation).
    fn default() -> Self {
        KeySet {
            text: crate::shared_str::empty_text(),
            start: 0,
            table: Box::default(),
            len: 0,
        }
    }
}

#[inline]
fn hash(key: &str) -> u64 {
    hash_bytes(key.as_bytes())
}

#[inline]
fn hash_bytes(key: &[u8]) -> u64 {
    let mut h = FastHasher::default();
    h.write(key);
    h.finish()
}

/// Builds a hash index of `count` strings given with their positions: a power-of-two table of
/// positions, at most half full (empty if there are too many strings to index).
pub(crate) fn position_index<'a>(
    count: usize,
    strings: impl Iterator<Item = (usize, &'a str)>,
) -> Box<[u32]> {
    if count == 0 || count >= (EMPTY / 2) as usize {
        return Box::default();
    }
    let mut slots = vec![EMPTY; (count * 2).next_power_of_two()].into_boxed_slice();
    let mask = slots.len() - 1;
    for (i, k) in strings {
        let mut pos = hash(k) as usize & mask;
        while slots[pos] != EMPTY {
            pos = (pos + 1) & mask;
        }
        slots[pos] = i as u32;
    }
    slots
}

/// Whether `key` is in a non-empty index built by [`position_index`]; `is_at(i)` tells
/// whether the string at position `i` equals `key`.
#[inline]
pub(crate) fn index_contains(index: &[u32], key: &str, is_at: impl Fn(usize) -> bool) -> bool {
    let mask = index.len() - 1;
    let mut pos = hash(key) as usize & mask;
    loop {
        match index[pos] {
            EMPTY => return false,
            i if is_at(i as usize) => return true,
            _ => pos = (pos + 1) & mask,
        }
    }
}

/// Builds the table of a [`KeySet`] from the keys' end offsets in `text` (`ends`, whose
/// capacity should already allow for the index; the first key starts at `start`).
fn with_index(text: &str, start: usize, mut ends: Vec<u32>, linear_max: usize) -> Box<[u32]> {
    let count = ends.len();
    if count > linear_max && count < (EMPTY / 2) as usize {
        let slots = (count * 2).next_power_of_two();
        ends.reserve_exact(slots);
        ends.resize(count + slots, EMPTY);
        let (ends, index) = ends.split_at_mut(count);
        let mask = slots - 1;
        let mut start = start;
        // Hashed as bytes (as `hash` hashes a key), without checking for character boundaries.
        let text = text.as_bytes();
        for (i, &end) in ends.iter().enumerate() {
            let key = text.get(start..end as usize).unwrap_or_default();
            let mut pos = hash_bytes(key) as usize & mask;
            while index[pos] != EMPTY {
                pos = (pos + 1) & mask;
            }
            index[pos] = i as u32;
            start = end as usize;
        }
    }
    ends.into_boxed_slice()
}

/// How many index slots a list of `count` keys gets.
fn index_slots(count: usize, linear_max: usize) -> usize {
    if count > linear_max && count < (EMPTY / 2) as usize {
        (count * 2).next_power_of_two()
    } else {
        0
    }
}

impl KeySet {
    /// Makes a set from a list of keys (order is kept for serialization).
    ///
    /// # Panics
    ///
    /// If the keys add up to 4 GiB or more.
    pub fn new(keys: Vec<String>) -> Self {
        let text: Arc<str> = if keys.iter().all(String::is_empty) {
            crate::shared_str::empty_text()
        } else {
            Arc::from(keys.concat())
        };
        let mut ends = Vec::with_capacity(keys.len() + index_slots(keys.len(), LINEAR_SCAN_MAX));
        let mut end = 0u32;
        for k in &keys {
            end = u32::try_from(k.len())
                .ok()
                .and_then(|n| end.checked_add(n))
                .expect("a KeySet holds less than 4 GiB of keys");
            ends.push(end);
        }
        KeySet {
            table: with_index(&text, 0, ends, LINEAR_SCAN_MAX),
            len: keys.len() as u32,
            text,
            start: 0,
        }
    }

    #[inline]
    fn ends(&self) -> &[u32] {
        &self.table[..self.len as usize]
    }

    /// The key at position `i` (which must be below `len()`).
    #[inline(always)]
    pub(crate) fn key(&self, i: usize) -> &str {
        let ends = self.ends();
        let start = if i == 0 { self.start } else { ends[i - 1] } as usize;
        // Offsets of this very text, on character boundaries (empty if the set is unbound).
        self.text.get(start..ends[i] as usize).unwrap_or_default()
    }

    /// Whether `key` is in the set.
    #[inline(always)]
    pub fn contains(&self, key: &str) -> bool {
        let (ends, index) = self.table.split_at(self.len as usize);
        let (text, wanted) = (self.text.as_bytes(), key.as_bytes());
        if index.is_empty() {
            let mut start = self.start as usize;
            for &end in ends {
                let end = end as usize;
                if end - start == wanted.len() && text.get(start..end) == Some(wanted) {
                    return true;
                }
                start = end;
            }
            return false;
        }
        // Compared as bytes: the same test as comparing the strings, without checking for
        // character boundaries.
        index_contains(index, key, |i| {
            let end = ends[i] as usize;
            let start = if i == 0 { self.start } else { ends[i - 1] } as usize;
            end.wrapping_sub(start) == wanted.len() && text.get(start..end) == Some(wanted)
        })
    }

    /// The keys, in their original order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len as usize).map(|i| self.key(i))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl PartialEq for KeySet {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.keys().eq(other.keys())
    }
}

impl FromIterator<String> for KeySet {
    fn from_iter<I: IntoIterator<Item = String>>(iter: I) -> Self {
        KeySet::new(iter.into_iter().collect())
    }
}

impl Serialize for KeySet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.keys())
    }
}

/// Reusable buffers for reading lists of strings (key lists, clause values).
#[derive(Default)]
pub(crate) struct Scratch {
    /// The strings read so far, concatenated.
    pub(crate) text: String,
    /// Where each string ends in `text`.
    pub(crate) ends: Vec<u32>,
}

/// Scratch buffers larger than this are not kept after a list is read.
const SCRATCH_KEEP: usize = 64 * 1024;

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

/// Runs `f` with this thread's scratch buffers, emptied (or fresh ones if they are in use),
/// and lets go of them afterwards if they grew large.
pub(crate) fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    fn run<R>(scratch: &mut Scratch, f: impl FnOnce(&mut Scratch) -> R) -> R {
        scratch.text.clear();
        scratch.ends.clear();
        let out = f(scratch);
        if scratch.text.capacity() > SCRATCH_KEEP || scratch.ends.capacity() > SCRATCH_KEEP {
            *scratch = Scratch::default();
        }
        out
    }
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut scratch) => run(&mut scratch, f),
        Err(_) => run(&mut Scratch::default(), f),
    })
}

impl KeySet {
    /// A set of the strings in `text` that end at `ends` (ascending offsets into `text`, the
    /// last one at its end), hash-indexed if there are more than `linear_max`: two
    /// allocations at their final sizes.
    pub(crate) fn from_parts(text: &str, ends: &[u32], linear_max: usize) -> KeySet {
        let count = ends.len();
        let mut table = Vec::with_capacity(count + index_slots(count, linear_max));
        table.extend_from_slice(ends);
        let text: Arc<str> = if text.is_empty() {
            crate::shared_str::empty_text()
        } else {
            Arc::from(text)
        };
        KeySet {
            table: with_index(&text, 0, table, linear_max),
            len: count as u32,
            text,
            start: 0,
        }
    }

    /// A set of keys held in a text block that is being gathered (a flag's, see
    /// [`SharedStr`](crate::SharedStr)): the keys of `block` from `start` on, ending at `ends`
    /// (offsets into `block`). Holds no keys until bound with [`KeySet::bind`] to the finished
    /// block, whose text up to the last end must be `block`'s.
    pub(crate) fn pending(block: &str, start: u32, ends: &[u32]) -> KeySet {
        let count = ends.len();
        let mut table = Vec::with_capacity(count + index_slots(count, LINEAR_SCAN_MAX));
        table.extend_from_slice(ends);
        KeySet {
            table: with_index(block, start as usize, table, LINEAR_SCAN_MAX),
            len: count as u32,
            text: crate::shared_str::empty_text(),
            start,
        }
    }

    /// Ties a [`KeySet::pending`] set to its finished text block.
    pub(crate) fn bind(&mut self, block: &Arc<str>) {
        self.text = Arc::clone(block);
    }
}

impl KeySet {
    /// A set of the keys gathered in `scratch` (the serde path and the fast JSON reader).
    #[inline]
    pub(crate) fn from_scratch(scratch: &Scratch) -> KeySet {
        KeySet::from_parts(&scratch.text, &scratch.ends, LINEAR_SCAN_MAX)
    }
}

/// Appends `key` to the scratch text and records where it ends.
pub(crate) fn push_key<E: de::Error>(scratch: &mut Scratch, key: &str) -> Result<(), E> {
    scratch.text.push_str(key);
    let end =
        u32::try_from(scratch.text.len()).map_err(|_| E::custom("string list of 4 GiB or more"))?;
    scratch.ends.push(end);
    Ok(())
}

fn read_keys<'de, A: SeqAccess<'de>>(
    mut seq: A,
    scratch: &mut Scratch,
) -> Result<KeySet, A::Error> {
    while let Some(key) = seq.next_element::<BorrowedStr<'_>>()? {
        push_key(scratch, &key)?;
    }
    Ok(KeySet::from_scratch(scratch))
}

impl<'de> Deserialize<'de> for KeySet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeysVisitor;
        impl<'de> Visitor<'de> for KeysVisitor {
            type Value = KeySet;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of string keys, or null")
            }
            // `null` is treated as an empty list, as other SDKs do.
            fn visit_none<E: de::Error>(self) -> Result<KeySet, E> {
                Ok(KeySet::default())
            }
            fn visit_unit<E: de::Error>(self) -> Result<KeySet, E> {
                Ok(KeySet::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<KeySet, D::Error> {
                d.deserialize_seq(self)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<KeySet, A::Error> {
                // Keys are gathered in this thread's scratch buffers (kept between lists), so
                // the set gets its two allocations at their final sizes.
                with_scratch(|scratch| read_keys(seq, scratch))
            }
        }
        d.deserialize_option(KeysVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_large_sets_answer_the_same() {
        for n in [0, 1, 8, 9, 16, 17, 1000] {
            let s: KeySet = (0..n).map(|i| format!("key-{i}")).collect();
            for i in 0..n {
                assert!(s.contains(&format!("key-{i}")));
            }
            assert!(!s.contains("key-"));
            assert!(!s.contains(""));
        }
    }

    #[test]
    fn duplicate_keys_are_found_and_kept_in_order() {
        let keys: Vec<String> = ["a", "b", "a", "c", "d", "e", "f", "g", "h", "a"]
            .iter()
            .map(|k| k.to_string())
            .collect();
        let s = KeySet::new(keys.clone());
        assert!(s.contains("a") && s.contains("h") && !s.contains("x"));
        assert!(s.keys().eq(keys.iter().map(String::as_str)));
        assert_eq!(serde_json::to_value(&s).unwrap(), serde_json::json!(keys));
    }

    #[test]
    fn empty_and_multibyte_keys_are_kept_apart() {
        let keys: Vec<String> = ["", "é", "ab", "a", "b", "", "ü-ß"]
            .iter()
            .map(|k| k.to_string())
            .collect();
        let s = KeySet::new(keys.clone());
        for k in &keys {
            assert!(s.contains(k), "{k}");
        }
        assert!(!s.contains("éa") && !s.contains("ba"));
        assert_eq!(s.len(), 7);
        assert!(s.keys().eq(keys.iter().map(String::as_str)));
        assert_ne!(s, KeySet::new(vec!["ab".into(), "".into()]));
        assert_ne!(
            KeySet::new(vec!["a".into(), "b".into()]),
            KeySet::new(vec!["ab".into()])
        );
    }

    #[test]
    fn keys_in_a_shared_block_are_found_once_bound() {
        for n in [0usize, 1, 8, 9, 40] {
            // Some other text first, as in a flag's block (salt, rule ids), then the keys.
            let mut block = String::from("salt-é");
            let start = block.len() as u32;
            let mut ends = Vec::new();
            let keys: Vec<String> = (0..n).map(|i| format!("k{i}ü")).collect();
            for k in &keys {
                block.push_str(k);
                ends.push(block.len() as u32);
            }
            let mut set = KeySet::pending(&block, start, &ends);
            block.push_str("trailing");
            let block: Arc<str> = Arc::from(block);
            set.bind(&block);
            assert_eq!(set, KeySet::new(keys.clone()), "{n}");
            for k in &keys {
                assert!(set.contains(k), "{n} {k}");
            }
            for missing in ["salt-é", "", "k", "trailing", "ük0"] {
                assert!(!set.contains(missing), "{n} {missing}");
            }
        }
    }

    #[test]
    fn null_deserializes_as_empty() {
        let s: KeySet = serde_json::from_str("null").unwrap();
        assert!(s.is_empty());
    }
}
