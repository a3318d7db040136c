//! Date-times as the API shows them: UTC instants with 100-nanosecond precision, written with
//! seven fractional digits and a `Z`, and read from any RFC 3339 form.

use std::fmt;

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

/// A UTC instant truncated to 100 ns, the precision Graph date-times carry.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// `0001-01-01T00:00:00Z`: what the API shows for "no token" in the non-nullable token dates.
    pub const MIN: Timestamp = Timestamp(time::macros::datetime!(0001-01-01 00:00:00 UTC));

    /// The current time, truncated to 100 ns.
    pub fn now() -> Self {
        Self::from_datetime(OffsetDateTime::now_utc())
    }

    /// Converts any offset date-time to UTC and truncates it to 100 ns.
    pub fn from_datetime(dt: OffsetDateTime) -> Self {
        let dt = dt.to_offset(UtcOffset::UTC);
        let nanos = dt.nanosecond();
        // Infallible: the truncated value is within 0..1_000_000_000.
        let dt = dt.replace_nanosecond(nanos - nanos % 100).unwrap_or(dt);
        Timestamp(dt)
    }

    /// Parses an RFC 3339 date-time (`2030-01-02T03:04:05+00:00`, `...05.1234567-08:00`, `...Z`).
    /// Returns `None` for anything else, or for a value outside years 1..=9999.
    pub fn parse(s: &str) -> Option<Self> {
        let dt = OffsetDateTime::parse(s, &Rfc3339).ok()?;
        let utc = dt.checked_to_offset(UtcOffset::UTC)?;
        if !(1..=9999).contains(&utc.year()) {
            return None;
        }
        Some(Self::from_datetime(utc))
    }

    /// This instant plus `seconds`, or `None` past year 9999.
    pub fn plus_seconds(self, seconds: i64) -> Option<Self> {
        let dt = self.0.checked_add(Duration::seconds(seconds))?;
        (dt.year() <= 9999).then_some(Timestamp(dt))
    }

    /// The smallest instant after `self` (100 ns later).
    pub fn next_tick(self) -> Self {
        Timestamp(self.0 + Duration::nanoseconds(100))
    }

    /// The underlying date-time, in UTC.
    pub fn as_datetime(self) -> OffsetDateTime {
        self.0
    }
}

impl fmt::Display for Timestamp {
    /// `2026-11-22T10:15:30.1234567Z`: fixed width, so text order is time order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}Z",
            d.year(),
            u8::from(d.month()),
            d.day(),
            d.hour(),
            d.minute(),
            d.second(),
            d.nanosecond() / 100
        )
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_seven_digits_in_utc() {
        let t = Timestamp::parse("2017-01-01T00:01:38.5314127-08:00").unwrap();
        assert_eq!(t.to_string(), "2017-01-01T08:01:38.5314127Z");
        let t = Timestamp::parse("2030-01-02T03:04:05+00:00").unwrap();
        assert_eq!(t.to_string(), "2030-01-02T03:04:05.0000000Z");
        assert_eq!(Timestamp::MIN.to_string(), "0001-01-01T00:00:00.0000000Z");
    }

    #[test]
    fn truncates_below_100ns_and_round_trips() {
        let t = Timestamp::parse("2026-11-22T10:15:30.123456789Z").unwrap();
        assert_eq!(t.to_string(), "2026-11-22T10:15:30.1234567Z");
        assert_eq!(Timestamp::parse(&t.to_string()), Some(t));
    }

    #[test]
    fn rejects_non_rfc3339_and_out_of_range() {
        for bad in [
            "",
            "2026-11-22",
            "2026-11-22T10:15:30",
            "yesterday",
            "0000-12-31T23:00:00Z",
        ] {
            assert_eq!(Timestamp::parse(bad), None, "{bad}");
        }
        assert!(Timestamp::parse("9999-12-31T23:59:59Z")
            .unwrap()
            .plus_seconds(1)
            .is_none());
    }
}
