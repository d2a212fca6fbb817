//! `POST /mcp`: the Model Context Protocol over its Streamable HTTP transport, so AI agents act
//! on a user's tasks with that user's own bearer token, on the same data as the REST routes.
//!
//! Stateless: no `Mcp-Session-Id` is issued and nothing is kept between requests, so any replica
//! behind a load balancer answers any request (no sticky sessions, no shared session store).
//! This server never sends requests or notifications of its own, so it needs no stream: `GET`
//! and `DELETE /mcp` answer 405, as the transport specifies for such a server. Each POST carries
//! one JSON-RPC message; a request is answered with JSON, or with a one-event SSE stream when
//! the client accepts only `text/event-stream`.
//!
//! Layout: `auth` (token, before anything else), `jsonrpc` (messages), `protocol` (methods),
//! `tools` + `schemas` + `arguments` (the six task tools), `store` (their database calls).

mod arguments;
mod auth;
pub(crate) mod jsonrpc;
pub(crate) mod protocol;
mod schemas;
mod store;
mod tools;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::Value;

use super::well_known;
use crate::config::{CorsOrigins, MAX_BODY_BYTES};
use crate::error::ApiError;
use crate::routes::openapi::mcp::McpTransportErrors;
use crate::routes::openapi::problems::McpErrors;
use crate::state::AppState;
use jsonrpc::{Message, PARSE_ERROR, RpcError, SERVER_ERROR};

pub const PATH: &str = "/mcp";
const PROTOCOL_VERSION_HEADER: &str = "mcp-protocol-version";

pub fn router() -> Router<AppState> {
    // GET and DELETE fall through to the router's 405: no stream, no session to end.
    Router::new()
        .route(PATH, post(handle))
        .merge(well_known::router())
}

/// How the answer to a request is framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    Json,
    EventStream,
}

/// One JSON-RPC message in, its answer out.
///
/// The MCP Streamable HTTP transport, stateless: each POST carries one message. `GET` and
/// `DELETE /mcp` answer 405: this server opens no stream and keeps no session.
#[utoipa::path(
    post, path = "/mcp", tag = "mcp", operation_id = "mcp",
    responses(
        (status = 200, description = "The answer to a JSON-RPC request: `application/json`, or a one-event \
`text/event-stream` when `Accept` allows only that"),
        (status = 202, description = "A notification, or a response to a server request, was accepted; no body"),
        McpTransportErrors,
        McpErrors,
    ),
    security(("bearer" = []))
)]
pub async fn handle(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if let Err(refusal) = check_origin(&state, &parts.headers) {
        return refusal.into_response();
    }
    let resource = well_known::resource_url(&state.config, &parts.headers);
    let owner = match auth::authenticate(&state, &parts, &well_known::metadata_url(&resource)).await
    {
        Ok(owner) => owner,
        Err(refusal) => return refusal,
    };
    let framing = match check_transport(&parts) {
        Ok(framing) => framing,
        Err(refusal) => return refusal.into_response(),
    };
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return ApiError::PayloadTooLarge.into_response();
    };
    let value: Value = match serde_json::from_slice(&bytes) {
        Ok(value) => value,
        Err(error) => {
            let message = format!("parse error: {error}");
            return rpc_refusal(
                StatusCode::BAD_REQUEST,
                Value::Null,
                &RpcError::new(PARSE_ERROR, message),
            );
        }
    };
    match jsonrpc::classify(value) {
        Err((id, error)) => rpc_refusal(StatusCode::BAD_REQUEST, id, &error),
        Ok(Message::NoReply) => StatusCode::ACCEPTED.into_response(),
        Ok(Message::Request { id, method, params }) => {
            let answer = match protocol::answer(&state, &owner, &method, params).await {
                Ok(result) => jsonrpc::result(&id, result),
                Err(error) => jsonrpc::error(&id, &error),
            };
            respond(framing, &answer)
        }
    }
}

