//! Private-attribute references as they appear in event configuration and in a context's
//! `_meta.privateAttributes`.
//!
//! A reference is either a plain attribute name (`"email"`, matched literally, even if it contains
//! `/`) or a slash path (`"/address/street"`) whose components unescape `~1` to `/` and `~0` to
//! `~`. The original text is kept because `_meta.redactedAttributes` reports a redacted attribute
//! by the reference that matched it.

/// A parsed private-attribute reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateAttributeRef {
    text: String,
    path: Vec<String>,
}

impl PrivateAttributeRef {
    /// Parses `text`. Returns `None` for references that can never match an attribute: the empty
    /// string, `/`, empty path components (`//a`, `/a/`) and invalid escapes (`~2`).
    ///
    /// ```
    /// use ld_events::PrivateAttributeRef;
    /// let r = PrivateAttributeRef::parse("/address/street").unwrap();
    /// assert_eq!(r.path(), ["address", "street"]);
    /// assert_eq!(PrivateAttributeRef::parse("a/b").unwrap().path(), ["a/b"]);
    /// assert!(PrivateAttributeRef::parse("/").is_none());
    /// ```
    pub fn parse(text: &str) -> Option<Self> {
        if text.is_empty() {
            return None;
        }
        let path = if let Some(rest) = text.strip_prefix('/') {
            let mut path = Vec::new();
            for component in rest.split('/') {
                if component.is_empty() {
                    return None;
                }
                path.push(unescape(component)?);
            }
            path
        } else {
            vec![text.to_owned()]
        };
        Some(Self {
            text: text.to_owned(),
            path,
        })
    }

    /// The reference exactly as it was written; this is what `redactedAttributes` reports.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The unescaped path components; one component for a plain attribute name.
    pub fn path(&self) -> &[String] {
        &self.path
    }
}

fn unescape(component: &str) -> Option<String> {
    if !component.contains('~') {
        return Some(component.to_owned());
    }
    let mut out = String::with_capacity(component.len());
    let mut chars = component.chars();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.next() {
                Some('0') => out.push('~'),
                Some('1') => out.push('/'),
                _ => return None,
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// The reference text that names the top-level attribute `name` literally: the name itself unless
/// it starts with `/`, in which case the escaped slash form (`"/ssn"` becomes `"/~1ssn"`).
pub(crate) fn literal_reference(name: &str) -> std::borrow::Cow<'_, str> {
    if name.starts_with('/') {
        let escaped = name.replace('~', "~0").replace('/', "~1");
        std::borrow::Cow::Owned(format!("/{escaped}"))
    } else {
        std::borrow::Cow::Borrowed(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_are_one_literal_component() {
        let r = PrivateAttributeRef::parse("first/name~").unwrap();
        assert_eq!(r.path(), ["first/name~"]);
        assert_eq!(r.as_str(), "first/name~");
    }

    #[test]
    fn slash_paths_unescape_tilde_sequences() {
        let r = PrivateAttributeRef::parse("/a~1b/c~0d").unwrap();
        assert_eq!(r.path(), ["a/b", "c~d"]);
    }

    #[test]
    fn unusable_references_are_rejected() {
        for bad in ["", "/", "//a", "/a/", "/a~2", "/a~"] {
            assert!(PrivateAttributeRef::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn literal_reference_escapes_only_slash_prefixed_names() {
        assert_eq!(literal_reference("name"), "name");
        assert_eq!(literal_reference("/ssn"), "/~1ssn");
        assert_eq!(literal_reference("/a~b"), "/~1a~0b");
    }
}
