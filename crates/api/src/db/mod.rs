//! Storage: one pool for PostgreSQL or SQLite, its health, and the task that keeps it healthy.
//!
//! The service must start and keep answering `/health` even when the database is down or
//! refuses the password (e.g. after a `helm upgrade` regenerated it), so the pool is created
//! lazily and a supervisor task connects, applies migrations, and then pings; on failure it
//! records the reason (for `/ready` and 503 answers), logs what to check, and retries with
//! exponential backoff. Each connect and check also assigns tasks without a provider (see
//! `tasks::adopt_unassigned`); that failing is logged and retried, never a reason to refuse
//! traffic.
//!
//! Until that first connection is made, a request waits for it (at most
//! `DATABASE_ACQUIRE_TIMEOUT_SECONDS`), as token checks wait for a provider's first key fetch,
//! so traffic sent while the service and its database start together is not refused. After
//! that, an outage answers 503 at once: waiting then would only pile requests up.
//!
//! Layout: `pool` (the connection pool both engines use), `postgres` and `sqlite` (how each
//! engine connects and runs statements), `statement` (one statement's arguments bound to
//! either engine), `time` (timestamps both engines sort alike),
//! `diagnose` (errors → reason + hint), `migrate` (embedded migrations under a lock), `tasks`
//! (the queries).

mod diagnose;
mod error;
mod migrate;
pub mod pool;
pub mod postgres;
pub mod sqlite;
mod statement;
pub mod tasks;
mod time;

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use secrecy::ExposeSecret;
use sqlx::migrate::MigrateError;
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use tokio::sync::{Notify, watch};

