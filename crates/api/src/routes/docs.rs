//! `/docs`: a browsable API reference (Swagger UI) rendered from `/openapi.json`.
//!
//! Its assets are compiled into the binary (utoipa-swagger-ui's `vendored` feature takes the
//! Swagger UI release from a crates.io package, so neither the build nor the page downloads
//! anything), and the online validator badge, the one thing Swagger UI would fetch from
//! elsewhere, is turned off: the page works with no network beyond this service.

use axum::Router;
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::state::AppState;

/// Where the page is served (`/docs` redirects to `/docs/`).
pub const DOCS_PATH: &str = "/docs";

pub fn router() -> Router<AppState> {
    let config = Config::new(["/openapi.json"])
        .validator_url("none")
        .display_operation_id(true)
        .display_request_duration(true);
    SwaggerUi::new(DOCS_PATH).config(config).into()
}
