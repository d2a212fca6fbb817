//! `/mcp` and `/.well-known/oauth-protected-resource` at the protocol's edges, spoken raw over
//! HTTP: authentication before any MCP processing, transport headers, JSON-RPC errors, and tool
//! errors carrying the REST `code`s. The happy path with a real client is in the interop suite.

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use test_support::now;

use crate::helpers::{AUDIENCE, Backend, ISSUER, TestApp, assert_problem, header};

crate::on_both_backends!(tools_refuse_bad_input_with_the_rest_codes);

const ACCEPT_BOTH: &str = "application/json, text/event-stream";

fn post(app: &TestApp, token: Option<&str>, body: &Value) -> RequestBuilder {
    post_accepting(app, token, body, ACCEPT_BOTH)
}

fn post_accepting(
    app: &TestApp,
    token: Option<&str>,
    body: &Value,
    accept: &str,
) -> RequestBuilder {
    let mut request = app
        .client
        .post(app.url("/mcp"))
        .header("accept", accept)
        .json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request
}

async fn rpc(app: &TestApp, user: &str, method: &str, params: Value) -> Value {
    let response = post(
        app,
        Some(&app.token(user)),
        &json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}),
    )
    .send()
    .await
    .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-type"), "application/json");
    response.json().await.expect("JSON-RPC response")
}

async fn call_tool(app: &TestApp, user: &str, tool: &str, arguments: Value) -> Value {
    let response = rpc(
        app,
        user,
        "tools/call",
        json!({"name": tool, "arguments": arguments}),
    )
    .await;
    response["result"].clone()
}

/// The problem+json body in a tool error's text.
fn tool_problem(result: &Value) -> Value {
    assert_eq!(result["isError"], true, "{result}");
    serde_json::from_str(result["content"][0]["text"].as_str().expect("text")).expect("problem")
}

