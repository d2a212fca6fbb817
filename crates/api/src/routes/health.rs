//! Operations endpoints: `/health` (liveness), `/ready` (readiness), `/metrics` (Prometheus).
//!
//! `/health` depends on nothing, so a database or identity-provider outage never gets the pod
//! killed; `/ready` says which dependency is missing and why, and turns 503 the moment
//! shutdown begins so the load balancer stops sending traffic.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::db::Health;
use crate::routes::openapi::problems::BaseErrors;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
}

/// Body of `/health`.
#[derive(ToSchema)]
#[allow(dead_code)] // documents the `json!` the handler answers
struct Liveness {
    status: Live,
}

#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum Live {
    Ok,
}

#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum ReadyState {
    Ready,
    NotReady,
}

#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum CheckState {
    Ok,
    Fail,
}

/// Body of `/ready`: one check per dependency, and the reasons of those that fail.
#[derive(ToSchema)]
#[allow(dead_code)] // documents the `json!` the handler answers
struct Readiness {
    /// `ready` with 200, `not_ready` with 503.
    status: ReadyState,
    /// `database`, `provider:<name>` per identity provider, `shutdown` while stopping.
    checks: std::collections::BTreeMap<String, Check>,
    /// `<check>: <reason>` of every failing check.
    reasons: Vec<String>,
}

/// One dependency's state; other members say more (engine, issuer, key count, age).
#[derive(ToSchema)]
#[allow(dead_code)] // documents the `json!` the handler answers
struct Check {
    status: CheckState,
    /// Why the check fails.
    #[schema(nullable = false)]
    reason: Option<String>,
}

/// Liveness: the process serves HTTP.
#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, body = Liveness, description = "Always {\"status\":\"ok\"} while the process serves"), BaseErrors))]
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers and every identity provider has usable keys.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses(
        (status = 200, body = Readiness, description = "Ready; `checks` has one entry per dependency"),
        (status = 503, body = Readiness, description = "Not ready; each failing check has a `reason`, `reasons` lists them"),
        BaseErrors,
    ))]
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let mut checks = Map::new();
    let mut reasons = Vec::new();
    if state.lifecycle.is_shutting_down() {
        checks.insert(
            "shutdown".into(),
            json!({"status": "fail", "reason": "shutting down"}),
        );
        reasons.push("shutdown: shutting down".to_owned());
    }
    let database = match state.db.health() {
        Health::Ready => json!({"status": "ok", "engine": engine(&state)}),
        Health::Starting => {
            reasons.push("database: connecting".to_owned());
            json!({"status": "fail", "engine": engine(&state), "reason": "connecting"})
        }
        Health::Down { diagnosis, since } => {
            reasons.push(format!("database: {}", diagnosis.reason));
            json!({
                "status": "fail",
                "engine": engine(&state),
                "reason": diagnosis.reason,
                "down_seconds": since.elapsed().as_secs(),
            })
        }
    };
    checks.insert("database".into(), database);
    for provider in state.verifier.status() {
        // `keys` counts usable keys only: the core drops unusable ones when parsing.
        let problem = provider.problem();
        let mut check = json!({
            "status": if problem.is_none() { "ok" } else { "fail" },
            "state": provider.state.as_str(),
            "issuer": provider.issuer,
            "keys": provider.key_count,
            "unusable_keys": provider.unusable_keys.len(),
            "age_seconds": provider.age.map(|age| age.as_secs()),
        });
        if let Some(reason) = problem {
            reasons.push(format!("provider:{}: {reason}", provider.name));
            check["reason"] = Value::String(reason);
        } else if let Some(error) = &provider.last_error {
            // Serving cached keys through an outage: ready, but say so.
            check["warning"] = Value::String(error.clone());
        }
        checks.insert(format!("provider:{}", provider.name), check);
    }
    let ready = reasons.is_empty();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "checks": checks,
        "reasons": reasons,
    });
    (status, Json(body))
}

fn engine(state: &AppState) -> &'static str {
    match state.db.kind() {
        crate::config::DatabaseKind::Postgres => "postgres",
        crate::config::DatabaseKind::Sqlite => "sqlite",
    }
}

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, body = String, description = "Prometheus text format 0.0.4", content_type = "text/plain"), BaseErrors))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    crate::telemetry::record_database_gauges(&state.db);
    // Taking a status snapshot makes the core publish its key-set age and size gauges.
    drop(state.verifier.status());
    state.metrics.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}
