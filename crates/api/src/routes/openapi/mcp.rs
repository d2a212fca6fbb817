//! The MCP side of the document: `POST /mcp` carries JSON-RPC 2.0 messages and refuses at the
//! transport level with JSON-RPC error bodies (not problem+json), as MCP SDK servers do; and
//! `/.well-known/oauth-protected-resource` answers RFC 9728 metadata.
//!
//! The schemas use what utoipa's builders cannot write (`const`, `not`, `oneOf` of
//! overlapping shapes), so they are JSON, added to the finished document by [`finish`]; the
//! response components that reference them are built in [`TransportRefusals`] like every
//! other response, so they get `x-request-id` too.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{IntoResponses, Modify};

use crate::routes::mcp::{jsonrpc, protocol};

/// The JSON-RPC error codes an answer with status 200 can carry (a request the server
/// understood as JSON-RPC but could not carry out; tool failures are results).
const ANSWER_ERRORS: [i64; 3] = [
    jsonrpc::METHOD_NOT_FOUND,
    jsonrpc::INVALID_PARAMS,
    jsonrpc::INTERNAL_ERROR,
];

/// A transport refusal: its status, component name, schema name, description.
struct Refusal {
    status: u16,
    name: &'static str,
    schema: &'static str,
    description: &'static str,
}

/// Transport refusals: JSON-RPC errors with `id: null` (or the message's id when usable).
const REFUSALS: [Refusal; 4] = [
    Refusal {
        status: 400,
        name: "McpInvalidMessage",
        schema: "JsonRpcInvalidMessage",
        description: "Not one JSON-RPC 2.0 message: not JSON (`-32700`), a batch, no or a \
                      wrong `jsonrpc`, `method`, `id` or `params` (`-32600`), or an \
                      `MCP-Protocol-Version` this server does not speak (`-32000`).",
    },
    Refusal {
        status: 403,
        name: "McpOriginRefused",
        schema: "JsonRpcTransportRefusal",
        description: "The request carries an `Origin` that is neither this host nor one \
                      `CORS_ALLOWED_ORIGINS` allows (a browser page must not reach the tools \
                      through its user's network). Agents send no `Origin`.",
    },
    Refusal {
        status: 406,
        name: "McpNotAcceptable",
        schema: "JsonRpcTransportRefusal",
        description: "`Accept` allows neither `application/json` nor `text/event-stream`.",
    },
    Refusal {
        status: 415,
        name: "McpUnsupportedMediaType",
        schema: "JsonRpcTransportRefusal",
        description: "The message is not sent as `Content-Type: application/json`.",
    },
];

fn refusal_response(refusal: &Refusal) -> Response {
    ResponseBuilder::new()
        .description(refusal.description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(Ref::from_schema_name(refusal.schema))))
                .build(),
        )
        .build()
}

/// Adds the transport refusals to the document's response components.
pub struct TransportRefusals;

impl Modify for TransportRefusals {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for refusal in &REFUSALS {
            components
                .responses
                .insert(refusal.name.to_owned(), refusal_response(refusal).into());
        }
    }
}

/// `POST /mcp`'s transport refusals, as references, usable in `responses(…)`.
pub struct McpTransportErrors;

impl IntoResponses for McpTransportErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        REFUSALS
            .iter()
            .map(|refusal| {
                (
                    refusal.status.to_string(),
                    RefOr::Ref(Ref::from_response_name(refusal.name)),
                )
            })
            .collect()
    }
}

/// Adds the JSON-RPC and RFC 9728 schemas, and points `/mcp` and the metadata route at them.
pub fn finish(document: &mut Value) {
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        schemas.insert("JsonRpcMessage".into(), message_schema());
        schemas.insert("JsonRpcAnswer".into(), answer_schema());
        schemas.insert(
            "JsonRpcInvalidMessage".into(),
            refusal_schema(&[
                jsonrpc::PARSE_ERROR,
                jsonrpc::INVALID_REQUEST,
                jsonrpc::SERVER_ERROR,
            ]),
        );
        schemas.insert(
            "JsonRpcTransportRefusal".into(),
            refusal_schema(&[jsonrpc::SERVER_ERROR]),
        );
        schemas.insert("ProtectedResourceMetadata".into(), metadata_schema());
    }
    let reference = |name: &str| json!({"$ref": format!("#/components/schemas/{name}")});
    if let Some(operation) = document.pointer_mut("/paths/~1mcp/post") {
        operation["parameters"] = json!([{
            "name": "MCP-Protocol-Version",
            "in": "header",
            "required": false,
            "description": "The MCP revision the client negotiated in `initialize`; another \
                            value is refused (400, `-32000`)",
            "schema": {"type": "string", "enum": protocol::SUPPORTED_VERSIONS},
        }]);
        operation["requestBody"] = json!({
            "description": "One JSON-RPC 2.0 message of the Model Context Protocol: a request \
                            (`initialize`, `ping`, `tools/list`, `tools/call`), a notification, \
                            or a response to a server request (this server sends none).",
            "required": true,
            "content": {"application/json": {"schema": reference("JsonRpcMessage")}},
        });
        operation["responses"]["200"]["content"] = json!({
            "application/json": {"schema": reference("JsonRpcAnswer")},
            "text/event-stream": {"schema": {
                "type": "string",
                "description": "When `Accept` allows only `text/event-stream`: one \
                                `event: message` whose `data` is the JSON-RPC answer, then \
                                the stream ends.",
            }},
        });
    }
    if let Some(response) =
        document.pointer_mut("/paths/~1.well-known~1oauth-protected-resource/get/responses/200")
    {
        response["content"] = json!({
            "application/json": {"schema": reference("ProtectedResourceMetadata")},
        });
    }
}

