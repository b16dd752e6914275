//! The big segment store seam: what a database holding big segment memberships (Redis, or the
//! conformance harness's callback fixture) implements, and the types it answers with.
//!
//! Big segments are segments too large to ship with the flag data; the Relay Proxy writes, per
//! context, the set of segment generations the context is included in or excluded from, plus
//! the time it last synchronized. The SDK reads them through a [`BigSegmentStore`] wrapped in a
//! [`BigSegmentStoreWrapper`](crate::BigSegmentStoreWrapper), which adds caching and status.

use std::collections::HashMap;
use std::error::Error as StdError;

use thiserror::Error;

/// A raw big segment store: a database read synchronously, with no caching of its own.
///
/// Implementations are called from evaluating threads (on a cache miss) and from the status
/// poller thread, so they must be `Send + Sync`; a call may block on I/O.
///
/// ```
/// use ld_store::{BigSegmentMembership, BigSegmentStore, BigSegmentStoreError};
///
/// /// Everyone is in `beta` (generation 1); the data was synchronized at a fixed time.
/// struct Fixed;
/// impl BigSegmentStore for Fixed {
///     fn get_metadata(&self) -> Result<Option<u64>, BigSegmentStoreError> {
///         Ok(Some(1_700_000_000_000))
///     }
///     fn get_membership(&self, _context_hash: &str) -> Result<BigSegmentMembership, BigSegmentStoreError> {
///         Ok(BigSegmentMembership::from_refs(["beta.g1"], Vec::<String>::new()))
///     }
/// }
/// assert_eq!(Fixed.get_membership("hash").unwrap().check("beta.g1"), Some(true));
/// ```
pub trait BigSegmentStore: Send + Sync {
    /// When the store was last brought up to date (Unix milliseconds); `None` if it never was.
    ///
    /// # Errors
    /// The store cannot be read; the SDK then reports it unavailable.
    fn get_metadata(&self) -> Result<Option<u64>, BigSegmentStoreError>;

    /// The memberships of the context whose key hashes to `context_hash` (see
    /// [`context_hash`](crate::context_hash)); an unknown context has an empty membership.
    ///
    /// # Errors
    /// The store cannot be read; evaluations then report `STORE_ERROR`.
    fn get_membership(
        &self,
        context_hash: &str,
    ) -> Result<BigSegmentMembership, BigSegmentStoreError>;
}

/// Why a big segment store could not answer.
#[derive(Debug, Error)]
#[error("big segment store error: {message}")]
pub struct BigSegmentStoreError {
    message: String,
    #[source]
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl BigSegmentStoreError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// An error caused by `source`.
    ///
    /// ```
    /// let io = std::io::Error::other("connection refused");
    /// let e = ld_store::BigSegmentStoreError::from_source(io);
    /// assert!(e.to_string().contains("connection refused"));
    /// ```
    pub fn from_source(source: impl StdError + Send + Sync + 'static) -> Self {
        Self {
            message: source.to_string(),
            source: Some(Box::new(source)),
        }
    }
}

/// Which big segments one context is explicitly included in or excluded from.
///
/// Keys are segment refs, `<segment key>.g<generation>` (see
/// [`segment_ref`](Self::segment_ref) and `ld_eval::big_segment_ref`). A ref listed as both
/// included and excluded counts as included.
///
/// ```
/// use ld_store::BigSegmentMembership;
/// let m = BigSegmentMembership::from_refs(["a.g1", "b.g2"], ["b.g2", "c.g1"]);
/// assert_eq!(m.check("a.g1"), Some(true));
/// assert_eq!(m.check("b.g2"), Some(true));
/// assert_eq!(m.check("c.g1"), Some(false));
/// assert_eq!(m.check("d.g1"), None);
/// assert_eq!(BigSegmentMembership::segment_ref("a", 1), "a.g1");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BigSegmentMembership {
    refs: HashMap<String, bool>,
}

