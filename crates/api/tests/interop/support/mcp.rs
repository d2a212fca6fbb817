//! An MCP client no one here wrote: `interop/mcp/client.mjs` on the official TypeScript SDK
//! (`@modelcontextprotocol/sdk`), run once per session against backend-api's `/mcp`.

use std::process::Stdio;

use serde_json::{Value, json};

use super::process::{STARTUP_TIMEOUT, node_server};

/// One call of a session: a tool name and its arguments.
pub fn step(tool: &str, arguments: Value) -> Value {
    json!({"tool": tool, "arguments": arguments})
}

/// Connects to `url` (with `token` as bearer, if any), lists the tools and runs `steps`; the
/// client's report: `{"event":"done","tools":[…],"results":[…],…}` or `{"event":"error",…}`.
pub async fn session(url: &str, token: Option<&str>, steps: &[Value]) -> Value {
    let mut command = node_server("mcp/client.mjs");
    command
        .env("MCP_URL", url)
        .env("MCP_STEPS", Value::Array(steps.to_vec()).to_string());
    if let Some(token) = token {
        command.env("MCP_TOKEN", token);
    }
    run(command).await
}

/// Follows the SDK's OAuth discovery from an unauthenticated POST to `url`.
pub async fn discover(url: &str) -> Value {
    let mut command = node_server("mcp/client.mjs");
    command.env("MCP_URL", url).env("MCP_MODE", "discover");
    run(command).await
}

async fn run(mut command: tokio::process::Command) -> Value {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let output = tokio::time::timeout(STARTUP_TIMEOUT, command.output())
        .await
        .unwrap_or_else(|_| panic!("the MCP client did not finish within {STARTUP_TIMEOUT:?}"))
        .expect("run node mcp/client.mjs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stdout
        .lines()
        .rev()
        .find(|line| line.starts_with('{'))
        .unwrap_or_else(|| panic!("no report from the MCP client:\n{stdout}\n{stderr}"));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("report is not JSON ({e}): {line}"))
}

/// The structured content of a successful tool result (panics with the result otherwise).
pub fn structured(result: &Value) -> &Value {
    assert_eq!(result["isError"], false, "tool call failed: {result}");
    &result["structuredContent"]
}

/// The `code` of a tool error: the problem+json body in its text.
pub fn error_code(result: &Value) -> String {
    assert_eq!(result["isError"], true, "expected a tool error: {result}");
    let text = result["content"][0]["text"].as_str().expect("text content");
    let problem: Value = serde_json::from_str(text).expect("problem JSON in the text");
    problem["code"].as_str().expect("code").to_owned()
}
