//! backend-api configured through `AUTH_PROVIDERS_FILE` with `discovery = true` against a real OpenID
//! Connect provider (npm `oidc-provider`): discovery, JWKS, access tokens; a public issuer that does not
//! resolve, with and without `internal_url`.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::jwt;
use crate::support::oidc::{OidcProvider, Options};
use crate::support::process::eventually;
use crate::support::service::{Launch, Service};

/// A public issuer under the reserved `.invalid` TLD: it can never resolve.
const UNRESOLVABLE_ISSUER: &str = "https://id.example.invalid/realms/app";
const UNRESOLVABLE_HOST: &str = "id.example.invalid";

fn providers_file(issuer: &str, internal_url: Option<&str>) -> String {
    let internal = internal_url
        .map(|url| format!("internal_url = \"{url}\"\n"))
        .unwrap_or_default();
    format!(
        "[[provider]]\nname = \"oidc\"\nissuer = \"{issuer}\"\ndiscovery = true\n{internal}\
         audiences = [\"backend-api\"]\nuser_claim = \"sub\"\n"
    )
}

/// Asserts that an access token of `provider` works on the task API, as the client id it names.
async fn assert_access_token_accepted(provider: &OidcProvider, service: &Service, alg: &str) {
    let token = provider.access_token().await;
    let header = jwt::header(&token);
    assert_eq!(header["alg"], alg);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(jwt::claims(&token)["aud"], "backend-api");
    let tasks = format!("/api/{}/tasks", provider.client_id());
    let created = service
        .call(
            Method::POST,
            &tasks,
            Some(&token),
            Some(json!({"title": "via OIDC"})),
        )
        .await;
    assert_eq!(
        created.status,
        StatusCode::CREATED,
        "{alg}: {:?}",
        created.body
    );
    let listed = service.get(&tasks, &token).await;
    assert_eq!(listed.status, StatusCode::OK, "{alg}: {:?}", listed.body);
    assert_eq!(listed.body["tasks"][0]["title"], "via OIDC");
}

