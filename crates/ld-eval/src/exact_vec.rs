//! Lists read from JSON without spare capacity.
//!
//! A `Vec` grown element by element while parsing keeps up to half its capacity unused (a one-
//! clause rule holds room for four clauses). Flags and segments live for as long as they are in
//! the store, so lists read into them are trimmed to their length once, at load time, which
//! costs one in-place shrink and nothing during evaluation.

use serde::{Deserialize, Deserializer};

/// Deserializes a list (for `#[serde(deserialize_with = ...)]`) and drops its spare capacity.
pub(crate) fn deserialize<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(trimmed(Vec::deserialize(d)?))
}

/// `v` without spare capacity.
pub(crate) fn trimmed<T>(mut v: Vec<T>) -> Vec<T> {
    v.shrink_to_fit();
    v
}

#[cfg(test)]
mod tests {
    #[test]
    fn deserialized_lists_have_no_spare_capacity() {
        let mut de = serde_json::Deserializer::from_str("[1,2,3,4,5]");
        let v: Vec<u8> = super::deserialize(&mut de).unwrap();
        assert_eq!(v, [1, 2, 3, 4, 5]);
        assert_eq!(v.capacity(), 5);
    }
}
