//! Secure mode: the signature LaunchDarkly's client-side SDKs present to prove a context is genuine.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::Context;

/// The lowercase hex HMAC-SHA256 of the context's fully-qualified key, keyed by the SDK key.
///
/// [`Client::secure_mode_hash`](crate::Client::secure_mode_hash) calls this with the client's key;
/// it is public so that a service can compute hashes without a client.
///
/// ```
/// use ld_sdk::{ContextBuilder, secure_mode_hash};
///
/// let context = ContextBuilder::new("Message").build().unwrap();
/// assert_eq!(
///     secure_mode_hash("secret", &context),
///     "aa747c502a898200f9e4fa21bac68136f886a0e27aec70ba06daf2e2a5cb5597"
/// );
/// ```
pub fn secure_mode_hash(sdk_key: &str, context: &Context) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(sdk_key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(context.fully_qualified_key().as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in digest {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    hex
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ContextBuilder;

    #[test]
    fn a_user_is_hashed_by_its_plain_key() {
        // RFC 4231-style check against an independently computed HMAC-SHA256("secret", "Message").
        let user = ContextBuilder::new("Message").build().unwrap();
        assert_eq!(
            secure_mode_hash("secret", &user),
            "aa747c502a898200f9e4fa21bac68136f886a0e27aec70ba06daf2e2a5cb5597"
        );
    }

    #[test]
    fn other_kinds_are_hashed_by_kind_and_key() {
        let org = ContextBuilder::new("o1").kind("org").build().unwrap();
        let same_key_user = ContextBuilder::new("o1").build().unwrap();
        assert_ne!(
            secure_mode_hash("k", &org),
            secure_mode_hash("k", &same_key_user)
        );
        assert_eq!(org.fully_qualified_key(), "org:o1");
    }

    #[test]
    fn the_hash_depends_on_the_sdk_key() {
        let user = ContextBuilder::new("u").build().unwrap();
        assert_ne!(secure_mode_hash("a", &user), secure_mode_hash("b", &user));
        assert_eq!(secure_mode_hash("a", &user).len(), 64);
    }
}
