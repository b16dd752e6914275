//! LaunchDarkly's relaxed semantic versions, parsed once when a flag is prepared.
//!
//! A version is SemVer 2.0 (`major.minor.patch[-prerelease][+build]`, no leading zeros), except
//! that the minor and patch numbers may be left out (`2`, `2.1`, `2-beta`), which then count as
//! zero. Build metadata is ignored when comparing, as the specification requires.

use std::cmp::Ordering;

/// A parsed semantic version. Ordering is SemVer precedence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SemVer {
    major: u64,
    minor: u64,
    patch: u64,
    prerelease: Box<str>,
}

/// A version borrowed from the string it was parsed from (parsing allocates nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SemVerRef<'a> {
    major: u64,
    minor: u64,
    patch: u64,
    prerelease: &'a str,
}

fn cmp_ident(a: &str, b: &str) -> Ordering {
    let a_num = a.bytes().all(|c| c.is_ascii_digit());
    let b_num = b.bytes().all(|c| c.is_ascii_digit());
    match (a_num, b_num) {
        (true, true) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.as_bytes().cmp(b.as_bytes()),
    }
}

impl Ord for SemVerRef<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.major
            .cmp(&other.major)
            .then(self.minor.cmp(&other.minor))
            .then(self.patch.cmp(&other.patch))
            .then_with(
                || match (self.prerelease.is_empty(), other.prerelease.is_empty()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    (false, false) => {
                        let mut a = self.prerelease.split('.');
                        let mut b = other.prerelease.split('.');
                        loop {
                            match (a.next(), b.next()) {
                                (None, None) => return Ordering::Equal,
                                (None, Some(_)) => return Ordering::Less,
                                (Some(_), None) => return Ordering::Greater,
                                (Some(x), Some(y)) => match cmp_ident(x, y) {
                                    Ordering::Equal => {}
                                    o => return o,
                                },
                            }
                        }
                    }
                },
            )
    }
}

impl PartialOrd for SemVerRef<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SemVer {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_ref().cmp(&other.as_ref())
    }
}

impl PartialOrd for SemVer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

fn parse_number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// The common shape, `MAJOR[.MINOR[.PATCH]]` with no pre-release or build part, in one pass
/// over the bytes. `None` means "not this shape" (the general parser then decides), never
/// "invalid".
#[inline]
fn parse_plain(s: &[u8]) -> Option<[u64; 3]> {
    let mut nums = [0u64; 3];
    let mut part = 0;
    let mut digits = 0;
    for &b in s {
        if b.is_ascii_digit() {
            // A leading zero, or more digits than surely fit in a u64: leave it to the general
            // parser.
            if digits == 19 || (digits == 1 && nums[part] == 0) {
                return None;
            }
            nums[part] = nums[part] * 10 + u64::from(b - b'0');
            digits += 1;
        } else if b == b'.' && digits > 0 && part < 2 {
            part += 1;
            digits = 0;
        } else {
            return None;
        }
    }
    (digits > 0).then_some(nums)
}

