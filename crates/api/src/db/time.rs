//! [`DbTime`]: a UTC timestamp stored so that both engines sort it the same way.
//!
//! PostgreSQL keeps `timestamptz` (microseconds). SQLite has no time type; sqlx's default text
//! form has a variable number of fraction digits, which breaks text ordering ("…00Z" sorts after
//! "…00.5Z"). Here SQLite gets fixed-width `2026-11-29T00:49:25.123456Z`, so `ORDER BY` and the
//! keyset comparison of pagination agree on both engines.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
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
}
