//! The hash function of the snapshot's key maps: a fast multiply-rotate hash over the key's
//! bytes, eight at a time.
//!
//! Every evaluation looks its flag up by key (and each prerequisite and segment too); with the
//! standard library's SipHash, hashing a short key costs more instructions than evaluating an
//! `off` flag. The keys are inserted only from the flag data the SDK receives from
//! LaunchDarkly (or the application's own files or test data), never from end users, so the
//! flooding attacks SipHash defends against do not apply here. Lookups with a caller's key
//! only read.

use std::hash::{BuildHasherDefault, Hasher};

/// Multiplier (the golden-ratio constant, odd) spreading each word over the state.
const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// The hasher of the snapshot's flag and segment maps (see the module documentation).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct KeyHasher {
    state: u64,
}

impl KeyHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.state = (self.state.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for KeyHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            // The length keeps "a" and "a\0" apart.
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // The map takes its bucket from the low bits and its control byte from the top ones:
        // one more multiply of the folded state mixes every input bit into both ends.
        let folded = (self.state ^ (self.state >> 32)).wrapping_mul(K);
        folded ^ (folded >> 29)
    }
}

/// Builds [`KeyHasher`]s (stateless: the same key always hashes the same).
pub(crate) type BuildKeyHasher = BuildHasherDefault<KeyHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    fn hash(s: &str) -> u64 {
        BuildKeyHasher::default().hash_one(s)
    }

    #[test]
    fn equal_keys_hash_equal_and_near_keys_differ() {
        assert_eq!(hash("flag-key"), hash("flag-key"));
        let keys = [
            "", "a", "a\0", "b", "flag-1", "flag-2", "flag-10", "flag-key", "flag-kez",
        ];
        let hashes: HashSet<u64> = keys.iter().map(|k| hash(k)).collect();
        assert_eq!(hashes.len(), keys.len());
    }

    #[test]
    fn ten_thousand_numbered_keys_spread_over_the_top_bits() {
        // hashbrown groups by the top 7 bits; a hash that leaves them constant degrades it.
        let tops: HashSet<u64> = (0..10_000)
            .map(|i| hash(&format!("flag-{i}")) >> 57)
            .collect();
        assert!(
            tops.len() > 100,
            "only {} distinct top-7-bit values",
            tops.len()
        );
        let lows: HashSet<u64> = (0..10_000)
            .map(|i| hash(&format!("flag-{i}")) & 0x3ff)
            .collect();
        assert!(
            lows.len() > 900,
            "only {} distinct low-10-bit values",
            lows.len()
        );
    }
}
