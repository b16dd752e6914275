//! Attribute references: which attribute of a context a clause, rollout or private-attribute list
//! is talking about.
//!
//! LaunchDarkly writes them two ways. A string starting with `/` is a path (`/address/city`),
//! whose components are unescaped with `~1` → `/` and `~0` → `~`. Any other non-empty string is a
//! plain top-level attribute name, taken literally. Old-style data (a clause or rollout without a
//! `contextKind`) always uses literal names, even when they start with `/`; [`AttrRef::literal`]
//! builds those. References are parsed once, when data is loaded.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

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
    components: Box<[Box<str>]>,
    error: Option<AttrRefError>,
    first: Builtin,
    first_tag: crate::attributes::NameTag,
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

fn first_tag(components: &[Box<str>]) -> crate::attributes::NameTag {
    components
        .first()
        .map_or(0, |c| crate::attributes::name_tag(c))
}

fn builtin_of(components: &[Box<str>]) -> Builtin {
    match components.first().map(|c| &**c) {
        Some("kind") => Builtin::Kind,
        Some("key") => Builtin::Key,
        Some("name") => Builtin::Name,
        Some("anonymous") => Builtin::Anonymous,
        _ => Builtin::Custom,
    }
}

impl AttrRef {
    /// Parses a reference in attribute-reference syntax (`/path/to` or a plain name).
    pub fn new(raw: &str) -> Self {
        let (components, error) = parse(raw);
        AttrRef {
            raw: Arc::from(raw),
            first: builtin_of(&components),
            first_tag: first_tag(&components),
            components,
            error,
        }
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
        let components: Box<[Box<str>]> = Box::new([Box::from(name)]);
        AttrRef {
            raw: Arc::from(name),
            first: builtin_of(&components),
            first_tag: first_tag(&components),
            components,
            error: None,
        }
    }

    /// The string this reference was made from.
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

    /// The unescaped path components (empty when invalid).
    pub fn components(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.components.iter().map(|c| &**c)
    }

    /// The unescaped path components as a slice.
    pub(crate) fn component_slice(&self) -> &[Box<str>] {
        &self.components
    }

    pub(crate) fn builtin(&self) -> Builtin {
        self.first
    }

    pub(crate) fn first_tag(&self) -> crate::attributes::NameTag {
        self.first_tag
    }

    /// Whether this is a single-component reference to `name`.
    pub fn is_top_level(&self, name: &str) -> bool {
        self.components.len() == 1 && &*self.components[0] == name
    }
}

fn parse(raw: &str) -> (Box<[Box<str>]>, Option<AttrRefError>) {
    if raw.is_empty() || raw == "/" {
        return (Box::new([]), Some(AttrRefError::Empty));
    }
    let Some(path) = raw.strip_prefix('/') else {
        return (Box::new([Box::from(raw)]), None);
    };
    let mut out = Vec::new();
    for part in path.split('/') {
        if part.is_empty() {
            return (Box::new([]), Some(AttrRefError::EmptyComponent));
        }
        if !part.contains('~') {
            out.push(Box::from(part));
            continue;
        }
        let mut s = String::with_capacity(part.len());
        let mut chars = part.chars();
        while let Some(c) = chars.next() {
            if c == '~' {
                match chars.next() {
                    Some('0') => s.push('~'),
                    Some('1') => s.push('/'),
                    _ => return (Box::new([]), Some(AttrRefError::InvalidEscape)),
                }
            } else {
                s.push(c);
            }
        }
        out.push(s.into_boxed_str());
    }
    (out.into_boxed_slice(), None)
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
        let s = String::deserialize(d)?;
        Ok(AttrRef::new(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn literal_names_keep_slashes_and_serialize_as_given() {
        let r = AttrRef::literal("/x");
        assert_eq!(comps(&r), ["/x"]);
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"/x\"");
        assert!(!AttrRef::literal("").is_valid());
    }
}
