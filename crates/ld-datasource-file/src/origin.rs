//! Where an item came from: which file and which section of it.

use std::fmt;
use std::path::PathBuf;

/// A top-level section of a flag file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    /// `flags`: full flag definitions.
    Flags,
    /// `flagValues`: simplified flags that only give a value.
    FlagValues,
    /// `segments`: segment definitions.
    Segments,
}

impl Section {
    /// The property name as written in the file.
    pub fn name(self) -> &'static str {
        match self {
            Self::Flags => "flags",
            Self::FlagValues => "flagValues",
            Self::Segments => "segments",
        }
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The place an item was defined: a file and a section within it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The file, as given in the configuration.
    pub path: PathBuf,
    /// The section of the file.
    pub section: Section,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.path.display(), self.section)
    }
}
