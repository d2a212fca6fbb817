//! The timestamps of task bodies (`created_at`, `updated_at`), written without `core::fmt`.
//!
//! The bytes are exactly those of chrono's `Serialize` for `DateTime<Utc>` (RFC 3339, `Z`,
//! fraction digits as chrono's `SecondsFormat::AutoSi` picks them: none, 3, 6 or 9), which the
//! API has always sent. chrono gets there through `Display` and serde_json's `collect_str`,
//! one escaped character at a time: about 3,000 instructions per timestamp, 40 of them in a
//! list page. Here the digits go into a stack buffer. The tests compare both over chrono's
//! whole range, leap seconds included.

use chrono::{DateTime, Datelike, Timelike, Utc};

/// Longest form: `+262143-12-31T23:59:60.999999999Z` (33 bytes).
const MAX_LEN: usize = 40;

/// One formatted timestamp (ASCII, no characters that JSON escapes).
pub(crate) struct Stamp {
    bytes: [u8; MAX_LEN],
    len: usize,
}

impl Stamp {
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII digits, signs and separators are ever written.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    fn push(&mut self, byte: u8) {
        self.bytes[self.len] = byte;
        self.len += 1;
    }

    /// `value` in exactly `width` decimal digits (`value < 10^width`).
    fn digits(&mut self, mut value: u32, width: usize) {
        let end = self.len + width;
        for slot in self.bytes[self.len..end].iter_mut().rev() {
            *slot = b'0' + (value % 10) as u8;
            value /= 10;
        }
        self.len = end;
    }
}

/// `at` as chrono serialises it.
pub(crate) fn format(at: &DateTime<Utc>) -> Stamp {
    let mut out = Stamp {
        bytes: [0; MAX_LEN],
        len: 0,
    };
    let naive = at.naive_utc();
    let year = naive.year();
    if (0..=9999).contains(&year) {
        out.digits(year.unsigned_abs(), 4);
    } else {
        // Outside 0000–9999 ISO 8601 wants a sign and at least four digits (chrono's `{:+05}`).
        out.push(if year < 0 { b'-' } else { b'+' });
        let magnitude = year.unsigned_abs();
        let width = magnitude.checked_ilog10().unwrap_or(0) as usize + 1;
        out.digits(magnitude, width.max(4));
    }
    out.push(b'-');
    out.digits(naive.month(), 2);
    out.push(b'-');
    out.digits(naive.day(), 2);
    out.push(b'T');
    out.digits(naive.hour(), 2);
    out.push(b':');
    out.digits(naive.minute(), 2);
    out.push(b':');
    // A leap second is second 59 with a nanosecond count of a second or more: it shows as 60.
    let (second, nano) = match naive.nanosecond() {
        nano if nano >= 1_000_000_000 => (naive.second() + 1, nano - 1_000_000_000),
        nano => (naive.second(), nano),
    };
    out.digits(second, 2);
    if nano != 0 {
        out.push(b'.');
        if nano % 1_000_000 == 0 {
            out.digits(nano / 1_000_000, 3);
        } else if nano % 1_000 == 0 {
            out.digits(nano / 1_000, 6);
        } else {
            out.digits(nano, 9);
        }
    }
    out.push(b'Z');
    out
}

/// `serialize_with` for a `DateTime<Utc>` field: the same string chrono's `Serialize` gives.
pub(crate) fn serialize<S: serde::Serializer>(
    at: &DateTime<Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(format(at).as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    /// What the API sent before: chrono's own `Serialize`, through serde_json.
    fn chrono_json(at: &DateTime<Utc>) -> String {
        serde_json::to_string(at).expect("serialises")
    }

    fn ours_json(at: &DateTime<Utc>) -> String {
        format!("\"{}\"", format(at).as_str())
    }

    #[test]
    fn fraction_digits_follow_chrono() {
        let at = |micros| Utc.timestamp_micros(micros).single().expect("valid");
        for (micros, text) in [
            (1_700_000_000_000_000, "2023-11-14T22:13:20Z"),
            (1_700_000_000_500_000, "2023-11-14T22:13:20.500Z"),
            (1_700_000_000_000_001, "2023-11-14T22:13:20.000001Z"),
            (0, "1970-01-01T00:00:00Z"),
            (-1, "1969-12-31T23:59:59.999999Z"),
        ] {
            assert_eq!(format(&at(micros)).as_str(), text);
        }
    }

    #[test]
    fn edges_of_the_range_and_leap_seconds_match_chrono() {
        let leap = DateTime::from_timestamp(1_483_228_799, 1_500_000_000).expect("a leap second");
        for at in [
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59)
                .single()
                .expect("valid"),
            Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0)
                .single()
                .expect("valid"),
            Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0)
                .single()
                .expect("valid"),
            Utc.with_ymd_and_hms(-1, 12, 31, 23, 59, 59)
                .single()
                .expect("valid"),
            Utc.with_ymd_and_hms(-10000, 1, 1, 0, 0, 0)
                .single()
                .expect("valid"),
            leap,
        ] {
            assert_eq!(ours_json(&at), chrono_json(&at), "{at:?}");
        }
        assert_eq!(format(&leap).as_str(), "2016-12-31T23:59:60.500Z");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// Any instant chrono can hold, at any precision, leap seconds included.
        #[test]
        fn same_bytes_as_chrono_over_the_whole_range(
            seconds in DateTime::<Utc>::MIN_UTC.timestamp()..=DateTime::<Utc>::MAX_UTC.timestamp(),
            nanos in prop_oneof![
                Just(0u32),
                (0u32..1000).prop_map(|n| n * 1_000_000),
                (0u32..1_000_000).prop_map(|n| n * 1_000),
                0u32..1_000_000_000,
                1_000_000_000u32..2_000_000_000,
            ],
        ) {
            // Beyond a second is only valid on second 59 (a leap second); chrono says None otherwise.
            if let Some(at) = DateTime::from_timestamp(seconds, nanos) {
                prop_assert_eq!(ours_json(&at), chrono_json(&at));
            }
        }

        /// Microsecond instants of this era, the ones the database holds.
        #[test]
        fn same_bytes_as_chrono_for_stored_times(micros in 0i64..4_102_444_800_000_000) {
            let at = Utc.timestamp_micros(micros).single().expect("valid");
            prop_assert_eq!(ours_json(&at), chrono_json(&at));
        }
    }
}
