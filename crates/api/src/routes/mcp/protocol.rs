//! The MCP methods this server answers: `initialize`, `ping`, `tools/list`, `tools/call`.
//! Notifications (`notifications/initialized`, cancellations) need no answer and never get here.
//!
//! Stateless: nothing is remembered between requests, so `tools/call` works on any replica
//! without a prior `initialize` there.

use serde_json::{Map, Value, json};

use super::jsonrpc::{METHOD_NOT_FOUND, RpcError};
use super::store::Owner;
use super::tools::{self, Tool};
use crate::state::AppState;

/// Protocol revisions this server speaks, newest first.
pub const SUPPORTED_VERSIONS: [&str; 3] = ["2025-11-25", "2025-06-18", "2025-03-26"];

/// Answers one request, or the JSON-RPC error to send instead.
pub async fn answer(
    state: &AppState,
    owner: &Owner,
    method: &str,
    params: Option<Value>,
) -> Result<Value, RpcError> {
    let params = match params {
        None => Map::new(),
        Some(Value::Object(params)) => params,
        Some(_) => return Err(RpcError::invalid_params("params must be an object")),
    };
    match method {
        "initialize" => initialize(&params),
        "ping" => Ok(json!({})),
        "tools/list" => Ok(json!({
            "tools": Tool::ALL.iter().map(|tool| tool.describe()).collect::<Vec<_>>(),
        })),
        "tools/call" => call(state, owner, &params).await,
        _ => Err(RpcError::new(
            METHOD_NOT_FOUND,
            format!("method not found: {}", printable(method)),
        )),
    }
}

/// The client's revision when we speak it, else our newest (the client then decides).
fn initialize(params: &Map<String, Value>) -> Result<Value, RpcError> {
    let Some(Value::String(requested)) = params.get("protocolVersion") else {
        return Err(RpcError::invalid_params(
            "initialize needs params.protocolVersion (a string)",
        ));
    };
    let version = SUPPORTED_VERSIONS
        .iter()
        .find(|v| **v == requested.as_str())
        .unwrap_or(&SUPPORTED_VERSIONS[0]);
    Ok(json!({
        "protocolVersion": version,
        "capabilities": {"tools": {"listChanged": false}},
        "serverInfo": {
            "name": "backend-api",
            "title": "Tasks",
            "version": env!("CARGO_PKG_VERSION"),
        },
        "instructions": "Tools act on the tasks of the user whose bearer token authenticates this \
    connection: the same tasks the REST API /api/{user_id}/tasks serves. A tool error's text is a \
    problem+json body whose `code` says what to fix (validation_failed lists each bad field).",
    }))
}

async fn call(
    state: &AppState,
    owner: &Owner,
    params: &Map<String, Value>,
) -> Result<Value, RpcError> {
    let Some(Value::String(name)) = params.get("name") else {
        return Err(RpcError::invalid_params(
            "tools/call needs params.name (a string)",
        ));
    };
    let arguments = match params.get("arguments") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(arguments)) => arguments.clone(),
        Some(_) => {
            return Err(RpcError::invalid_params(
                "params.arguments must be an object",
            ));
        }
    };
    let Some(tool) = Tool::from_name(name) else {
        tools::count_unknown_tool();
        return Err(RpcError::invalid_params(format!(
            "unknown tool: {}; tools/list names the tools",
            printable(name)
        )));
    };
    tools::call(state, owner, tool, &arguments).await
}

/// A client-chosen name, shortened before it is echoed.
fn printable(text: &str) -> String {
    backend_api_auth::truncated(text, 64)
}
