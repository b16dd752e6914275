//! Percentage-rollout bucketing, exactly as LaunchDarkly computes it.
//!
//! The bucket of a context is `SHA-1("{flagKey}.{salt}.{value}")` (or `"{seed}.{value}"` when
//! the rollout has a seed), whose first 15 hex digits, read as an integer and divided by
//! `0xFFFFFFFFFFFFFFF` in single precision, give a number in `[0, 1)`. The value is the bucketing
//! attribute: a string as is, an integer-valued number in decimal; anything else buckets to 0.
//! Nothing here allocates: the hash is fed piece by piece and integers are formatted on the
//! stack.

use serde_json::Value;
use sha1::digest::generic_array::GenericArray;
use sha1::{Digest, Sha1};

use crate::attr_ref::AttrRef;
use crate::context::Context;

const MAX_SAFE_INT: f64 = 9_007_199_254_740_991.0;

/// What precedes the context's value in the hashed string.
#[derive(Debug, Clone, Copy)]
pub(crate) enum BucketPrefix<'a> {
    /// `{key}.{salt}`
    KeyAndSalt(&'a str, &'a str),
    /// `{seed}`
    Seed(i64),
}

/// Formats an integer in decimal into `buf`, returning the digits.
fn format_i64(n: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    let neg = n < 0;
    let mut m = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    if neg {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

/// The bucket in `[0, 1)` for a bucketable value.
pub(crate) fn bucket_for(prefix: BucketPrefix<'_>, value: &[u8]) -> f32 {
    let mut num = [0u8; 20];
    let (a, b): (&[u8], &[u8]) = match prefix {
        BucketPrefix::KeyAndSalt(key, salt) => (key.as_bytes(), salt.as_bytes()),
        BucketPrefix::Seed(seed) => (format_i64(seed, &mut num), b""),
    };
    let first_eight_bytes = if let BucketPrefix::KeyAndSalt(..) = prefix {
        sha1_prefix(&[a, b".", b, b".", value])
    } else {
        sha1_prefix(&[a, b".", value])
    };
    let fifteen_hex_digits = first_eight_bytes >> 4;
    fifteen_hex_digits as f32 / 0x0FFF_FFFF_FFFF_FFFF_u64 as f32
}

/// SHA-1's initial state (FIPS 180-4, 5.3.1).
const SHA1_INIT: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];

/// The first eight bytes of the SHA-1 digest of the concatenated parts, big-endian.
///
/// Bucketing needs only the first 15 hex digits, so the digest is never serialized. Messages of
/// up to 119 bytes (every realistic `flagKey.salt.contextKey`) are padded by hand into one or two
/// blocks on the stack and compressed directly, which skips the general hasher's block
/// buffering; longer ones go through the streaming hasher.
fn sha1_prefix(parts: &[&[u8]]) -> u64 {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    if total > 119 {
        let mut h = Sha1::new();
        for p in parts {
            h.update(p);
        }
        let digest: [u8; 20] = h.finalize().into();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        return u64::from_be_bytes(first);
    }
    let mut buf = [0u8; 128];
    let mut at = 0;
    for p in parts {
        buf[at..at + p.len()].copy_from_slice(p);
        at += p.len();
    }
    buf[total] = 0x80;
    let len = if total <= 55 { 64 } else { 128 };
    buf[len - 8..len].copy_from_slice(&((total as u64) * 8).to_be_bytes());
    let mut state = SHA1_INIT;
    for block in buf[..len].chunks_exact(64) {
        sha1::compress(
            &mut state,
            std::slice::from_ref(GenericArray::from_slice(block)),
        );
    }
    (u64::from(state[0]) << 32) | u64::from(state[1])
}

/// Why a bucket could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InvalidBucketBy;

/// Computes a context's bucket. Returns the bucket and whether the context lacked the kind
/// (then the bucket is 0 and the context is not counted as in an experiment).
pub(crate) fn bucket_context(
    context: &Context,
    kind: &str,
    bucket_by: Option<&AttrRef>,
    is_experiment: bool,
    prefix: BucketPrefix<'_>,
) -> Result<(f32, bool), InvalidBucketBy> {
    let by = match bucket_by {
        Some(r) if !is_experiment => {
            if !r.is_valid() {
                return Err(InvalidBucketBy);
            }
            Some(r)
        }
        _ => None,
    };
    let Some(single) = context.as_kind(kind) else {
        return Ok((0.0, true));
    };
    let value = match by {
        Some(r) => single.get(r),
        None => Some(&single.key),
    };
    let mut buf = [0u8; 20];
    let bytes: &[u8] = match value {
        Some(Value::String(s)) => s.as_bytes(),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(f) if f.abs() <= MAX_SAFE_INT && (f as i64) as f64 == f => {
                format_i64(f as i64, &mut buf)
            }
            _ => return Ok((0.0, false)),
        },
        _ => return Ok((0.0, false)),
    };
    Ok((bucket_for(prefix, bytes), false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_format_like_display() {
        let mut buf = [0u8; 20];
        for n in [0, 7, -7, 1234567890, i64::MIN, i64::MAX] {
            assert_eq!(format_i64(n, &mut buf), n.to_string().as_bytes());
        }
    }

    #[test]
    fn hand_padded_digest_agrees_with_the_streaming_hasher_at_every_length() {
        // Lengths around both padding boundaries (55/56 and 119/120 bytes) and far beyond.
        let text: String = (0..300).map(|i| (b'a' + (i % 26) as u8) as char).collect();
        for total in 0..text.len() {
            let message = &text.as_bytes()[..total];
            let digest: [u8; 20] = Sha1::digest(message).into();
            let mut first = [0u8; 8];
            first.copy_from_slice(&digest[..8]);
            let (a, b) = message.split_at(total / 2);
            assert_eq!(
                sha1_prefix(&[a, b]),
                u64::from_be_bytes(first),
                "length {total}"
            );
        }
    }

    #[test]
    fn buckets_match_launchdarkly_reference_values() {
        // Values shared by LaunchDarkly's SDK consistency tests (hashKey/saltyA).
        let b = |k: &str| bucket_for(BucketPrefix::KeyAndSalt("hashKey", "saltyA"), k.as_bytes());
        assert!((b("userKeyA") - 0.421_575_87).abs() < 1e-7);
        assert!((b("userKeyB") - 0.670_848_5).abs() < 1e-7);
        assert!((b("userKeyC") - 0.103_431_06).abs() < 1e-7);
    }
}
