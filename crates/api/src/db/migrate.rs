//! Embedded migrations (`migrations/postgres`, `migrations/sqlite`), applied under a lock.
//!
//! sqlx's migrator takes a PostgreSQL advisory lock for the whole run, so replicas starting
//! together apply each migration once and the others wait, then find nothing to do. SQLite
//! serialises writers on the file itself.

use sqlx::migrate::Migrator;

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

pub(super) async fn run(pool: &Pool) -> Result<(), sqlx::Error> {
    match pool {
        Pool::Postgres(pool) => POSTGRES.run(pool).await?,
        Pool::Sqlite(pool) => SQLITE.run(pool).await?,
    }
    Ok(())
}
