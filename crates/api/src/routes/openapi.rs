//! `/openapi.json`: the OpenAPI 3.1 document, generated from the handlers' annotations.

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "backend-api",
        description = "Tasks API. Every task route needs `Authorization: Bearer <JWT>` from a configured identity \
provider, whose user must equal `{user_id}`. Errors are application/problem+json with a stable `code`."
    ),
    paths(
        super::health::health,
        super::health::ready,
        super::health::metrics,
        super::tasks::list_tasks,
        super::tasks::create_task,
        super::tasks::get_task,
        super::tasks::replace_task,
        super::tasks::patch_task,
        super::tasks::toggle_task,
        super::tasks::delete_task,
        super::forward_auth::verify,
    ),
    components(schemas(crate::error::Problem, crate::error::FieldError)),
    modifiers(&BearerAuth),
    tags(
        (name = "tasks", description = "A user's tasks"),
        (name = "operations", description = "Liveness, readiness, metrics"),
        (name = "forward-auth", description = "Token verification for reverse proxies (nginx auth_request, Traefik forwardAuth)"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
}