impl BigSegmentMembership {
    /// Membership from the include and exclude sets.
    pub fn from_refs<I, E>(included: I, excluded: E) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
        E: IntoIterator,
        E::Item: Into<String>,
    {
        let mut refs = HashMap::new();
        for r in excluded {
            refs.insert(r.into(), false);
        }
        for r in included {
            refs.insert(r.into(), true);
        }
        Self { refs }
    }

    /// `Some(true)` if included, `Some(false)` if excluded, `None` if neither.
    pub fn check(&self, segment_ref: &str) -> Option<bool> {
        self.refs.get(segment_ref).copied()
    }

    /// [`check`](Self::check) for generation `generation` of segment `segment_key`, without
    /// building the ref on the heap (keys up to about 100 bytes).
    ///
    /// ```
    /// use ld_store::BigSegmentMembership;
    /// let m = BigSegmentMembership::from_refs(["beta.g3"], Vec::<String>::new());
    /// assert_eq!(m.check_segment("beta", 3), Some(true));
    /// assert_eq!(m.check_segment("beta", 2), None);
    /// ```
    pub fn check_segment(&self, segment_key: &str, generation: i64) -> Option<bool> {
        use std::io::Write;
        let mut buf = [0u8; 128];
        let mut cursor = std::io::Cursor::new(&mut buf[..]);
        if write!(cursor, "{segment_key}.g{generation}").is_ok() {
            let len = usize::try_from(cursor.position()).unwrap_or(0);
            if let Ok(segment_ref) = std::str::from_utf8(&buf[..len]) {
                return self.check(segment_ref);
            }
        }
        self.check(&format!("{segment_key}.g{generation}"))
    }

    /// Whether no segment lists the context at all.
    pub fn is_empty(&self) -> bool {
        self.refs.is_empty()
    }

    /// The ref naming one generation of a big segment.
    pub fn segment_ref(segment_key: &str, generation: u64) -> String {
        format!("{segment_key}.g{generation}")
    }
}

/// Builds a membership from `(segment ref, included)` pairs; a later pair for the same ref
/// wins.
///
/// ```
/// use ld_store::BigSegmentMembership;
/// let m: BigSegmentMembership = [("a.g1".to_owned(), true), ("b.g1".to_owned(), false)].into_iter().collect();
/// assert_eq!(m.check("b.g1"), Some(false));
/// ```
impl FromIterator<(String, bool)> for BigSegmentMembership {
    fn from_iter<T: IntoIterator<Item = (String, bool)>>(iter: T) -> Self {
        Self {
            refs: iter.into_iter().collect(),
        }
    }
}

/// The health of a big segment store, as last polled.
///
/// ```
/// let s = ld_store::BigSegmentStoreStatus { available: true, stale: false };
/// assert!(s.available && !s.stale);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BigSegmentStoreStatus {
    /// The store answered the last metadata query.
    pub available: bool,
    /// The store's data was last brought up to date longer ago than `stale_after` (or never).
    /// Always false when the store is unavailable.
    pub stale: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_segment_matches_check_for_short_and_long_segment_keys() {
        let long_key = "k".repeat(300);
        let m = BigSegmentMembership::from_refs(
            ["short.g7".to_owned(), format!("{long_key}.g2")],
            ["neg.g-1"],
        );
        assert_eq!(m.check_segment("short", 7), Some(true));
        assert_eq!(m.check_segment(&long_key, 2), Some(true));
        assert_eq!(m.check_segment(&long_key, 3), None);
        assert_eq!(m.check_segment("neg", -1), Some(false));
        assert_eq!(m.check_segment("short", 70), None);
    }

    #[test]
    fn a_store_error_keeps_its_source() {
        let e = BigSegmentStoreError::from_source(std::io::Error::other("refused"));
        assert!(std::error::Error::source(&e).is_some());
        assert!(std::error::Error::source(&BigSegmentStoreError::new("x")).is_none());
    }
}
