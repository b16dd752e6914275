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

/// Pre-release precedence: dot-separated identifiers compared in turn, numeric ones numerically
/// and below alphanumeric ones; a shorter list of otherwise equal identifiers is lower.
#[inline(never)]
fn cmp_prerelease(a: &str, b: &str) -> Ordering {
    let mut a = a.split('.');
    let mut b = b.split('.');
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

impl Ord for SemVerRef<'_> {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        let core =
            (self.major, self.minor, self.patch).cmp(&(other.major, other.minor, other.patch));
        if core.is_ne() {
            return core;
        }
        // A version without a pre-release part is higher than the same version with one.
        match (self.prerelease.is_empty(), other.prerelease.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => cmp_prerelease(self.prerelease, other.prerelease),
        }
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

/// Reads one version number starting at `*i`: ASCII digits without a leading zero. Leaves `*i`
/// after the last digit. The caller guarantees at most 19 digits (which always fit in a `u64`).
#[inline(always)]
fn plain_number(s: &[u8], i: &mut usize) -> Option<u64> {
    let start = *i;
    let mut n = 0u64;
    while let Some(&b) = s.get(*i) {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        // Wrapping only so that a broken caller guarantee can never panic.
        n = n.wrapping_mul(10).wrapping_add(u64::from(d));
        *i += 1;
    }
    let len = *i - start;
    if len == 0 || (len > 1 && s[start] == b'0') {
        return None;
    }
    Some(n)
}

/// The longest text [`parse_plain`] reads; longer versions go to the general parser. No number
/// in it can have more than 19 digits, so none overflows a `u64`.
const PLAIN_MAX_LEN: usize = 19;

/// The common shape, `MAJOR[.MINOR[.PATCH]]` with no pre-release or build part and at most
/// [`PLAIN_MAX_LEN`] bytes, in one pass over the bytes. `None` means "not this shape" (the
/// general parser then decides), never "invalid".
#[inline(always)]
fn parse_plain(s: &[u8]) -> Option<[u64; 3]> {
    if s.len() > PLAIN_MAX_LEN {
        return None;
    }
    let mut i = 0;
    let major = plain_number(s, &mut i)?;
    if i == s.len() {
        return Some([major, 0, 0]);
    }
    if s[i] != b'.' {
        return None;
    }
    i += 1;
    let minor = plain_number(s, &mut i)?;
    if i == s.len() {
        return Some([major, minor, 0]);
    }
    if s[i] != b'.' {
        return None;
    }
    i += 1;
    let patch = plain_number(s, &mut i)?;
    (i == s.len()).then_some([major, minor, patch])
}

impl<'a> SemVerRef<'a> {
    /// Parses without allocating. The common plain shape is read inline; anything else goes to
    /// the general parser.
    #[inline]
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
    #[inline(never)]
    pub(crate) fn parse_general(s: &'a str) -> Option<SemVerRef<'a>> {
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

/// Whether the version written in `text` compares as `want` with any of `versions` (the clause
/// values of a semver operator: `Equal` for `semVerEqual`, `Less` for `semVerLessThan`, `Greater`
/// for `semVerGreaterThan`). Text that is not a version matches nothing.
#[inline(always)]
pub(crate) fn any_version_is(text: &str, versions: &[SemVer], want: Ordering) -> bool {
    let Some(a) = SemVerRef::parse(text) else {
        return false;
    };
    versions.iter().any(|v| a.cmp(&v.as_ref()) == want)
}

/// [`any_version_is`] for a single version without a pre-release part (the usual clause, such
/// as `semVerGreaterThan 2.5.0`), given as its major, minor and patch numbers.
#[inline(always)]
pub(crate) fn version_is(text: &str, core: &[u64; 3], want: Ordering) -> bool {
    let Some(a) = SemVerRef::parse(text) else {
        return false;
    };
    let [major, minor, patch] = *core;
    a.cmp(&SemVerRef {
        major,
        minor,
        patch,
        prerelease: "",
    }) == want
}

impl SemVer {
    /// The major, minor and patch numbers of a version without a pre-release part (the
    /// ordering ignores build metadata, which is not kept).
    pub(crate) fn plain_core(&self) -> Option<[u64; 3]> {
        self.prerelease
            .is_empty()
            .then_some([self.major, self.minor, self.patch])
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

    #[inline]
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

    /// Calls `f` with every string of up to `max_len` bytes over `alphabet`.
    fn for_every_string(alphabet: &[u8], max_len: usize, mut f: impl FnMut(&str)) {
        let mut digits: Vec<usize> = Vec::new();
        loop {
            let bytes: Vec<u8> = digits.iter().map(|&d| alphabet[d]).collect();
            f(std::str::from_utf8(&bytes).unwrap());
            // Next string: increment like an odometer, growing by one position on wrap-around.
            let mut i = 0;
            loop {
                if i == digits.len() {
                    if digits.len() == max_len {
                        return;
                    }
                    digits.push(0);
                    break;
                }
                digits[i] += 1;
                if digits[i] < alphabet.len() {
                    break;
                }
                digits[i] = 0;
                i += 1;
            }
        }
    }

    /// A small deterministic generator (xorshift), so that failures reproduce.
    struct Gen(u64);
    impl Gen {
        fn next(&mut self, below: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % below as u64) as usize
        }
    }

    fn check_fast_path_agrees(s: &str) {
        let general = SemVerRef::parse_general(s);
        assert_eq!(SemVerRef::parse(s), general, "{s:?}");
        if let Some([major, minor, patch]) = parse_plain(s.as_bytes()) {
            let plain = SemVerRef {
                major,
                minor,
                patch,
                prerelease: "",
            };
            assert_eq!(Some(plain), general, "{s:?}");
        }
    }

    #[test]
    fn the_plain_fast_path_agrees_with_the_general_parser_on_every_short_string() {
        // Every string of up to 6 bytes over the characters that matter to the grammar.
        for_every_string(b"0129.-+a", 6, check_fast_path_agrees);
    }

    #[test]
    fn the_plain_fast_path_agrees_with_the_general_parser_on_long_and_random_strings() {
        let mut g = Gen(0x9E37_79B9_7F4A_7C15);
        let alphabet = b"00123456789.....-+ax";
        for _ in 0..200_000 {
            let len = g.next(28);
            let bytes: Vec<u8> = (0..len).map(|_| alphabet[g.next(alphabet.len())]).collect();
            check_fast_path_agrees(std::str::from_utf8(&bytes).unwrap());
        }
        // Numbers around the u64 limit and the 19-digit cut-off, in every position.
        for n in [
            "9999999999999999999",
            "10000000000000000000",
            "18446744073709551615",
            "18446744073709551616",
            "1844674407370955161",
            "0000000000000000000",
        ] {
            for s in [
                n.to_owned(),
                format!("{n}.1"),
                format!("1.{n}"),
                format!("1.2.{n}"),
                format!("1.{n}.3-rc"),
            ] {
                check_fast_path_agrees(&s);
            }
        }
    }

    #[test]
    fn comparing_text_with_prepared_versions_follows_precedence() {
        // Pairs from LaunchDarkly's contract tests (lower, higher), plus build metadata and
        // relaxed forms, which compare equal.
        let lower_higher = [
            ("1.0.0", "2.0.0"),
            ("1.0", "2.0"),
            ("1", "2"),
            ("2.0.0", "2.1.0"),
            ("2.0", "2.1"),
            ("2.0.0", "2.0.1"),
            ("2.0.0-rc", "2.0.0"),
            ("2.0.0-rc", "2.0.0-rc.1"),
            ("2.0.0-rc.2.green", "2.0.0-rc.10.green"),
            ("2.0.0-rc.2.green", "2.0.0-rc.2.red"),
            ("2.0.0-rc.2.green", "2.0.0-rc.2.green.1"),
            ("2.0.0-rc.2.green", "2.0.1-rc.2.green"),
            ("1.2.3", "10.0.0"),
            ("1.9", "1.10"),
        ];
        let equal = [
            ("2.0.0", "2.0.0"),
            ("2.0", "2.0.0"),
            ("2", "2.0.0"),
            ("2.0.0+build", "2.0.0"),
            ("2.0.0-rc", "2.0.0-rc"),
            ("2.0-rc", "2.0.0-rc"),
            ("2-rc", "2.0.0-rc"),
            ("2.0.0-rc+build", "2.0.0-rc"),
        ];
        let is =
            |text: &str, version: &str, want: Ordering| any_version_is(text, &[v(version)], want);
        for (lo, hi) in lower_higher {
            assert!(
                is(lo, hi, Ordering::Less) && is(hi, lo, Ordering::Greater),
                "{lo} < {hi}"
            );
            assert!(
                !is(lo, hi, Ordering::Equal) && !is(hi, lo, Ordering::Less),
                "{lo} < {hi}"
            );
        }
        for (a, b) in equal {
            assert!(
                is(a, b, Ordering::Equal) && is(b, a, Ordering::Equal),
                "{a} = {b}"
            );
            assert!(
                !is(a, b, Ordering::Less) && !is(a, b, Ordering::Greater),
                "{a} = {b}"
            );
        }
        // Text that is not a version matches nothing; any one of several versions may match.
        for bad in ["02.0.0", "v2.0.0", "2.0.0.0", "", "2.", "x"] {
            for want in [Ordering::Less, Ordering::Equal, Ordering::Greater] {
                assert!(!is(bad, "2.0.0", want), "{bad}");
            }
        }
        assert!(any_version_is(
            "2.5.1",
            &[v("3.0.0"), v("2.5.0")],
            Ordering::Greater
        ));
        assert!(!any_version_is("2.5.1", &[], Ordering::Greater));
    }

    #[test]
    fn comparing_text_agrees_with_comparing_parsed_versions() {
        let mut g = Gen(0xD1B5_4A32_D192_ED03);
        let parts = ["0", "1", "2", "10", "3"];
        let pres = ["", "-rc", "-rc.1", "-1", "-rc.a", "-0.3.7", "+b.1", "-x+y"];
        let make = |g: &mut Gen| {
            let n = 1 + g.next(3);
            let core: Vec<&str> = (0..n).map(|_| parts[g.next(parts.len())]).collect();
            format!("{}{}", core.join("."), pres[g.next(pres.len())])
        };
        for _ in 0..20_000 {
            let (a, b) = (make(&mut g), make(&mut g));
            let want = v(&a).cmp(&v(&b));
            assert!(any_version_is(&a, &[v(&b)], want), "{a} vs {b}");
            for other in [Ordering::Less, Ordering::Equal, Ordering::Greater] {
                if other != want {
                    assert!(!any_version_is(&a, &[v(&b)], other), "{a} vs {b}");
                }
            }
        }
    }
}
