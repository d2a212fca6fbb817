//! The OpenAPI document against the service: every operation is driven into every status it
//! documents (and the document lists no status the service does not answer), each answer
//! conforms to its documented response (media type, always-sent headers, the problem `code`
//! among the documented ones), and what the request schemas say is refused is refused.
//!
//! Schemathesis checks the same document far more broadly in CI (.ci/contract.sh); this is
//! the quick, exact check that runs with every `cargo nextest run`.

use std::collections::{BTreeMap, BTreeSet};

use backend_api::config::{MAX_BODY_BYTES, MAX_HEADER_BYTES};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

/// Documented for bugs only: no request provokes an internal error.
const FOR_BUGS_ONLY: [u16; 1] = [500];

/// The served document, with `$ref`s resolved on demand.
struct Document(Value);

impl Document {
    async fn of(app: &TestApp) -> Document {
        Document(app.get_json("/openapi.json").await)
    }

    fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value["$ref"].as_str() {
            Some(reference) => {
                let pointer = reference.trim_start_matches('#');
                self.0
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("dangling {reference}"))
            }
            None => value,
        }
    }

    fn operation(&self, method: &str, path: &str) -> &Value {
        let operation = &self.0["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        operation
    }

    fn statuses(&self, method: &str, path: &str) -> BTreeSet<u16> {
        self.operation(method, path)["responses"]
            .as_object()
            .expect("responses")
            .keys()
            .map(|status| status.parse().expect("a numeric status"))
            .collect()
    }

    fn response(&self, method: &str, path: &str, status: u16) -> &Value {
        let response = &self.operation(method, path)["responses"][status.to_string()];
        assert!(
            response.is_object(),
            "{method} {path} answered {status}, which is not documented"
        );
        self.resolve(response)
    }

    /// Every documented operation as (method, path).
    fn operations(&self) -> Vec<(String, String)> {
        let mut all = Vec::new();
        for (path, item) in self.0["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                all.push((method.clone(), path.clone()));
            }
        }
        all
    }
}

/// Who sends a probe.
#[derive(Clone, Copy)]
enum Caller {
    Nobody,
    /// The path's user.
    Owner,
    /// A valid token of another user.
    Stranger,
    /// The path's user, on the app whose identity provider's keys cannot be fetched.
    OwnerKeysDown,
}

