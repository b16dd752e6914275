//! A small, fast, non-cryptographic hasher for the key sets built when flags are prepared, and
//! for stores keyed by flag and segment key.
//!
//! The tables hold keys from flag and segment data (trusted, written by the flags' owners); the
//! strings looked up in them come from contexts or application code but are never inserted, so
//! hash flooding is not a concern and SipHash's cost per lookup is not worth paying on the hot
//! path.

use std::hash::{BuildHasherDefault, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// A multiply-rotate hasher (in the style of rustc's FxHash) over 8-byte words.
///
/// Only for tables whose keys come from trusted data (see the module documentation).
///
/// ```
/// use std::collections::HashMap;
/// let mut flags: HashMap<String, u32, ld_eval::FastBuildHasher> = HashMap::default();
/// flags.insert("my-flag".into(), 1);
/// assert_eq!(flags.get("my-flag"), Some(&1));
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher {
    hash: u64,
}

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        let n = rest.len();
        // Read the 1..=7 trailing bytes with (possibly overlapping) fixed-size loads instead of
        // a variable-length copy, which would be a call to memcpy.
        let word = if n >= 4 {
            let lo = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
            let hi = u32::from_le_bytes([rest[n - 4], rest[n - 3], rest[n - 2], rest[n - 1]]);
            u64::from(lo) | (u64::from(hi) << 32)
        } else if n > 0 {
            u64::from(rest[0]) | (u64::from(rest[n / 2]) << 8) | (u64::from(rest[n - 1]) << 16)
        } else {
            return;
        };
        self.add(word ^ ((n as u64) << 59));
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // Final avalanche so that the low bits used by the table depend on every input bit.
        let mut h = self.hash;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h
    }
}

/// Builds [`FastHasher`]s.
pub type FastBuildHasher = BuildHasherDefault<FastHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    fn hash(s: &str) -> u64 {
        FastBuildHasher::default().hash_one(s)
    }

    #[test]
    fn distinct_short_and_long_strings_hash_differently() {
        let words: Vec<String> = (0..2000)
            .map(|i| format!("k{i}"))
            .chain(
                [
                    "",
                    "a",
                    "ab",
                    "abc",
                    "abcd",
                    "abcde",
                    "abcdefg",
                    "abcdefgh",
                    "abcdefghi",
                    "ba",
                ]
                .map(String::from),
            )
            .collect();
        let mut hashes: Vec<u64> = words.iter().map(|w| hash(w)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), words.len());
        assert_eq!(hash("fallthrough"), hash("fallthrough"));
    }
}
