//! The hash under which a big segment store keeps one context's memberships: standard (padded)
//! base64 of the SHA-256 of the context key, the value the Relay Proxy writes and every
//! LaunchDarkly server-side SDK queries with.

use sha2::{Digest, Sha256};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The big segment store key for a context key: `base64(sha256(key))`. A
/// [`BigSegmentStore`](crate::BigSegmentStore) receives this hash, never the key itself.
///
/// ```
/// assert_eq!(
///     ld_store::context_hash(""),
///     "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
/// );
/// ```
pub fn context_hash(context_key: &str) -> String {
    let digest = Sha256::digest(context_key.as_bytes());
    base64_standard(&digest)
}

/// RFC 4648 base64 with the standard alphabet and `=` padding.
fn base64_standard(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b0 = chunk[0];
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let n = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        let sextet = |shift: u32| char::from(ALPHABET[((n >> shift) & 0x3f) as usize]);
        out.push(sextet(18));
        out.push(sextet(12));
        out.push(if chunk.len() > 1 { sextet(6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(0) } else { '=' });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_test_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in vectors {
            assert_eq!(
                base64_standard(input.as_bytes()),
                expected,
                "input {input:?}"
            );
        }
    }

    #[test]
    fn context_hash_of_a_user_key_is_base64_sha256() {
        // sha256("userkey") computed independently with `printf userkey | sha256sum | xxd -r -p | base64`.
        assert_eq!(
            context_hash("userkey"),
            "72cBpXPyn4N6TqqlS8Tti37jEcoNhFzL9ZdG1jXkILE="
        );
    }
}
