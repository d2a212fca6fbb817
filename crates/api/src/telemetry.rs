//! Logs and metrics: the tracing subscriber (JSON in production), the Prometheus recorder,
//! and the per-request middleware that assigns a request id, logs one line per request and
//! counts it by route and status.
//!
//! Nothing here logs headers or bodies: the `Authorization` header never reaches a log line.
//! Lines reach stderr through a batching writer thread ([`log_writer`]).

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tower_http::request_id::{MakeRequestId, MakeRequestUuid};
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

use crate::config::{LogConfig, LogFormat};
use crate::db::Database;
use json_line::JsonLine;
pub use log_writer::{BatchedStderr, LogGuard};
use span_fields::SpanFields;

mod json_line;
mod log_writer;
mod span_fields;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Longest client-supplied request id kept; longer or odd ones are replaced.
const MAX_REQUEST_ID: usize = 128;

/// Installs the global log subscriber, writing to stderr through [`BatchedStderr`]. Hold the
/// guard until the process ends: dropping it writes what is pending. Later calls (tests start
/// several apps) install nothing.
pub fn init_logging(log: &LogConfig) -> LogGuard {
    let filter = EnvFilter::try_new(&log.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let colours = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (writer, guard) = BatchedStderr::start();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(colours);
    let _ = match log.format {
        // The stock JSON format's lines, written faster (json_line).
        LogFormat::Json => builder
            .json()
            .fmt_fields(SpanFields)
            .event_format(JsonLine::new())
            .try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
    guard
}

/// The process-wide Prometheus recorder (the `metrics` facade allows one per process).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".to_owned()),
                    &[
                        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                        10.0,
                    ],
                )
                .expect("bucket list is not empty");
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder was installed first; ours then just renders empty.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Pool gauges, refreshed when `/metrics` is scraped.
pub fn record_database_gauges(db: &Database) {
    let (open, idle) = db.pool_usage();
    metrics::gauge!("db_pool_connections", "state" => "idle").set(idle as f64);
    metrics::gauge!("db_pool_connections", "state" => "in_use")
        .set(open.saturating_sub(idle as u32) as f64);
    metrics::gauge!("db_up").set(if db.is_up() { 1.0 } else { 0.0 });
}

/// A client's request id if it is short and plain, else a fresh UUID.
fn request_id(request: &mut Request) -> HeaderValue {
    let given = request.headers().get(&REQUEST_ID).filter(|value| {
        let bytes = value.as_bytes();
        !bytes.is_empty()
            && bytes.len() <= MAX_REQUEST_ID
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    });
    match given {
        Some(value) => value.clone(),
        None => MakeRequestUuid
            .make_request_id(request)
            .map(tower_http::request_id::RequestId::into_header_value)
            .unwrap_or_else(|| HeaderValue::from_static("unknown")),
    }
}

/// Request id, span, one log line and the request metrics for every request.
pub async fn observe(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(&mut request);
    request.headers_mut().insert(REQUEST_ID, id.clone());
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let span = tracing::info_span!(
        "request",
        request_id = id.to_str().unwrap_or("-"),
        method = %method,
        route = %route,
        // Filled by `/auth/verify` from the proxy's headers (bounded, no query string).
        original_method = tracing::field::Empty,
        original_uri = tracing::field::Empty,
        forwarded_host = tracing::field::Empty,
    );
    let mut response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    // `parent:` rather than entering the span again: same line, no enter and exit.
    tracing::info!(
        parent: &span,
        status,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        "request done"
    );
    let labels = [
        ("method", method.as_str().to_owned()),
        ("route", route),
        ("status", status.to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels[..2])
        .record(elapsed.as_secs_f64());
    response.headers_mut().insert(REQUEST_ID, id);
    response
}
