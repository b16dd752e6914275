//! Lists read from JSON without spare capacity, and without reallocating short ones.
//!
//! A `Vec` grown element by element while parsing keeps up to half its capacity unused (a one-
//! clause rule holds room for four clauses), and trimming it afterwards costs a reallocation.
//! Flags and segments live for as long as they are in the store, so lists read into them are
//! exact: the first few elements are held on the stack until the list ends, and a list that
//! short (most lists in flag data: clauses, clause values, rollout buckets, variations) gets
//! one allocation of exactly its length. Longer lists grow as usual and are trimmed once.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// Elements held on the stack (in locals of [`collect_exact`]) before a list gets its
/// allocation.
const INLINE: usize = 4;

/// A list read from JSON without spare capacity.
pub(crate) struct ExactVec<T>(pub(crate) Vec<T>);

impl<T> Default for ExactVec<T> {
    fn default() -> Self {
        ExactVec(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ExactVec<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ExactVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ExactVisitor<T> {
            type Value = ExactVec<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ExactVec<T>, A::Error> {
                collect_exact(|| seq.next_element()).map(ExactVec)
            }
        }
        d.deserialize_seq(ExactVisitor(PhantomData))
    }
}

/// Collects the elements `next` gives until it gives `None`, into a `Vec` without spare
/// capacity (the serde path and the fast JSON reader both read lists through this).
#[inline]
pub(crate) fn collect_exact<T, E>(
    mut next: impl FnMut() -> Result<Option<T>, E>,
) -> Result<Vec<T>, E> {
    // The first elements are held in locals, so that a short list (most lists in flag data)
    // gets one allocation at its final size, and elements are not moved through an array of
    // options first.
    let Some(a) = next()? else {
        return Ok(Vec::new());
    };
    let Some(b) = next()? else {
        return Ok(vec![a]);
    };
    let Some(c) = next()? else {
        return Ok(vec![a, b]);
    };
    let Some(d) = next()? else {
        return Ok(vec![a, b, c]);
    };
    let Some(e) = next()? else {
        return Ok(vec![a, b, c, d]);
    };
    let mut out = Vec::with_capacity(INLINE * 2);
    out.extend([a, b, c, d, e]);
    while let Some(item) = next()? {
        out.push(item);
    }
    Ok(trimmed(out))
}

/// Deserializes a list (for `#[serde(deserialize_with = ...)]`) without spare capacity.
pub(crate) fn deserialize<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(ExactVec::deserialize(d)?.0)
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
        for n in 0..12u8 {
            let json = serde_json::to_string(&(0..n).collect::<Vec<u8>>()).unwrap();
            let mut de = serde_json::Deserializer::from_str(&json);
            let v: Vec<u8> = super::deserialize(&mut de).unwrap();
            assert_eq!(v, (0..n).collect::<Vec<u8>>());
            assert_eq!(v.capacity(), usize::from(n));
        }
    }

    #[test]
    fn null_and_non_lists_are_errors() {
        for json in ["null", "{}", "3"] {
            let mut de = serde_json::Deserializer::from_str(json);
            assert!(super::deserialize::<_, u8>(&mut de).is_err(), "{json}");
        }
    }
}
