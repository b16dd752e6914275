//! Points in time for the `before` and `after` operators.
//!
//! A clause or attribute value is a time when it is a number (milliseconds since the Unix epoch;
//! the fraction is dropped, and magnitudes beyond 2^53 are not times) or an RFC 3339 string
//! (`2024-05-01T12:00:00.5+02:00`). Clause values are parsed once when a flag is prepared.

/// Nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(i128);

const MAX_SAFE_INT: f64 = 9_007_199_254_740_991.0;

impl Timestamp {
    /// A time from epoch milliseconds.
    pub fn from_millis(ms: f64) -> Option<Timestamp> {
        if !ms.is_finite() || ms.abs() > MAX_SAFE_INT {
            return None;
        }
        Some(Timestamp(i128::from(ms as i64) * 1_000_000))
    }

    /// A time from a JSON value (number or RFC 3339 string).
    pub fn from_json(v: &serde_json::Value) -> Option<Timestamp> {
        match v {
            serde_json::Value::Number(n) => Timestamp::from_millis(n.as_f64()?),
            serde_json::Value::String(s) => Timestamp::parse_rfc3339(s),
            _ => None,
        }
    }

    /// Parses an RFC 3339 date-time.
    ///
    /// ```
    /// use ld_eval::Timestamp;
    /// let a = Timestamp::parse_rfc3339("1970-01-01T00:00:01Z").unwrap();
    /// assert_eq!(a, Timestamp::from_millis(1000.0).unwrap());
    /// assert_eq!(Timestamp::parse_rfc3339("1970-01-01T01:00:01+01:00"), Some(a));
    /// assert!(Timestamp::parse_rfc3339("2024-02-30T00:00:00Z").is_none());
    /// ```
    pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
        let b = s.as_bytes();
        if b.len() < 20 {
            return None;
        }
        let num = |from: usize, len: usize| -> Option<i64> {
            let part = b.get(from..from + len)?;
            if !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            Some(
                part.iter()
                    .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0')),
            )
        };
        let year = num(0, 4)?;
        let month = num(5, 2)?;
        let day = num(8, 2)?;
        if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
            return None;
        }
        let hour = num(11, 2)?;
        let minute = num(14, 2)?;
        let second = num(17, 2)?;
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return None;
        }
        let mut i = 19;
        let mut nanos: i128 = 0;
        if b[i] == b'.' {
            i += 1;
            let start = i;
            let mut scale = 100_000_000i128;
            while i < b.len() && b[i].is_ascii_digit() {
                nanos += i128::from(b[i] - b'0') * scale;
                scale /= 10;
                i += 1;
            }
            if i == start {
                return None;
            }
        }
        let offset_secs: i64 = match b.get(i)? {
            b'Z' | b'z' if i + 1 == b.len() => 0,
            sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
                let oh = num(i + 1, 2)?;
                let om = num(i + 4, 2)?;
                if oh > 23 || om > 59 {
                    return None;
                }
                let o = oh * 3600 + om * 60;
                if *sign == b'-' { -o } else { o }
            }
            _ => return None,
        };
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
        Some(Timestamp(i128::from(secs) * 1_000_000_000 + nanos))
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_matches_known_epoch_values() {
        let t = |s| Timestamp::parse_rfc3339(s).unwrap();
        assert_eq!(t("1970-01-01T00:00:00Z"), Timestamp(0));
        assert_eq!(
            t("2000-03-01T00:00:00Z"),
            Timestamp(951_868_800 * 1_000_000_000)
        );
        assert_eq!(
            t("2017-12-06T00:00:00.123-07:00"),
            Timestamp(1_512_543_600_123 * 1_000_000)
        );
        assert_eq!(t("1969-12-31T23:59:59.999999999Z"), Timestamp(-1));
    }

    #[test]
    fn malformed_dates_are_not_times() {
        for s in [
            "",
            "2017-12-06",
            "2017-12-06T00:00:00",
            "2017-13-01T00:00:00Z",
            "2017-12-06T24:00:00Z",
            "2017-12-06T00:00:00.Z",
            "2017-12-06T00:00:00+0100",
            "2017-12-06T00:00:00Zx",
            "x017-12-06T00:00:00Z",
            "2017-12-06T00:00:00+24:00",
        ] {
            assert!(Timestamp::parse_rfc3339(s).is_none(), "{s}");
        }
    }

    #[test]
    fn millis_drop_fractions_and_reject_huge_numbers() {
        assert_eq!(Timestamp::from_millis(1.9), Timestamp::from_millis(1.0));
        assert!(Timestamp::from_millis(1e16).is_none());
        assert!(Timestamp::from_millis(f64::NAN).is_none());
    }
}