use crate::config::{DatabaseConfig, DatabaseKind};
pub use diagnose::{Diagnosis, diagnose};
pub use error::DbError;
pub(crate) use migrate::migrator;
pub use pool::PING_AFTER_IDLE;
use pool::{Limits, Manage};
use postgres::{PgPool, Postgres};
use sqlite::{Sqlite, SqlitePool};
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
        let limits = Limits {
            max_connections: config.max_connections,
            min_connections: config.min_connections,
            acquire_timeout: config.acquire_timeout,
            idle_timeout: Duration::from_secs(600),
            max_lifetime: Duration::from_secs(1800),
        };
        Ok(match config.kind {
            DatabaseKind::Postgres => {
                // A runaway query must not outlive the request that started it.
                let millis = statement_timeout.as_millis().to_string();
                let options = PgConnectOptions::from_str(url)?
                    .application_name("backend-api")
                    .options([("statement_timeout", millis.as_str())]);
                Pool::Postgres(PgPool::new(Postgres { options }, limits))
            }
            DatabaseKind::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)?;
                Pool::Sqlite(SqlitePool::new(
                    Sqlite::new(options, config.acquire_timeout),
                    limits,
                ))
            }
        })
    }

    fn usage(&self) -> (u32, usize) {
        match self {
            Pool::Postgres(pool) => pool.usage(),
            Pool::Sqlite(pool) => pool.usage(),
        }
    }

    async fn ping(&self) -> Result<(), sqlx::Error> {
        match self {
            Pool::Postgres(pool) => {
                let mut conn = pool.acquire().await?;
                let result = sqlx::query("SELECT 1").execute(conn.start()).await;
                postgres::settle(&mut conn, &result);
                result.map(drop)
            }
            Pool::Sqlite(pool) => {
                sqlite::read(pool, |conn| conn.query_row("SELECT 1", [], |_| Ok(()))).await
            }
        }
    }

    /// Closes idle connections past their time and opens up to the minimum.
    async fn maintain(&self) -> Result<(), sqlx::Error> {
        match self {
            Pool::Postgres(pool) => pool.maintain().await,
            Pool::Sqlite(pool) => pool.maintain().await,
        }
    }

    /// One direct connection attempt, bypassing the pool: a pool that timed out says only
    /// "timed out", the attempt says "connection refused" or the server's refusal.
    async fn probe(&self, timeout: Duration) -> Result<(), sqlx::Error> {
        let attempt = async {
            match self {
                Pool::Postgres(pool) => Postgres::close(pool.manager().connect().await?).await,
                Pool::Sqlite(pool) => Sqlite::close(pool.manager().connect().await?).await,
            }
            Ok(())
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
    /// Current health; requests waiting for the first connection watch it.
    health: watch::Sender<Health>,
    /// Set once the database was ready the first time; from then on requests never wait.
    connected_once: AtomicBool,
    /// Provider that receives tasks written before tasks had one (see `tasks::adopt_unassigned`).
    unassigned_owner: Option<String>,
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
    /// `unassigned_owner` is the provider that receives tasks written before tasks had one:
    /// the sole configured provider, or `None` when several could claim them.
    pub fn new(
        config: &DatabaseConfig,
        statement_timeout: Duration,
        unassigned_owner: Option<String>,
    ) -> Result<Database, sqlx::Error> {
        Ok(Database {
            inner: Arc::new(Inner {
                pool: Pool::lazy(config, statement_timeout)?,
                kind: config.kind,
                health: watch::Sender::new(Health::Starting),
                connected_once: AtomicBool::new(false),
                unassigned_owner,
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
        self.inner.health.borrow().clone()
    }

    /// True when the database is usable now (the `db_up` gauge).
    pub fn is_up(&self) -> bool {
        *self.inner.health.borrow() == Health::Ready
    }

    /// The pool for a request. Before the first connection was ever made, waits for it up to
    /// the acquire timeout; otherwise answers at once: the pool if the database is usable,
    /// else why not (the request answers 503).
    pub async fn pool(&self) -> Result<&Pool, Unavailable> {
        if !self.inner.connected_once.load(Ordering::Acquire) {
            let mut health = self.inner.health.subscribe();
            // Retry now rather than after the supervisor's backoff; it keeps a minimum gap.
            self.inner.wake.notify_one();
            let _ = tokio::time::timeout(
                self.inner.acquire_timeout,
                health.wait_for(|health| *health == Health::Ready),
            )
            .await;
        }
        self.pool_now()
    }

    fn pool_now(&self) -> Result<&Pool, Unavailable> {
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

    /// Applies the embedded migrations now (the `migrate` command), under the migration lock,
    /// then assigns tasks without a provider as the service would.
    pub async fn migrate(&self) -> Result<(), sqlx::Error> {
        migrate::run(&self.inner.pool).await?;
        assign_unassigned(&self.inner, true).await
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
    if health == Health::Ready {
        inner.connected_once.store(true, Ordering::Release);
    }
    inner.health.send_replace(health);
}

/// Gives tasks without a provider to the sole configured provider; with several providers,
/// says how many wait for the operator (`announce`: at (re)connect, not on every check).
/// Counting first keeps the periodic check a read (an index lookup) when there is nothing to do.
async fn assign_unassigned(inner: &Inner, announce: bool) -> Result<(), sqlx::Error> {
    let waiting = tasks::count_unassigned(&inner.pool).await?;
    if waiting == 0 {
        return Ok(());
    }
    match &inner.unassigned_owner {
        Some(provider) => {
            let adopted = tasks::adopt_unassigned(&inner.pool, provider).await?;
            tracing::info!(
                tasks = adopted,
                provider = %provider,
                "tasks written before tasks had an identity provider now belong to this provider's users"
            );
        }
        None if announce => tracing::warn!(
            tasks = waiting,
            "tasks written before tasks had an identity provider belong to no provider, since several \
             providers are configured and each could claim them; nobody sees them until you assign them: \
             UPDATE tasks SET provider = '<provider name>' WHERE provider = ''"
        ),
        None => {}
    }
    Ok(())
}

/// [`assign_unassigned`] for the supervisor: a failure leaves those tasks unassigned until the
/// next check, and is logged.
async fn assign_or_warn(inner: &Inner, announce: bool) {
    if let Err(error) = assign_unassigned(inner, announce).await {
        tracing::warn!(
            reason = %diagnose(&error).reason,
            "assigning tasks written before tasks had an identity provider failed; retrying at the next check"
        );
    }
}

/// Marks the database down, logging only on a change of reason so an outage is one log line
/// per reason, not one per retry.
fn set_down(inner: &Inner, diagnosis: Diagnosis) {
    let previous = inner.health.borrow().clone();
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
    let mut last_attempt: Option<Instant> = None;
    loop {
        // Wake-ups (requests waiting, requests that saw a failure) come at any rate; attempts
        // keep at least this gap.
        if let Some(at) = last_attempt {
            tokio::time::sleep_until((at + FIRST_RETRY).into()).await;
        }
        last_attempt = Some(Instant::now());
        let Some(inner) = weak.upgrade() else { return };
        let healthy = *inner.health.borrow() == Health::Ready;
        let pause = if healthy {
            match inner.pool.ping().await {
                Ok(()) => {
                    if let Err(error) = inner.pool.maintain().await {
                        tracing::warn!(
                            reason = %diagnose(&error).reason,
                            "opening the minimum of pooled connections failed; retrying at the next check"
                        );
                    }
                    // Also picks up tasks a replica of the previous version wrote during a
                    // rolling update.
                    assign_or_warn(&inner, false).await;
                    inner.health_interval
                }
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
                    assign_or_warn(&inner, true).await;
                    let was = inner.health.borrow().clone();
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
