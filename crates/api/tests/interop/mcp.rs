//! The MCP endpoint through the official TypeScript SDK (`@modelcontextprotocol/sdk`): a real agent
//! client connects over Streamable HTTP with the user's own token (development key, then real Better
//! Auth), lists the six tools, calls each, and the REST API sees the same tasks; no token is a 401 the
//! SDK surfaces, and another user's token sees none of the first user's tasks.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::better_auth::{BetterAuth, Options};
use crate::support::mcp::{self, error_code, step, structured};
use crate::support::service::{Launch, Service};
use test_support::{TempDir, temp_dir};

const TOOLS: [&str; 6] = [
    "list_tasks",
    "get_task",
    "create_task",
    "update_task",
    "complete_task",
    "delete_task",
];
const PASSWORD: &str = "correct-horse-battery-staple";

fn launch_with_dev_key(key_dir: &TempDir) -> Launch {
    let key = key_dir.path().join("dev-key");
    Launch::new().env("DEV_KEY_FILE", &key.display().to_string())
}

/// `backend-api token --sub <user>` with the development key in `key_dir`.
async fn dev_token(key_dir: &TempDir, user: &str) -> String {
    let (code, stdout) = launch_with_dev_key(key_dir)
        .run(&["token", "--sub", user])
        .await;
    assert_eq!(code, 0, "token: {stdout}");
    stdout.trim().to_owned()
}

fn assert_six_tools_with_schemas(report: &Value) {
    assert_eq!(report["event"], "done", "{report}");
    let tools = report["tools"].as_array().expect("tools");
    let mut names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    names.sort_unstable();
    let mut expected = TOOLS.to_vec();
    expected.sort_unstable();
    assert_eq!(names, expected);
    for tool in tools {
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        assert_eq!(tool["outputSchema"]["type"], "object", "{tool}");
    }
    // Stateless: no session id is handed out.
    assert_eq!(report["session_id"], Value::Null, "{report}");
}

fn results(report: &Value) -> &Vec<Value> {
    assert_eq!(report["event"], "done", "{report}");
    report["results"].as_array().expect("results")
}

/// Asserts `mcp_tool_calls_total{tool, outcome}` has counted at least `at_least` calls.
async fn assert_tool_calls_at_least(service: &Service, tool: &str, outcome: &str, at_least: f64) {
    let counted = service
        .metric(
            "mcp_tool_calls_total",
            &[("tool", tool), ("outcome", outcome)],
        )
        .await;
    assert!(
        counted >= at_least,
        "mcp_tool_calls_total{{tool={tool},outcome={outcome}}} = {counted}, expected >= {at_least}"
    );
}

