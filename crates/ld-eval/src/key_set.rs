//! Lists of keys (targets, segment includes and excludes) prepared for fast membership tests.

use std::hash::Hasher;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::fast_hash::FastHasher;

/// Up to this many keys are scanned linearly; longer lists get a hash index.
const LINEAR_SCAN_MAX: usize = 8;

/// An empty slot of the hash index.
const EMPTY: u32 = u32::MAX;

/// An ordered list of string keys that answers "is this key in it?" in constant time.
///
/// Serializes as the JSON array it was read from. The keys are stored concatenated in one
/// string with their end offsets (no allocation per key), and long lists get a hash index of
/// key positions (open addressing, at most half full), so beyond the key bytes themselves a
/// key costs 12–16 bytes.
///
/// ```
/// use ld_eval::KeySet;
/// let s: KeySet = (0..100).map(|i| format!("k{i}")).collect();
/// assert!(s.contains("k42"));
/// assert!(!s.contains("k100"));
/// assert_eq!(s.len(), 100);
/// ```
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    /// All keys, concatenated (one allocation instead of one per key).
    text: Box<str>,
    /// Where each key ends in `text`.
    ends: Box<[usize]>,
    /// Empty for short lists; otherwise a power-of-two table of key positions.
    index: Box<[u32]>,
}

fn hash(key: &str) -> u64 {
    let mut h = FastHasher::default();
    h.write(key.as_bytes());
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

impl KeySet {
    /// Makes a set from a list of keys (order is kept for serialization).
    pub fn new(keys: Vec<String>) -> Self {
        let mut ends = Vec::with_capacity(keys.len());
        let mut end = 0;
        for k in &keys {
            end += k.len();
            ends.push(end);
        }
        let text: Box<str> = keys.concat().into_boxed_str();
        let index = if keys.len() > LINEAR_SCAN_MAX {
            position_index(keys.len(), keys.iter().map(String::as_str).enumerate())
        } else {
            Box::default()
        };
        KeySet {
            text,
            ends: ends.into_boxed_slice(),
            index,
        }
    }

    /// The key at position `i` (which must be below `len()`).
    #[inline]
    fn key(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    /// Whether `key` is in the set.
    #[inline]
    pub fn contains(&self, key: &str) -> bool {
        if self.index.is_empty() {
            let mut start = 0;
            for &end in self.ends.iter() {
                if end - start == key.len() && &self.text[start..end] == key {
                    return true;
                }
                start = end;
            }
            return false;
        }
        index_contains(&self.index, key, |i| self.key(i) == key)
    }

    /// The keys, in their original order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.ends.len()).map(|i| self.key(i))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

impl PartialEq for KeySet {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text && self.ends == other.ends
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

impl<'de> Deserialize<'de> for KeySet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // `null` is treated as an empty list, as other SDKs do.
        let keys = Option::<Vec<String>>::deserialize(d)?.unwrap_or_default();
        Ok(KeySet::new(keys))
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
    fn null_deserializes_as_empty() {
        let s: KeySet = serde_json::from_str("null").unwrap();
        assert!(s.is_empty());
    }
}
