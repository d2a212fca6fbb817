//! The six task tools: their descriptions for `tools/list` and their execution for
//! `tools/call`, each counted (`mcp_tool_calls_total{tool,outcome}`) and logged once.
//!
//! A refusal the REST API answers with a 4xx or 503 problem is a tool error here (`isError`),
//! whose text is that same problem+json body, `code` included: the model reads it and can fix
//! its call. Only a bug (a 500) becomes a JSON-RPC error.

use serde::Serialize;
use serde_json::{Value, json};

use super::arguments::{self, Arguments};
use super::jsonrpc::{INTERNAL_ERROR, RpcError};
use super::schemas;
use super::store::{self, Owner};
use crate::error::ApiError;
use crate::state::AppState;

/// Metric counting tool calls by tool and outcome (`ok` or the error `code`).
const TOOL_CALLS: &str = "mcp_tool_calls_total";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    List,
    Get,
    Create,
    Update,
    Complete,
    Delete,
}

impl Tool {
    pub const ALL: [Tool; 6] = [
        Tool::List,
        Tool::Get,
        Tool::Create,
        Tool::Update,
        Tool::Complete,
        Tool::Delete,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Tool::List => "list_tasks",
            Tool::Get => "get_task",
            Tool::Create => "create_task",
            Tool::Update => "update_task",
            Tool::Complete => "complete_task",
            Tool::Delete => "delete_task",
        }
    }

    pub fn from_name(name: &str) -> Option<Tool> {
        Tool::ALL.into_iter().find(|tool| tool.name() == name)
    }

    /// The entry of `tools/list`.
    pub fn describe(self) -> Value {
        let (title, description, input, output, hints) = match self {
            Tool::List => (
                "List tasks",
                "List the user's tasks, one page at a time (filters, sort and cursor as GET /api/{user_id}/tasks).",
                schemas::list_input(),
                schemas::list_output(),
                json!({"readOnlyHint": true, "openWorldHint": false}),
            ),
            Tool::Get => (
                "Get a task",
                "Read one of the user's tasks by id.",
                schemas::id_input(),
                schemas::task(),
                json!({"readOnlyHint": true, "openWorldHint": false}),
            ),
            Tool::Create => (
                "Create a task",
                "Create a task for the user. Give an idempotency_key to make a retry return the first task instead of a duplicate.",
                schemas::create_input(),
                schemas::task(),
                json!({"readOnlyHint": false, "destructiveHint": false, "idempotentHint": false, "openWorldHint": false}),
            ),
            Tool::Update => (
                "Update a task",
                "Change the title, description (null clears it) or completed state of a task; members left out stay as they are.",
                schemas::update_input(),
                schemas::task(),
                json!({"readOnlyHint": false, "destructiveHint": false, "idempotentHint": true, "openWorldHint": false}),
            ),
            Tool::Complete => (
                "Complete a task",
                "Mark a task completed (or, with completed=false, open again). Sets the state, so repeating the call changes nothing.",
                schemas::complete_input(),
                schemas::task(),
                json!({"readOnlyHint": false, "destructiveHint": false, "idempotentHint": true, "openWorldHint": false}),
            ),
            Tool::Delete => (
                "Delete a task",
                "Delete a task for good.",
                schemas::id_input(),
                schemas::delete_output(),
                json!({"readOnlyHint": false, "destructiveHint": true, "idempotentHint": false, "openWorldHint": false}),
            ),
        };
        json!({
            "name": self.name(),
            "title": title,
            "description": description,
            "inputSchema": input,
            "outputSchema": output,
            "annotations": hints,
        })
    }
}

