//! One statement run on either engine: its arguments listed once as [`Arg`]s and bound to
//! sqlx (PostgreSQL) or rusqlite (SQLite), rows decoded with sqlx's `FromRow` or [`FromSqlite`].
//! SQLite reads run on the calling thread, writes on the blocking pool (see `sqlite`).

use rusqlite::types::{ToSqlOutput, Value};
use sqlx::postgres::PgRow;

use super::{DbTime, Pool, postgres, sqlite};

/// A row read from SQLite (PostgreSQL rows use sqlx's `FromRow`).
pub(super) trait FromSqlite: Sized {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
}

/// A statement argument, bound to either engine.
#[derive(Clone, Copy, Debug)]
pub(super) enum Arg<'a> {
    Text(&'a str),
    MaybeText(Option<&'a str>),
    Int(i64),
    Bool(bool),
    MaybeBool(Option<bool>),
    Time(DbTime),
}

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Arg::Text(text) => text.to_sql(),
            Arg::MaybeText(text) => text.to_sql(),
            Arg::Int(int) => int.to_sql(),
            Arg::Bool(flag) => flag.to_sql(),
            Arg::MaybeBool(flag) => flag.to_sql(),
            Arg::Time(time) => time.to_sql(),
        }
    }
}

/// Binds `$args` (a slice of [`Arg`]) to a sqlx PostgreSQL query.
macro_rules! bind_pg {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match *arg {
                Arg::Text(text) => query.bind(text),
                Arg::MaybeText(text) => query.bind(text),
                Arg::Int(int) => query.bind(int),
                Arg::Bool(flag) => query.bind(flag),
                Arg::MaybeBool(flag) => query.bind(flag),
                Arg::Time(time) => query.bind(time),
            };
        }
        query
    }};
}

/// Owned copies of `args`, for a SQLite write that runs on another thread.
pub(super) fn owned(args: &[Arg<'_>]) -> rusqlite::Result<Vec<Value>> {
    args.iter()
        .map(|arg| {
            Ok(match rusqlite::ToSql::to_sql(arg)? {
                ToSqlOutput::Borrowed(value) => Value::from(value),
                ToSqlOutput::Owned(value) => value,
                _ => Value::Null,
            })
        })
        .collect()
}

/// `sql` for SQLite, which reads `$3` as a parameter *named* "$3" (numbered by first appearance,
/// so `SET a = $4 … WHERE id = $1` would bind the wrong values) and `?3` as the third.
pub(super) fn numbered(sql: &str) -> String {
    sql.replace('$', "?")
}

/// Whether a statement only reads (SQLite runs it on the calling thread) or writes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Access {
    Read,
    Write,
}

/// Every row a statement returns; its text is given for each engine (see [`numbered`]).
pub(super) async fn fetch_all<R>(
    pool: &Pool,
    (postgres_sql, sqlite_sql): (&str, &str),
    args: &[Arg<'_>],
) -> Result<Vec<R>, sqlx::Error>
where
    R: for<'r> sqlx::FromRow<'r, PgRow> + FromSqlite + Send + Unpin,
{
    match pool {
        Pool::Postgres(pool) => {
            let mut conn = pool.acquire().await?;
            let result = bind_pg!(sqlx::query_as::<_, R>(postgres_sql), args)
                .fetch_all(conn.start())
                .await;
            postgres::settle(&mut conn, &result);
            result
        }
        Pool::Sqlite(pool) => {
            sqlite::read(pool, |conn| {
                let mut statement = conn.prepare_cached(sqlite_sql)?;
                let rows = statement.query_map(rusqlite::params_from_iter(args), R::from_sqlite)?;
                rows.collect()
            })
            .await
        }
    }
}

/// The row `sql` returns, if any.
pub(super) async fn fetch_optional<R>(
    pool: &Pool,
    access: Access,
    sql: &str,
    args: &[Arg<'_>],
) -> Result<Option<R>, sqlx::Error>
where
    R: for<'r> sqlx::FromRow<'r, PgRow> + FromSqlite + Send + Unpin + 'static,
{
    match pool {
        Pool::Postgres(pool) => {
            let mut conn = pool.acquire().await?;
            let result = bind_pg!(sqlx::query_as::<_, R>(sql), args)
                .fetch_optional(conn.start())
                .await;
            postgres::settle(&mut conn, &result);
            result
        }
        Pool::Sqlite(pool) if access == Access::Read => {
            sqlite::read(pool, |conn| first(conn, sql, args)).await
        }
        Pool::Sqlite(pool) => {
            let sql = sql.to_owned();
            let args = owned(args).map_err(sqlite::error)?;
            sqlite::write(pool, move |conn| first(conn, &sql, &args)).await
        }
    }
}

pub(super) fn first<R: FromSqlite>(
    conn: &rusqlite::Connection,
    sql: &str,
    args: &[impl rusqlite::ToSql],
) -> rusqlite::Result<Option<R>> {
    let mut statement = conn.prepare_cached(&numbered(sql))?;
    let mut rows = statement.query(rusqlite::params_from_iter(args))?;
    rows.next()?.map(R::from_sqlite).transpose()
}

/// Runs a statement that changes rows; returns how many.
pub(super) async fn execute(pool: &Pool, sql: &str, args: &[Arg<'_>]) -> Result<u64, sqlx::Error> {
    match pool {
        Pool::Postgres(pool) => {
            let mut conn = pool.acquire().await?;
            let result = bind_pg!(sqlx::query(sql), args).execute(conn.start()).await;
            postgres::settle(&mut conn, &result);
            Ok(result?.rows_affected())
        }
        Pool::Sqlite(pool) => {
            let sql = sql.to_owned();
            let args = owned(args).map_err(sqlite::error)?;
            let changed = sqlite::write(pool, move |conn| {
                conn.prepare_cached(&numbered(&sql))?
                    .execute(rusqlite::params_from_iter(&args))
            })
            .await?;
            Ok(changed as u64)
        }
    }
}
