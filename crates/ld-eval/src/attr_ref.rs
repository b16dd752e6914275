//! Attribute references: which attribute of a context a clause, rollout or private-attribute list
//! is talking about.
//!
//! LaunchDarkly writes them two ways. A string starting with `/` is a path (`/address/city`),
//! whose components are unescaped with `~1` → `/` and `~0` → `~`. Any other non-empty string is a
//! plain top-level attribute name, taken literally. Old-style data (a clause or rollout without a
//! `contextKind`) always uses literal names, even when they start with `/`; [`AttrRef::literal`]
//! builds those. References are parsed once, when data is loaded.

use std::cell::RefCell;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::name_cache::NameCache;

/// Why an attribute reference string is unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum AttrRefError {
    /// The reference was an empty string (or just `/`).
    #[error("attribute reference is empty")]
    Empty,
    /// A path contained an empty component (`//`, or a trailing `/`).
    #[error("attribute reference has an empty path component")]
    EmptyComponent,
    /// A `~` was not followed by `0` or `1`.
    #[error("attribute reference has an invalid ~ escape")]
    InvalidEscape,
}

/// A parsed attribute reference.
///
/// A reference holds its text once, in one shared allocation; the components of a plain name
/// or of a path without `~` escapes are read from that text, so only escaped paths (rare) keep
/// a second, unescaped copy.
///
/// ```
/// use ld_eval::AttrRef;
/// let r = AttrRef::new("/address/city");
/// assert!(r.is_valid());
/// assert_eq!(r.components().collect::<Vec<_>>(), ["address", "city"]);
/// assert_eq!(AttrRef::new("a/b").components().collect::<Vec<_>>(), ["a/b"]);
/// assert_eq!(AttrRef::new("/a~1b~0c").components().collect::<Vec<_>>(), ["a/b~c"]);
/// assert!(!AttrRef::new("").is_valid());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AttrRef {
    raw: Arc<str>,
    /// The unescaped components of a path with `~` escapes (`None` otherwise).
    unescaped: Option<Box<[Box<str>]>>,
    /// The first component's name tag, as two words (a `u128` field would align the whole
    /// reference to 16 bytes).
    first_tag: [u64; 2],
    /// How many components there are (0 when invalid).
    count: u32,
    shape: Shape,
    first: Builtin,
    error: Option<AttrRefError>,
}

/// Where a reference's components are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Shape {
    /// No components (invalid reference).
    None,
    /// One component: the whole text (a plain or literal name).
    Whole,
    /// The text after the leading `/`, split at `/` (a path without escapes).
    Split,
    /// The `unescaped` components.
    Unescaped,
}

/// Which built-in attribute the first component names, decided once at parse time so that
/// lookups do not compare it against the built-in names on every evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Builtin {
    Kind,
    Key,
    Name,
    Anonymous,
    Custom,
}

fn builtin_of(first: Option<&str>) -> Builtin {
    match first {
        Some("kind") => Builtin::Kind,
        Some("key") => Builtin::Key,
        Some("name") => Builtin::Name,
        Some("anonymous") => Builtin::Anonymous,
        _ => Builtin::Custom,
    }
}

/// The components of an [`AttrRef`], in order.
#[derive(Debug, Clone)]
pub struct Components<'a> {
    inner: ComponentsInner<'a>,
    left: usize,
}

