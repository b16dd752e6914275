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
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
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
