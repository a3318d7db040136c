//! `Edm.DateTimeOffset` literals: RFC 3339 / OData text to a UTC instant with 100-ns precision,
//! and back to the service's canonical text form `2026-11-22T10:15:30.1234567Z`.

use std::fmt;

/// Seconds from 0001-01-01T00:00:00Z to the Unix epoch.
const SECONDS_0001_TO_UNIX: i64 = 62_135_596_800;
/// The earliest accepted instant (0001-01-01T00:00:00Z) in Unix seconds.
const MIN_UNIX: i64 = -SECONDS_0001_TO_UNIX;
/// The latest accepted second (9999-12-31T23:59:59Z) in Unix seconds.
const MAX_UNIX: i64 = 253_402_300_799;

/// A UTC instant between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.9999999Z, with 100-ns
/// precision (the precision of .NET's `DateTimeOffset`, which Graph uses).
///
/// Stored as Unix seconds plus nanoseconds (always a multiple of 100). Fraction digits beyond
/// the seventh are truncated when parsing. `Display` prints the canonical form with exactly seven
/// fraction digits and `Z` (`2026-01-02T03:04:05.0000000Z`); that text sorts lexicographically in
/// the same order as the instants, so it can also be compared as a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTimeUtc {
    unix_seconds: i64,
    nanos: u32,
}

impl DateTimeUtc {
    /// The instant `unix_seconds` + `nanos` after the Unix epoch; `None` when outside years
    /// 0001..=9999 or when `nanos` is not a multiple of 100 below one second.
    pub fn from_unix(unix_seconds: i64, nanos: u32) -> Option<Self> {
        let in_range = (MIN_UNIX..=MAX_UNIX).contains(&unix_seconds);
        (in_range && nanos < 1_000_000_000 && nanos.is_multiple_of(100)).then_some(DateTimeUtc {
            unix_seconds,
            nanos,
        })
    }

    /// Whole seconds since 1970-01-01T00:00:00Z (negative before it).
    pub fn unix_seconds(&self) -> i64 {
        self.unix_seconds
    }

    /// Nanoseconds within the second (a multiple of 100).
    pub fn subsec_nanos(&self) -> u32 {
        self.nanos
    }

    /// 100-ns ticks since 0001-01-01T00:00:00Z, like .NET's `DateTime.Ticks`.
    pub fn ticks(&self) -> i64 {
        (self.unix_seconds + SECONDS_0001_TO_UNIX) * 10_000_000 + i64::from(self.nanos / 100)
    }

    /// Parses an OData / RFC 3339 date-time: `YYYY-MM-DDTHH:MM[:SS[.fraction]]` followed by `Z`
    /// or `±HH:MM`. `T` and `Z` may be lower-case. On failure, returns a message naming the
    /// broken part.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut p = Cursor {
            s: text.as_bytes(),
            i: 0,
        };
        let year = p.digits(4, "year")?;
        p.expect(b'-', "'-' after the year")?;
        let month = p.digits(2, "month")?;
        p.expect(b'-', "'-' after the month")?;
        let day = p.digits(2, "day")?;
        if !p.eat(b'T') && !p.eat(b't') {
            return Err("expected 'T' between the date and the time".into());
        }
        let hour = p.digits(2, "hour")?;
        p.expect(b':', "':' after the hour")?;
        let minute = p.digits(2, "minute")?;
        let (mut second, mut nanos) = (0, 0);
        if p.eat(b':') {
            second = p.digits(2, "second")?;
            if p.eat(b'.') {
                nanos = p.fraction()?;
            }
        }
        let offset_minutes = match p.next() {
            Some(b'Z' | b'z') => 0,
            Some(sign @ (b'+' | b'-')) => {
                let oh = p.digits(2, "offset hour")?;
                p.expect(b':', "':' in the offset")?;
                let om = p.digits(2, "offset minute")?;
                if oh > 23 || om > 59 {
                    return Err("offset out of range (at most 23:59)".into());
                }
                let total = i64::from(oh * 60 + om);
                if sign == b'-' {
                    -total
                } else {
                    total
                }
            }
            _ => return Err("expected 'Z' or an offset such as +01:00 after the time".into()),
        };
        if p.i != p.s.len() {
            return Err("unexpected text after the offset".into());
        }
        if year == 0 || !(1..=12).contains(&month) {
            return Err(if year == 0 {
                "year 0000 does not exist"
            } else {
                "month must be 01..12"
            }
            .into());
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(format!(
                "day {day:02} does not exist in {year:04}-{month:02}"
            ));
        }
        if hour > 23 || minute > 59 || second > 59 {
            return Err("time out of range (hours 00..23, minutes and seconds 00..59)".into());
        }
        let days = days_from_civil(i64::from(year), month, day);
        let local = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
        DateTimeUtc::from_unix(local - offset_minutes * 60, nanos)
            .ok_or_else(|| "date-time outside 0001-01-01..9999-12-31 once converted to UTC".into())
    }
}

