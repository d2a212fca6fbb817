//! Storage: one pool for PostgreSQL or SQLite, its health, and the task that keeps it healthy.
//!
//! The service must start and keep answering `/health` even when the database is down or
//! refuses the password (seed 002), so the pool is created lazily and a supervisor task
//! connects, applies migrations, and then pings; on failure it records the reason (for `/ready`
//! and 503 answers), logs what to check, and retries with exponential backoff.
//!
//! Layout: `time` (timestamps both engines sort alike), `diagnose` (errors → reason + hint),
//! `migrate` (embedded migrations under a lock), `tasks` (the queries).

mod diagnose;
mod migrate;
pub mod tasks;
mod time;

use std::str::FromStr;
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};

use secrecy::ExposeSecret;
use sqlx::ConnectOptions;
use sqlx::migrate::MigrateError;
use sqlx::postgres::{PgConnectOptions, PgPool};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool};
use tokio::sync::Notify;

use crate::config::{DatabaseConfig, DatabaseKind};
pub use diagnose::{Diagnosis, diagnose};
pub(crate) use migrate::migrator;
pub use time::DbTime;

/// Connection pool of whichever engine `DATABASE_URL` names.
#[derive(Clone, Debug)]
pub enum Pool {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

impl Pool {
    /// Builds the pool without connecting.
    fn lazy(config: &DatabaseConfig, statement_timeout: Duration) -> Result<Pool, sqlx::Error> {
        let url = config.url.expose_secret();
        Ok(match config.kind {
            DatabaseKind::Postgres => {
                // A runaway query must not outlive the request that started it.
                let millis = statement_timeout.as_millis().to_string();
                let options = PgConnectOptions::from_str(url)?
                    .application_name("backend-api")
                    .options([("statement_timeout", millis.as_str())]);
                Pool::Postgres(pool_options(config).connect_lazy_with(options))
            }
            DatabaseKind::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .foreign_keys(true)
                    .busy_timeout(config.acquire_timeout);
                // A SQLite connection is a file handle in this process: nothing can break it
                // between uses, so the ping before each acquire (a worker-thread round trip,
                // ~7% of a request's CPU in bench/) buys nothing. PostgreSQL keeps it.
                Pool::Sqlite(
                    pool_options(config)
                        .test_before_acquire(false)
                        .connect_lazy_with(options),
                )
            }
        })
    }

    fn usage(&self) -> (u32, usize) {
        match self {
            Pool::Postgres(pool) => (pool.size(), pool.num_idle()),
            Pool::Sqlite(pool) => (pool.size(), pool.num_idle()),
        }
    }

    async fn ping(&self) -> Result<(), sqlx::Error> {
        match self {
            Pool::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop),
            Pool::Sqlite(pool) => sqlx::query("SELECT 1").execute(pool).await.map(drop),
        }
    }

    /// One direct connection attempt, bypassing the pool's silent retries: a pool that timed
    /// out says only "timed out", the attempt says "connection refused" or the server's refusal.
    async fn probe(&self, timeout: Duration) -> Result<(), sqlx::Error> {
        let attempt = async {
            match self {
                Pool::Postgres(pool) => pool.connect_options().connect().await.map(drop),
                Pool::Sqlite(pool) => pool.connect_options().connect().await.map(drop),
            }
        };
        tokio::time::timeout(timeout, attempt)
            .await
            .unwrap_or(Err(sqlx::Error::PoolTimedOut))
    }

    async fn close(&self) {
        match self {
            Pool::Postgres(pool) => pool.close().await,
            Pool::Sqlite(pool) => pool.close().await,
        }
    }
}

fn pool_options<DB: sqlx::Database>(config: &DatabaseConfig) -> sqlx::pool::PoolOptions<DB> {
    sqlx::pool::PoolOptions::new()
        .max_connections(config.max_connections)
        .min_connections(config.min_connections)
        .acquire_timeout(config.acquire_timeout)
        .idle_timeout(Duration::from_secs(600))
        .max_lifetime(Duration::from_secs(1800))
}

/// What `/ready` reports about the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Health {
    /// Not yet connected and migrated.
    Starting,
    Ready,
    Down {
        diagnosis: Diagnosis,
        since: Instant,
    },
}

/// Shared handle to the pool and its health; cheap to clone.
#[derive(Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    kind: DatabaseKind,
    health: RwLock<Health>,
    /// Wakes the supervisor early when a request saw the database fail.
    wake: Arc<Notify>,
    reconnect_max: Duration,
    health_interval: Duration,
    acquire_timeout: Duration,
}

/// Why a request could not use the database.
#[derive(Clone, Debug)]
pub struct Unavailable {
    pub reason: String,
}

impl Database {
    /// Creates the (lazy) pool; no I/O happens until [`Database::supervise`] or a query.
    pub fn new(
        config: &DatabaseConfig,
        statement_timeout: Duration,
    ) -> Result<Database, sqlx::Error> {
        Ok(Database {
            inner: Arc::new(Inner {
                pool: Pool::lazy(config, statement_timeout)?,
                kind: config.kind,
                health: RwLock::new(Health::Starting),
                wake: Arc::new(Notify::new()),
                reconnect_max: config.reconnect_max,
                health_interval: config.health_interval,
                acquire_timeout: config.acquire_timeout,
            }),
        })
    }

    /// Connections (open, idle) for `/metrics`.
    pub fn pool_usage(&self) -> (u32, usize) {
        self.inner.pool.usage()
    }

    pub fn kind(&self) -> DatabaseKind {
        self.inner.kind
    }

