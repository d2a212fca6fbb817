//! `/auth/verify` as a proxy calls it: identity headers on 200, the task routes' exact refusals
//! (never 403), claim headers from configuration, the per-host policy, the route switched off,
//! and its metrics label.

use backend_api::config::{ClaimHeader, HostPolicy};
use backend_api_auth::ProviderConfig;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use test_support::{TestKey, claims, now};

use crate::helpers::{AUDIENCE, Backend, ISSUER, PROVIDER, TestApp, assert_problem, header};

const OTHER_ISSUER: &str = "https://other-idp.test.example";
const OTHER_PROVIDER: &str = "other-idp";

fn token_with(app: &TestApp, extra: Value) -> String {
    let mut body = claims(ISSUER, AUDIENCE, "alice", now());
    for (name, value) in extra.as_object().expect("object") {
        body[name] = value.clone();
    }
    app.key.sign(&body)
}

#[tokio::test]
async fn a_valid_token_gets_an_empty_200_with_user_and_provider_for_any_method() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app.token("alice");
    for method in [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::HEAD,
    ] {
        let response = app
            .client
            .request(method.clone(), app.url("/auth/verify"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::OK, "{method}");
        assert_eq!(header(&response, "x-auth-user"), "alice");
        assert_eq!(header(&response, "x-auth-provider"), PROVIDER);
        assert_eq!(header(&response, "cache-control"), "no-store");
        assert!(response.bytes().await.expect("body").is_empty());
    }
}

#[tokio::test]
async fn refusals_are_those_of_the_task_routes_and_never_403() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let stranger = TestKey::generate("ES256").with_kid(app.key.kid().to_owned());
    let t = now();
    let mut expired = claims(ISSUER, AUDIENCE, "alice", t - 3600);
    expired["exp"] = json!(t - 600);
    let cases: Vec<(Option<String>, &str)> = vec![
        (None, "token_missing"),
        (Some("not.a.jwt".into()), "token_malformed"),
        (Some("x".repeat(9000)), "token_too_large"),
        (
            Some(
                app.key
                    .sign(&claims("https://nobody.example", AUDIENCE, "alice", t)),
            ),
            "issuer_unknown",
        ),
        (
            Some(app.key.sign(&claims(ISSUER, "someone-else", "alice", t))),
            "audience_mismatch",
        ),
        (
            Some(stranger.sign(&claims(ISSUER, AUDIENCE, "alice", t))),
            "bad_signature",
        ),
        (Some(app.key.sign(&expired)), "expired"),
    ];
    for (token, code) in cases {
        let send = |path: &str| {
            let request = app.client.get(app.url(path));
            match &token {
                Some(token) => request.bearer_auth(token),
                None => request,
            }
            .send()
        };
        let task_route = send("/api/alice/tasks").await.expect("sent");
        let verify = send("/auth/verify").await.expect("sent");
        assert_eq!(verify.status(), task_route.status(), "{code}");
        for name in ["www-authenticate", "x-error-code", "content-type"] {
            assert_eq!(
                header(&verify, name),
                header(&task_route, name),
                "{code}: {name}"
            );
        }
        assert!(verify.headers().get("x-auth-user").is_none(), "{code}");
        let body = assert_problem(verify, StatusCode::UNAUTHORIZED, code).await;
        let expected: Value = task_route.json().await.expect("json");
        assert_eq!(body, expected, "{code}");
    }
    // A token for another user is still a valid token here: no path user, so no 403.
    let response = app.get_as("bob", "/auth/verify").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "x-auth-user"), "bob");
}

#[tokio::test]
async fn keys_unavailable_is_503_with_retry_after() {
    let (app, _dead) = TestApp::spawn_with_unreachable_keys(Backend::Sqlite).await;
    let response = app.get_as("alice", "/auth/verify").await;
    assert!(
        header(&response, "retry-after")
            .parse::<u64>()
            .expect("seconds")
            >= 1
    );
    assert_eq!(header(&response, "x-error-code"), "keys_unavailable");
    assert_problem(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "keys_unavailable",
    )
    .await;
}

#[tokio::test]
async fn configured_claims_become_x_auth_headers() {
    let app = TestApp::builder(Backend::Sqlite)
        .config(|config| {
            config.forward_auth.claim_headers = [
                "email=X-Auth-Email",
                "groups=X-Auth-Groups",
                "name=X-Auth-Name",
                "meta=X-Auth-Meta",
                "bad=X-Auth-Bad",
            ]
            .iter()
            .map(|pair| {
                let (claim, header) = pair.split_once('=').expect("pair");
                ClaimHeader {
                    claim: claim.to_owned(),
                    header: header.to_ascii_lowercase().parse().expect("header"),
                }
            })
            .collect();
        })
        .spawn()
        .await;
    let token = token_with(
        &app,
        json!({
            "email": "alice@example.com",
            "groups": ["admin", "dev"],
            "meta": {"nested": true},
            "bad": "line\nbreak",
        }),
    );
    let response = app
        .client
        .get(app.url("/auth/verify"))
        .bearer_auth(&token)
        .header("x-auth-name", "Mallory")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "x-auth-email"), "alice@example.com");
    assert_eq!(header(&response, "x-auth-groups"), "admin,dev");
    // Absent claim, object claim and a value that cannot be a header: no header at all.
    for absent in ["x-auth-name", "x-auth-meta", "x-auth-bad"] {
        assert!(response.headers().get(absent).is_none(), "{absent}");
    }
}

