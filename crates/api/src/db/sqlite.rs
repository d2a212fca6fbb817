//! SQLite through rusqlite: connections opened as the service needs them (WAL, foreign keys,
//! `synchronous=FULL`, busy timeout), each with its own cache of prepared statements.
//!
//! Reads run on the calling thread: a read of a few rows from the page cache takes
//! microseconds, less than handing it to another thread and back, and in WAL mode a reader
//! never waits for a writer. Writes run on the blocking thread pool, since a commit waits for
//! an fsync and, with another writer (a second replica on the same file, a migration), for the
//! busy timeout: neither may hold up the threads that serve requests. SQLite commits one write
//! at a time, so this process's writes queue for their turn here, in order, instead of in
//! SQLite's busy handler, which polls with sleeps of up to 100 ms (a p99 near a second with
//! 64 concurrent POSTs); the busy timeout then only covers other processes.
//!
//! Migrations still go through sqlx (`migrate.rs`), whose `_sqlx_migrations` ledger existing
//! databases carry; both crates link the same SQLite library.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use sqlx::sqlite::SqliteConnectOptions;
use tokio::sync::Semaphore;

use super::pool::{self, Manage, Pooled};

pub type SqlitePool = pool::Pool<Sqlite>;

/// Prepared statements kept per connection: every shape of the list query (sort × direction ×
/// filter × cursor) and the other statements fit.
const STATEMENT_CACHE: usize = 64;

/// Opens SQLite connections.
pub struct Sqlite {
    /// For sqlx (migrations) and for the file name.
    options: SqliteConnectOptions,
    path: PathBuf,
    busy_timeout: Duration,
    /// One write at a time from this process (first come, first served).
    writer: Arc<Semaphore>,
}

impl Sqlite {
    pub fn new(options: SqliteConnectOptions, busy_timeout: Duration) -> Sqlite {
        let path = options.get_filename().to_path_buf();
        Sqlite {
            options: options
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(busy_timeout),
            path,
            busy_timeout,
            writer: Arc::new(Semaphore::new(1)),
        }
    }

    /// The same settings for a sqlx connection (migrations).
    pub fn sqlx_options(&self) -> &SqliteConnectOptions {
        &self.options
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        // First, so that switching to WAL waits for another process's lock instead of failing.
        conn.busy_timeout(self.busy_timeout)?;
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Every commit is fsynced to the WAL before the answer (README, "Durability").
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(conn)
    }
}

impl Manage for Sqlite {
    type Conn = Connection;

    async fn connect(&self) -> Result<Connection, sqlx::Error> {
        let opener = Sqlite {
            options: self.options.clone(),
            path: self.path.clone(),
            busy_timeout: self.busy_timeout,
            writer: self.writer.clone(),
        };
        tokio::task::spawn_blocking(move || opener.open())
            .await
            .map_err(|_| sqlx::Error::WorkerCrashed)?
            .map_err(error)
    }

    /// A connection is a file handle in this process: nothing breaks it between uses.
    async fn check(&self, _conn: &mut Connection) -> bool {
        true
    }

    async fn close(conn: Connection) {
        drop(conn);
    }
}

/// Runs a read on the calling thread.
pub async fn read<T>(
    pool: &SqlitePool,
    query: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> Result<T, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    query(conn.get()).map_err(error)
}

/// Runs a write on the blocking thread pool. If the request is cancelled meanwhile, the write
/// still completes and the connection returns to the pool afterwards.
pub async fn write<T: Send + 'static>(
    pool: &SqlitePool,
    query: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
) -> Result<T, sqlx::Error> {
    let turn = tokio::time::timeout(
        pool.manager().busy_timeout,
        pool.manager().writer.clone().acquire_owned(),
    )
    .await
    .map_err(|_| sqlx::Error::PoolTimedOut)?
    .map_err(|_| sqlx::Error::PoolClosed)?;
    let mut conn: Pooled<Sqlite> = pool.acquire().await?;
    tokio::task::spawn_blocking(move || {
        let result = query(conn.get());
        drop(turn);
        result
    })
    .await
    .map_err(|_| sqlx::Error::WorkerCrashed)?
    .map_err(error)
}

/// rusqlite's error as the `sqlx::Error` the rest of the service diagnoses: SQLite's own
/// failures keep their (extended) result code and message, as sqlx reported them.
pub fn error(error: rusqlite::Error) -> sqlx::Error {
    match error {
        rusqlite::Error::SqliteFailure(failure, message) => {
            sqlx::Error::Database(Box::new(SqliteFailure {
                message: message.unwrap_or_else(|| failure.to_string()),
                code: failure.extended_code,
            }))
        }
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::IntegralValueOutOfRange(..) => sqlx::Error::Decode(Box::new(error)),
        other => sqlx::Error::Protocol(other.to_string()),
    }
}

/// A failure SQLite reported: its message and extended result code.
#[derive(Debug, thiserror::Error)]
#[error("{message} (SQLite code {code})")]
pub struct SqliteFailure {
    message: String,
    code: std::ffi::c_int,
}

impl sqlx::error::DatabaseError for SqliteFailure {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Owned(self.code.to_string()))
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        // Primary codes: SQLITE_CONSTRAINT (19) with its extended forms.
        match self.code {
            2067 | 1555 => sqlx::error::ErrorKind::UniqueViolation,
            787 => sqlx::error::ErrorKind::ForeignKeyViolation,
            1299 => sqlx::error::ErrorKind::NotNullViolation,
            275 => sqlx::error::ErrorKind::CheckViolation,
            _ => sqlx::error::ErrorKind::Other,
        }
    }
}