/// A message id: JSON-RPC allows strings and numbers (null is refused: it cannot be echoed).
fn id_schema() -> Value {
    json!({"type": ["string", "number"], "description": "Echoed in the answer"})
}

/// What the service accepts as one message. The two shapes exclude each other on `method`,
/// so a message that is both (a `method` with a `result`) is a request, as the service reads it.
fn message_schema() -> Value {
    let dropped = json!({"description": "Dropped: this server sends no requests"});
    json!({
        "description": "One JSON-RPC 2.0 message (no batches: MCP 2025-06-18 dropped them). \
                        A request (`method` and `id`) is answered with 200; a notification \
                        (`method`, no `id`) or a response (`id` and `result` or `error`, no \
                        `method`) is accepted with 202 and no body. Unknown methods and \
                        invalid parameters are JSON-RPC errors inside a 200.",
        "type": "object",
        "required": ["jsonrpc"],
        "properties": {
            "jsonrpc": {"const": "2.0"},
            "id": id_schema(),
        },
        "oneOf": [
            {
                "title": "Request or notification",
                "required": ["method"],
                "properties": {
                    "method": {
                        "type": "string",
                        "examples": ["initialize", "ping", "tools/list", "tools/call", "notifications/initialized"],
                    },
                    "params": {
                        "type": ["object", "array"],
                        "additionalProperties": true,
                        "description": "The method's parameters (an object; an array is \
                                        answered with `-32602` invalid params)",
                    },
                },
            },
            {
                "title": "Response to a server request",
                "required": ["id"],
                "not": {"required": ["method"]},
                "anyOf": [
                    {"type": "object", "required": ["result"], "properties": {"result": dropped.clone()}},
                    {"type": "object", "required": ["error"], "properties": {"error": dropped}},
                ],
            },
        ],
    })
}

fn error_object(codes: &[i64]) -> Value {
    json!({
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {"type": "integer", "enum": codes},
            "message": {"type": "string", "description": "What went wrong, for a human"},
        },
    })
}

/// The answer to a request: its `result`, or a JSON-RPC error.
fn answer_schema() -> Value {
    json!({
        "description": "The answer to a JSON-RPC request: `result` (for `tools/call`, a tool \
                        failure is a result with `isError: true`), or `error`.",
        "type": "object",
        "required": ["jsonrpc", "id"],
        "properties": {
            "jsonrpc": {"const": "2.0"},
            "id": id_schema(),
        },
        "oneOf": [
            {
                "type": "object",
                "required": ["result"],
                "properties": {"result": {"type": "object", "additionalProperties": true}},
            },
            {
                "type": "object",
                "required": ["error"],
                "properties": {"error": error_object(&ANSWER_ERRORS)},
            },
        ],
    })
}

fn refusal_schema(codes: &[i64]) -> Value {
    json!({
        "description": "A transport refusal as a JSON-RPC error; `id` is the message's when \
                        it could be read, else null.",
        "type": "object",
        "required": ["jsonrpc", "id", "error"],
        "properties": {
            "jsonrpc": {"const": "2.0"},
            "id": {"type": ["string", "number", "null"]},
            "error": error_object(codes),
        },
    })
}

fn metadata_schema() -> Value {
    json!({
        "description": "OAuth 2.0 protected resource metadata (RFC 9728)",
        "type": "object",
        "required": ["resource", "authorization_servers", "bearer_methods_supported", "resource_name"],
        "properties": {
            "resource": {
                "type": "string",
                "format": "uri",
                "description": "This API's URL: `MCP_RESOURCE_URL`, else rebuilt from the \
                                request's `Host` and `X-Forwarded-Proto`",
            },
            "authorization_servers": {
                "type": "array",
                "items": {"type": "string"},
                "description": "The issuer of each configured identity provider (none with \
                                the development key)",
            },
            "bearer_methods_supported": {
                "type": "array",
                "items": {"const": "header"},
                "minItems": 1,
                "maxItems": 1,
            },
            "resource_name": {"type": "string"},
        },
    })
}
