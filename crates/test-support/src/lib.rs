//! Shared test code (not published): a real JWKS server on loopback and key /
//! token minting for every JOSE algorithm, for the core's and the service's tests.
//!
//! - `keys` — [`TestKey`]: generate a key per algorithm, publish its JWK, sign
//!   tokens with any header and payload (raw bytes too, for attack tests).
//! - `jwks_server` — [`JwksServer`]: axum on 127.0.0.1:0 with a swappable key
//!   set, request counters, stop/resume, and failure [`Behaviour`]s.
//! - `postgres` — [`PasswordPostgres`]: a private PostgreSQL cluster with SCRAM passwords.
//! - [`temp_dir`]: a labelled scratch directory ([`tempfile::TempDir`]), removed when dropped.

mod jwks_server;
mod keys;
mod postgres;

pub use jwks_server::{Behaviour, JwksServer};
pub use keys::{ALL_ALGORITHMS, TestKey, b64, claims, compact, jwks, now};
pub use postgres::PasswordPostgres;
pub use tempfile::TempDir;

/// A fresh directory `$TMPDIR/backend-api-<label>-XXXXXX` for one test or drill (SQLite file,
/// logs, providers file, nginx configuration), removed when dropped; the label says whose it is
/// when a killed run leaves it behind.
pub fn temp_dir(label: &str) -> TempDir {
    tempfile::Builder::new()
        .prefix(&format!("backend-api-{label}-"))
        .tempdir()
        .expect("create a temporary directory")
}
