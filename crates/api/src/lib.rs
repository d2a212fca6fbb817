//! `backend-api`: the tasks service and its command line.
//!
//! # Layout
//! - `cli` — the subcommands (`serve`, `migrate`, `config`, `token`, `healthcheck`).
//! - `config` — the one typed [`Config`], read from flags/environment, all errors at once.
//! - `app` — [`App`]: build (bind, start background work) and run (serve, graceful drain).
//! - `state` — [`AppState`] shared by handlers.
//! - `trust` — the token verifier from the configuration (providers or the development key).
//! - `auth` — `AuthUser` / `TaskOwner` extractors over the verification core.
//! - `connections` — accept loop: header and keep-alive timeouts, connection cap, metrics.
//! - `routes` — `/health`, `/ready`, `/metrics`, `/openapi.json`, `/api/{user_id}/tasks…`.
//! - `doctor` — `backend-api doctor`: configuration, providers, database, token and manifest checks.
//! - `db` — pool, health supervisor, migrations, task queries (PostgreSQL and SQLite).
//! - `error` — [`ApiError`] → `application/problem+json`.
//! - `json_body` — JSON body extractor with 400/413/415 mapping.
//! - `telemetry` — logs, Prometheus recorder, per-request middleware.

mod app;
mod auth;
pub mod cli;
pub mod config;
mod connections;
pub mod db;
pub mod doctor;
mod error;
mod json_body;
mod json_text;
mod routes;
mod state;
mod telemetry;
pub mod trust;

pub use app::{App, StartError};
pub use auth::{AuthUser, TaskOwner};
pub use config::Config;
pub use error::{ApiError, FieldError, Problem};
pub use routes::{ApiDoc, Task, openapi_document};
pub use state::{AppState, Lifecycle};