/// One request and the status the service must answer it with.
struct Probe {
    status: u16,
    caller: Caller,
    /// Replaces the operation's path (another task id, a query string).
    path: Option<String>,
    body: Option<(&'static str, String)>,
    headers: Vec<(&'static str, String)>,
    huge_headers: bool,
}

fn probe(status: u16, caller: Caller) -> Probe {
    Probe {
        status,
        caller,
        path: None,
        body: None,
        headers: Vec::new(),
        huge_headers: false,
    }
}

impl Probe {
    fn path(mut self, path: impl Into<String>) -> Probe {
        self.path = Some(path.into());
        self
    }

    fn json(self, body: Value) -> Probe {
        self.raw("application/json", body.to_string())
    }

    fn raw(mut self, content_type: &'static str, body: String) -> Probe {
        self.body = Some((content_type, body));
        self
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Probe {
        self.headers.push((name, value.into()));
        self
    }

    fn huge_headers(mut self) -> Probe {
        self.huge_headers = true;
        self
    }
}

/// The failures every task route can answer before its own work: no token, another user's
/// token, headers over the limit, keys unavailable.
fn gate(body: Option<Value>) -> Vec<Probe> {
    let with = |probe: Probe| match &body {
        Some(body) => probe.json(body.clone()),
        None => probe,
    };
    vec![
        with(probe(401, Caller::Nobody)),
        with(probe(403, Caller::Stranger)),
        with(probe(431, Caller::Owner).huge_headers()),
        with(probe(503, Caller::OwnerKeysDown)),
    ]
}

/// The failures of a JSON body: not JSON, too large, wrong media type.
fn body_failures() -> Vec<Probe> {
    vec![
        probe(400, Caller::Owner).raw("application/json", "{\"title\":".to_owned()),
        probe(413, Caller::Owner).json(json!({ "title": "x".repeat(MAX_BODY_BYTES + 1024) })),
        probe(415, Caller::Owner).raw("text/plain", "{\"title\":\"a\"}".to_owned()),
    ]
}

/// The probes of `POST /mcp`: the JSON-RPC answers (JSON and SSE framing), the accepted
/// notification, each transport refusal (JSON-RPC errors) and each problem+json failure.
fn mcp_probes() -> Vec<Probe> {
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    let owner = |status| probe(status, Caller::Owner).json(ping.clone());
    vec![
        owner(200),
        owner(200).header("accept", "text/event-stream"),
        probe(200, Caller::Owner)
            .json(json!({"jsonrpc": "2.0", "id": "u", "method": "unknown/method"})),
        probe(202, Caller::Owner)
            .json(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})),
        probe(400, Caller::Owner).raw("application/json", "{\"jsonrpc\":".to_owned()),
        probe(400, Caller::Owner).json(json!([ping.clone()])),
        owner(400).header("mcp-protocol-version", "1999-01-01"),
        probe(401, Caller::Nobody).json(ping.clone()),
        owner(403).header("origin", "https://evil.example"),
        owner(406).header("accept", "text/html"),
        probe(413, Caller::Owner).json(json!({
            "jsonrpc": "2.0", "id": 1, "method": "ping",
            "params": {"padding": "x".repeat(MAX_BODY_BYTES + 1024)},
        })),
        probe(415, Caller::Owner).raw("text/plain", ping.to_string()),
        owner(431).huge_headers(),
        probe(503, Caller::OwnerKeysDown).json(ping.clone()),
    ]
}

/// A client that shows redirects instead of following them (`/docs` answers 303).
fn client() -> reqwest::Client {
    drop(crate::helpers::client());
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .expect("HTTP client")
}

async fn send(
    client: &reqwest::Client,
    apps: (&TestApp, &TestApp),
    method: &str,
    path: &str,
    probe: &Probe,
) -> Response {
    let (app, down) = apps;
    let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
    let target = |app: &TestApp| client.request(method.clone(), app.url(path));
    let mut request: RequestBuilder = match probe.caller {
        Caller::Nobody => target(app),
        Caller::Owner => target(app).bearer_auth(app.token("alice")),
        Caller::Stranger => target(app).bearer_auth(app.token("bob")),
        Caller::OwnerKeysDown => target(down).bearer_auth(down.token("alice")),
    };
    if let Some((content_type, body)) = &probe.body {
        request = request
            .header("content-type", *content_type)
            .body(body.clone());
    }
    for (name, value) in &probe.headers {
        request = request.header(*name, value);
    }
    if probe.huge_headers {
        request = request.header("x-filler", "f".repeat(MAX_HEADER_BYTES + 1024));
    }
    request.send().await.expect("sent")
}

/// Checks an answer against its documented response; returns the status.
async fn assert_conforms(document: &Document, method: &str, path: &str, response: Response) -> u16 {
    let status = response.status().as_u16();
    let documented = document.response(method, path, status);
    let context = format!("{method} {path} → {status}");
    for (name, header) in documented["headers"].as_object().into_iter().flatten() {
        let value = response.headers().get(name.as_str());
        if header["required"] == true {
            assert!(
                value.is_some(),
                "{context}: documented header {name} missing"
            );
        }
        let Some(value) = value.and_then(|v| v.to_str().ok()) else {
            continue;
        };
        if let Some(pattern) = header["schema"]["pattern"].as_str() {
            let pattern = regex::Regex::new(pattern).expect("a header pattern");
            assert!(
                pattern.is_match(value),
                "{context}: {name}: {value} does not match {pattern}"
            );
        }
        if let Some(values) = header["schema"]["enum"].as_array() {
            assert!(
                values.iter().any(|v| v == value),
                "{context}: {name}: {value} is not among {values:?}"
            );
        }
    }
    let media_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_owned());
    let error_code = response
        .headers()
        .get("x-error-code")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response.text().await.expect("body");
    let Some(content) = documented["content"].as_object() else {
        assert!(text.is_empty(), "{context}: undocumented body {text}");
        return status;
    };
    let media_type = media_type.unwrap_or_else(|| panic!("{context}: no content-type"));
    let schema = document.resolve(
        &content
            .get(&media_type)
            .unwrap_or_else(|| panic!("{context}: {media_type} is not documented"))["schema"],
    );
    if !media_type.ends_with("json") {
        return status;
    }
    let body: Value = serde_json::from_str(&text).expect("a JSON body");
    for required in schema["required"].as_array().into_iter().flatten() {
        let name = required.as_str().expect("a member name");
        assert!(
            body.get(name).is_some(),
            "{context}: {name} missing in {body}"
        );
    }
    // A JSON-RPC error: its code among the documented ones for this status.
    if let (Some(code), Some(codes)) = (
        body["error"]["code"].as_i64(),
        schema["properties"]["error"]["properties"]["code"]["enum"].as_array(),
    ) {
        assert!(
            codes.iter().any(|c| c.as_i64() == Some(code)),
            "{context}: JSON-RPC error {code} is not among the documented {codes:?}"
        );
    }
    if media_type == "application/problem+json" {
        let codes = &schema["properties"]["code"]["enum"];
        let code = &body["code"];
        assert!(
            codes.as_array().is_some_and(|codes| codes.contains(code)),
            "{context}: code {code} is not among the documented {codes}"
        );
        assert_eq!(body["status"], status, "{context}");
        assert_eq!(
            error_code.as_deref(),
            code.as_str(),
            "{context}: x-error-code"
        );
    }
    status
}

