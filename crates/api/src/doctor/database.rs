//! Database checks: reachability, authentication (a password that drifted after `helm upgrade` gets its own code) and
//! whether the migrations this binary ships are applied.
//!
//! Connects once, reads `_sqlx_migrations`, and explains failures with the service's own diagnosis
//! (`crate::db::diagnose`); never creates, migrates or writes anything.

use std::collections::BTreeMap;
use std::str::FromStr;

use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

use super::codes::Code;
use super::finding::Finding;
use super::probe::Deadline;
use crate::config::{DatabaseConfig, DatabaseKind, redacted_database_url};
use crate::db::{self, diagnose};

const SUBJECT: &str = "database";
const APPLIED_MIGRATIONS: &str = "SELECT version, success, checksum FROM _sqlx_migrations";

enum Conn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Applied migrations by version: (success, checksum), as `_sqlx_migrations` records them.
type Applied = BTreeMap<i64, (bool, Vec<u8>)>;

pub(crate) async fn check(config: &DatabaseConfig, deadline: Deadline) -> Vec<Finding> {
    let target = redacted_database_url(config.url.expose_secret());
    if let Some(finding) = sqlite_not_created_yet(config, &target) {
        return vec![finding];
    }
    let connecting = connect(config);
    let conn = match tokio::time::timeout(deadline.remaining(), connecting).await {
        Err(_) => {
            return vec![Finding::fail(
                Code::DbUnreachable,
                SUBJECT,
                format!("no answer from {target} before the deadline"),
                "packets are dropped or the server hangs: check the host and port in DATABASE_URL and that \
                 NetworkPolicy egress allows the database port",
            )];
        }
        Ok(Err(error)) => return vec![connection_failure(&target, &error)],
        Ok(Ok(conn)) => conn,
    };
    let applied = match tokio::time::timeout(deadline.remaining(), applied(conn)).await {
        Err(_) => {
            return vec![Finding::fail(
                Code::DbError,
                SUBJECT,
                format!("{target} answered the login but not a query before the deadline"),
                "check the database's load and locks",
            )];
        }
        Ok(Err(error)) => return vec![connection_failure(&target, &error)],
        Ok(Ok(applied)) => applied,
    };
    vec![migrations(&target, config.kind, &applied)]
}

/// `serve` creates a missing SQLite file; only a missing directory is a problem.
fn sqlite_not_created_yet(config: &DatabaseConfig, target: &str) -> Option<Finding> {
    if config.kind != DatabaseKind::Sqlite {
        return None;
    }
    let options = SqliteConnectOptions::from_str(config.url.expose_secret()).ok()?;
    let file = options.get_filename();
    if file.exists() || file.as_os_str().is_empty() || file.as_os_str() == ":memory:" {
        return None;
    }
    let directory = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    Some(if directory.is_dir() {
        Finding::ok(
            Code::DbOk,
            SUBJECT,
            format!(
                "{target}: the file does not exist yet; `serve` creates it and applies the migrations"
            ),
        )
    } else {
        Finding::fail(
            Code::DbError,
            SUBJECT,
            format!("{target}: directory {} does not exist", directory.display()),
            "create the directory (in a container: mount a writable volume there) or fix DATABASE_URL",
        )
    })
}

async fn connect(config: &DatabaseConfig) -> Result<Conn, sqlx::Error> {
    let url = config.url.expose_secret();
    Ok(match config.kind {
        DatabaseKind::Postgres => Conn::Postgres(
            PgConnectOptions::from_str(url)?
                .application_name("backend-api-doctor")
                .connect()
                .await?,
        ),
        // Never create the file: a missing database is something to report, not to fix here.
        DatabaseKind::Sqlite => Conn::Sqlite(
            SqliteConnectOptions::from_str(url)?
                .create_if_missing(false)
                .read_only(true)
                .connect()
                .await?,
        ),
    })
}