async fn rest_tasks(service: &Service, user: &str, token: &str) -> Vec<Value> {
    let reply = service.get(&format!("/api/{user}/tasks"), token).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["tasks"].as_array().expect("tasks").clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_client_calls_every_tool_with_a_development_key_token() {
    let keys = temp_dir("mcp-keys");
    let service = launch_with_dev_key(&keys).start().await;
    service.wait_ready().await;
    let alice = dev_token(&keys, "alice").await;
    let bob = dev_token(&keys, "bob").await;
    let url = service.url("/mcp");

    let created = mcp::session(
        &url,
        Some(&alice),
        &[
            step(
                "create_task",
                json!({"title": " Buy milk ", "description": "2 litres", "idempotency_key": "k-1"}),
            ),
            step(
                "create_task",
                json!({"title": "Buy milk", "description": "2 litres", "idempotency_key": "k-1"}),
            ),
            step("list_tasks", json!({"limit": 10, "sort": "-created_at"})),
        ],
    )
    .await;
    assert_six_tools_with_schemas(&created);
    assert_eq!(created["protocol_version"], "2025-11-25", "{created}");
    assert_eq!(created["server"]["name"], "backend-api");
    let calls = results(&created);
    let task = structured(&calls[0]).clone();
    assert_eq!(task["title"], "Buy milk");
    assert_eq!(task["user_id"], "alice");
    // The retry with the same idempotency key returns the first task, not a second one.
    assert_eq!(structured(&calls[1])["id"], task["id"]);
    assert_eq!(structured(&calls[2])["tasks"], json!([task]));
    // The text content carries the same JSON for clients that only show text.
    let text: Value = serde_json::from_str(calls[0]["content"][0]["text"].as_str().expect("text"))
        .expect("JSON text");
    assert_eq!(text, task);
    // The REST API sees the task the agent created.
    assert_eq!(
        rest_tasks(&service, "alice", &alice).await,
        vec![task.clone()]
    );

    let id = task["id"].as_i64().expect("id");
    let edited = mcp::session(
        &url,
        Some(&alice),
        &[
            step("get_task", json!({"id": id})),
            step(
                "update_task",
                json!({"id": id, "title": "Buy oat milk", "description": null}),
            ),
            step("complete_task", json!({"id": id})),
            step("complete_task", json!({"id": id})),
            step("list_tasks", json!({"completed": true})),
            step("get_task", json!({"id": id + 1000})),
            step("create_task", json!({"title": "   ", "colour": "red"})),
            step("list_tasks", json!({"limit": 500})),
            step("drop_tables", json!({})),
        ],
    )
    .await;
    let calls = results(&edited);
    assert_eq!(structured(&calls[0])["id"], id);
    let updated = structured(&calls[1]);
    assert_eq!(updated["title"], "Buy oat milk");
    assert_eq!(updated["description"], Value::Null);
    // complete_task sets the state: calling it twice leaves the task completed.
    assert_eq!(structured(&calls[2])["completed"], true);
    assert_eq!(structured(&calls[3])["completed"], true);
    assert_eq!(structured(&calls[4])["tasks"][0]["id"], id);
    assert_eq!(error_code(&calls[5]), "task_not_found");
    assert_eq!(error_code(&calls[6]), "validation_failed");
    assert_eq!(error_code(&calls[7]), "validation_failed");
    assert_eq!(calls[8]["rpc_error"]["code"], -32602, "{}", calls[8]);
    let rest = rest_tasks(&service, "alice", &alice).await;
    assert_eq!(rest[0]["title"], "Buy oat milk");
    assert_eq!(rest[0]["completed"], true);

    // Bob's token sees none of Alice's tasks, and cannot reach one by id.
    let bobs = mcp::session(
        &url,
        Some(&bob),
        &[
            step("list_tasks", json!({})),
            step("get_task", json!({"id": id})),
            step("delete_task", json!({"id": id})),
        ],
    )
    .await;
    let calls = results(&bobs);
    assert_eq!(structured(&calls[0])["tasks"], json!([]));
    assert_eq!(error_code(&calls[1]), "task_not_found");
    assert_eq!(error_code(&calls[2]), "task_not_found");

    let deleted = mcp::session(
        &url,
        Some(&alice),
        &[step("delete_task", json!({"id": id}))],
    )
    .await;
    assert_eq!(
        structured(&results(&deleted)[0]),
        &json!({"id": id, "deleted": true})
    );
    let gone = service.get(&format!("/api/alice/tasks/{id}"), &alice).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);

    // Counted by tool and outcome; one log line per call with the user.
    assert_tool_calls_at_least(&service, "create_task", "ok", 2.0).await;
    assert_tool_calls_at_least(&service, "get_task", "task_not_found", 2.0).await;
    assert_tool_calls_at_least(&service, "unknown", "unknown_tool", 1.0).await;
    let line = service
        .log_lines()
        .into_iter()
        .find(|l| {
            l.contains("mcp tool call")
                && l.contains("\"tool\":\"delete_task\"")
                && l.contains("\"user\":\"alice\"")
        })
        .expect("a log line for alice's delete_task");
    assert!(line.contains("\"request_id\""), "{line}");
    service.assert_logs_never_contain(alice.rsplit('.').next().expect("signature"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_client_with_better_auth_tokens_acts_as_each_user_and_gets_401_without_one() {
    let better_auth = BetterAuth::start(Options::default()).await;
    let service = Launch::new()
        .env("BETTER_AUTH_URL", &better_auth.url)
        .start()
        .await;
    service.wait_ready().await;
    let url = service.url("/mcp");

    let alice = better_auth
        .sign_up_and_in("Alice", "alice@example.com", PASSWORD)
        .await;
    let alice_token = alice.token().await;
    let report = mcp::session(
        &url,
        Some(&alice_token),
        &[
            step("create_task", json!({"title": "Plan the sprint"})),
            step("list_tasks", json!({})),
        ],
    )
    .await;
    assert_six_tools_with_schemas(&report);
    let calls = results(&report);
    let task = structured(&calls[0]).clone();
    assert_eq!(task["user_id"], alice.user_id.as_str());
    assert_eq!(structured(&calls[1])["tasks"], json!([task]));
    assert_eq!(
        rest_tasks(&service, &alice.user_id, &alice_token).await,
        vec![task.clone()]
    );

    // Bob, signed in at the same Better Auth, sees none of Alice's tasks.
    let bob = better_auth
        .sign_up_and_in("Bob", "bob@example.com", PASSWORD)
        .await;
    let bob_token = bob.session_jwt().await;
    let report = mcp::session(
        &url,
        Some(&bob_token),
        &[
            step("list_tasks", json!({})),
            step("get_task", json!({"id": task["id"]})),
        ],
    )
    .await;
    let calls = results(&report);
    assert_eq!(structured(&calls[0])["tasks"], json!([]));
    assert_eq!(error_code(&calls[1]), "task_not_found");

    // No token: the SDK surfaces the 401 before any MCP exchange.
    let refused = mcp::session(&url, None, &[]).await;
    assert_eq!(refused["event"], "error", "{refused}");
    assert_eq!(refused["status"], 401, "{refused}");
    // A refused token: the same, counted under its reason like on REST.
    let refused = mcp::session(&url, Some("not-a-jwt"), &[]).await;
    assert_eq!(refused["status"], 401, "{refused}");

    // The SDK's own OAuth discovery, from the 401 challenge to the resource indicator.
    let discovered = mcp::discover(&url).await;
    assert_eq!(discovered["event"], "done", "{discovered}");
    let base = service.url("");
    let metadata_url = format!("{base}/.well-known/oauth-protected-resource");
    assert_eq!(
        discovered["challenge"],
        format!("Bearer resource_metadata=\"{metadata_url}\"")
    );
    assert_eq!(discovered["resource_metadata_url"], metadata_url);
    assert_eq!(discovered["metadata"]["resource"], base);
    assert_eq!(
        discovered["metadata"]["authorization_servers"],
        json!([better_auth.url.trim_end_matches('/')])
    );
    assert_eq!(discovered["selected_resource"], format!("{base}/"));

    let missing = service
        .metric("auth_failures_total", &[("reason", "token_missing")])
        .await;
    assert!(missing >= 2.0, "token_missing counted: {missing}");
    let reply = service
        .call(Method::GET, "/mcp", Some(&alice_token), None)
        .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
}
