//! [`DbTime`]: a UTC timestamp stored so that both engines sort it the same way.
//!
//! PostgreSQL keeps `timestamptz` (microseconds). SQLite has no time type; sqlx's default text
//! form has a variable number of fraction digits, which breaks text ordering ("…00Z" sorts after
//! "…00.5Z"). Here SQLite gets fixed-width `2026-11-29T00:49:25.123456Z`, so `ORDER BY` and the
//! keyset comparison of pagination agree on both engines.

use chrono::{DateTime, NaiveDate, SecondsFormat, TimeZone, Utc};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentValue, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};

/// A timestamp with microsecond precision (the precision PostgreSQL stores).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DbTime(DateTime<Utc>);

impl DbTime {
    /// The current time, truncated to microseconds so it reads back unchanged.
    pub fn now() -> DbTime {
        DbTime::from_micros(Utc::now().timestamp_micros()).unwrap_or(DbTime(Utc::now()))
    }

    pub fn from_micros(micros: i64) -> Option<DbTime> {
        Utc.timestamp_micros(micros).single().map(DbTime)
    }

    pub fn micros(self) -> i64 {
        self.0.timestamp_micros()
    }

    pub fn utc(self) -> DateTime<Utc> {
        self.0
    }

    fn to_text(self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Micros, true)
    }

    /// Reads the stored text form: the fixed-width one directly (every row this version
    /// wrote), any other RFC 3339 text through the general parser.
    fn from_text(text: &str) -> Option<DbTime> {
        DbTime::from_fixed_width(text.as_bytes()).or_else(|| {
            DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|time| DbTime(time.with_timezone(&Utc)))
        })
    }

    /// `2026-11-29T00:49:25.123456Z`, without the general parser's cost (two per row read).
    fn from_fixed_width(text: &[u8]) -> Option<DbTime> {
        let [
            y0,
            y1,
            y2,
            y3,
            b'-',
            mo0,
            mo1,
            b'-',
            d0,
            d1,
            b'T',
            h0,
            h1,
            b':',
            mi0,
            mi1,
            b':',
            s0,
            s1,
            b'.',
            f0,
            f1,
            f2,
            f3,
            f4,
            f5,
            b'Z',
        ] = *text
        else {
            return None;
        };
        let number = |digits: &[u8]| {
            digits.iter().try_fold(0u32, |value, &digit| {
                digit
                    .is_ascii_digit()
                    .then(|| value * 10 + u32::from(digit - b'0'))
            })
        };
        let year = i32::try_from(number(&[y0, y1, y2, y3])?).ok()?;
        let time = NaiveDate::from_ymd_opt(year, number(&[mo0, mo1])?, number(&[d0, d1])?)?
            .and_hms_micro_opt(
                number(&[h0, h1])?,
                number(&[mi0, mi1])?,
                number(&[s0, s1])?,
                number(&[f0, f1, f2, f3, f4, f5])?,
            )?;
        Some(DbTime(time.and_utc()))
    }
}

impl ToSql for DbTime {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.to_text()))
    }
}

impl FromSql for DbTime {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let ValueRef::Text(bytes) = value else {
            return Err(FromSqlError::InvalidType);
        };
        // The fixed-width form is checked byte by byte: no separate UTF-8 validation.
        if let Some(time) = DbTime::from_fixed_width(bytes) {
            return Ok(time);
        }
        let text = value.as_str()?;
        DbTime::from_text(text).ok_or_else(|| {
            FromSqlError::Other(format!("not an RFC 3339 timestamp: {text:?}").into())
        })
    }
}

impl Type<Postgres> for DbTime {
    fn type_info() -> PgTypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for DbTime {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <DateTime<Utc> as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for DbTime {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(DbTime(<DateTime<Utc> as Decode<Postgres>>::decode(value)?))
    }
}

impl Type<Sqlite> for DbTime {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }

    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Sqlite> for DbTime {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, Sqlite>>::encode(self.to_text(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for DbTime {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<Sqlite>>::decode(value)?;
        Ok(DbTime(
            DateTime::parse_from_rfc3339(text)?.with_timezone(&Utc),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_has_a_fixed_width_so_text_order_is_time_order() {
        let whole = DbTime::from_micros(1_700_000_000_000_000).expect("valid");
        let later = DbTime::from_micros(1_700_000_000_500_000).expect("valid");
        assert_eq!(whole.to_text(), "2023-11-14T22:13:20.000000Z");
        assert!(whole.to_text() < later.to_text());
    }

    #[test]
    fn text_reads_back_as_written_and_other_rfc3339_forms_too() {
        let time = DbTime::from_micros(1_700_000_000_123_456).expect("valid");
        assert_eq!(DbTime::from_text(&time.to_text()), Some(time));
        // sqlx's own text form (rows written before the fixed width) has fewer digits.
        assert_eq!(
            DbTime::from_text("2023-11-14T22:13:20.123456+00:00"),
            Some(time)
        );
        assert_eq!(
            DbTime::from_text("2023-11-14T22:13:20Z"),
            DbTime::from_micros(1_700_000_000_000_000)
        );
        assert_eq!(DbTime::from_text("2023-13-14T22:13:20.000000Z"), None);
        assert_eq!(DbTime::from_text("2023-11-14T22:13:2x.000000Z"), None);
    }
}
