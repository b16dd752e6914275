//! Lists of keys (targets, segment includes and excludes) prepared for fast membership tests.

use std::collections::HashSet;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::fast_hash::FastBuildHasher;

/// Up to this many keys are scanned linearly; longer lists get a hash set.
const LINEAR_SCAN_MAX: usize = 8;

/// An ordered list of string keys that answers "is this key in it?" in constant time.
///
/// Serializes as the JSON array it was read from.
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
    keys: Vec<String>,
    set: Option<HashSet<Box<str>, FastBuildHasher>>,
}

impl KeySet {
    /// Makes a set from a list of keys (order is kept for serialization).
    pub fn new(keys: Vec<String>) -> Self {
        let set = (keys.len() > LINEAR_SCAN_MAX)
            .then(|| keys.iter().map(|k| Box::from(k.as_str())).collect());
        KeySet { keys, set }
    }

    /// Whether `key` is in the set.
    #[inline]
    pub fn contains(&self, key: &str) -> bool {
        match &self.set {
            Some(set) => set.contains(key),
            None => self.keys.iter().any(|k| k == key),
        }
    }

    /// The keys, in their original order.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl PartialEq for KeySet {
    fn eq(&self, other: &Self) -> bool {
        self.keys == other.keys
    }
}

impl FromIterator<String> for KeySet {
    fn from_iter<I: IntoIterator<Item = String>>(iter: I) -> Self {
        KeySet::new(iter.into_iter().collect())
    }
}

impl Serialize for KeySet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.keys.serialize(s)
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
        for n in [0, 1, 8, 9, 1000] {
            let s: KeySet = (0..n).map(|i| format!("key-{i}")).collect();
            for i in 0..n {
                assert!(s.contains(&format!("key-{i}")));
            }
            assert!(!s.contains("key-"));
            assert!(!s.contains(""));
        }
    }

    #[test]
    fn null_deserializes_as_empty() {
        let s: KeySet = serde_json::from_str("null").unwrap();
        assert!(s.is_empty());
    }
}