async fn every_operation_answers_exactly_its_documented_statuses(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // An identity provider whose port is reserved but refuses connections: keys unavailable.
    let (down, dead) = TestApp::spawn_with_unreachable_keys(backend).await;
    let document = Document::of(&app).await;
    let task = app.create_task("alice", "probe target").await["id"].clone();
    let doomed = app.create_task("alice", "deleted by the probe").await["id"].clone();
    let item = format!("/api/alice/tasks/{task}");
    let missing = "/api/alice/tasks/999999999";

    let mut probes: BTreeMap<(&str, &str), (String, Vec<Probe>)> = BTreeMap::new();
    let mut add = |method, template, path: String, probes_of: Vec<Probe>| {
        probes.insert((method, template), (path, probes_of));
    };
    let list = "/api/{user_id}/tasks";
    let one = "/api/{user_id}/tasks/{id}";
    let toggle = "/api/{user_id}/tasks/{id}/complete";
    let mut list_probes = gate(None);
    list_probes.extend([
        probe(200, Caller::Owner),
        probe(422, Caller::Owner).path("/api/alice/tasks?limit=0"),
    ]);
    add("get", list, "/api/alice/tasks".into(), list_probes);
    let created = json!({"title": "created by the probe"});
    let mut create_probes = gate(Some(created.clone()));
    create_probes.extend(body_failures());
    create_probes.extend([
        probe(201, Caller::Owner).json(created),
        probe(422, Caller::Owner).json(json!({"title": "  "})),
    ]);
    add("post", list, "/api/alice/tasks".into(), create_probes);
    for (method, body) in [
        ("get", None),
        ("put", Some(json!({"title": "replaced"}))),
        ("patch", Some(json!({"completed": true}))),
    ] {
        let mut item_probes = gate(body.clone());
        let with = |probe: Probe| match &body {
            Some(body) => probe.json(body.clone()),
            None => probe,
        };
        item_probes.push(with(probe(200, Caller::Owner)));
        item_probes.push(with(probe(404, Caller::Owner).path(missing)));
        if method != "get" {
            item_probes.extend(body_failures());
            item_probes.push(probe(422, Caller::Owner).json(json!({"title": null})));
        }
        add(method, one, item.clone(), item_probes);
    }
    let mut delete_probes = gate(None);
    delete_probes.extend([
        probe(404, Caller::Owner).path(missing),
        probe(204, Caller::Owner).path(format!("/api/alice/tasks/{doomed}")),
    ]);
    add("delete", one, item.clone(), delete_probes);
    let mut toggle_probes = gate(None);
    toggle_probes.extend([
        probe(200, Caller::Owner),
        probe(404, Caller::Owner).path(format!("{missing}/complete")),
    ]);
    add("patch", toggle, format!("{item}/complete"), toggle_probes);
    // No path user: a valid token of anyone is accepted, never 403.
    let verify_probes = vec![
        probe(200, Caller::Owner),
        probe(200, Caller::Stranger),
        probe(401, Caller::Nobody),
        probe(431, Caller::Owner).huge_headers(),
        probe(503, Caller::OwnerKeysDown),
    ];
    add("get", "/auth/verify", "/auth/verify".into(), verify_probes);
    add("post", "/mcp", "/mcp".into(), mcp_probes());
    let assets = "/docs/{asset}";
    let mut asset_probes: Vec<Probe> = document.operation("get", assets)["parameters"][0]["schema"]
        ["enum"]
        .as_array()
        .expect("the assets")
        .iter()
        .map(|asset| {
            probe(200, Caller::Nobody).path(format!("/docs/{}", asset.as_str().expect("a name")))
        })
        .collect();
    asset_probes.extend([
        probe(404, Caller::Nobody).path("/docs/no-such-asset.js"),
        probe(431, Caller::Nobody).huge_headers(),
    ]);
    add("get", assets, "/docs/index.html".into(), asset_probes);
    add(
        "get",
        "/docs",
        "/docs".into(),
        vec![
            probe(303, Caller::Nobody),
            probe(431, Caller::Nobody).huge_headers(),
        ],
    );
    for path in [
        "/health",
        "/ready",
        "/metrics",
        "/openapi.json",
        "/docs/",
        "/.well-known/oauth-protected-resource",
    ] {
        let mut operations = vec![
            probe(200, Caller::Nobody),
            probe(431, Caller::Nobody).huge_headers(),
        ];
        if path == "/ready" {
            operations.push(probe(503, Caller::OwnerKeysDown));
        }
        add("get", path, path.into(), operations);
    }
    // The app without keys must have tried (and failed) to fetch them before /ready says so.
    down.wait_for_ready(|status, _| status.as_u16() == 503)
        .await;

    let documented_operations: BTreeSet<(String, String)> =
        document.operations().into_iter().collect();
    let probed_operations: BTreeSet<(String, String)> = probes
        .keys()
        .map(|(method, path)| (method.to_string(), path.to_string()))
        .collect();
    assert_eq!(
        probed_operations, documented_operations,
        "operations probed"
    );

    let client = client();
    for ((method, template), (path, probes_of)) in &probes {
        let mut answered = BTreeSet::new();
        for probe in probes_of {
            let path = probe.path.as_deref().unwrap_or(path);
            let response = send(&client, (&app, &down), method, path, probe).await;
            let status = assert_conforms(&document, method, template, response).await;
            assert_eq!(status, probe.status, "{method} {path}");
            answered.insert(status);
        }
        answered.extend(FOR_BUGS_ONLY.iter().filter(|status| {
            document.operation(method, template)["responses"][status.to_string()].is_object()
        }));
        assert_eq!(
            answered,
            document.statuses(method, template),
            "{method} {template}: statuses answered vs documented"
        );
    }
    drop(dead);
}

