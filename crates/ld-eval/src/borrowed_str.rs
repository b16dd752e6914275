//! Strings read from JSON without copying them when the input allows it.
//!
//! Most strings in flag data have no escapes, so the parser can lend them straight from the
//! input; values that are prepared into another form (attribute references, kinds, operators,
//! shared ids) are then built from the borrowed text with a single allocation, or none.

use std::fmt;
use std::ops::Deref;

use serde::de::{Deserialize, Deserializer, Error, Visitor};

/// A string borrowed from the input, or owned when it had to be unescaped.
pub(crate) enum BorrowedStr<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Default for BorrowedStr<'_> {
    fn default() -> Self {
        BorrowedStr::Borrowed("")
    }
}

impl Deref for BorrowedStr<'_> {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        match self {
            BorrowedStr::Borrowed(s) => s,
            BorrowedStr::Owned(s) => s,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for BorrowedStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct StrVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for StrVisitor<'a> {
            type Value = BorrowedStr<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(BorrowedStr::Borrowed(v))
            }
            fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(BorrowedStr::Owned(v.to_owned()))
            }
            fn visit_string<E: Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(BorrowedStr::Owned(v))
            }
        }
        d.deserialize_str(StrVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_strings_are_borrowed_and_escaped_ones_owned() {
        let plain: BorrowedStr<'_> = serde_json::from_str(r#""email""#).unwrap();
        assert!(matches!(plain, BorrowedStr::Borrowed("email")));
        let escaped: BorrowedStr<'_> = serde_json::from_str(r#""a\"b""#).unwrap();
        assert!(matches!(escaped, BorrowedStr::Owned(ref s) if s == "a\"b"));
        let from_value: BorrowedStr<'_> = BorrowedStr::deserialize(serde_json::json!("v")).unwrap();
        assert_eq!(&*from_value, "v");
    }
}
