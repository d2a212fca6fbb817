//! [`App`]: the service assembled from a [`Config`]: state, router and a bound listener.
//!
//! `App::build` binds (port 0 picks a free port, see [`App::port`]) and starts the background
//! work (database supervisor, key-set refresh); `App::run` serves until the shutdown future
//! completes, then drains: `/ready` answers 503 at once, the listener stays open for
//! `SHUTDOWN_DELAY_SECONDS` so load balancers notice, then closes, and in-flight requests get
//! up to `SHUTDOWN_DRAIN_SECONDS` to finish. Connections are served by [`connections`], which
//! bounds how long, and how many, clients may hold them.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use backend_api_auth::{Clock, SystemClock};
use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::config::Config;
use crate::db::Database;
use crate::state::{AppState, Lifecycle};
use crate::trust::{self, TrustError};
use crate::{connections, routes, telemetry};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Trust(#[from] TrustError),
    #[error("DATABASE_URL cannot be used: {0}")]
    Database(sqlx::Error),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        source: std::io::Error,
    },
}

/// A built, bound, not yet serving service.
pub struct App {
    listener: TcpListener,
    state: AppState,
    /// Applied to the finished router before serving; see [`App::wrap_router`].
    wrap: fn(Router) -> Router,
    _supervisor: SupervisorGuard,
}

/// Stops the database supervisor when the app goes away (tests build many apps per process).
struct SupervisorGuard(tokio::task::JoinHandle<()>);

impl Drop for SupervisorGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl App {
    /// Builds the app with the system clock.
    pub async fn build(config: Config) -> Result<App, StartError> {
        App::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Builds the app; tests pass a settable clock to the verifier.
    pub async fn build_with_clock(
        config: Config,
        clock: Arc<dyn Clock>,
    ) -> Result<App, StartError> {
        let metrics = telemetry::metrics_handle();
        let verifier = trust::verifier(&config, clock)?;
        let db = Database::new(
            &config.database,
            config.http.request_timeout,
            config.auth.sole_provider().map(str::to_owned),
        )
        .map_err(StartError::Database)?;
        let address = SocketAddr::new(config.host, config.port);
        let listener = TcpListener::bind(address)
            .await
            .map_err(|source| StartError::Bind { address, source })?;
        let supervisor = SupervisorGuard(db.supervise());
        verifier.start();
        let state = AppState {
            config: Arc::new(config),
            db,
            verifier,
            lifecycle: Lifecycle::default(),
            metrics,
        };
        Ok(App {
            listener,
            state,
            wrap: std::convert::identity,
            _supervisor: supervisor,
        })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound TCP listener has a local address")
    }

    /// Serves the router wrapped in `wrap` (a layer around every route and the cross-cutting
    /// layers). The seam for programs that embed the service: such a layer may identify the
    /// caller itself by putting an [`AuthUser`](crate::AuthUser) in the request's extensions
    /// (the benchmark's auth-off ceiling does, `examples/bench_auth_off.rs`). The `backend-api`
    /// binary never calls this.
    pub fn wrap_router(self, wrap: fn(Router) -> Router) -> App {
        App { wrap, ..self }
    }

    /// The shared state (tests read the database handle and lifecycle through it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then drains as described in the module docs.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let App {
            listener,
            state,
            wrap,
            _supervisor,
        } = self;
        let http = state.config.http.clone();
        let lifecycle = state.lifecycle.clone();
        let draining = Arc::new(Notify::new());
        let drain_started = draining.clone();
        let signal = async move {
            shutdown.await;
            lifecycle.begin_shutdown();
            tracing::info!(
                delay_seconds = http.shutdown_delay.as_secs_f64(),
                "shutdown requested: /ready now answers 503"
            );
            tokio::time::sleep(http.shutdown_delay).await;
            tracing::info!(
                drain_seconds = http.shutdown_drain.as_secs_f64(),
                "listener closed; waiting for in-flight requests"
            );
            drain_started.notify_one();
        };
        let db = state.db.clone();
        let limits = http.connections;
        let app = wrap(routes::router(state));
        let server = connections::serve(listener, app, limits, signal);
        let drain_limit = async {
            draining.notified().await;
            tokio::time::sleep(http.shutdown_drain).await;
        };
        tokio::select! {
            () = server => {
                tracing::info!("all requests finished; stopped");
            }
            () = drain_limit => {
                tracing::warn!("SHUTDOWN_DRAIN_SECONDS elapsed with requests still running; stopping anyway");
            }
        }
        // Bounded: a connection stuck in a dead network must not hold up the exit.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), db.close()).await;
        Ok(())
    }
}