/// A browser page must not reach the tools through a user's network (DNS rebinding): an
/// `Origin`, when sent, must be this host or one CORS allows. Agents send none.
fn check_origin(state: &AppState, headers: &HeaderMap) -> Result<(), Refusal> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let allowed = match &state.config.http.cors {
        CorsOrigins::Any => true,
        CorsOrigins::List(list) => list.iter().any(|allowed| allowed == origin),
        CorsOrigins::None => false,
    };
    let same_host = url::Url::parse(origin).ok().is_some_and(|url| {
        let host = match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            _ => return false,
        };
        headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|h| h.eq_ignore_ascii_case(&host))
    });
    if allowed || same_host {
        Ok(())
    } else {
        Err(Refusal(
            StatusCode::FORBIDDEN,
            "Origin not allowed: add it to CORS_ALLOWED_ORIGINS".to_owned(),
        ))
    }
}

/// The headers the transport requires of a POST; the framing the client accepts.
fn check_transport(parts: &Parts) -> Result<Framing, Refusal> {
    let headers = &parts.headers;
    let refuse = Refusal;
    if let Some(version) = headers.get(PROTOCOL_VERSION_HEADER) {
        let known = version
            .to_str()
            .is_ok_and(|v| protocol::SUPPORTED_VERSIONS.contains(&v));
        if !known {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                format!(
                    "unsupported MCP-Protocol-Version; supported: {}",
                    protocol::SUPPORTED_VERSIONS.join(", ")
                ),
            ));
        }
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the message as Content-Type: application/json".to_owned(),
        ));
    }
    let accept: Vec<&str> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    framing(&accept).ok_or_else(|| {
        refuse(
            StatusCode::NOT_ACCEPTABLE,
            "Accept must allow application/json or text/event-stream".to_owned(),
        )
    })
}

/// JSON when the client takes it (or says nothing), SSE when that is all it takes.
/// `accept`: every `Accept` header line.
fn framing(accept: &[&str]) -> Option<Framing> {
    if accept.is_empty() {
        return Some(Framing::Json);
    }
    let media: Vec<String> = accept
        .iter()
        .flat_map(|line| line.split(','))
        .filter_map(|item| item.split(';').next())
        .map(|media| media.trim().to_ascii_lowercase())
        .collect();
    let any = |wanted: &[&str]| media.iter().any(|m| wanted.contains(&m.as_str()));
    if any(&["application/json", "application/*", "*/*"]) {
        Some(Framing::Json)
    } else if any(&["text/event-stream", "text/*"]) {
        Some(Framing::EventStream)
    } else {
        None
    }
}

fn respond(framing: Framing, message: &Value) -> Response {
    let (content_type, body) = match framing {
        Framing::Json => ("application/json", message.to_string()),
        // One event, then the stream ends: this server has nothing else to send.
        Framing::EventStream => (
            "text/event-stream",
            format!("event: message\ndata: {message}\n\n"),
        ),
    };
    let mut response = Response::new(Body::from(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if framing == Framing::EventStream {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    response
}

/// A transport-level refusal: its status and message.
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        rpc_refusal(self.0, Value::Null, &RpcError::new(SERVER_ERROR, self.1))
    }
}

/// A transport-level refusal as a JSON-RPC error body, as MCP SDK servers send them.
fn rpc_refusal(status: StatusCode, id: Value, error: &RpcError) -> Response {
    let mut response = respond(Framing::Json, &jsonrpc::error(&id, error));
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Option<Framing> {
        framing(&[value])
    }

    #[test]
    fn json_is_preferred_and_sse_used_only_when_it_is_all_the_client_takes() {
        assert_eq!(framing(&[]), Some(Framing::Json));
        assert_eq!(
            framing(&["text/html", "application/json"]),
            Some(Framing::Json)
        );
        assert_eq!(
            accept("application/json, text/event-stream"),
            Some(Framing::Json)
        );
        assert_eq!(accept("text/event-stream"), Some(Framing::EventStream));
        assert_eq!(accept("*/*;q=0.8"), Some(Framing::Json));
        assert_eq!(accept("text/html"), None);
    }
}
