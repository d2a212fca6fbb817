//! `backend-api serve`: builds the app and serves until SIGTERM or Ctrl-C, then drains and
//! exits 0.

use std::time::Instant;

use axum::Router;

use super::{Outcome, runtime_or_report};
use crate::app::{App, StartError};
use crate::config::Config;
use crate::{connections, telemetry};

/// Serves the router as built, or wrapped in `wrap` by a program embedding the service (see
/// [`App::wrap_router`]; the `backend-api` binary passes `std::convert::identity`).
pub fn run(config: Config, wrap: fn(Router) -> Router) -> Outcome {
    let started = Instant::now();
    // Declared before the runtime, so dropped after it: lines logged while it stops are kept.
    let _log = telemetry::init_logging(&config.log);
    let runtime = match runtime_or_report() {
        Ok(runtime) => runtime,
        Err(outcome) => return outcome,
    };
    let open_files_limit = connections::fd_limit::raise(config.http.connections.max_connections);
    runtime.block_on(async move {
        let environment = config.environment;
        let limits = config.http.connections;
        let app = match App::build(config).await {
            Ok(app) => app.wrap_router(wrap),
            Err(error) => {
                tracing::error!(%error, "cannot start");
                eprintln!("backend-api: cannot start: {error}");
                return match error {
                    StartError::Bind { .. } => Outcome::Failed,
                    _ => Outcome::Usage,
                };
            }
        };
        tracing::info!(
            address = %app.local_addr(),
            environment = environment.as_str(),
            startup_ms = started.elapsed().as_secs_f64() * 1000.0,
            version = env!("CARGO_PKG_VERSION"),
            max_connections = limits.max_connections,
            header_read_timeout_seconds = limits.header_read_timeout.as_secs_f64(),
            keep_alive_timeout_seconds = limits.keep_alive_timeout.as_secs_f64(),
            open_files_limit,
            "listening"
        );
        match app.run(shutdown_signal()).await {
            Ok(()) => Outcome::Success,
            Err(error) => {
                tracing::error!(%error, "server failed");
                Outcome::Failed
            }
        }
    })
}

/// Completes on SIGTERM (Kubernetes) or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received"),
        () = terminate => tracing::info!("SIGTERM received"),
    }
}
