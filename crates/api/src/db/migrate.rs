//! Embedded migrations (`migrations/postgres`, `migrations/sqlite`), applied under a lock.
//!
//! sqlx's migrator takes a PostgreSQL advisory lock for the whole run, so replicas starting
//! together apply each migration once and the others wait, then find nothing to do. SQLite
//! serialises writers on the file itself.

use sqlx::migrate::Migrator;
use sqlx::{ConnectOptions, Connection};

use super::Pool;
use crate::config::DatabaseKind;

static POSTGRES: Migrator = sqlx::migrate!("../../migrations/postgres");
static SQLITE: Migrator = sqlx::migrate!("../../migrations/sqlite");

/// The migrations this binary ships for `kind` (doctor compares them with the database's).
pub(crate) fn migrator(kind: DatabaseKind) -> &'static Migrator {
    match kind {
        DatabaseKind::Postgres => &POSTGRES,
        DatabaseKind::Sqlite => &SQLITE,
    }
}

/// Applies the migrations: on PostgreSQL on a pooled connection (closed rather than reused if
/// a migration failed: the advisory lock may still be held on it), on SQLite on a sqlx
/// connection of its own with the pool's settings, closed afterwards.
pub(super) async fn run(pool: &Pool) -> Result<(), sqlx::Error> {
    match pool {
        Pool::Postgres(pool) => {
            let mut conn = pool.acquire().await?;
            POSTGRES.run_direct(conn.start()).await?;
            conn.done();
        }
        Pool::Sqlite(pool) => {
            let mut conn = pool.manager().sqlx_options().connect().await?;
            let result = SQLITE.run_direct(&mut conn).await;
            let _ = conn.close().await;
            result?;
        }
    }
    Ok(())
}
