//! PostgreSQL through sqlx connections (TLS, prepared-statement cache, `statement_timeout` and
//! `application_name` as `DATABASE_URL` and the configuration set them) in this crate's pool,
//! which returns a connection without the ping sqlx's own pool sends on every release: a
//! request is one round trip to the server.

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection};

use super::pool::{self, Manage, Pooled};

pub type PgPool = pool::Pool<Postgres>;

/// Opens PostgreSQL connections.
pub struct Postgres {
    pub options: PgConnectOptions,
}

impl Manage for Postgres {
    type Conn = PgConnection;

    async fn connect(&self) -> Result<PgConnection, sqlx::Error> {
        self.options.connect().await
    }

    async fn check(&self, conn: &mut PgConnection) -> bool {
        conn.ping().await.is_ok()
    }

    async fn close(conn: PgConnection) {
        let _ = conn.close().await;
    }
}

/// Settles a connection after a query: it goes back to the pool when the query ended with an
/// answer from the server (rows or the server's error); after an I/O or protocol failure, or if
/// the request was cancelled before this is reached (see [`Pooled::start`]), it is closed.
pub fn settle<T>(conn: &mut Pooled<Postgres>, result: &Result<T, sqlx::Error>) {
    if matches!(result, Ok(_) | Err(sqlx::Error::Database(_))) {
        conn.done();
    }
}