on_both_backends!(every_operation_answers_exactly_its_documented_statuses);

/// A head too large for the connection's read buffer never reaches the router: hyper answers
/// 431 with no body and none of the API's headers, which the document says (the 431 response
/// requires no header and its description names the limit).
#[tokio::test]
async fn a_head_past_the_read_buffer_gets_the_documented_bodyless_431() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let app = TestApp::spawn(Backend::Sqlite).await;
    let document = Document::of(&app).await;
    let documented = document.response("get", "/health", 431);
    for (name, header) in documented["headers"].as_object().expect("headers") {
        assert_ne!(header["required"], true, "{name} cannot be promised here");
    }
    let description = documented["description"].as_str().expect("description");
    assert!(
        description.contains(&(2 * MAX_HEADER_BYTES).to_string()),
        "{description}"
    );
    let address = app
        .url("")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    let mut head = format!("GET /health HTTP/1.1\r\nHost: {address}\r\n");
    // Many headers of 1 KiB each, together well past twice the header limit.
    for i in 0..(3 * MAX_HEADER_BYTES / 1024) {
        head.push_str(&format!("x-filler-{i}: {}\r\n", "f".repeat(1024)));
    }
    head.push_str("\r\n");
    // The service stops reading at the limit and closes: a write or read may then see a reset,
    // after the answer has arrived.
    let _ = stream.write_all(head.as_bytes()).await;
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while let Ok(Ok(read)) = tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
        if read == 0 {
            break;
        }
        answer.extend_from_slice(&chunk[..read]);
    }
    let answer = String::from_utf8_lossy(&answer).to_lowercase();
    assert!(answer.starts_with("http/1.1 431"), "{answer}");
    assert!(answer.contains("content-length: 0"), "{answer}");
    assert!(!answer.contains("x-request-id"), "{answer}");
}

