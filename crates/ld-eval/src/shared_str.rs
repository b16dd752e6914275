//! Immutable strings that share one allocation with their neighbours: a flag read from JSON
//! keeps its salt and all of its rule ids in one text block, instead of one allocation each.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An immutable string: a range of a shared text block. It dereferences to `str`, and cloning
/// it never copies the text (it bumps the block's reference count).
///
/// A flag read by the fast reader keeps its salt and its rule ids in one block (one allocation
/// per flag rather than one per string), and [`Reason`](crate::Reason)s take the rule id from
/// the flag without allocating. Built from a `&str` or a `String`, a `SharedStr` has a block of
/// its own; the empty string never allocates. Equality, ordering and hashing are those of the
/// text.
///
/// ```
/// use ld_eval::SharedStr;
/// let id = SharedStr::from("rule-1");
/// assert_eq!(id, "rule-1");
/// assert_eq!(id.len(), 6);
/// assert!(id.starts_with("rule"));
/// let copy = id.clone(); // no copy of the text
/// assert_eq!(copy.as_str(), "rule-1");
/// assert_eq!(serde_json::to_string(&id).unwrap(), r#""rule-1""#);
/// ```
#[derive(Clone)]
pub struct SharedStr {
    block: Arc<str>,
    start: u32,
    /// Where the string ends in `block`, or [`WHOLE`]: the string is the whole block (a flag
    /// key, any string made from a `&str`), read without slicing.
    end: u32,
}

/// [`SharedStr::end`] of a string that is its whole block.
const WHOLE: u32 = u32::MAX;

/// The block of every empty string that has none of its own.
fn empty_block() -> &'static Arc<str> {
    static EMPTY: OnceLock<Arc<str>> = OnceLock::new();
    EMPTY.get_or_init(|| Arc::from(""))
}

/// An empty `Arc<str>` (a shared one: no allocation).
pub(crate) fn empty_text() -> Arc<str> {
    Arc::clone(empty_block())
}

impl SharedStr {
    /// A string with a block of its own (none for the empty string).
    pub fn new(s: &str) -> SharedStr {
        if s.is_empty() {
            return SharedStr::default();
        }
        SharedStr {
            block: Arc::from(s),
            start: 0,
            end: WHOLE,
        }
    }

    /// The string.
    #[inline(always)]
    pub fn as_str(&self) -> &str {
        if self.end == WHOLE {
            return &self.block;
        }
        // The range is set from character boundaries of this very block.
        self.block
            .get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }

    /// The shared block, when this string is all of it (as a string made from a `&str` or a
    /// `String` is): a map can be keyed by it without copying the text.
    ///
    /// ```
    /// use ld_eval::SharedStr;
    /// let key = SharedStr::from("flag-1");
    /// let shared: std::sync::Arc<str> = key.whole().unwrap().clone();
    /// assert_eq!(&*shared, "flag-1");
    /// ```
    pub fn whole(&self) -> Option<&Arc<str>> {
        (self.end == WHOLE).then_some(&self.block)
    }

    /// A range not yet tied to its block: the string at `start..end` of a block that is being
    /// gathered (see [`SharedStr::bind`]). Reads as empty until bound.
    pub(crate) fn pending(start: u32, end: u32) -> SharedStr {
        debug_assert!(end != WHOLE);
        SharedStr {
            block: empty_block().clone(),
            start,
            end,
        }
    }

    /// Ties a [`SharedStr::pending`] range to the block it was gathered into (a string that
    /// is a whole block of its own, such as a default empty one, stays as it is).
    pub(crate) fn bind(&mut self, block: &Arc<str>) {
        if self.end != WHOLE {
            self.block = Arc::clone(block);
        }
    }
}

impl Default for SharedStr {
    /// The empty string (no allocation).
    fn default() -> Self {
        SharedStr {
            block: empty_block().clone(),
            start: 0,
            end: WHOLE,
        }
    }
}

impl Deref for SharedStr {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for SharedStr {
    fn from(s: &str) -> Self {
        SharedStr::new(s)
    }
}

impl From<String> for SharedStr {
    fn from(s: String) -> Self {
        SharedStr::new(&s)
    }
}

impl From<&String> for SharedStr {
    fn from(s: &String) -> Self {
        SharedStr::new(s)
    }
}

impl From<Arc<str>> for SharedStr {
    /// Shares the `Arc`'s text as it is (no copy).
    fn from(s: Arc<str>) -> Self {
        SharedStr {
            block: s,
            start: 0,
            end: WHOLE,
        }
    }
}

impl From<SharedStr> for String {
    fn from(s: SharedStr) -> Self {
        s.as_str().to_owned()
    }
}

impl PartialEq for SharedStr {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for SharedStr {}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for SharedStr {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<SharedStr> for str {
    fn eq(&self, other: &SharedStr) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<SharedStr> for &str {
    fn eq(&self, other: &SharedStr) -> bool {
        *self == other.as_str()
    }
}

impl PartialOrd for SharedStr {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SharedStr {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for SharedStr {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for SharedStr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SharedStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = crate::borrowed_str::BorrowedStr::deserialize(d)?;
        Ok(SharedStr::new(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn strings_of_one_block_read_their_own_range() {
        let block: Arc<str> = Arc::from("saltr1é-idr2");
        let mut salt = SharedStr::pending(0, 4);
        let mut first = SharedStr::pending(4, 9);
        let mut second = SharedStr::pending(9, 13);
        assert_eq!(salt, "");
        for s in [&mut salt, &mut first, &mut second] {
            s.bind(&block);
        }
        assert_eq!((salt.as_str(), &*first, &*second), ("salt", "r1é-", "idr2"));
        assert_eq!(Arc::strong_count(&block), 4);
        drop((salt, first));
        assert_eq!(second.clone(), SharedStr::from("idr2"));
    }

    #[test]
    fn equality_ordering_and_hashing_are_those_of_the_text() {
        let block: Arc<str> = Arc::from("xab");
        let mut b = SharedStr::pending(1, 3);
        b.bind(&block);
        let own = SharedStr::from("ab".to_string());
        assert_eq!(b, own);
        let a = SharedStr::from("a");
        assert!(a < b);
        let set: HashSet<SharedStr> = [b.clone(), own].into_iter().collect();
        assert_eq!(set.len(), 1);
        assert!(set.contains("ab"));
        assert_eq!(format!("{b} {b:?}"), "ab \"ab\"");
    }

    #[test]
    fn binding_leaves_whole_strings_alone() {
        let block: Arc<str> = Arc::from("salt-r1");
        let (mut absent, mut own) = (SharedStr::default(), SharedStr::from("x"));
        absent.bind(&block);
        own.bind(&block);
        assert_eq!((absent.as_str(), own.as_str()), ("", "x"));
    }

    #[test]
    fn empty_strings_share_one_block() {
        let a = SharedStr::from("");
        let b = SharedStr::default();
        assert!(Arc::ptr_eq(&a.block, &b.block));
        assert!(a.is_empty());
    }

    #[test]
    fn serializes_and_deserializes_as_a_json_string() {
        let s: SharedStr = serde_json::from_str(r#""a\"b""#).unwrap();
        assert_eq!(s, "a\"b");
        assert_eq!(serde_json::to_string(&s).unwrap(), r#""a\"b""#);
    }
}
