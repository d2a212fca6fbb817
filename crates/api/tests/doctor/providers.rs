use std::time::Duration;

use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use test_support::{Behaviour, JwksServer, TestKey, jwks};

use crate::helpers::{BlackHole, Doctor, FixedServer, closed_port};

async fn serving(behaviour: Behaviour) -> JwksServer {
    let key = TestKey::generate("EdDSA");
    let server = JwksServer::start(jwks(&[&key])).await;
    server.set_behaviour(behaviour);
    server
}

/// `BETTER_AUTH_URL` pointing at the test server, the way the chart sets it.
fn better_auth(server_base: &str) -> Doctor {
    Doctor::new(&[]).env("BETTER_AUTH_URL", server_base)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthy_better_auth_passes_every_check() {
    let server = serving(Behaviour::Serve).await;
    let report = better_auth(&server.base_url()).json().await;
    for code in [
        "config_ok",
        "dns_ok",
        "tcp_ok",
        "jwks_ok",
        "clock_ok",
        "keys_loaded",
        "db_ok",
    ] {
        report.expect(code, "ok");
    }
    assert_eq!(report.exit(), 0, "{:#}", report.value);
    assert!(server.jwks_requests() >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_host_that_does_not_resolve_is_dns_unresolvable() {
    // Troubleshooting row "DNS resolution failed | Wrong service name | Use frontend not frontend-service".
    let report = better_auth("http://frontend-service.invalid:3000")
        .json()
        .await;
    let finding = report.expect("dns_unresolvable", "fail");
    assert!(
        finding["observed"]
            .as_str()
            .is_some_and(|o| o.contains("frontend-service.invalid"))
    );
    assert!(
        finding["fix"]
            .as_str()
            .is_some_and(|f| f.contains("frontend-service"))
    );
    assert!(
        !report.has("tcp_ok"),
        "no connection attempt after DNS failed"
    );
    assert_eq!(report.exit(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_port_is_tcp_refused() {
    // Troubleshooting row "Connection refused | Frontend service not ready".
    let port = closed_port().await;
    let report = better_auth(&format!("http://127.0.0.1:{port}"))
        .json()
        .await;
    report.expect("dns_ok", "ok");
    report.expect("tcp_refused", "fail");
    assert_eq!(report.exit(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_jwks_path_is_jwks_not_found_with_the_better_auth_path_as_fix() {
    // Troubleshooting row "404 Not Found | Better Auth not configured"; `/.well-known/jwks.json` vs `/api/auth/jwks`.
    let server = serving(Behaviour::NotFound).await;
    let report = better_auth(&server.base_url())
        .env(
            "BETTER_AUTH_JWKS_URL",
            format!("{}/.well-known/jwks.json", server.base_url()),
        )
        .json()
        .await;
    let finding = report.expect("jwks_not_found", "fail");
    let fix = finding["fix"].as_str().expect("fix");
    assert!(
        fix.contains(&format!(
            "BETTER_AUTH_JWKS_URL={}/api/auth/jwks",
            server.base_url()
        )),
        "{fix}"
    );
    assert_eq!(report.exit(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_login_page_instead_of_keys_is_jwks_html() {
    let server = serving(Behaviour::Html).await;
    let report = better_auth(&server.base_url()).json().await;
    report.expect("jwks_html", "fail");
    assert_eq!(report.exit(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_that_is_not_a_key_set_is_jwks_not_json() {
    let server = serving(Behaviour::NotJson).await;
    let report = better_auth(&server.base_url()).json().await;
    report.expect("jwks_not_json", "fail");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_key_set_is_jwks_empty() {
    // Troubleshooting row "Empty keys array | JWKS not generated".
    let server = serving(Behaviour::EmptyKeys).await;
    let report = better_auth(&server.base_url()).json().await;
    report.expect("jwks_empty", "fail");
    assert_eq!(report.exit(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_provider_is_http_timeout_within_the_timeout_bound() {
    // Troubleshooting row "Timeout | Network policy blocking" (or an overloaded frontend).
    let server = serving(Behaviour::Slow(Duration::from_secs(20))).await;
    let report = better_auth(&server.base_url())
        .json_args(&["--timeout", "1"])
        .await;
    report.expect("tcp_ok", "ok");
    report.expect("http_timeout", "fail");
    assert_eq!(report.exit(), 1);
    // --timeout bounds the whole run: far less than the server's 20 s delay.
    assert!(
        report.outcome.elapsed < Duration::from_secs(10),
        "{:?}",
        report.outcome.elapsed
    );
}

/// Keys behind an authentication wall: every path redirects to a login page.
fn login_wall(uri: &Uri) -> Response {
    if uri.path() == "/login" {
        return (
            [(header::CONTENT_TYPE, "text/html")],
            "<!DOCTYPE html><title>Sign in</title>",
        )
            .into_response();
    }
    (
        StatusCode::FOUND,
        [(header::LOCATION, "/login?next=/api/auth/jwks")],
    )
        .into_response()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_to_a_login_page_is_reported() {
    let server = FixedServer::start(login_wall).await;
    let report = better_auth(&server.base_url()).json().await;
    let redirect = report.expect("jwks_redirect", "warn");
    assert!(
        redirect["observed"]
            .as_str()
            .is_some_and(|o| o.contains("/login?next="))
    );
    report.expect("jwks_html", "fail");
    assert_eq!(report.exit(), 1);
}

/// Keys moved: the old path redirects to the new one.
fn moved_keys(uri: &Uri) -> Response {
    if uri.path() == "/keys/v2" {
        let key_set = jwks(&[&TestKey::generate("ES256")]);
        return (
            [(header::CONTENT_TYPE, "application/json")],
            key_set.to_string(),
        )
            .into_response();
    }
    (
        StatusCode::MOVED_PERMANENTLY,
        [(header::LOCATION, "/keys/v2")],
    )
        .into_response()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_to_a_key_set_works_like_the_verifier_but_is_warned() {
    let server = FixedServer::start(moved_keys).await;
    let report = better_auth(&server.base_url()).json().await;
    report.expect("jwks_redirect", "warn");
    report.expect("jwks_ok", "ok");
    assert_eq!(report.exit(), 0, "{:#}", report.value);
}

/// A redirect loop: the verifier gives up after three hops.
fn redirect_loop(_: &Uri) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, "/again")]).into_response()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_redirects_fail() {
    let server = FixedServer::start(redirect_loop).await;
    let report = better_auth(&server.base_url()).json().await;
    report.expect("jwks_redirect", "fail");
}

fn keys_with_clock_an_hour_ahead(_: &Uri) -> Response {
    let key_set = jwks(&[&TestKey::generate("ES256")]);
    let date =
        (chrono::Utc::now() + chrono::Duration::hours(1)).format("%a, %d %b %Y %H:%M:%S GMT");
    (
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::DATE, date.to_string()),
        ],
        key_set.to_string(),
    )
        .into_response()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_clock_an_hour_ahead_is_clock_skew() {
    // Troubleshooting row "Token expired | clock skew between frontend/backend".
    let server = FixedServer::start(keys_with_clock_an_hour_ahead).await;
    let report = better_auth(&server.base_url()).json().await;
    report.expect("jwks_ok", "ok");
    let finding = report.expect("clock_skew", "fail");
    assert!(
        finding["observed"]
            .as_str()
            .is_some_and(|o| o.contains("ahead"))
    );
    assert_eq!(report.exit(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_for_an_algorithm_the_provider_does_not_allow_are_keys_no_usable_alg() {
    // Troubleshooting row "Wrong algorithms": Better Auth signs EdDSA, the provider allows only RS256.
    let server = serving(Behaviour::Serve).await;
    let doctor = Doctor::new(&[]);
    let file = doctor.file(
        "providers.toml",
        &format!(
            "[[provider]]\nname = \"auth0\"\nissuer = \"{base}/\"\njwks_url = \"{base}/jwks\"\n\
             audiences = [\"backend-api\"]\nalgorithms = [\"RS256\"]\n",
            base = server.base_url()
        ),
    );
    let report = doctor.env("AUTH_PROVIDERS_FILE", file).json().await;
    let finding = report.expect("keys_no_usable_alg", "fail");
    assert!(
        finding["observed"]
            .as_str()
            .is_some_and(|o| o.contains("EdDSA") && o.contains("RS256"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_sending_browsers_to_an_unresolvable_host_is_flagged() {
    // A known outage: the issuer and authorization endpoint used `id.kubernetes.local`, which no
    // browser resolves, while the back channel (jwks_uri through internal_url) worked.
    let server = serving(Behaviour::Serve).await;
    let public = "http://id.kubernetes.invalid/realms/app";
    server.set_discovery(json!({
        "issuer": public,
        "authorization_endpoint": format!("{public}/protocol/openid-connect/auth"),
        "jwks_uri": format!("{public}/protocol/openid-connect/certs"),
    }));
    let doctor = Doctor::new(&[]);
    let file = doctor.file(
        "providers.toml",
        &format!(
            "[[provider]]\nname = \"keycloak\"\nissuer = \"{public}\"\ndiscovery = true\n\
             internal_url = \"{}\"\naudiences = [\"backend-api\"]\n",
            server.base_url()
        ),
    );
    let report = doctor.env("AUTH_PROVIDERS_FILE", file).json().await;
    report.expect("discovery_ok", "ok");
    report.expect("jwks_ok", "ok");
    let finding = report.expect("discovery_unresolvable_issuer", "warn");
    assert!(
        finding["observed"]
            .as_str()
            .is_some_and(|o| o.contains("id.kubernetes.invalid"))
    );
    // The service's verifier loads the keys through the same back channel.
    report.expect("keys_loaded", "ok");
    assert!(server.discovery_requests() >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_advertising_another_issuer_is_issuer_mismatch() {
    let server = serving(Behaviour::Serve).await;
    server.set_discovery(json!({
        "issuer": format!("{}/realms/other", server.base_url()),
        "jwks_uri": format!("{}/certs", server.base_url()),
    }));
    let doctor = Doctor::new(&[]);
    let file = doctor.file(
        "providers.toml",
        &format!(
            "[[provider]]\nname = \"keycloak\"\nissuer = \"{}/realms/app\"\ndiscovery = true\n\
             audiences = [\"backend-api\"]\n",
            server.base_url()
        ),
    );
    let report = doctor.env("AUTH_PROVIDERS_FILE", file).json().await;
    report.expect("issuer_mismatch", "warn");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connection_attempts_are_tcp_timeout() {
    // Troubleshooting row "Timeout | Network policy blocking": the SYN is dropped, nothing answers.
    let hole = BlackHole::open().await;
    let addr = hole.addr;
    let report = better_auth(&format!("http://{addr}"))
        .json_args(&["--timeout", "2"])
        .await;
    report.expect("tcp_timeout", "fail");
    assert!(
        report.finding("tcp_timeout")["fix"]
            .as_str()
            .is_some_and(|f| f.contains("NetworkPolicy"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_answer_is_refused_at_the_verifiers_limit() {
    let server = serving(Behaviour::Huge).await;
    let report = better_auth(&server.base_url()).json().await;
    let finding = report.expect("jwks_not_json", "fail");
    assert!(
        finding["observed"]
            .as_str()
            .is_some_and(|o| o.contains("more than"))
    );
}