/// Runs `tool` for `owner`: a `CallToolResult`, or a JSON-RPC error for a bug.
pub async fn call(
    state: &AppState,
    owner: &Owner,
    tool: Tool,
    arguments: &Arguments,
) -> Result<Value, RpcError> {
    let outcome = run(state, owner, tool, arguments).await;
    let label = match &outcome {
        Ok(_) => "ok",
        Err(error) => error.code(),
    };
    metrics::counter!(TOOL_CALLS, "tool" => tool.name(), "outcome" => label).increment(1);
    // Inside the request's span: the line carries the request id.
    tracing::info!(
        tool = tool.name(),
        outcome = label,
        user = %owner.user_id,
        provider = %owner.provider,
        "mcp tool call"
    );
    match outcome {
        Ok(structured) => Ok(success(structured)),
        Err(ApiError::Internal(cause)) => {
            tracing::error!(cause = %format!("{cause:#}"), tool = tool.name(), "mcp tool call failed");
            Err(RpcError::new(
                INTERNAL_ERROR,
                "unexpected error; the request id in x-request-id finds it in the log",
            ))
        }
        Err(error) => {
            error.log();
            Ok(tool_error(&error))
        }
    }
}

/// Counts a call naming no tool of ours (the name itself is not a label: it is unbounded).
pub fn count_unknown_tool() {
    metrics::counter!(TOOL_CALLS, "tool" => "unknown", "outcome" => "unknown_tool").increment(1);
}

async fn run(
    state: &AppState,
    owner: &Owner,
    tool: Tool,
    arguments: &Arguments,
) -> Result<Value, ApiError> {
    match tool {
        Tool::List => {
            let query = arguments::list(arguments)?;
            structured(&store::list(state, owner, &query).await?)
        }
        Tool::Get => {
            let id = arguments::id_only(arguments)?;
            structured(&store::get(state, owner, id).await?)
        }
        Tool::Create => {
            let (task, idempotency) = arguments::create(arguments)?;
            let (task, _replayed) =
                store::create(state, owner, &task, idempotency.as_ref()).await?;
            structured(&task)
        }
        Tool::Update | Tool::Complete => {
            let (id, changes) = if tool == Tool::Update {
                arguments::update(arguments)?
            } else {
                arguments::complete(arguments)?
            };
            structured(&store::update(state, owner, id, &changes).await?)
        }
        Tool::Delete => {
            let id = arguments::id_only(arguments)?;
            store::delete(state, owner, id).await?;
            Ok(json!({"id": id, "deleted": true}))
        }
    }
}

fn structured(value: &impl Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(value)
        .map_err(|error| ApiError::Internal(anyhow::Error::new(error).context("serialising")))
}

/// Structured content plus the same JSON as text, for clients that only show text.
fn success(structured: Value) -> Value {
    json!({
        "content": [{"type": "text", "text": structured.to_string()}],
        "structuredContent": structured,
        "isError": false,
    })
}

/// The REST problem body as the error's text. No `structuredContent`: clients check it against
/// the tool's output schema, which describes a success.
fn tool_error(error: &ApiError) -> Value {
    let problem = serde_json::to_string(&error.problem())
        .unwrap_or_else(|_| json!({"code": error.code()}).to_string());
    json!({
        "content": [{"type": "text", "text": problem}],
        "isError": true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_has_object_schemas_and_a_round_tripping_name() {
        for tool in Tool::ALL {
            let described = tool.describe();
            assert_eq!(
                Tool::from_name(described["name"].as_str().expect("name")),
                Some(tool)
            );
            assert_eq!(described["inputSchema"]["type"], "object");
            assert_eq!(described["outputSchema"]["type"], "object");
        }
        assert_eq!(Tool::from_name("drop_tables"), None);
    }

    #[test]
    fn a_tool_error_carries_the_rest_problem_as_text() {
        let result = tool_error(&ApiError::TaskNotFound);
        assert_eq!(result["isError"], true);
        let problem: Value =
            serde_json::from_str(result["content"][0]["text"].as_str().expect("text"))
                .expect("json");
        assert_eq!(problem["code"], "task_not_found");
        assert_eq!(problem["status"], 404);
        assert!(result.get("structuredContent").is_none());
    }
}
