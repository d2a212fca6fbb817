//! Authentication as the client sees it: 401 with the RFC 6750 challenge and the reason code
//! (`token_missing`, `expired`, `bad_signature`, ...), 403 for another user's path,
//! 503 + Retry-After when keys cannot be fetched, expiry through the settable clock, and the
//! development-key mode.

use std::time::Duration;

use backend_api::config::Environment;
use backend_api_auth::DevelopmentKey;
use reqwest::StatusCode;
use serde_json::json;
use test_support::{TestKey, claims, jwks, now};

use crate::helpers::{AUDIENCE, Backend, ISSUER, TestApp, assert_problem, header};

fn challenge(response: &reqwest::Response) -> String {
    header(response, "www-authenticate")
}

#[tokio::test]
async fn missing_token_is_401_with_a_challenge_without_error() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for request in [
        app.client.get(app.url("/api/alice/tasks")),
        app.client
            .get(app.url("/api/alice/tasks"))
            .header("authorization", "Basic YWxpY2U6cHc="),
        app.client
            .get(app.url("/api/alice/tasks"))
            .header("authorization", "Bearer "),
    ] {
        let response = request.send().await.expect("sent");
        assert_eq!(challenge(&response), "Bearer");
        assert_problem(response, StatusCode::UNAUTHORIZED, "token_missing").await;
    }
}

#[tokio::test]
async fn refused_tokens_name_their_reason_in_body_and_challenge() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let stranger = TestKey::generate("ES256").with_kid(app.key.kid().to_owned());
    let t = now();
    let cases = [
        ("not.a.jwt", "token_malformed"),
        (
            &*app
                .key
                .sign(&claims("https://other.example", AUDIENCE, "alice", t)),
            "issuer_unknown",
        ),
        (
            &*app.key.sign(&claims(ISSUER, "someone-else", "alice", t)),
            "audience_mismatch",
        ),
        (
            &*stranger.sign(&claims(ISSUER, AUDIENCE, "alice", t)),
            "bad_signature",
        ),
        (
            &*app
                .key
                .sign(&json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "exp": t - 3600})),
            "expired",
        ),
        (&*"a".repeat(9000), "token_too_large"),
    ]
    .map(|(token, code)| (token.to_owned(), code));
    for (token, code) in cases {
        let response = app.get_with_token("/api/alice/tasks", &token).await;
        assert_eq!(
            challenge(&response),
            format!("Bearer error=\"invalid_token\", error_description=\"{code}\"")
        );
        let body = assert_problem(response, StatusCode::UNAUTHORIZED, code).await;
        assert!(
            !body.to_string().contains(&token[..token.len().min(40)]),
            "the token is echoed: {body}"
        );
    }
}

#[tokio::test]
async fn a_token_expires_when_the_clock_passes_exp_and_leeway() {
    let app = TestApp::builder(Backend::Sqlite)
        .manual_clock()
        .spawn()
        .await;
    let clock = app.clock.clone().expect("manual clock");
    let exp = now() + 60;
    let token = app
        .key
        .sign(&json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "alice", "exp": exp}));
    let ok = app.get_with_token("/api/alice/tasks", &token).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let at = |unix: i64| {
        std::time::UNIX_EPOCH + Duration::from_secs(u64::try_from(unix).expect("after 1970"))
    };
    // Within the 30 s leeway: still accepted.
    clock.set(at(exp + 29));
    let within = app.get_with_token("/api/alice/tasks", &token).await;
    assert_eq!(within.status(), StatusCode::OK);
    // Just past it.
    clock.set(at(exp + 31));
    let expired = app.get_with_token("/api/alice/tasks", &token).await;
    assert_problem(expired, StatusCode::UNAUTHORIZED, "expired").await;
}

#[tokio::test]
async fn keys_unavailable_is_503_with_retry_after_and_ready_says_why() {
    // An identity provider whose port is reserved but refuses connections.
    let (app, _dead) = TestApp::spawn_with_unreachable_keys(Backend::Sqlite).await;
    let response = app.get_as("alice", "/api/alice/tasks").await;
    let retry_after: u64 = header(&response, "retry-after").parse().expect("seconds");
    assert!(retry_after >= 1);
    assert!(response.headers().get("www-authenticate").is_none());
    assert_problem(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "keys_unavailable",
    )
    .await;
    let ready = app
        .wait_for_ready(|status, body| {
            status == StatusCode::SERVICE_UNAVAILABLE
                && body["checks"]["database"]["status"] == "ok"
                && body["checks"]["provider:test-idp"]["status"] == "fail"
        })
        .await;
    let reasons = ready["reasons"].to_string();
    assert!(reasons.contains("provider:test-idp"), "{ready}");
}

