//! Percentage-rollout bucketing, exactly as LaunchDarkly computes it.
//!
//! The bucket of a context is `SHA-1("{flagKey}.{salt}.{value}")` (or `"{seed}.{value}"` when
//! the rollout has a seed), whose first 15 hex digits, read as an integer and divided by
//! `0xFFFFFFFFFFFFFFF` in single precision, give a number in `[0, 1)`. The value is the bucketing
//! attribute: a string as is, an integer-valued number in decimal; anything else buckets to 0.
//! Nothing here allocates: the hash is fed piece by piece and integers are formatted on the
//! stack.

use serde_json::Value;
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
    let digest = if let BucketPrefix::KeyAndSalt(..) = prefix {
        hash_parts(&[a, b".", b, b".", value])
    } else {
        hash_parts(&[a, b".", value])
    };
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let fifteen_hex_digits = u64::from_be_bytes(first) >> 4;
    fifteen_hex_digits as f32 / 0x0FFF_FFFF_FFFF_FFFF_u64 as f32
}

/// SHA-1 of the concatenated parts; short inputs (the usual case) are gathered on the stack and
/// hashed in one call.
fn hash_parts(parts: &[&[u8]]) -> [u8; 20] {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    let mut buf = [0u8; 128];
    if total <= buf.len() {
        let mut at = 0;
        for p in parts {
            buf[at..at + p.len()].copy_from_slice(p);
            at += p.len();
        }
        return Sha1::digest(&buf[..total]).into();
    }
    let mut h = Sha1::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
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
    fn long_inputs_hash_the_same_as_short_ones_would() {
        let long_key = "k".repeat(300);
        let whole = format!("flag.salt.{long_key}");
        let expected: [u8; 20] = Sha1::digest(whole.as_bytes()).into();
        assert_eq!(
            hash_parts(&[b"flag", b".", b"salt", b".", long_key.as_bytes()]),
            expected
        );
        let short: [u8; 20] = Sha1::digest(b"-5.abc").into();
        assert_eq!(hash_parts(&[b"-5", b".", b"abc"]), short);
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