async fn discovery_on_loopback(alg: &str) {
    let provider = OidcProvider::start(Options {
        alg: Some(alg),
        ..Options::default()
    })
    .await;
    let service = Launch::new()
        .providers_file(&providers_file(&provider.issuer, None))
        .start()
        .await;
    service.wait_ready().await;
    assert_access_token_accepted(&provider, &service, alg).await;
    let (jwks, discovery) = provider.requests_served().await;
    assert!(
        discovery >= 1 && jwks >= 1,
        "discovery {discovery}, JWKS {jwks}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_rs256_access_tokens_are_accepted() {
    discovery_on_loopback("RS256").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_es256_access_tokens_are_accepted() {
    discovery_on_loopback("ES256").await;
}

/// The provider's public issuer does not resolve; `internal_url` sends the back channel to loopback.
async fn unresolvable_issuer_through_internal_url(alg: &str, advertise_public: bool) {
    let provider = OidcProvider::start(Options {
        alg: Some(alg),
        issuer: Some(UNRESOLVABLE_ISSUER),
        advertise_public,
    })
    .await;
    let service = Launch::new()
        .providers_file(&providers_file(UNRESOLVABLE_ISSUER, Some(&provider.url)))
        .start()
        .await;
    service.wait_ready().await;
    let token = provider.access_token().await;
    assert_eq!(jwt::claims(&token)["iss"], UNRESOLVABLE_ISSUER);
    assert_access_token_accepted(&provider, &service, alg).await;
    // Nothing else could have answered: the public host does not exist.
    let (jwks, discovery) = provider.requests_served().await;
    assert!(
        discovery >= 1 && jwks >= 1,
        "discovery {discovery}, JWKS {jwks}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_url_reaches_a_keycloak_style_provider_advertising_public_endpoints() {
    unresolvable_issuer_through_internal_url("RS256", true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_url_reaches_a_provider_advertising_the_request_host() {
    unresolvable_issuer_through_internal_url("ES256", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unresolvable_issuer_without_internal_url_names_host_and_setting() {
    let provider = OidcProvider::start(Options {
        issuer: Some(UNRESOLVABLE_ISSUER),
        ..Options::default()
    })
    .await;
    let mut service = Launch::new()
        .providers_file(&providers_file(UNRESOLVABLE_ISSUER, None))
        .start()
        .await;
    // The first fetch fails at once (the name cannot resolve); /ready then reports why. Until
    // it has failed, the check is `pending` and already names the key-set URL (so the host):
    // wait for the verdict, not for the host.
    let ready = eventually("/ready to report the failed first fetch", || {
        let service = &service;
        async move {
            let ready = service.call(Method::GET, "/ready", None, None).await;
            let check = ready.body["checks"]["provider:oidc"].to_string();
            let failed = check.contains(UNRESOLVABLE_HOST) && !check.contains("pending");
            failed.then_some(ready)
        }
    })
    .await;
    assert_eq!(
        ready.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        ready.body
    );
    let check = ready.body["checks"]["provider:oidc"].to_string();
    assert!(
        check.contains(UNRESOLVABLE_HOST),
        "/ready names the host: {check}"
    );
    assert!(
        check.contains("internal_url"),
        "/ready names the setting: {check}"
    );
    service
        .wait_for_log("a log line naming the host and internal_url", |l| {
            l.contains(UNRESOLVABLE_HOST) && l.contains("internal_url")
        })
        .await;

    let token = provider.access_token().await;
    let refused = service
        .get(&format!("/api/{}/tasks", provider.client_id()), &token)
        .await;
    assert_eq!(
        refused.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{:?}",
        refused.body
    );
    assert_eq!(refused.code(), Some("keys_unavailable"));
    assert!(
        refused.header("retry-after").is_some(),
        "Retry-After on keys_unavailable"
    );
    let (jwks, discovery) = provider.requests_served().await;
    assert_eq!((jwks, discovery), (0, 0), "nothing reached the provider");
}

/// oidc-provider takes its keys at construction, so its rotation is a new instance with the new key first:
/// the new key's token works on first use (via the discovered jwks_uri), the old one until it is retired.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_at_the_provider_is_followed() {
    const COOLDOWN_SECONDS: u64 = 1;
    let provider = OidcProvider::start(Options {
        alg: Some("ES256"),
        ..Options::default()
    })
    .await;
    let service = Launch::new()
        .providers_file(&providers_file(&provider.issuer, None))
        .env(
            "JWKS_REFRESH_COOLDOWN_SECONDS",
            &COOLDOWN_SECONDS.to_string(),
        )
        .start()
        .await;
    service.wait_ready().await;
    let tasks = format!("/api/{}/tasks", provider.client_id());
    let old_token = provider.access_token().await;
    assert_eq!(service.get(&tasks, &old_token).await.status, StatusCode::OK);

    provider.rotate().await;
    let new_token = provider.access_token().await;
    assert_ne!(
        jwt::kid(&new_token),
        jwt::kid(&old_token),
        "signed with the new key"
    );
    let first_use = service.get(&tasks, &new_token).await;
    assert_eq!(first_use.status, StatusCode::OK, "{:?}", first_use.body);
    assert_eq!(service.get(&tasks, &old_token).await.status, StatusCode::OK);

    provider.retire_oldest().await;
    // Wait out the refresh rate limit the new kid started (not an expiry test).
    tokio::time::sleep(std::time::Duration::from_millis(
        COOLDOWN_SECONDS * 1000 + 200,
    ))
    .await;
    provider.rotate().await;
    let third_token = provider.access_token().await;
    service
        .assert_new_key_accepted_and_retired_refused(&tasks, &third_token, &old_token)
        .await;
    let (jwks, discovery) = provider.requests_served().await;
    println!("oidc rotation: JWKS fetches {jwks}, discovery fetches {discovery}");
    assert_eq!(jwks, 3, "one fetch at start and one per new key");
}
