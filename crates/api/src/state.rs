//! [`AppState`]: what every handler can reach. Cheap to clone (handles and `Arc`s only).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use backend_api_auth::Verifier;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::config::Config;
use crate::db::Database;

/// Shared state of the running service.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Database,
    pub verifier: Verifier,
    pub lifecycle: Lifecycle,
    /// Renders `/metrics`; one recorder per process.
    pub metrics: PrometheusHandle,
}

/// Whether the process is shutting down; `/ready` turns 503 the moment it is.
#[derive(Clone, Default)]
pub struct Lifecycle {
    shutting_down: Arc<AtomicBool>,
}

impl Lifecycle {
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }
}