/// An app with a second provider (same keys, other issuer) and a per-host policy.
async fn app_with_policy() -> TestApp {
    TestApp::builder(Backend::Sqlite)
        .config(|config| {
            let first = config.auth.providers[0].clone();
            let mut other = ProviderConfig::new(OTHER_PROVIDER, OTHER_ISSUER, first.keys.clone());
            other.audiences = Some(vec![AUDIENCE.to_owned(), "docs".to_owned()]);
            config.auth.providers[0].audiences = Some(vec![AUDIENCE.to_owned(), "docs".to_owned()]);
            config.auth.providers.push(other);
            config.forward_auth.default_policy = HostPolicy {
                providers: Some(vec![PROVIDER.to_owned()]),
                ..HostPolicy::default()
            };
            config.forward_auth.hosts = vec![HostPolicy {
                host: "docs.example.com".to_owned(),
                audiences: Some(vec!["docs".to_owned()]),
                providers: Some(vec![OTHER_PROVIDER.to_owned()]),
            }];
        })
        .spawn()
        .await
}

#[tokio::test]
async fn each_forwarded_host_gets_its_policy_and_unknown_hosts_the_default() {
    let app = app_with_policy().await;
    let t = now();
    let sign = |iss: &str, aud: Value| {
        let mut body = claims(iss, AUDIENCE, "alice", t);
        body["aud"] = aud;
        app.key.sign(&body)
    };
    let docs_token = sign(OTHER_ISSUER, json!(["docs"]));
    let api_token_of_other = sign(OTHER_ISSUER, json!(AUDIENCE));
    let main_token = sign(ISSUER, json!(AUDIENCE));
    let main_token_again = || sign(ISSUER, json!(AUDIENCE));
    let main_docs_token = sign(ISSUER, json!("docs"));
    let check = |token: String,
                 host: Option<&'static str>,
                 expected: Result<&'static str, &'static str>| {
        let app = &app;
        async move {
            let mut request = app.client.get(app.url("/auth/verify")).bearer_auth(token);
            if let Some(host) = host {
                request = request.header("x-forwarded-host", host);
            }
            let response = request.send().await.expect("sent");
            match expected {
                Ok(provider) => {
                    assert_eq!(response.status(), StatusCode::OK, "{host:?}");
                    assert_eq!(header(&response, "x-auth-provider"), provider);
                }
                Err(code) => {
                    assert_eq!(header(&response, "x-error-code"), code, "{host:?}");
                    assert!(header(&response, "www-authenticate").contains(code));
                    assert_problem(response, StatusCode::UNAUTHORIZED, code).await;
                }
            }
        }
    };
    check(
        docs_token.clone(),
        Some("docs.example.com"),
        Ok(OTHER_PROVIDER),
    )
    .await;
    check(
        docs_token.clone(),
        Some("DOCS.example.com:443"),
        Ok(OTHER_PROVIDER),
    )
    .await;
    check(
        api_token_of_other.clone(),
        Some("docs.example.com"),
        Err("audience_mismatch"),
    )
    .await;
    check(
        main_docs_token,
        Some("docs.example.com"),
        Err("issuer_unknown"),
    )
    .await;
    // Unknown host and no host: the default policy, which takes only the first provider.
    check(main_token.clone(), Some("app.example.com"), Ok(PROVIDER)).await;
    check(main_token, None, Ok(PROVIDER)).await;
    check(docs_token, Some("app.example.com"), Err("issuer_unknown")).await;
    // The host named in the proxy's auth URL wins over a header a client could have sent.
    let response = app
        .client
        .get(app.url("/auth/verify?host=docs.example.com"))
        .bearer_auth(main_token_again())
        .header("x-forwarded-host", "app.example.com")
        .send()
        .await
        .expect("sent");
    assert_eq!(header(&response, "x-error-code"), "issuer_unknown");
    // ingress-nginx sends the original URL instead of X-Forwarded-Host.
    let response = app
        .client
        .get(app.url("/auth/verify"))
        .bearer_auth(sign(OTHER_ISSUER, json!("docs")))
        .header(
            "x-original-url",
            "https://docs.example.com/guide?code=secret",
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let metrics = app.get("/metrics").await.text().await.expect("text");
    assert!(
        metrics.lines().any(|l| l.starts_with("auth_failures_total")
            && l.contains("reason=\"audience_mismatch\"")
            && l.contains(OTHER_PROVIDER)),
        "policy refusals are counted:\n{metrics}"
    );
}

#[tokio::test]
async fn forward_auth_false_turns_the_route_into_a_404() {
    let app = TestApp::builder(Backend::Sqlite)
        .config(|config| config.forward_auth.enabled = false)
        .spawn()
        .await;
    let response = app.get_as("alice", "/auth/verify").await;
    assert_problem(response, StatusCode::NOT_FOUND, "route_not_found").await;
}

#[tokio::test]
async fn requests_are_counted_under_the_route_auth_verify() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = app
        .client
        .post(app.url("/auth/verify"))
        .bearer_auth(app.token("alice"))
        .header("x-original-method", "POST")
        .header("x-original-uri", "/private?token=hunter2")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    app.get("/auth/verify").await;
    let metrics = app.get("/metrics").await.text().await.expect("text");
    for status in ["200", "401"] {
        assert!(
            metrics.lines().any(|l| l.starts_with("http_requests_total")
                && l.contains("route=\"/auth/verify\"")
                && l.contains(&format!("status=\"{status}\""))),
            "no http_requests_total for /auth/verify {status}:\n{metrics}"
        );
    }
}
