//! A dedicated PostgreSQL database per drill on the shared server, and the faults a drill can
//! inject into it without disturbing other tests: killing the service's connections (what a
//! server restart or failover does to them) and refusing new ones for a while (the outage).

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::postgres::PgPoolOptions;
use sqlx::{Executor, PgPool};

/// The shared server of the test machine (trust authentication, see `.ci/install.sh`).
const SERVER: &str = "postgres://postgres@127.0.0.1:5432";

pub struct Database {
    name: String,
    admin: PgPool,
}

impl Database {
    pub async fn create(label: &str) -> Database {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "drill_{label}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let admin = PgPoolOptions::new()
            .max_connections(2)
            .connect(&format!("{SERVER}/postgres"))
            .await
            .expect("PostgreSQL on 127.0.0.1:5432 (run .ci/install.sh)");
        admin
            .execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
            .await
            .expect("create drill database");
        Database { name, admin }
    }

    /// `DATABASE_URL` for the service.
    pub fn url(&self) -> String {
        format!("{SERVER}/{}", self.name)
    }

    /// Terminates every connection to this database; returns how many there were.
    pub async fn kill_connections(&self) -> i64 {
        sqlx::query_scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&self.name)
        .fetch_one(&self.admin)
        .await
        .expect("terminate connections")
    }

    /// Terminates every connection to this database, but only once all of them have been idle
    /// for at least `idle_ms` (checked and done in one statement); returns how many were
    /// terminated, 0 when some connection was in use more recently.
    pub async fn kill_connections_idle_for(&self, idle_ms: u32) -> i64 {
        sqlx::query_scalar(
            "WITH theirs AS (SELECT pid, state, state_change FROM pg_stat_activity \
                             WHERE datname = $1 AND pid <> pg_backend_pid()) \
             SELECT count(pg_terminate_backend(pid)) FROM theirs \
             WHERE NOT EXISTS (SELECT 1 FROM theirs WHERE state <> 'idle' \
                               OR clock_timestamp() - state_change < make_interval(secs => $2::float8 / 1000))",
        )
        .bind(&self.name)
        .bind(f64::from(idle_ms))
        .fetch_one(&self.admin)
        .await
        .expect("terminate idle connections")
    }

    /// Refuses (or allows again) every new connection to this database, superusers included.
    pub async fn refuse_connections(&self, refuse: bool) {
        let allow = if refuse { "false" } else { "true" };
        self.admin
            .execute(
                format!(
                    r#"ALTER DATABASE "{}" WITH ALLOW_CONNECTIONS {allow}"#,
                    self.name
                )
                .as_str(),
            )
            .await
            .expect("alter database");
    }

    /// Drops the database once the drill's processes are gone.
    pub async fn remove(self) {
        let _ = self
            .admin
            .execute(format!(r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#, self.name).as_str())
            .await;
    }
}

impl Drop for Database {
    /// A drill that failed half-way never reaches [`Database::remove`]; drop its database anyway
    /// (`psql`, because no async runtime can be relied on here). After `remove` this is a no-op.
    fn drop(&mut self) {
        let _ = std::process::Command::new("psql")
            .args([&format!("{SERVER}/postgres"), "-qc"])
            .arg(format!(
                r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#,
                self.name
            ))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}