    pub fn health(&self) -> Health {
        self.inner
            .health
            .read()
            .map(|health| health.clone())
            .unwrap_or(Health::Starting)
    }

    /// The pool, if the database is usable now; requests fail fast with 503 otherwise.
    pub fn pool(&self) -> Result<&Pool, Unavailable> {
        match self.health() {
            Health::Ready => Ok(&self.inner.pool),
            Health::Starting => Err(Unavailable {
                reason: "connecting to the database".to_owned(),
            }),
            Health::Down { diagnosis, .. } => Err(Unavailable {
                reason: diagnosis.reason,
            }),
        }
    }

    /// Records a failure seen by a request. A connectivity failure wakes the supervisor and
    /// returns its diagnosis (the request answers 503); other errors are the query's own.
    /// A pool timeout alone does not mark the database down: under a burst every connection
    /// may just be busy, and flipping `/ready` then would pull every replica out at once.
    /// The supervisor finds out which it is with a direct connection.
    pub fn report(&self, error: &sqlx::Error) -> Option<Diagnosis> {
        if !diagnose::is_connectivity(error) {
            return None;
        }
        let diagnosis = diagnose(error);
        if !matches!(error, sqlx::Error::PoolTimedOut) {
            set_down(&self.inner, diagnosis.clone());
        }
        self.inner.wake.notify_one();
        Some(diagnosis)
    }

    /// Applies the embedded migrations now (the `migrate` command), under the migration lock.
    pub async fn migrate(&self) -> Result<(), sqlx::Error> {
        migrate::run(&self.inner.pool).await
    }

    /// Explains a failure; a pool timeout is replaced by what a direct connection attempt says.
    pub async fn explain(&self, error: &sqlx::Error) -> Diagnosis {
        explain(&self.inner, error)
            .await
            .unwrap_or_else(|| diagnose(error))
    }

    /// Closes every connection (shutdown).
    pub async fn close(&self) {
        self.inner.pool.close().await;
    }

    /// Spawns the task that connects, migrates, then watches the database until `self` is dropped.
    pub fn supervise(&self) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(&self.inner);
        tokio::spawn(supervise(weak, self.inner.wake.clone()))
    }
}

fn set_health(inner: &Inner, health: Health) {
    if let Ok(mut slot) = inner.health.write() {
        *slot = health;
    }
}

/// Marks the database down, logging only on a change of reason so an outage is one log line
/// per reason, not one per retry.
fn set_down(inner: &Inner, diagnosis: Diagnosis) {
    let previous = inner
        .health
        .read()
        .map(|h| h.clone())
        .unwrap_or(Health::Starting);
    let since = match &previous {
        Health::Down { diagnosis: old, .. } if *old == diagnosis => return,
        Health::Down { since, .. } => *since,
        _ => Instant::now(),
    };
    tracing::error!(
        reason = %diagnosis.reason,
        fix = diagnosis.hint,
        "database unavailable; answering 503 on task routes and retrying with backoff"
    );
    set_health(inner, Health::Down { diagnosis, since });
}

/// Explains a failure. A pool timeout says nothing about the cause, so a direct connection
/// is tried: its error is the diagnosis; if it succeeds the database is fine and the pool was
/// only busy (`None`).
async fn explain(inner: &Inner, error: &sqlx::Error) -> Option<Diagnosis> {
    let timed_out = match error {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Migrate(migrate) => {
            matches!(**migrate, MigrateError::Execute(sqlx::Error::PoolTimedOut))
        }
        _ => false,
    };
    if !timed_out {
        return Some(diagnose(error));
    }
    match inner.pool.probe(inner.acquire_timeout).await {
        Ok(()) => None,
        Err(cause) => Some(diagnose(&cause)),
    }
}

const FIRST_RETRY: Duration = Duration::from_millis(250);

async fn supervise(weak: Weak<Inner>, wake: Arc<Notify>) {
    let mut backoff = FIRST_RETRY;
    loop {
        let Some(inner) = weak.upgrade() else { return };
        let healthy = inner
            .health
            .read()
            .map(|h| *h == Health::Ready)
            .unwrap_or(false);
        let pause = if healthy {
            match inner.pool.ping().await {
                Ok(()) => inner.health_interval,
                Err(error) => match explain(&inner, &error).await {
                    Some(diagnosis) => {
                        set_down(&inner, diagnosis);
                        FIRST_RETRY
                    }
                    None => {
                        tracing::warn!(
                            "every pooled connection is busy although the database answers: \
                             raise DATABASE_MAX_CONNECTIONS or add replicas"
                        );
                        inner.health_interval
                    }
                },
            }
        } else {
            // Migrating on every (re)connect also covers "the database was down at start".
            match migrate::run(&inner.pool).await {
                Ok(()) => {
                    let was = inner
                        .health
                        .read()
                        .map(|h| h.clone())
                        .unwrap_or(Health::Starting);
                    if let Health::Down { since, .. } = was {
                        tracing::info!(
                            down_for_seconds = since.elapsed().as_secs(),
                            "database is back"
                        );
                    } else {
                        tracing::info!("database ready, migrations applied");
                    }
                    set_health(&inner, Health::Ready);
                    backoff = FIRST_RETRY;
                    inner.health_interval
                }
                Err(error) => {
                    let diagnosis = explain(&inner, &error)
                        .await
                        .unwrap_or_else(|| diagnose(&error));
                    set_down(&inner, diagnosis);
                    let pause = backoff;
                    backoff = (backoff * 2).min(inner.reconnect_max);
                    pause
                }
            }
        };
        // Do not keep the pool alive while sleeping: dropping the last handle ends this task.
        drop(inner);
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = wake.notified() => {}
        }
    }
}