#[derive(Debug, Clone)]
enum ComponentsInner<'a> {
    One(Option<&'a str>),
    Split(std::str::Split<'a, char>),
    Boxed(std::slice::Iter<'a, Box<str>>),
}

impl<'a> Iterator for Components<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        let next = match &mut self.inner {
            ComponentsInner::One(one) => one.take(),
            ComponentsInner::Split(split) => split.next(),
            ComponentsInner::Boxed(iter) => iter.next().map(|c| &**c),
        };
        if next.is_some() {
            self.left -= 1;
        }
        next
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Components<'_> {}

impl AttrRef {
    fn build(
        raw: Arc<str>,
        shape: Shape,
        unescaped: Option<Box<[Box<str>]>>,
        error: Option<AttrRefError>,
    ) -> Self {
        let mut r = AttrRef {
            raw,
            unescaped,
            first_tag: [0, 0],
            count: 0,
            shape,
            first: Builtin::Custom,
            error,
        };
        let count = r.components_iter().count();
        let first = r.first_component();
        let tag = first.map_or(0, crate::attributes::name_tag);
        r.first = builtin_of(first);
        r.first_tag = [tag as u64, (tag >> 64) as u64];
        r.count = u32::try_from(count).unwrap_or(u32::MAX);
        r
    }

    /// Parses a reference in attribute-reference syntax (`/path/to` or a plain name).
    pub fn new(raw: &str) -> Self {
        let (shape, unescaped, error) = parse(raw);
        AttrRef::build(Arc::from(raw), shape, unescaped, error)
    }

    /// Makes a reference to the top-level attribute literally named `name` (old-style data).
    ///
    /// ```
    /// use ld_eval::AttrRef;
    /// assert_eq!(AttrRef::literal("/a").components().collect::<Vec<_>>(), ["/a"]);
    /// ```
    pub fn literal(name: &str) -> Self {
        if name.is_empty() {
            return AttrRef::new("");
        }
        AttrRef::build(Arc::from(name), Shape::Whole, None, None)
    }

    /// [`AttrRef::new`] (or, with `literal`, [`AttrRef::literal`]) for references read from flag
    /// data: a reference this thread read recently is shared rather than parsed and allocated
    /// again (see `name_cache`).
    pub(crate) fn shared(raw: &str, literal: bool) -> Self {
        thread_local! {
            static CACHE: RefCell<NameCache<AttrRef>> = RefCell::default();
        }
        let make = || {
            if literal {
                AttrRef::literal(raw)
            } else {
                AttrRef::new(raw)
            }
        };
        let variant = shared_variant(raw, literal);
        CACHE.with(|cache| match cache.try_borrow_mut() {
            Ok(mut cache) => cache.get_or_make(raw, variant, |r| &*r.raw == raw, make),
            Err(_) => make(),
        })
    }

    /// The string this reference was made from.
    #[inline]
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Whether the reference can be used to look up an attribute.
    pub fn is_valid(&self) -> bool {
        self.error.is_none()
    }

    /// Why the reference is invalid, if it is.
    pub fn error(&self) -> Option<AttrRefError> {
        self.error
    }

    fn components_iter(&self) -> Components<'_> {
        let inner = match self.shape {
            Shape::None => ComponentsInner::One(None),
            Shape::Whole => ComponentsInner::One(Some(&self.raw)),
            Shape::Split => ComponentsInner::Split(self.raw[1..].split('/')),
            Shape::Unescaped => {
                ComponentsInner::Boxed(self.unescaped.as_deref().unwrap_or_default().iter())
            }
        };
        Components {
            inner,
            left: usize::MAX,
        }
    }

    /// The unescaped path components (empty when invalid).
    pub fn components(&self) -> Components<'_> {
        Components {
            left: self.count as usize,
            ..self.components_iter()
        }
    }

    /// The first component (`None` when invalid).
    #[inline]
    pub(crate) fn first_component(&self) -> Option<&str> {
        match self.shape {
            Shape::Whole => Some(&self.raw),
            Shape::None => None,
            Shape::Split => self.raw[1..].split('/').next(),
            Shape::Unescaped => self.unescaped.as_deref()?.first().map(|c| &**c),
        }
    }

    /// How many components there are (0 when invalid).
    #[inline]
    pub(crate) fn component_count(&self) -> usize {
        self.count as usize
    }

    pub(crate) fn builtin(&self) -> Builtin {
        self.first
    }

    #[inline]
    pub(crate) fn first_tag(&self) -> crate::attributes::NameTag {
        u128::from(self.first_tag[0]) | (u128::from(self.first_tag[1]) << 64)
    }

    /// Whether this is a single-component reference to `name`.
    pub fn is_top_level(&self, name: &str) -> bool {
        self.count == 1 && self.first_component() == Some(name)
    }
}

type Parsed = (Shape, Option<Box<[Box<str>]>>, Option<AttrRefError>);

fn parse(raw: &str) -> Parsed {
    if raw.is_empty() || raw == "/" {
        return (Shape::None, None, Some(AttrRefError::Empty));
    }
    let Some(path) = raw.strip_prefix('/') else {
        return (Shape::Whole, None, None);
    };
    if path.split('/').any(str::is_empty) {
        return (Shape::None, None, Some(AttrRefError::EmptyComponent));
    }
    if !path.contains('~') {
        return (Shape::Split, None, None);
    }
    let mut out = Vec::new();
    for part in path.split('/') {
        let mut s = String::with_capacity(part.len());
        let mut chars = part.chars();
        while let Some(c) = chars.next() {
            if c == '~' {
                match chars.next() {
                    Some('0') => s.push('~'),
                    Some('1') => s.push('/'),
                    _ => return (Shape::None, None, Some(AttrRefError::InvalidEscape)),
                }
            } else {
                s.push(c);
            }
        }
        out.push(s.into_boxed_str());
    }
    (Shape::Unescaped, Some(out.into_boxed_slice()), None)
}

