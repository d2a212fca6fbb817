//! `/openapi.json`: the OpenAPI 3.1 document, generated from the handlers' annotations and
//! finished here with what every operation shares: the bearer scheme, the error responses
//! ([`problems`]), the JSON-RPC messages of `/mcp` ([`mcp`]), the `/docs` pages,
//! `x-request-id` on every response, links between the task operations, and which response
//! headers are always sent.
//!
//! The document is a contract: a test drives every operation into every status it lists
//! (crates/api/tests/api/contract.rs), and CI runs Schemathesis and a typed client against it.

pub mod mcp;
pub mod problems;

use super::docs::Pages as DocsPages;
use mcp::TransportRefusals as McpTransportRefusals;
use problems::{BaseErrors, Components as ProblemResponses};

use std::sync::OnceLock;

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Value, json};
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Response};
use utoipa::{Modify, OpenApi};

use crate::state::AppState;

/// Response headers that are sent only sometimes; every other documented header is always sent.
const OPTIONAL_HEADERS: [&str; 2] = ["Retry-After", "Idempotent-Replayed"];

#[derive(OpenApi)]
#[openapi(
    info(
        title = "backend-api",
        description = "Tasks API. Every task route needs `Authorization: Bearer <JWT>` from a configured identity \
provider, whose user must equal `{user_id}`. Errors are `application/problem+json` (RFC 9457) with a stable \
`code`, also sent as the `x-error-code` header; every response carries `x-request-id`. A browsable \
reference of this document is served at `/docs`."
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
        super::mcp::handle,
        super::well_known::metadata,
        openapi_json,
    ),
    components(schemas(crate::error::Problem, crate::error::FieldError)),
    modifiers(&BearerAuth, &ProblemResponses, &McpTransportRefusals, &DocsPages, &RequestId),
    tags(
        (name = "tasks", description = "A user's tasks"),
        (name = "mcp", description = "The Model Context Protocol server (Streamable HTTP) and its OAuth protected resource metadata"),
        (name = "forward-auth", description = "Token verification for reverse proxies"),
        (name = "operations", description = "Liveness, readiness, metrics"),
        (name = "documentation", description = "This document and its browsable reference"),
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
                    .description(Some(
                        "A JWT of a configured identity provider (in development: \
                         `backend-api token --sub <user>`)",
                    ))
                    .build(),
            ),
        );
    }
}

/// `x-request-id` on every response (the telemetry middleware sets it on all of them).
struct RequestId;

impl Modify for RequestId {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let add = |response: &mut Response| {
            response.headers.insert(
                crate::telemetry::REQUEST_ID.as_str().to_owned(),
                HeaderBuilder::new()
                    .schema(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .min_length(Some(1)),
                    )
                    .description(Some(
                        "The request's id: the client's own `x-request-id` if it is short and \
                         plain, else a fresh UUID; it finds the request in the log",
                    ))
                    .build(),
            );
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
            ];
            for operation in operations.into_iter().flatten() {
                for response in operation.responses.responses.values_mut() {
                    if let RefOr::T(response) = response {
                        add(response);
                    }
                }
            }
        }
        if let Some(components) = openapi.components.as_mut() {
            for response in components.responses.values_mut() {
                if let RefOr::T(response) = response {
                    add(response);
                }
            }
        }
    }
}

/// The document as served: utoipa's, finished with what utoipa cannot write: `required: true`
/// on the headers that are always sent (its header object has no `required`) and the links
/// of a created task (its link object misspells `operationId`).
pub fn document() -> Value {
    let mut document = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    add_task_links(&mut document);
    mcp::finish(&mut document);
    mark_required_headers(&mut document);
    // A head too large for the connection's read buffer is refused before the middleware
    // that adds these headers runs (see the response's description).
    if let Some(headers) = document
        .pointer_mut("/components/responses/HeadersTooLarge/headers")
        .and_then(Value::as_object_mut)
    {
        for header in headers.values_mut() {
            header["required"] = Value::Bool(false);
        }
    }
    document
}

/// Links from a created task to the operations on it, so that clients and stateful testers
/// (Schemathesis) can follow `POST` → `GET`/`PUT`/`PATCH`/`…/complete`/`DELETE`.
fn add_task_links(document: &mut Value) {
    let links: serde_json::Map<String, Value> = [
        ("GetTask", "get_task"),
        ("ReplaceTask", "replace_task"),
        ("PatchTask", "patch_task"),
        ("ToggleTask", "toggle_task"),
        ("DeleteTask", "delete_task"),
    ]
    .into_iter()
    .map(|(name, operation)| {
        let link = json!({
            "operationId": operation,
            "parameters": {"user_id": "$request.path.user_id", "id": "$response.body#/id"},
            "description": format!("`{operation}` on the created task"),
        });
        (name.to_owned(), link)
    })
    .collect();
    if let Some(created) = document
        .pointer_mut("/paths/~1api~1{user_id}~1tasks/post/responses/201")
        .and_then(Value::as_object_mut)
    {
        created.insert("links".to_owned(), Value::Object(links));
    }
}

fn mark_required_headers(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(headers)) = map.get_mut("headers") {
                for (name, header) in headers.iter_mut() {
                    if OPTIONAL_HEADERS.contains(&name.as_str()) {
                        continue;
                    }
                    if let Value::Object(header) = header {
                        header.insert("required".to_owned(), Value::Bool(true));
                    }
                }
            }
            map.values_mut().for_each(mark_required_headers);
        }
        Value::Array(items) => items.iter_mut().for_each(mark_required_headers),
        _ => {}
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(openapi_json))
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "documentation",
    responses((status = 200, body = Object, description = "This OpenAPI 3.1 document"), BaseErrors))]
async fn openapi_json() -> impl IntoResponse {
    // Built once: the document does not change while the process runs.
    static DOCUMENT: OnceLock<Bytes> = OnceLock::new();
    let body = DOCUMENT
        .get_or_init(|| Bytes::from(serde_json::to_vec(&document()).unwrap_or_default()))
        .clone();
    ([(header::CONTENT_TYPE, "application/json")], body)
}