impl<'a> SemVerRef<'a> {
    /// Parses without allocating.
    pub(crate) fn parse(s: &'a str) -> Option<SemVerRef<'a>> {
        if let Some([major, minor, patch]) = parse_plain(s.as_bytes()) {
            return Some(SemVerRef {
                major,
                minor,
                patch,
                prerelease: "",
            });
        }
        Self::parse_general(s)
    }

    /// Parses any relaxed version, including pre-release and build parts.
    fn parse_general(s: &'a str) -> Option<SemVerRef<'a>> {
        let end = s.find(['-', '+']).unwrap_or(s.len());
        let (core, rest) = s.split_at(end);
        let mut nums = [0u64; 3];
        for (count, part) in core.split('.').enumerate() {
            if count == 3 {
                return None;
            }
            nums[count] = parse_number(part)?;
        }
        let (pre, build) = match rest.strip_prefix('-') {
            Some(r) => match r.find('+') {
                Some(i) => (Some(&r[..i]), Some(&r[i + 1..])),
                None => (Some(r), None),
            },
            None => (None, rest.strip_prefix('+')),
        };
        if let Some(pre) = pre {
            for id in pre.split('.') {
                if id.is_empty() || !id.bytes().all(is_ident_byte) {
                    return None;
                }
                if id.len() > 1 && id.starts_with('0') && id.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
            }
        }
        if build.is_some_and(|b| {
            b.split('.')
                .any(|id| id.is_empty() || !id.bytes().all(is_ident_byte))
        }) {
            return None;
        }
        Some(SemVerRef {
            major: nums[0],
            minor: nums[1],
            patch: nums[2],
            prerelease: pre.unwrap_or(""),
        })
    }
}

impl SemVer {
    /// Parses a relaxed semantic version; `None` if it is not one.
    ///
    /// ```
    /// use ld_eval::SemVer;
    /// assert!(SemVer::parse("2").unwrap() == SemVer::parse("2.0.0").unwrap());
    /// assert!(SemVer::parse("2.0.0-rc.1").unwrap() < SemVer::parse("2.0.0").unwrap());
    /// assert!(SemVer::parse("1.02.0").is_none());
    /// ```
    pub fn parse(s: &str) -> Option<SemVer> {
        let r = SemVerRef::parse(s)?;
        Some(SemVer {
            major: r.major,
            minor: r.minor,
            patch: r.patch,
            prerelease: Box::from(r.prerelease),
        })
    }

    pub(crate) fn as_ref(&self) -> SemVerRef<'_> {
        SemVerRef {
            major: self.major,
            minor: self.minor,
            patch: self.patch,
            prerelease: &self.prerelease,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> SemVer {
        SemVer::parse(s).unwrap_or_else(|| panic!("{s} should parse"))
    }

    #[test]
    fn relaxed_versions_fill_missing_minor_and_patch() {
        assert_eq!(v("2"), v("2.0.0"));
        assert_eq!(v("2.1"), v("2.1.0"));
        assert_eq!(v("2-beta"), v("2.0.0-beta"));
        assert_eq!(v("2.1+build"), v("2.1.0"));
    }

    #[test]
    fn invalid_versions_do_not_parse() {
        for s in [
            "",
            "v1.2.3",
            "1.2.3.4",
            "1.",
            "1..2",
            "01.2.3",
            "1.2.3-",
            "1.2.3+",
            "1.2.3-01",
            "1.2.3-a..b",
            "1.x",
            " 1.2.3",
            "1.2.3 ",
            "99999999999999999999.0.0",
            "1.2.3-a_b",
        ] {
            assert!(SemVer::parse(s).is_none(), "{s}");
        }
    }

    #[test]
    fn plain_fast_path_agrees_with_the_general_parser() {
        for s in [
            "0",
            "1",
            "10",
            "1.2",
            "1.2.3",
            "0.0.0",
            "10.20.30",
            "01",
            "1.02",
            "1.2.03",
            "00",
            "1.",
            ".1",
            "1..2",
            "1.2.3.4",
            "1.2.",
            "18446744073709551615.0.0",
            "1844674407370955161.1.1",
            "9999999999999999999.0.0",
            "99999999999999999999.0.0",
            "1.2.3-rc",
            "1.2.3+b",
            "",
        ] {
            let fast = parse_plain(s.as_bytes());
            let general = SemVerRef::parse_general(s).map(|v| [v.major, v.minor, v.patch]);
            if let Some(f) = fast {
                assert_eq!(Some(f), general, "{s}");
            }
            assert_eq!(
                SemVerRef::parse(s).map(|v| [v.major, v.minor, v.patch]),
                general,
                "{s}"
            );
        }
    }

    #[test]
    fn precedence_follows_semver() {
        let ordered = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.1.0",
            "2.0.0",
        ];
        for w in ordered.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
        }
        assert_eq!(v("1.0.0+a"), v("1.0.0+b"));
        assert!(v("1.0.0-99999999999999999999999") < v("1.0.0-a"));
    }
}