async fn applied(conn: Conn) -> Result<Applied, sqlx::Error> {
    // Closing politely spares the server an "unexpected EOF" log line.
    let rows: Result<Vec<(i64, bool, Vec<u8>)>, sqlx::Error> = match conn {
        Conn::Postgres(mut conn) => {
            let rows = sqlx::query_as(APPLIED_MIGRATIONS)
                .fetch_all(&mut conn)
                .await;
            let _ = conn.close().await;
            rows
        }
        Conn::Sqlite(mut conn) => {
            let rows = sqlx::query_as(APPLIED_MIGRATIONS)
                .fetch_all(&mut conn)
                .await;
            let _ = conn.close().await;
            rows
        }
    };
    match rows {
        Ok(rows) => Ok(rows
            .into_iter()
            .map(|(v, ok, sum)| (v, (ok, sum)))
            .collect()),
        // No migrations table yet: nothing applied.
        Err(sqlx::Error::Database(error))
            if error.code().as_deref() == Some("42P01")
                || error.message().contains("no such table") =>
        {
            Ok(Applied::new())
        }
        Err(error) => Err(error),
    }
}

fn connection_failure(target: &str, error: &sqlx::Error) -> Finding {
    let diagnosis = diagnose(error);
    let sqlstate = match error {
        sqlx::Error::Database(db) => db.code().map(std::borrow::Cow::into_owned),
        _ => None,
    };
    let observed = format!("{target}: {}", diagnosis.reason);
    match sqlstate.as_deref() {
        Some("28P01") => Finding::fail(
            Code::DbAuthFailed,
            SUBJECT,
            observed,
            "the password in DATABASE_URL no longer matches the role's (typically a `helm upgrade` regenerated \
             the secret): realign it with ALTER ROLE <user> PASSWORD '<value of the secret>', or pin the \
             password in the chart values so upgrades stop rotating it",
        ),
        Some("28000" | "3D000") => {
            Finding::fail(Code::DbNotFound, SUBJECT, observed, diagnosis.hint)
        }
        _ if matches!(error, sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut) => {
            Finding::fail(Code::DbUnreachable, SUBJECT, observed, diagnosis.hint)
        }
        _ => Finding::fail(Code::DbError, SUBJECT, observed, diagnosis.hint),
    }
}

fn migrations(target: &str, kind: DatabaseKind, applied: &Applied) -> Finding {
    let shipped: Vec<_> = db::migrator(kind)
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .collect();
    let broken: Vec<String> = shipped
        .iter()
        .filter_map(|m| match applied.get(&m.version) {
            Some((false, _)) => Some(format!("{} failed half-way", m.version)),
            Some((true, checksum)) if *checksum != *m.checksum => {
                Some(format!("{} was changed after it ran", m.version))
            }
            _ => None,
        })
        .chain(
            applied
                .keys()
                .filter(|v| !shipped.iter().any(|m| m.version == **v))
                .map(|v| format!("{v} is unknown to this binary (a newer version ran here)")),
        )
        .collect();
    if !broken.is_empty() {
        return Finding::fail(
            Code::DbMigrationsBroken,
            SUBJECT,
            format!("{target}: migration {}", broken.join("; ")),
            "deploy the version whose migrations these are; a failed migration must be repaired by hand (see \
             the `_sqlx_migrations` table) before `backend-api migrate` can continue",
        );
    }
    let pending: Vec<String> = shipped
        .iter()
        .filter(|m| !applied.contains_key(&m.version))
        .map(|m| format!("{} {}", m.version, m.description))
        .collect();
    if pending.is_empty() {
        return Finding::ok(
            Code::DbOk,
            SUBJECT,
            format!("{target} answers; {} migration(s) applied", applied.len()),
        );
    }
    Finding::warn(
        Code::DbMigrationsPending,
        SUBJECT,
        format!("{target} answers; not applied yet: {}", pending.join(", ")),
        "run `backend-api migrate` (or let `serve` apply them at start)",
    )
}
