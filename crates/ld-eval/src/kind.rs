//! Context kinds (`user`, `org`, `device`, …).

use std::cell::RefCell;
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::name_cache::NameCache;

/// The kind of a context, such as `user` or `org`.
///
/// Cloning is cheap (a shared string). A `Kind` read from flag data is not validated; contexts
/// validate their kinds when built (see [`Kind::validate`]).
///
/// ```
/// use ld_eval::Kind;
/// let k = Kind::from("org");
/// assert_eq!(k.as_str(), "org");
/// assert!(!k.is_user());
/// assert!(Kind::validate("my-kind_2.x").is_ok());
/// assert!(Kind::validate("kind").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kind(Arc<str>);

/// Why a string is not a usable context kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KindError {
    /// The kind was empty.
    #[error("context kind must not be empty")]
    Empty,
    /// The kind was `kind`.
    #[error("context kind must not be \"kind\"")]
    NamedKind,
    /// The kind was `multi` on a single context.
    #[error("context kind \"multi\" is only for multi-kind contexts")]
    NamedMulti,
    /// The kind contained a character other than ASCII letters, digits, `.`, `_` and `-`.
    #[error("context kind {0:?} contains a disallowed character")]
    InvalidCharacter(String),
}

impl Kind {
    /// The default kind, `user`. Every `user` kind shares one allocation (kinds read from flag
    /// data included), so the most common kind costs no memory per clause or context.
    pub fn user() -> Kind {
        static USER: OnceLock<Arc<str>> = OnceLock::new();
        Kind(USER.get_or_init(|| Arc::from("user")).clone())
    }

    /// The kind as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the `user` kind.
    pub fn is_user(&self) -> bool {
        &*self.0 == "user"
    }

    /// Checks the rules LaunchDarkly applies to the kind of a single context.
    pub fn validate(kind: &str) -> Result<(), KindError> {
        if kind.is_empty() {
            return Err(KindError::Empty);
        }
        if kind == "kind" {
            return Err(KindError::NamedKind);
        }
        if kind == "multi" {
            return Err(KindError::NamedMulti);
        }
        if !kind
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
        {
            return Err(KindError::InvalidCharacter(kind.to_owned()));
        }
        Ok(())
    }
}

impl Default for Kind {
    fn default() -> Self {
        Kind::user()
    }
}

impl From<&str> for Kind {
    fn from(s: &str) -> Self {
        if s == "user" {
            Kind::user()
        } else {
            Kind(Arc::from(s))
        }
    }
}

impl From<String> for Kind {
    fn from(s: String) -> Self {
        Kind::from(s.as_str())
    }
}

impl AsRef<str> for Kind {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kind({:?})", &*self.0)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Kind {
    /// Kinds read from data are shared: `user` always, others when this thread read the same
    /// kind recently (see `name_cache`).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = crate::borrowed_str::BorrowedStr::deserialize(d)?;
        Ok(Kind::shared(&s))
    }
}

impl Kind {
    /// The kind named `s` read from flag data: shared with the kinds this thread read recently
    /// (see `name_cache`), and `user` always.
    #[inline]
    pub(crate) fn shared(s: &str) -> Kind {
        thread_local! {
            static CACHE: RefCell<NameCache<Kind>> = RefCell::default();
        }
        if s == "user" {
            return Kind::user();
        }
        CACHE.with(|cache| match cache.try_borrow_mut() {
            Ok(mut cache) => cache.get_or_make(s, 0, |k| *k.0 == *s, || Kind::from(s)),
            Err(_) => Kind::from(s),
        })
    }
}
