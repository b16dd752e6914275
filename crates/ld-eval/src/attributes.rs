//! The custom attributes of a context, laid out for fast lookup by name.

use std::hash::Hasher;

use serde_json::Value;

use crate::fast_hash::FastHasher;

/// How attributes are found by name: attribute references compute it once when parsed.
///
/// A name shorter than 16 bytes (most attribute names: `email`, `country`, `appVersion`) is
/// packed into the tag with its length, so equal tags mean equal names and a lookup never reads
/// the stored name from the heap. A longer name gets a length-and-hash tag, and equal tags are
/// confirmed by comparing the names.
pub(crate) type NameTag = u128;

/// Names shorter than this are packed exactly into their [`NameTag`].
const EXACT_TAG_LEN: usize = 16;

/// The [`NameTag`] of a name.
pub(crate) fn name_tag(name: &str) -> NameTag {
    let b = name.as_bytes();
    if b.len() < EXACT_TAG_LEN {
        let mut tag = b.len() as u128;
        for (i, byte) in b.iter().enumerate() {
            tag |= u128::from(*byte) << (8 * (i + 1));
        }
        tag
    } else {
        let mut h = FastHasher::default();
        h.write(b);
        0xFF | (u128::from(h.finish()) << 8) | ((b.len() as u128 & 0xFF_FFFF) << 72)
    }
}

/// A context's custom attributes (everything except kind, key, name and anonymous), sorted by
/// name.
///
/// Lookups compare precomputed name tags (length and bytes, or a hash for long names) rather
/// than names, which makes the clause attribute lookups of an evaluation cheap.
///
/// ```
/// use ld_eval::ContextBuilder;
/// use serde_json::json;
/// let c = ContextBuilder::new("k").set("b", json!(2)).set("a", json!(1)).build().unwrap();
/// let attrs = c.single().unwrap().attributes();
/// assert_eq!(attrs.get("b"), Some(&json!(2)));
/// assert_eq!(attrs.keys().collect::<Vec<_>>(), ["a", "b"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attributes {
    entries: Vec<(String, Value)>,
    tags: Vec<NameTag>,
}

impl Attributes {
    /// The value of the attribute with this name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.get_tagged(name_tag(name), name)
    }

    /// The value of the attribute `name`, whose [`NameTag`] is `tag`.
    #[inline]
    pub(crate) fn get_tagged(&self, tag: NameTag, name: &str) -> Option<&Value> {
        for (i, t) in self.tags.iter().enumerate() {
            if *t == tag && (name.len() < EXACT_TAG_LEN || self.entries[i].0 == name) {
                return Some(&self.entries[i].1);
            }
        }
        None
    }

    /// The value of the attribute whose name is shorter than 16 bytes and has the [`NameTag`]
    /// `tag`: such a tag holds the whole name, so equal tags are enough and the stored names
    /// are never read. (For a longer name's tag this could find another name with the same
    /// length and hash; callers only pass tags of short names.)
    #[inline]
    pub(crate) fn get_short(&self, tag: NameTag) -> Option<&Value> {
        let i = self.tags.iter().position(|t| *t == tag)?;
        self.entries.get(i).map(|(_, v)| v)
    }

    /// Whether the [`NameTag`] is exact: it holds the whole name (shorter than 16 bytes).
    pub(crate) fn is_exact_tag(tag: NameTag) -> bool {
        (tag & 0xFF) < EXACT_TAG_LEN as u128
    }

    /// Whether an attribute with this name exists.
    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Name and value of every attribute, in name order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&String, &Value)> + '_ {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The attribute names, in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// Number of attributes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn insert(&mut self, name: String, value: Value) {
        match self
            .entries
            .binary_search_by(|(k, _)| k.as_str().cmp(&name))
        {
            Ok(i) => self.entries[i].1 = value,
            Err(i) => {
                self.tags.insert(i, name_tag(&name));
                self.entries.insert(i, (name, value));
            }
        }
    }

    pub(crate) fn remove(&mut self, name: &str) {
        if let Ok(i) = self.entries.binary_search_by(|(k, _)| k.as_str().cmp(name)) {
            self.entries.remove(i);
            self.tags.remove(i);
        }
    }
}

impl<'a> IntoIterator for &'a Attributes {
    type Item = (&'a String, &'a Value);
    type IntoIter = Box<dyn Iterator<Item = (&'a String, &'a Value)> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_and_long_names_are_found_only_by_their_exact_name() {
        let mut a = Attributes::default();
        let long = "a-rather-long-attribute-name";
        for name in ["", "a", "ab", "abcdefghijklmno", "abcdefghijklmnop", long] {
            a.insert(name.to_owned(), json!(name));
        }
        for name in ["", "a", "ab", "abcdefghijklmno", "abcdefghijklmnop", long] {
            assert_eq!(a.get(name), Some(&json!(name)), "{name:?}");
        }
        for name in [
            "b",
            "ab\0",
            "abcdefghijklmnq",
            "abcdefghijklmnopq",
            "a-rather-long-attribute-namf",
        ] {
            assert_eq!(a.get(name), None, "{name:?}");
        }
        assert_ne!(name_tag("ab"), name_tag("ab\0"));
    }

    #[test]
    fn insert_replace_remove_and_lookup() {
        let mut a = Attributes::default();
        for i in (0..40).rev() {
            a.insert(format!("attr{i}"), json!(i));
        }
        a.insert("attr7".into(), json!("seven"));
        assert_eq!(a.len(), 40);
        assert_eq!(a.get("attr7"), Some(&json!("seven")));
        assert_eq!(a.get("attr39"), Some(&json!(39)));
        a.remove("attr39");
        assert_eq!(a.get("attr39"), None);
        assert!(!a.contains_key("nope"));
        let keys: Vec<&str> = a.keys().collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(keys, sorted);
    }
}
