//! The two kinds of data a store holds.

use std::fmt;

/// A kind of stored item: flags or segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DataKind {
    /// Feature flags (`features` in the LaunchDarkly protocol and persistent stores).
    Flag,
    /// Segments.
    Segment,
}

impl DataKind {
    /// The namespace LaunchDarkly uses for this kind in streaming paths and persistent stores
    /// (`features`, `segments`).
    ///
    /// ```
    /// assert_eq!(ld_store::DataKind::Flag.namespace(), "features");
    /// ```
    pub fn namespace(self) -> &'static str {
        match self {
            Self::Flag => "features",
            Self::Segment => "segments",
        }
    }
}

impl fmt::Display for DataKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Flag => "flag",
            Self::Segment => "segment",
        })
    }
}