impl fmt::Display for DateTimeUtc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.unix_seconds.div_euclid(86_400);
        let secs = self.unix_seconds.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:07}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            self.nanos / 100
        )
    }
}

/// A byte cursor over the literal.
struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn next(&mut self) -> Option<u8> {
        let b = self.s.get(self.i).copied();
        self.i += usize::from(b.is_some());
        b
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.s.get(self.i) == Some(&b);
        self.i += usize::from(hit);
        hit
    }

    fn expect(&mut self, b: u8, what: &str) -> Result<(), String> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(format!("expected {what}"))
        }
    }

    /// Exactly `n` ASCII digits.
    fn digits(&mut self, n: usize, what: &str) -> Result<u32, String> {
        let mut v = 0u32;
        for _ in 0..n {
            match self.s.get(self.i) {
                Some(b) if b.is_ascii_digit() => v = v * 10 + u32::from(b - b'0'),
                _ => return Err(format!("the {what} must have {n} digits")),
            }
            self.i += 1;
        }
        Ok(v)
    }

    /// One or more fraction digits, as nanoseconds truncated to 100 ns.
    fn fraction(&mut self) -> Result<u32, String> {
        let start = self.i;
        let mut nanos = 0u32;
        while let Some(b) = self.s.get(self.i).filter(|b| b.is_ascii_digit()) {
            let place = self.i - start;
            if place < 7 {
                nanos += u32::from(b - b'0') * 10u32.pow(8 - place as u32);
            }
            self.i += 1;
        }
        if self.i == start {
            return Err("expected digits after '.'".into());
        }
        Ok(nanos)
    }
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::DateTimeUtc;

    fn p(s: &str) -> DateTimeUtc {
        DateTimeUtc::parse(s).unwrap()
    }

    #[test]
    fn parses_and_normalises_to_utc() {
        assert_eq!(p("1970-01-01T00:00:00Z").unix_seconds(), 0);
        assert_eq!(p("2026-01-02T03:04:05+01:00"), p("2026-01-02T02:04:05Z"));
        assert_eq!(p("2026-01-02T03:04:05-08:00"), p("2026-01-02T11:04:05Z"));
        assert_eq!(p("2026-01-02t03:04z"), p("2026-01-02T03:04:00Z"));
        assert_eq!(
            p("2024-02-29T00:00:00.123456789Z").subsec_nanos(),
            123_456_700
        );
        assert_eq!(p("0001-01-01T00:00:00Z").ticks(), 0);
        assert_eq!(p("0001-01-01T00:00:00.0000001Z").ticks(), 1);
        assert_eq!(
            p("2026-11-22T10:15:30.1234567Z").to_string(),
            "2026-11-22T10:15:30.1234567Z"
        );
        assert_eq!(
            p("9999-12-31T23:59:59.9999999Z").to_string(),
            "9999-12-31T23:59:59.9999999Z"
        );
        assert_eq!(
            p("1969-12-31T23:59:59Z").to_string(),
            "1969-12-31T23:59:59.0000000Z"
        );
    }

    #[test]
    fn rejects_impossible_dates() {
        for bad in [
            "2026-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "0000-01-01T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:60:00Z",
            "2026-01-01T00:00:60Z",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00+1:00",
            "2026-01-01T00:00:00+24:00",
            "2026-01-01",
            "0001-01-01T00:00:00+00:01",
            "9999-12-31T23:59:59-00:01",
            "2026-01-01T00:00:00Zjunk",
        ] {
            assert!(DateTimeUtc::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn display_round_trips_every_day_of_a_leap_cycle() {
        let start = p("2000-01-01T00:00:00Z").unix_seconds();
        for day in 0..(366 * 4 + 2) {
            let t = DateTimeUtc::from_unix(start + day * 86_400 + 3_723, 4_500).unwrap();
            assert_eq!(p(&t.to_string()), t);
        }
    }
}