/// The request schemas' refusals (unknown members, null, ranges, enums, header pattern) are
/// the service's: each documented bound is accepted at the edge and refused past it.
#[tokio::test]
async fn what_the_request_schemas_refuse_the_service_refuses() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let document = Document::of(&app).await;
    let schemas = &document.0["components"]["schemas"];
    let task = app.create_task("alice", "t").await["id"].clone();
    let item = format!("/api/alice/tasks/{task}");
    let send = |method: Method, path: &str, body: Value| {
        app.as_user("alice", method, path).json(&body).send()
    };

    for (name, method, path) in [
        ("CreateTask", Method::POST, "/api/alice/tasks"),
        ("ReplaceTask", Method::PUT, item.as_str()),
        ("PatchTask", Method::PATCH, item.as_str()),
    ] {
        let schema = &schemas[name];
        assert_eq!(schema["additionalProperties"], false, "{name}");
        let unknown = send(method.clone(), path, json!({"title": "a", "colour": "red"}));
        assert_eq!(
            unknown.await.expect("sent").status(),
            422,
            "{name} unknown member"
        );
        // Not nullable in the document, and refused.
        assert_eq!(schema["properties"]["title"]["type"], "string", "{name}");
        let null_title = send(method.clone(), path, json!({"title": null}));
        assert_eq!(
            null_title.await.expect("sent").status(),
            422,
            "{name} title null"
        );
        // Nullable in the document, and accepted.
        assert_eq!(
            schema["properties"]["description"]["type"],
            json!(["string", "null"]),
            "{name}"
        );
        let null_description = send(
            method.clone(),
            path,
            json!({"title": "a", "description": null}),
        );
        assert!(
            null_description.await.expect("sent").status().is_success(),
            "{name}"
        );
        if name != "CreateTask" {
            assert_eq!(
                schema["properties"]["completed"]["type"], "boolean",
                "{name}"
            );
            let null_completed = send(
                method.clone(),
                path,
                json!({"title": "a", "completed": null}),
            );
            assert_eq!(
                null_completed.await.expect("sent").status(),
                422,
                "{name} completed null"
            );
        }
    }

    let parameters = document.operation("get", "/api/{user_id}/tasks")["parameters"]
        .as_array()
        .expect("parameters");
    let parameter = |name: &str| {
        parameters
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| &p["schema"])
            .unwrap_or_else(|| panic!("{name} not documented"))
    };
    let app = &app;
    let list = |query: String| async move {
        app.get_as("alice", &format!("/api/alice/tasks?{query}"))
            .await
            .status()
            .as_u16()
    };
    let limit = parameter("limit");
    let (min, max) = (
        limit["minimum"].as_i64().expect("minimum"),
        limit["maximum"].as_i64().expect("maximum"),
    );
    assert_eq!((min, max), (1, 100));
    for (value, status) in [(min, 200), (max, 200), (min - 1, 422), (max + 1, 422)] {
        assert_eq!(
            list(format!("limit={value}")).await,
            status,
            "limit={value}"
        );
    }
    let sorts = parameter("sort")["enum"].as_array().expect("sort enum");
    assert_eq!(sorts.len(), 6);
    for sort in sorts {
        let sort = sort.as_str().expect("a string");
        assert_eq!(list(format!("sort={sort}")).await, 200, "sort={sort}");
    }
    assert_eq!(list("sort=colour".into()).await, 422);
    assert_eq!(parameter("completed")["type"], "boolean");
    assert_eq!(list("completed=maybe".into()).await, 422);

    let key = document.operation("post", "/api/{user_id}/tasks")["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == "Idempotency-Key")
        .map(|p| p["schema"].clone())
        .expect("Idempotency-Key documented");
    let longest = key["maxLength"].as_u64().expect("maxLength") as usize;
    let pattern = regex::Regex::new(key["pattern"].as_str().expect("pattern")).expect("regex");
    let create = |key: String| {
        app.as_user("alice", Method::POST, "/api/alice/tasks")
            .header("idempotency-key", key)
            .json(&json!({"title": "keyed"}))
            .send()
    };
    for (key, status) in [
        ("k".repeat(longest), 201),
        ("k".repeat(longest + 1), 422),
        ("a b".to_owned(), 422),
        ("~!".to_owned(), 201),
    ] {
        let documented_valid = key.len() <= longest && pattern.is_match(&key);
        assert_eq!(documented_valid, status == 201, "{key:?}");
        assert_eq!(
            create(key.clone()).await.expect("sent").status(),
            status,
            "{key:?}"
        );
    }
}
