//! Turns a database error into what an operator needs: a one-line reason for `/ready` and a
//! hint saying what to check (the usual causes: a password that drifted after `helm upgrade`, a
//! NetworkPolicy dropping the port, a database or role that does not exist…).
//!
//! Reasons come from the server's message or the I/O error and never contain the URL's password.

use sqlx::migrate::MigrateError;

/// A database failure explained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnosis {
    /// Short, for `/ready` and problem bodies: `password authentication failed for user "app"`.
    pub reason: String,
    /// For the log: what to check or change.
    pub hint: &'static str,
}

const HINT_PASSWORD: &str = "the password in DATABASE_URL does not match the role's password in PostgreSQL. \
After a `helm upgrade` that regenerated the database secret, either restore the old secret value or run \
ALTER ROLE <user> PASSWORD '<value of the secret>'; the service reconnects by itself";
const HINT_ROLE: &str = "the role may not log in or pg_hba.conf refuses this client: check the user in \
DATABASE_URL exists with LOGIN (ALTER ROLE <user> LOGIN) and that pg_hba.conf allows this host";
const HINT_NO_DATABASE: &str =
    "the database named in DATABASE_URL does not exist: create it or fix the name";
const HINT_STARTING: &str = "PostgreSQL is starting, shutting down or refusing connections to this database; \
it will be retried";
const HINT_TOO_MANY: &str = "PostgreSQL has no connection slots left: lower DATABASE_MAX_CONNECTIONS \
(it is per replica) or raise max_connections on the server";
const HINT_NETWORK: &str = "cannot reach the database: check it is running, the host and port in DATABASE_URL, \
the Kubernetes Service name and any NetworkPolicy egress rule for this port";
const HINT_TIMEOUT: &str = "no connection within DATABASE_ACQUIRE_TIMEOUT_SECONDS: the database is unreachable \
(packets dropped, e.g. by a NetworkPolicy) or overloaded";
const HINT_TLS: &str = "the TLS handshake with the database failed: check sslmode in DATABASE_URL and the \
server certificate";
const HINT_SQLITE_OPEN: &str = "SQLite cannot open the file: check the directory in DATABASE_URL exists and is \
writable by this process (in a container: mount a volume)";
const HINT_MIGRATION_NEWER: &str = "the database has migrations this binary does not know: a newer version \
ran against it. Deploy that version again (or a newer one); never roll back past a migration";
const HINT_MIGRATION: &str =
    "applying migrations failed; the log line above has the database's message";
const HINT_OTHER: &str = "unexpected database error; the reason says what the database answered";

/// Explains an error from connecting or querying.
pub fn diagnose(error: &sqlx::Error) -> Diagnosis {
    match error {
        sqlx::Error::Database(db) => {
            let hint = match db.code().as_deref() {
                Some("28P01") => HINT_PASSWORD,
                Some("28000") => HINT_ROLE,
                Some("3D000") => HINT_NO_DATABASE,
                Some("57P01" | "57P02" | "57P03" | "55000") => HINT_STARTING,
                Some("53300") => HINT_TOO_MANY,
                // SQLITE_CANTOPEN
                Some("14") => HINT_SQLITE_OPEN,
                _ => HINT_OTHER,
            };
            Diagnosis {
                reason: db.message().to_owned(),
                hint,
            }
        }
        sqlx::Error::Io(io) => Diagnosis {
            reason: format!("cannot connect: {io}"),
            hint: HINT_NETWORK,
        },
        sqlx::Error::Tls(tls) => Diagnosis {
            reason: format!("TLS: {tls}"),
            hint: HINT_TLS,
        },
        sqlx::Error::PoolTimedOut => Diagnosis {
            reason: "timed out waiting for a connection".to_owned(),
            hint: HINT_TIMEOUT,
        },
        sqlx::Error::Migrate(migrate) => diagnose_migration(migrate),
        other => Diagnosis {
            reason: other.to_string(),
            hint: HINT_OTHER,
        },
    }
}

fn diagnose_migration(error: &MigrateError) -> Diagnosis {
    match error {
        MigrateError::Execute(inner) | MigrateError::ExecuteMigration(inner, _) => diagnose(inner),
        MigrateError::VersionMissing(version) => Diagnosis {
            reason: format!(
                "migration {version} was applied to the database but is unknown to this binary"
            ),
            hint: HINT_MIGRATION_NEWER,
        },
        other => Diagnosis {
            reason: format!("migration failed: {other}"),
            hint: HINT_MIGRATION,
        },
    }
}

/// True when the error means the database (not this query) is the problem, so the service
/// should report itself not ready and reconnect rather than answer 500.
pub fn is_connectivity(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => matches!(
            db.code().as_deref(),
            Some(
                "28P01"
                    | "28000"
                    | "3D000"
                    | "57P01"
                    | "57P02"
                    | "57P03"
                    | "53300"
                    | "08000"
                    | "08003"
                    | "08006"
            )
        ),
        _ => false,
    }
}