async fn rpc_error(response: Response, status: StatusCode) -> i64 {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.expect("JSON-RPC error body");
    assert_eq!(body["jsonrpc"], "2.0", "{body}");
    body["error"]["code"].as_i64().expect("error code")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_valid_token_the_answer_is_401_pointing_at_the_resource_metadata() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let metadata = format!("{}/.well-known/oauth-protected-resource", app.address);
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});

    let missing = post(&app, None, &ping).send().await.expect("sent");
    assert_eq!(
        header(&missing, "www-authenticate"),
        format!("Bearer resource_metadata=\"{metadata}\"")
    );
    assert_problem(missing, StatusCode::UNAUTHORIZED, "token_missing").await;

    let expired = app.key.sign(&json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": now() - 7200, "exp": now() - 3600}));
    let refused = post(&app, Some(&expired), &ping)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        header(&refused, "www-authenticate"),
        format!(
            "Bearer resource_metadata=\"{metadata}\", error=\"invalid_token\", error_description=\"expired\""
        )
    );
    assert_problem(refused, StatusCode::UNAUTHORIZED, "expired").await;

    // Authentication comes first: even a body that is not JSON gets the 401.
    let garbage = app
        .client
        .post(app.url("/mcp"))
        .body("{not json")
        .send()
        .await
        .expect("sent");
    assert_eq!(garbage.status(), StatusCode::UNAUTHORIZED);

    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert!(
        metrics.contains(r#"auth_failures_total{reason="expired",provider="test-idp"}"#),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_and_delete_are_405_as_for_a_server_without_streams_or_sessions() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for method in [Method::GET, Method::DELETE] {
        let response = app
            .client
            .request(method.clone(), app.url("/mcp"))
            .header("accept", "text/event-stream")
            .send()
            .await
            .expect("sent");
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_methods_and_json_rpc_errors() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app.token("alice");

    let init = rpc(&app, "alice", "initialize", json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}})).await;
    assert_eq!(init["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(
        init["result"]["capabilities"]["tools"],
        json!({"listChanged": false})
    );
    let newer = rpc(
        &app,
        "alice",
        "initialize",
        json!({"protocolVersion": "2099-01-01"}),
    )
    .await;
    assert_eq!(newer["result"]["protocolVersion"], "2025-11-25");
    assert_eq!(
        rpc(&app, "alice", "ping", json!({})).await["result"],
        json!({})
    );
    let listed = rpc(&app, "alice", "tools/list", json!({})).await;
    assert_eq!(listed["result"]["tools"].as_array().map(Vec::len), Some(6));

    assert_eq!(
        rpc(&app, "alice", "resources/list", json!({})).await["error"]["code"],
        -32601
    );
    assert_eq!(
        rpc(&app, "alice", "initialize", json!({})).await["error"]["code"],
        -32602
    );
    let unknown = rpc(
        &app,
        "alice",
        "tools/call",
        json!({"name": "drop_tables", "arguments": {}}),
    )
    .await;
    assert_eq!(unknown["error"]["code"], -32602);
    let bad_arguments = rpc(
        &app,
        "alice",
        "tools/call",
        json!({"name": "list_tasks", "arguments": [1]}),
    )
    .await;
    assert_eq!(bad_arguments["error"]["code"], -32602);

    // A notification is accepted without a body; no session id is ever issued.
    let notified = post(
        &app,
        Some(&token),
        &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .send()
    .await
    .expect("sent");
    assert_eq!(notified.status(), StatusCode::ACCEPTED);
    assert!(notified.headers().get("mcp-session-id").is_none());
    assert!(notified.bytes().await.expect("body").is_empty());

    let malformed = app
        .client
        .post(app.url("/mcp"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"jsonrpc\": \"2.0\",")
        .send()
        .await
        .expect("sent");
    assert_eq!(rpc_error(malformed, StatusCode::BAD_REQUEST).await, -32700);
    let batch = post(
        &app,
        Some(&token),
        &json!([{"jsonrpc": "2.0", "id": 1, "method": "ping"}]),
    )
    .send()
    .await
    .expect("sent");
    assert_eq!(rpc_error(batch, StatusCode::BAD_REQUEST).await, -32600);
    let not_rpc = post(&app, Some(&token), &json!({"id": 1, "method": "ping"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(rpc_error(not_rpc, StatusCode::BAD_REQUEST).await, -32600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transport_headers_are_checked_and_sse_is_used_when_asked() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app.token("alice");
    let ping = json!({"jsonrpc": "2.0", "id": 7, "method": "ping"});

    let version = post(&app, Some(&token), &ping)
        .header("mcp-protocol-version", "1999-01-01")
        .send()
        .await
        .expect("sent");
    assert_eq!(rpc_error(version, StatusCode::BAD_REQUEST).await, -32000);
    let known = post(&app, Some(&token), &ping)
        .header("mcp-protocol-version", "2025-06-18")
        .send()
        .await
        .expect("sent");
    assert_eq!(known.status(), StatusCode::OK);

    let text = app
        .client
        .post(app.url("/mcp"))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body(ping.to_string())
        .send()
        .await
        .expect("sent");
    assert_eq!(
        rpc_error(text, StatusCode::UNSUPPORTED_MEDIA_TYPE).await,
        -32000
    );
    let html = post_accepting(&app, Some(&token), &ping, "text/html")
        .send()
        .await
        .expect("sent");
    assert_eq!(rpc_error(html, StatusCode::NOT_ACCEPTABLE).await, -32000);

    let sse = post_accepting(&app, Some(&token), &ping, "text/event-stream")
        .send()
        .await
        .expect("sent");
    assert_eq!(sse.status(), StatusCode::OK);
    assert_eq!(header(&sse, "content-type"), "text/event-stream");
    let body = sse.text().await.expect("SSE body");
    let data = body
        .strip_prefix("event: message\ndata: ")
        .and_then(|rest| rest.strip_suffix("\n\n"))
        .unwrap_or_else(|| panic!("one SSE event: {body:?}"));
    let message: Value = serde_json::from_str(data).expect("JSON data");
    assert_eq!(message, json!({"jsonrpc": "2.0", "id": 7, "result": {}}));

    // DNS rebinding: a browser page of another origin is refused; this host's own origin is not.
    let foreign = post(&app, Some(&token), &ping)
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("sent");
    assert_eq!(rpc_error(foreign, StatusCode::FORBIDDEN).await, -32000);
    let own = post(&app, Some(&token), &ping)
        .header("origin", app.address.clone())
        .send()
        .await
        .expect("sent");
    assert_eq!(own.status(), StatusCode::OK);
}

async fn tools_refuse_bad_input_with_the_rest_codes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let invalid = tool_problem(
        &call_tool(
            &app,
            "alice",
            "create_task",
            json!({"title": "", "description": 5, "colour": "red"}),
        )
        .await,
    );
    assert_eq!(invalid["code"], "validation_failed");
    assert_eq!(invalid["status"], 422);
    let mut fields: Vec<&str> = invalid["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["colour", "description", "title"]);
    // The REST API refuses the same body with the same code and fields.
    let rest = app
        .as_user("alice", Method::POST, "/api/alice/tasks")
        .json(&json!({"title": "", "description": 5, "colour": "red"}))
        .send()
        .await
        .expect("sent");
    let rest = assert_problem(rest, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(rest["errors"].as_array().map(Vec::len), Some(3));

    let query = tool_problem(
        &call_tool(
            &app,
            "alice",
            "list_tasks",
            json!({"limit": 0, "sort": "colour"}),
        )
        .await,
    );
    assert_eq!(query["code"], "validation_failed");
    assert_eq!(
        tool_problem(&call_tool(&app, "alice", "get_task", json!({"id": 424242})).await)["code"],
        "task_not_found"
    );
    assert_eq!(
        tool_problem(&call_tool(&app, "alice", "get_task", json!({"id": "one"})).await)["code"],
        "validation_failed"
    );

    let first = call_tool(
        &app,
        "alice",
        "create_task",
        json!({"title": "a", "idempotency_key": "key-1"}),
    )
    .await;
    assert_eq!(first["isError"], false, "{first}");
    let reused = call_tool(
        &app,
        "alice",
        "create_task",
        json!({"title": "b", "idempotency_key": "key-1"}),
    )
    .await;
    assert_eq!(tool_problem(&reused)["code"], "idempotency_key_reused");

    // Another user's task is not found, exactly like on REST.
    let id = &first["structuredContent"]["id"];
    assert_eq!(
        tool_problem(
            &call_tool(
                &app,
                "bob",
                "update_task",
                json!({"id": id, "title": "mine"})
            )
            .await
        )["code"],
        "task_not_found"
    );
    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert!(
        metrics.contains(r#"mcp_tool_calls_total{tool="create_task",outcome="validation_failed"}"#),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resource_metadata_lists_the_issuers_and_the_configured_url() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let derived = app.get_json("/.well-known/oauth-protected-resource").await;
    assert_eq!(
        derived,
        json!({
            "resource": app.address,
            "authorization_servers": [ISSUER],
            "bearer_methods_supported": ["header"],
            "resource_name": "backend-api tasks",
        })
    );

    let configured = TestApp::builder(Backend::Sqlite)
        .config(|config| config.mcp.resource_url = Some("https://api.example.com".to_owned()))
        .spawn()
        .await;
    let document = configured
        .get_json("/.well-known/oauth-protected-resource")
        .await;
    assert_eq!(document["resource"], "https://api.example.com");
    let refused = configured
        .client
        .post(configured.url("/mcp"))
        .header("host", "evil.example")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        header(&refused, "www-authenticate"),
        "Bearer resource_metadata=\"https://api.example.com/.well-known/oauth-protected-resource\""
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_required_mcp_audience_refuses_tokens_issued_for_something_else() {
    const RESOURCE: &str = "https://api.example.com";
    let app = TestApp::builder(Backend::Sqlite)
        .config(|config| config.mcp.audience = Some(RESOURCE.to_owned()))
        .spawn()
        .await;
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    let refused = post(&app, Some(&app.token("alice")), &ping)
        .send()
        .await
        .expect("sent");
    assert!(
        header(&refused, "www-authenticate").contains("error_description=\"audience_mismatch\"")
    );
    assert_problem(refused, StatusCode::UNAUTHORIZED, "audience_mismatch").await;

    let both = app.key.sign(&json!({"iss": ISSUER, "aud": [AUDIENCE, RESOURCE], "sub": "alice", "iat": now(), "exp": now() + 600}));
    let accepted = post(&app, Some(&both), &ping).send().await.expect("sent");
    assert_eq!(accepted.status(), StatusCode::OK);
    // The REST routes do not require it.
    assert_eq!(
        app.get_as("alice", "/api/alice/tasks").await.status(),
        StatusCode::OK
    );
    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert!(
        metrics.contains(r#"auth_failures_total{reason="audience_mismatch",provider="test-idp"}"#),
        "{metrics}"
    );
}
