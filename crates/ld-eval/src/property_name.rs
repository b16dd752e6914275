//! Property names of flag and segment JSON as small integers, so that the fast JSON readers
//! (`flag_json`, `segment_json`) pick a field with one `match` instead of comparing the name
//! with each known name in turn.
//!
//! A [`Name`] is the name's length and its first 24 bytes loaded as three little-endian words,
//! zero-padded. Every name the readers know is at most 24 bytes long, so two names of at most
//! 24 bytes have equal `Name`s exactly when they are the same string; a longer name is read as
//! [`Name::LONG`], which is none of the known names (it is skipped as an unknown field, as the
//! `serde` path skips it). The known names are constants made by [`Name::of`] at compile time
//! and used as `match` patterns: the match tests the length first, then the words.

/// The bytes of a name that [`Name`] holds; known names are no longer.
pub(crate) const MAX_LEN: usize = 24;

/// A property name as its length and its first [`MAX_LEN`] bytes, zero-padded (see the
/// module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Name {
    len: usize,
    words: [u64; 3],
}

impl Name {
    /// Any name longer than [`MAX_LEN`] bytes: equal to none of the known names.
    pub(crate) const LONG: Name = Name {
        len: usize::MAX,
        words: [0; 3],
    };

    /// The name made of these bytes, as [`JsonCursor`](crate::JsonCursor) reads it.
    pub(crate) const fn of(name: &str) -> Name {
        Name::of_bytes(name.as_bytes())
    }

    /// [`Name::of`] for bytes (the name's text between its quotes).
    pub(crate) const fn of_bytes(bytes: &[u8]) -> Name {
        if bytes.len() > MAX_LEN {
            return Name::LONG;
        }
        let mut words = [0u64; 3];
        let mut i = 0;
        while i < bytes.len() {
            words[i / 8] |= (bytes[i] as u64) << (8 * (i % 8));
            i += 1;
        }
        Name {
            len: bytes.len(),
            words,
        }
    }

    /// The name's length in bytes (`usize::MAX` for [`Name::LONG`]).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// A name from the words read straight from the input: `len` bytes, the first `len` of
    /// `words`' bytes, and zeros after them.
    #[inline(always)]
    pub(crate) fn from_words(len: usize, words: [u64; 3]) -> Name {
        Name { len, words }
    }
}

/// The names the flag and segment readers know (each reader matches the ones it reads).
pub(crate) mod known {
    use super::Name;

    macro_rules! names {
        ($($id:ident = $text:literal),* $(,)?) => {
            $(
                #[doc = concat!("`\"", $text, "\"`")]
                pub(crate) const $id: Name = Name::of($text);
            )*
            /// Every known name with its text (for tests).
            #[cfg(test)]
            pub(crate) const ALL: &[(Name, &str)] = &[$(($id, $text)),*];
        };
    }

    names! {
        ATTRIBUTE = "attribute",
        BUCKET_BY = "bucketBy",
        CHECK_RATIO = "checkRatio",
        CLAUSES = "clauses",
        CLIENT_SIDE = "clientSide",
        CLIENT_SIDE_AVAILABILITY = "clientSideAvailability",
        CONTEXT_KIND = "contextKind",
        CONTEXT_TARGETS = "contextTargets",
        DEBUG_EVENTS_UNTIL_DATE = "debugEventsUntilDate",
        DELETED = "deleted",
        EXCLUDED = "excluded",
        EXCLUDED_CONTEXTS = "excludedContexts",
        EXCLUDE_FROM_SUMMARIES = "excludeFromSummaries",
        FALLTHROUGH = "fallthrough",
        GENERATION = "generation",
        ID = "id",
        INCLUDED = "included",
        INCLUDED_CONTEXTS = "includedContexts",
        KEY = "key",
        KIND = "kind",
        MIGRATION = "migration",
        NEGATE = "negate",
        OFF_VARIATION = "offVariation",
        ON = "on",
        OP = "op",
        PREREQUISITES = "prerequisites",
        ROLLOUT = "rollout",
        ROLLOUT_CONTEXT_KIND = "rolloutContextKind",
        RULES = "rules",
        SALT = "salt",
        SAMPLING_RATIO = "samplingRatio",
        SEED = "seed",
        TARGETS = "targets",
        TRACK_EVENTS = "trackEvents",
        TRACK_EVENTS_FALLTHROUGH = "trackEventsFallthrough",
        UNBOUNDED = "unbounded",
        UNBOUNDED_CONTEXT_KIND = "unboundedContextKind",
        UNTRACKED = "untracked",
        USING_ENVIRONMENT_ID = "usingEnvironmentId",
        USING_MOBILE_KEY = "usingMobileKey",
        VALUES = "values",
        VARIATION = "variation",
        VARIATIONS = "variations",
        VERSION = "version",
        WEIGHT = "weight",
    }
}

#[cfg(test)]
mod tests {
    use super::known::ALL;
    use super::*;

    #[test]
    fn known_names_fit_and_are_all_different() {
        for (i, (a, text)) in ALL.iter().enumerate() {
            assert!(text.len() <= MAX_LEN, "{text}");
            assert_ne!(*a, Name::LONG);
            for (b, other) in &ALL[i + 1..] {
                assert_ne!(a, b, "{text} and {other}");
            }
        }
    }

    #[test]
    fn names_differing_in_any_byte_or_in_length_differ() {
        for (name, text) in ALL {
            let bytes = text.as_bytes();
            for at in 0..bytes.len() {
                let mut changed = bytes.to_vec();
                changed[at] ^= 0x20;
                assert_ne!(Name::of_bytes(&changed), *name, "{text} at {at}");
                // One byte shorter, and one byte longer at each place.
                let mut shorter = bytes.to_vec();
                shorter.remove(at);
                assert_ne!(Name::of_bytes(&shorter), *name, "{text} without {at}");
                let mut longer = bytes.to_vec();
                longer.insert(at, bytes[at]);
                assert_ne!(Name::of_bytes(&longer), *name, "{text} doubled {at}");
            }
            let padded = format!("{text}\0");
            assert_ne!(Name::of(&padded), *name);
        }
        assert_eq!(Name::of(&"x".repeat(MAX_LEN + 1)), Name::LONG);
        assert_ne!(Name::of(&"x".repeat(MAX_LEN)), Name::LONG);
    }
}
