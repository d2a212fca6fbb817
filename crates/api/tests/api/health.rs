//! Operations surface: `/health`, `/ready`, `/metrics`, `/openapi.json`, request ids, CORS,
//! header limit, unknown routes and methods.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{Backend, TestApp, assert_problem};

#[tokio::test]
async fn health_is_ok_and_ready_lists_every_dependency() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let health = app.get("/health").await;
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(
        health.json::<Value>().await.expect("json"),
        serde_json::json!({"status": "ok"})
    );
    let ready = app.get_json("/ready").await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["checks"]["database"]["status"], "ok");
    assert_eq!(ready["checks"]["provider:test-idp"]["status"], "ok");
    assert_eq!(ready["checks"]["provider:test-idp"]["keys"], 1);
}

#[tokio::test]
async fn metrics_count_requests_auth_failures_keys_and_the_pool() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.create_task("alice", "counted").await;
    let refused = app.get("/api/alice/tasks").await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let mismatch = app.get_as("bob", "/api/alice/tasks").await;
    assert_eq!(mismatch.status(), StatusCode::FORBIDDEN);
    let text = app.get("/metrics").await.text().await.expect("text");
    for needle in [
        r#"http_requests_total{method="POST",route="/api/{user_id}/tasks",status="201"} 1"#,
        r#"http_requests_total{method="GET",route="/api/{user_id}/tasks",status="401"} 1"#,
        "http_request_duration_seconds_bucket{",
        r#"auth_failures_total{reason="token_missing",provider="unknown"} 1"#,
        r#"auth_failures_total{reason="user_mismatch",provider="test-idp"} 1"#,
        r#"jwks_fetches_total{provider="test-idp",outcome="ok"}"#,
        r#"jwks_keys{provider="test-idp"} 1"#,
        r#"db_pool_connections{state="idle"}"#,
        "db_up 1",
    ] {
        assert!(text.contains(needle), "missing {needle} in:\n{text}");
    }
}

#[tokio::test]
async fn openapi_document_is_3_1_and_covers_every_route() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let doc = app.get_json("/openapi.json").await;
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().expect("paths");
    for (path, methods) in [
        ("/api/{user_id}/tasks", &["get", "post"][..]),
        (
            "/api/{user_id}/tasks/{id}",
            &["get", "put", "patch", "delete"],
        ),
        ("/api/{user_id}/tasks/{id}/complete", &["patch"]),
        ("/health", &["get"]),
        ("/ready", &["get"]),
        ("/metrics", &["get"]),
    ] {
        for method in methods {
            assert!(paths[path][method].is_object(), "{method} {path} missing");
        }
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn request_ids_are_kept_when_sane_and_generated_otherwise() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let kept = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .expect("sent");
    assert_eq!(kept.headers()["x-request-id"], "abc-123");
    let replaced = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "evil\tid with spaces")
        .send()
        .await
        .expect("sent");
    let id = replaced.headers()["x-request-id"].to_str().expect("ascii");
    assert_eq!(id.len(), 36, "a UUID: {id}");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_problem_json() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    assert_problem(
        app.get("/nope").await,
        StatusCode::NOT_FOUND,
        "route_not_found",
    )
    .await;
    let response = app
        .client
        .post(app.url("/health"))
        .send()
        .await
        .expect("sent");
    assert_problem(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
}

#[tokio::test]
async fn oversized_headers_are_refused_with_431() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = app
        .client
        .get(app.url("/health"))
        .header("x-padding", "p".repeat(20 * 1024))
        .send()
        .await
        .expect("sent");
    assert_problem(
        response,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "headers_too_large",
    )
    .await;
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    use backend_api::config::CorsOrigins;
    let app = TestApp::builder(Backend::Sqlite)
        .config(|config| {
            config.http.cors = CorsOrigins::List(vec!["https://app.example.com".into()]);
        })
        .spawn()
        .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, app.url("/api/alice/tasks"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let allowed = preflight("https://app.example.com").await.expect("sent");
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let denied = preflight("https://evil.example.com").await.expect("sent");
    assert!(
        denied
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

/// A password in a configured key-set URL is used for the fetch but never shown: not in the
/// unauthenticated `/ready` (whose reason names the URL), nor in `/metrics`.
#[tokio::test]
async fn url_password_never_shows_in_ready_or_metrics() {
    const PASSWORD: &str = "s3cret-in-jwks-url";
    let app = TestApp::builder(Backend::Sqlite)
        .config(|config| {
            let url = format!("http://user:{PASSWORD}@127.0.0.1:1/jwks.json");
            config.auth.providers[0].keys =
                backend_api_auth::KeySource::JwksUrl(url.parse().expect("url"));
        })
        .no_wait()
        .spawn()
        .await;
    let ready = app
        .wait_for_ready(|status, body| {
            status == StatusCode::SERVICE_UNAVAILABLE
                && body["checks"]["provider:test-idp"]["reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("127.0.0.1:1"))
        })
        .await;
    let text = ready.to_string();
    assert!(
        !text.contains(PASSWORD),
        "/ready leaks the password: {text}"
    );
    assert!(text.contains("user:***@127.0.0.1:1"), "{text}");
    let metrics = app.get("/metrics").await.text().await.expect("text");
    assert!(!metrics.contains(PASSWORD), "/metrics leaks the password");
}

/// A fetched, well-formed but empty key set revokes every key: `/ready` turns 503 with a
/// reason, and a token of the removed key is refused as `unknown_kid`.
#[tokio::test]
async fn empty_key_set_makes_ready_503_and_revokes_the_removed_key() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = app.get_as("alice", "/api/alice/tasks").await;
    assert_eq!(response.status(), StatusCode::OK);
    app.jwks.set_behaviour(test_support::Behaviour::EmptyKeys);
    app.state
        .verifier
        .refresh("test-idp")
        .await
        .expect("well-formed");
    let ready = app
        .wait_for_ready(|status, _| status == StatusCode::SERVICE_UNAVAILABLE)
        .await;
    let check = &ready["checks"]["provider:test-idp"];
    assert_eq!(
        (check["state"].as_str(), check["keys"].as_u64()),
        (Some("empty"), Some(0))
    );
    assert!(
        check["reason"]
            .as_str()
            .is_some_and(|r| r.contains("empty")),
        "{ready}"
    );
    let refused = app.get_as("alice", "/api/alice/tasks").await;
    assert_problem(refused, StatusCode::UNAUTHORIZED, "unknown_kid").await;
}