impl fmt::Debug for AttrRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AttrRef({:?})", &*self.raw)
    }
}

impl fmt::Display for AttrRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl From<&str> for AttrRef {
    fn from(s: &str) -> Self {
        AttrRef::new(s)
    }
}

impl Serialize for AttrRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for AttrRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = crate::borrowed_str::BorrowedStr::deserialize(d)?;
        Ok(AttrRef::new(&s))
    }
}

/// Which of [`AttrRef::shared`]'s readings of `raw` (`literal` or not) are the same reference:
/// equal for equal variants. Without a leading `/` (and when not empty) both readings give the
/// same reference.
#[inline]
pub(crate) fn shared_variant(raw: &str, literal: bool) -> u8 {
    u8::from(literal && raw.starts_with('/') || raw.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_references_equal_fresh_ones_literal_or_not() {
        for raw in ["email", "/a/b", "/a~1b", "", "/", "//x", "/bad~2"] {
            for _ in 0..2 {
                assert_eq!(AttrRef::shared(raw, false), AttrRef::new(raw), "{raw}");
                assert_eq!(AttrRef::shared(raw, true), AttrRef::literal(raw), "{raw}");
            }
        }
        let a = AttrRef::shared("country", false);
        let b = AttrRef::shared("country", true);
        assert!(Arc::ptr_eq(&a.raw, &b.raw));
    }

    fn comps(r: &AttrRef) -> Vec<&str> {
        r.components().collect()
    }

    #[test]
    fn plain_names_are_single_literal_components() {
        assert_eq!(comps(&AttrRef::new("name")), ["name"]);
        assert_eq!(comps(&AttrRef::new("a~b")), ["a~b"]);
    }

    #[test]
    fn paths_split_and_unescape() {
        assert_eq!(comps(&AttrRef::new("/a/b")), ["a", "b"]);
        assert_eq!(comps(&AttrRef::new("/~0~1")), ["~/"]);
    }

    #[test]
    fn bad_paths_are_invalid_with_a_reason() {
        assert_eq!(AttrRef::new("").error(), Some(AttrRefError::Empty));
        assert_eq!(AttrRef::new("/").error(), Some(AttrRefError::Empty));
        assert_eq!(
            AttrRef::new("//a").error(),
            Some(AttrRefError::EmptyComponent)
        );
        assert_eq!(
            AttrRef::new("/a/").error(),
            Some(AttrRefError::EmptyComponent)
        );
        assert_eq!(
            AttrRef::new("/a~2").error(),
            Some(AttrRefError::InvalidEscape)
        );
        assert_eq!(
            AttrRef::new("/a~").error(),
            Some(AttrRefError::InvalidEscape)
        );
    }

    #[test]
    fn components_are_read_from_the_text_unless_escaped() {
        for (raw, want) in [
            ("email", vec!["email"]),
            ("/email", vec!["email"]),
            ("/a/b/c", vec!["a", "b", "c"]),
            ("/a~1b/c~0", vec!["a/b", "c~"]),
        ] {
            let r = AttrRef::new(raw);
            assert_eq!(comps(&r), want, "{raw}");
            assert_eq!(r.components().len(), want.len(), "{raw}");
            assert_eq!(r.component_count(), want.len(), "{raw}");
            assert_eq!(r.first_component(), Some(want[0]), "{raw}");
            assert_eq!(r.first_tag(), crate::attributes::name_tag(want[0]), "{raw}");
        }
        assert_eq!(AttrRef::new("/key").builtin(), Builtin::Key);
        assert_eq!(AttrRef::literal("/key").builtin(), Builtin::Custom);
        assert!(AttrRef::new("/a").is_top_level("a") && !AttrRef::new("/a/b").is_top_level("a"));
        assert_eq!(AttrRef::new("//").components().len(), 0);
    }

    #[test]
    fn literal_names_keep_slashes_and_serialize_as_given() {
        let r = AttrRef::literal("/x");
        assert_eq!(comps(&r), ["/x"]);
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"/x\"");
        assert!(!AttrRef::literal("").is_valid());
    }
}
