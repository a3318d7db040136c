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

/// The text of a [`Timestamp`]: always 28 ASCII bytes.
pub const TEXT_LEN: usize = 28;

/// How responses show [`Timestamp::MIN`], the "not set" of the non-nullable token dates: as
/// Graph shows it, without a fraction. Every other instant is shown as [`Timestamp::write_text`]
/// writes it; stored values always keep the fixed-width form.
pub const MIN_TEXT: &str = "0001-01-01T00:00:00Z";

impl Timestamp {
    /// Writes `2026-11-22T10:15:30.1234567Z` into `buf` and returns it: fixed width, so text
    /// order is time order. (Years are 1..=9999 by construction; others are clamped.)
    pub fn write_text(self, buf: &mut [u8; TEXT_LEN]) -> &str {
        fn digits(out: &mut [u8], mut v: u32) {
            for b in out.iter_mut().rev() {
                *b = b'0' + (v % 10) as u8;
                v /= 10;
            }
        }
        let d = self.0;
        let year = d.year().clamp(0, 9999) as u32;
        *buf = *b"0000-00-00T00:00:00.0000000Z";
        digits(&mut buf[0..4], year);
        digits(&mut buf[5..7], u8::from(d.month()).into());
        digits(&mut buf[8..10], d.day().into());
        digits(&mut buf[11..13], d.hour().into());
        digits(&mut buf[14..16], d.minute().into());
        digits(&mut buf[17..19], d.second().into());
        digits(&mut buf[20..27], d.nanosecond() / 100);
        // Only ASCII digits and separators were written.
        std::str::from_utf8(buf).unwrap_or_default()
    }
}

impl Timestamp {
    /// The instant as a response shows it: [`MIN_TEXT`] for [`Timestamp::MIN`], otherwise the
    /// fixed-width text of [`Timestamp::write_text`].
    pub fn response_text(self, buf: &mut [u8; TEXT_LEN]) -> &str {
        if self == Timestamp::MIN {
            return MIN_TEXT;
        }
        self.write_text(buf)
    }
}

impl fmt::Display for Timestamp {
    /// `2026-11-22T10:15:30.1234567Z`: fixed width, so text order is time order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.write_text(&mut [0; TEXT_LEN]))
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
    fn responses_show_the_minimum_as_graph_does() {
        let buf = &mut [0; TEXT_LEN];
        assert_eq!(Timestamp::MIN.response_text(buf), "0001-01-01T00:00:00Z");
        assert_eq!(Timestamp::parse(MIN_TEXT), Some(Timestamp::MIN));
        let later = Timestamp::MIN.next_tick();
        assert_eq!(later.response_text(buf), "0001-01-01T00:00:00.0000001Z");
    }

    #[test]
    fn text_matches_the_time_crate_across_the_range() {
        let oracle = time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:7]Z"
        );
        let mut t = Timestamp::MIN;
        // Steps of 7 days 1 h 1 min 1.0000002 s across years 1..=9999.
        let step = 7 * 86_400 + 3_661;
        while let Some(next) = t.plus_seconds(step) {
            let want = t.as_datetime().format(&oracle).unwrap();
            assert_eq!(t.to_string(), want);
            assert_eq!(t.write_text(&mut [0; TEXT_LEN]).len(), TEXT_LEN);
            t = next.next_tick().next_tick();
        }
        assert!(t.to_string().starts_with("9999-12-"));
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
