//! Better Auth and an OIDC provider configured at once: each token is routed by its `iss` to its own
//! provider's keys, and a token naming one provider but signed with the other's key is refused.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::better_auth::{BetterAuth, Options};
use crate::support::oidc::{self, OidcProvider};
use crate::support::service::Launch;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_routed_by_issuer_to_their_own_keys() {
    let better_auth = BetterAuth::start(Options::default()).await;
    let provider = OidcProvider::start(oidc::Options {
        alg: Some("ES256"),
        ..oidc::Options::default()
    })
    .await;
    let providers = format!(
        "[[provider]]\nname = \"oidc\"\nissuer = \"{}\"\ndiscovery = true\naudiences = [\"backend-api\"]\n",
        provider.issuer
    );
    let service = Launch::new()
        .env("BETTER_AUTH_URL", &better_auth.url)
        .providers_file(&providers)
        .start()
        .await;
    service.wait_ready().await;

    let heidi = better_auth
        .sign_up_and_in("Heidi", "heidi@example.com", "two-providers-pass-1")
        .await;
    let from_better_auth = service
        .get(
            &format!("/api/{}/tasks", heidi.user_id),
            &heidi.token().await,
        )
        .await;
    assert_eq!(
        from_better_auth.status,
        StatusCode::OK,
        "{:?}",
        from_better_auth.body
    );
    let from_oidc = service
        .get(
            &format!("/api/{}/tasks", provider.client_id()),
            &provider.access_token().await,
        )
        .await;
    assert_eq!(from_oidc.status, StatusCode::OK, "{:?}", from_oidc.body);

    // Better Auth's key signs a token claiming the OIDC provider as issuer: the OIDC keys do not have it.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let forged = better_auth
        .sign(json!({
            "iss": provider.issuer,
            "aud": "backend-api",
            "sub": provider.client_id(),
            "iat": now,
            "exp": now + 300,
        }))
        .await;
    let refused = service
        .get(&format!("/api/{}/tasks", provider.client_id()), &forged)
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNAUTHORIZED,
        "{:?}",
        refused.body
    );
    assert_eq!(refused.code(), Some("unknown_kid"));
}
