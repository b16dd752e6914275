//! The custom attributes of a context, laid out for fast lookup by name.

use std::hash::Hasher;

use serde_json::Value;

use crate::fast_hash::FastHasher;

/// The hash used to find attributes by name; attribute references compute it once when parsed.
pub(crate) fn name_hash(name: &str) -> u64 {
    let mut h = FastHasher::default();
    h.write(name.as_bytes());
    h.finish()
}

/// A context's custom attributes (everything except kind, key, name and anonymous), sorted by
/// name.
///
/// Lookups compare precomputed name hashes before comparing names, which makes the clause
/// attribute lookups of an evaluation cheap.
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
    hashes: Vec<u64>,
}

impl Attributes {
    /// The value of the attribute with this name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.get_hashed(name_hash(name), name)
    }

    #[inline]
    pub(crate) fn get_hashed(&self, hash: u64, name: &str) -> Option<&Value> {
        for (i, h) in self.hashes.iter().enumerate() {
            if *h == hash && self.entries[i].0 == name {
                return Some(&self.entries[i].1);
            }
        }
        None
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
                self.hashes.insert(i, name_hash(&name));
                self.entries.insert(i, (name, value));
            }
        }
    }

    pub(crate) fn remove(&mut self, name: &str) {
        if let Ok(i) = self.entries.binary_search_by(|(k, _)| k.as_str().cmp(name)) {
            self.entries.remove(i);
            self.hashes.remove(i);
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
