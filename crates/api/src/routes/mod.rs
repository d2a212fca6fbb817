//! The HTTP surface: one module per resource (tasks, MCP, operations), merged here, wrapped in the cross-cutting
//! layers (request id + log + metrics, header limit, CORS, timeout, body limit).

mod docs;
mod forward_auth;
mod health;
mod mcp;
pub(crate) mod openapi;
mod tasks;
pub(crate) mod well_known;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::{CorsOrigins, HttpConfig, MAX_BODY_BYTES, MAX_HEADER_BYTES};
use crate::error::ApiError;
use crate::state::AppState;
use crate::telemetry;
pub use openapi::{ApiDoc, document as openapi_document};
pub use tasks::Task;

/// The whole application, ready to serve.
pub fn router(state: AppState) -> Router {
    let http = state.config.http.clone();
    Router::new()
        .merge(health::router())
        .merge(forward_auth::router(state.config.forward_auth.enabled))
        .merge(openapi::router())
        .merge(docs::router())
        .merge(tasks::router())
        .merge(mcp::router())
        .fallback(|| async { ApiError::RouteNotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(
            ServiceBuilder::new()
                .layer(middleware::from_fn(telemetry::observe))
                .layer(middleware::from_fn(limit_headers))
                .layer(cors(&http))
                .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                    ApiError::Timeout
                }))
                .timeout(http.request_timeout)
                .layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
        )
        .with_state(state)
}

/// 431 when the request headers together exceed [`MAX_HEADER_BYTES`].
async fn limit_headers(request: Request, next: Next) -> Response {
    let size: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if size > MAX_HEADER_BYTES {
        return ApiError::HeadersTooLarge.into_response();
    }
    next.run(request).await
}

fn cors(http: &HttpConfig) -> CorsLayer {
    let origins = match &http.cors {
        CorsOrigins::None => return CorsLayer::new(),
        CorsOrigins::Any => AllowOrigin::any(),
        CorsOrigins::List(list) => {
            AllowOrigin::list(list.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
        }
    };
    CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            axum::http::HeaderName::from_static("idempotency-key"),
            axum::http::HeaderName::from_static("mcp-protocol-version"),
        ])
        .expose_headers([
            header::LOCATION,
            telemetry::REQUEST_ID,
            header::RETRY_AFTER,
            header::WWW_AUTHENTICATE,
        ])
        .max_age(std::time::Duration::from_secs(600))
}
