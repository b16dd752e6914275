//! A small, fast, deterministic hasher for the calling-thread paths (summary counters keyed by flag
//! key, the context-key cache keyed by a context's identity).
//!
//! std's SipHash is DoS-resistant but costs more than the rest of a summary update for short keys.
//! Keys here come from the application's own flags and contexts, and the worst outcome of a crafted
//! collision is a slower map or a missing index event, so a multiply-rotate hash (in the style of
//! rustc's FxHash) with a final avalanche step is the right trade.

use std::hash::{BuildHasher, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// Multiply-rotate hasher; see the module documentation.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FastHasher {
    state: u64,
}

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.state = (self.state.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
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
            self.add(tail_word(rest));
        }
        // The length keeps "ab" + "c" apart from "a" + "bc" when several strings are hashed.
        self.add(bytes.len() as u64);
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // splitmix64 finaliser: spreads the low-entropy multiply result over all bits, so both
        // the low bits (shard and bucket choice) and the high bits (hashbrown's tag) vary.
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// The last 1–7 bytes as one word, with fixed-size loads only: copying a variable-length tail
/// into a buffer compiles to a `memcpy` call and a store-forwarding stall, which cost more than
/// the rest of the hash. Overlapping reads are fine because the length is hashed too.
#[inline(always)]
pub(crate) fn tail_word(rest: &[u8]) -> u64 {
    let n = rest.len();
    let u32_at = |i: usize| {
        rest.get(i..i + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map_or(0, |b| u64::from(u32::from_le_bytes(b)))
    };
    if n >= 4 {
        u32_at(0) | (u32_at(n - 4) << 32)
    } else {
        let byte = |i: usize| rest.get(i).map_or(0, |&b| u64::from(b));
        byte(0) | (byte(n / 2) << 8) | (byte(n.saturating_sub(1)) << 16)
    }
}

/// `BuildHasher` for `HashMap`s keyed by flag keys.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FastBuildHasher;

impl BuildHasher for FastBuildHasher {
    type Hasher = FastHasher;

    #[inline]
    fn build_hasher(&self) -> FastHasher {
        FastHasher::default()
    }
}

/// Hash of one string. Strings of up to 16 bytes (most context and flag keys) take a short
/// path: one or two fixed-size loads and a folded 64×64→128-bit multiply (as in wyhash), whose
/// xored halves spread every input bit over the whole result; longer ones go through
/// [`FastHasher`].
#[inline(always)]
pub(crate) fn hash_str(s: &str) -> u64 {
    let bytes = s.as_bytes();
    let n = bytes.len();
    let (low, high) = match n {
        0..=8 => (if n == 0 { 0 } else { tail_word(bytes) }, 0),
        9..=16 => (word_at(bytes, 0), word_at(bytes, n - 8)),
        _ => return hash_long(bytes),
    };
    folded_multiply(
        low ^ 0x243f_6a88_85a3_08d3,
        high ^ 0x1319_8a2e_0370_7344 ^ n as u64,
    )
}

/// [`hash_str`] for strings longer than 16 bytes.
#[inline(never)]
fn hash_long(bytes: &[u8]) -> u64 {
    let mut h = FastHasher::default();
    h.write(bytes);
    h.finish()
}

/// The 8 bytes at `at` (callers guarantee they exist).
#[inline(always)]
fn word_at(bytes: &[u8], at: usize) -> u64 {
    bytes
        .get(at..at + 8)
        .and_then(|w| <[u8; 8]>::try_from(w).ok())
        .map_or(0, u64::from_le_bytes)
}

/// The high and low halves of the 128-bit product, xored.
#[inline(always)]
fn folded_multiply(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_input_hashes_equal_and_different_input_differs() {
        assert_eq!(hash_str("flag-key"), hash_str("flag-key"));
        assert_ne!(hash_str("flag-key"), hash_str("flag-kez"));
        assert_ne!(hash_str(""), hash_str("\0"));
    }

    #[test]
    fn every_tail_length_distinguishes_its_bytes() {
        let data = b"abcdefghijklmnopqrstuvwxyz";
        for len in 1..data.len() {
            let original = &data[..len];
            let mut changed = original.to_vec();
            for i in 0..len {
                changed[i] ^= 1;
                let (a, b) = (
                    std::str::from_utf8(original).unwrap(),
                    std::str::from_utf8(&changed).unwrap(),
                );
                assert_ne!(hash_str(a), hash_str(b), "len {len}, byte {i}");
                let mut h = FastHasher::default();
                h.write(original);
                let mut g = FastHasher::default();
                g.write(&changed);
                assert_ne!(h.finish(), g.finish(), "hasher: len {len}, byte {i}");
                changed[i] ^= 1;
            }
        }
    }

    #[test]
    fn short_strings_of_every_length_hash_apart() {
        let data = "abcdefghijklmnopq";
        let mut seen = std::collections::HashSet::new();
        for len in 0..=data.len() {
            assert!(seen.insert(hash_str(&data[..len])), "length {len}");
        }
        // Same 8 bytes, different lengths (the short path reads overlapping words).
        assert_ne!(hash_str("abcd"), hash_str("abcdabcd"));
        assert_ne!(hash_str("abcdefghabcdefgh"), hash_str("abcdefghabcdefg"));
        // Every bit of a 9–16-byte key matters.
        let key = b"user-1234567";
        for i in 0..key.len() {
            for bit in 0..8 {
                let mut changed = key.to_vec();
                changed[i] ^= 1 << bit;
                let changed = String::from_utf8_lossy(&changed).into_owned();
                assert_ne!(
                    hash_str("user-1234567"),
                    hash_str(&changed),
                    "byte {i} bit {bit}"
                );
            }
        }
    }

    #[test]
    fn short_hashes_spread_over_low_and_high_bits() {
        let hashes: Vec<u64> = (0..4096).map(|i| hash_str(&format!("user-{i}"))).collect();
        let low: std::collections::HashSet<u64> = hashes.iter().map(|h| h & 0xfff).collect();
        let high: std::collections::HashSet<u64> = hashes.iter().map(|h| h >> 52).collect();
        // 4096 keys into 4096 buckets: a uniform hash fills about 63% of them.
        assert!(low.len() > 2400, "low bits fill {} buckets", low.len());
        assert!(high.len() > 2400, "high bits fill {} buckets", high.len());
    }

    #[test]
    fn string_boundaries_matter() {
        let mut a = FastHasher::default();
        a.write(b"ab");
        a.write(b"c");
        let mut b = FastHasher::default();
        b.write(b"a");
        b.write(b"bc");
        assert_ne!(a.finish(), b.finish());
    }
}