#[tokio::test]
async fn development_key_mode_accepts_tokens_of_the_local_key_only() {
    let app = TestApp::builder(Backend::Sqlite)
        .config(|config| config.auth.providers.clear())
        .spawn()
        .await;
    let key_file = app.state.config.auth.dev_key_file.clone();
    let key = DevelopmentKey::load_or_create(&key_file).expect("the app created the key");
    let token = key.sign(&json!({
        "iss": DevelopmentKey::ISSUER, "aud": DevelopmentKey::AUDIENCE, "sub": "alice", "exp": now() + 600,
    }));
    let response = app.get_with_token("/api/alice/tasks", &token).await;
    assert_eq!(response.status(), StatusCode::OK);
    // The identity provider of the other tests is not trusted in this mode.
    let foreign = app.get_as("alice", "/api/alice/tasks").await;
    assert_problem(foreign, StatusCode::UNAUTHORIZED, "issuer_unknown").await;
    let ready = app.get_json("/ready").await;
    assert_eq!(
        ready["checks"]["provider:development"]["status"], "ok",
        "{ready}"
    );
}

#[tokio::test]
async fn production_refuses_to_build_with_the_development_key() {
    let database = crate::helpers::TestDatabase::create(Backend::Sqlite).await;
    let mut config = crate::helpers::test_config(&database, "http://127.0.0.1:9/jwks");
    config.environment = Environment::Production;
    config.auth.providers.clear();
    let error = backend_api::App::build(config)
        .await
        .err()
        .expect("refused");
    assert!(error.to_string().contains("BETTER_AUTH_URL"), "{error}");
}

#[tokio::test]
async fn a_rotated_signing_key_is_picked_up_without_a_restart() {
    let app = TestApp::builder(Backend::Sqlite)
        .config(|config| config.auth.jwks_refresh_cooldown = Duration::ZERO)
        .spawn()
        .await;
    let rotated = TestKey::generate("EdDSA");
    app.jwks.set_jwks(jwks(&[&app.key, &rotated]));
    let token = rotated.sign(&claims(ISSUER, AUDIENCE, "alice", now()));
    let response = app.get_with_token("/api/alice/tasks", &token).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        app.jwks.jwks_requests() >= 2,
        "the unknown kid caused a refresh"
    );
}

/// A layer of a program embedding the service (`App::wrap_router`) that names the caller as
/// the benchmark's auth-off ceiling does: every request is alice of the "embedder" provider.
async fn caller_is_alice(mut request: axum::extract::Request) -> axum::extract::Request {
    request.extensions_mut().insert(backend_api::AuthUser {
        user_id: "alice".to_owned(),
        provider: "embedder".to_owned(),
    });
    request
}

#[tokio::test]
async fn a_caller_put_in_the_request_by_an_embedding_layer_replaces_the_token_and_keeps_the_path_check()
 {
    let app = TestApp::builder(Backend::Sqlite)
        .wrap_router(|router| router.layer(axum::middleware::map_request(caller_is_alice)))
        .spawn()
        .await;
    let created = app
        .client
        .post(app.url("/api/alice/tasks"))
        .json(&json!({"title": "no token needed"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(created.status(), StatusCode::CREATED);
    let listed: serde_json::Value = app.get_json("/api/alice/tasks").await;
    assert_eq!(listed["tasks"][0]["title"], "no token needed", "{listed}");
    assert_problem(
        app.get("/api/bob/tasks").await,
        StatusCode::FORBIDDEN,
        "user_mismatch",
    )
    .await;

    // Without the layer the same request needs a token: nothing a client sends reaches the seam.
    let plain = TestApp::spawn(Backend::Sqlite).await;
    assert_problem(
        plain.get("/api/alice/tasks").await,
        StatusCode::UNAUTHORIZED,
        "token_missing",
    )
    .await;
}
