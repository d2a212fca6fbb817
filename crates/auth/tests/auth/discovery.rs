//! OpenID discovery through the back channel: the public issuer hostname does
//! not resolve inside the cluster (Keycloak behind a public name), `internal_url` sends those requests to the
//! in-cluster address instead, and without it the error says what to set.

use backend_api_auth::{KeySetState, KeySource, ProviderConfig, Reason};
use serde_json::json;
use test_support::{JwksServer, TestKey, jwks};
use url::Url;

use crate::helpers::{self, AUDIENCE, wait_for_state};

/// A public issuer on a host that cannot resolve (RFC 2606 `.invalid`).
const PUBLIC_ISSUER: &str = "http://id.example.invalid/realms/app";

fn discovery_provider(internal: Option<&str>) -> ProviderConfig {
    ProviderConfig {
        internal_url: internal.map(|u| Url::parse(u).expect("url")),
        audiences: Some(vec![AUDIENCE.into()]),
        ..ProviderConfig::new("keycloak", PUBLIC_ISSUER, KeySource::Discovery)
    }
}

#[tokio::test]
async fn discovery_goes_through_internal_url_for_document_and_keys() {
    let key = TestKey::generate("RS256");
    let server = JwksServer::start(jwks(&[&key])).await;
    server.set_discovery(json!({
        "issuer": PUBLIC_ISSUER,
        "jwks_uri": format!("{PUBLIC_ISSUER}/protocol/openid-connect/certs"),
    }));
    let verifier = helpers::verifier(
        vec![discovery_provider(Some(&server.base_url()))],
        helpers::clock(),
    );
    verifier.start();
    wait_for_state(&verifier, KeySetState::Fresh).await;
    let status = &verifier.status()[0];
    assert_eq!(
        status.jwks_url.as_deref(),
        Some(
            format!(
                "{}/realms/app/protocol/openid-connect/certs",
                server.base_url()
            )
            .as_str()
        )
    );
    assert_eq!(
        (server.discovery_requests(), server.jwks_requests()),
        (1, 1)
    );
    let claims = test_support::claims(PUBLIC_ISSUER, AUDIENCE, "kc-user", test_support::now());
    assert_eq!(
        verifier
            .verify(&key.sign(&claims))
            .await
            .expect("accepted")
            .user_id,
        "kc-user"
    );
}

#[tokio::test]
async fn unresolvable_issuer_host_error_names_the_host_and_says_set_internal_url() {
    let verifier = helpers::verifier(vec![discovery_provider(None)], helpers::clock());
    let err = verifier
        .refresh("keycloak")
        .await
        .expect_err("cannot resolve");
    assert_eq!(err.reason(), Reason::KeysUnavailable);
    let hint = err.hint().expect("hint");
    assert!(
        hint.contains("id.example.invalid") && hint.contains("set internal_url"),
        "{hint}"
    );
}

#[tokio::test]
async fn jwks_url_on_the_issuer_origin_is_also_rewritten() {
    let key = TestKey::generate("EdDSA");
    let server = JwksServer::start(jwks(&[&key])).await;
    let provider = ProviderConfig {
        internal_url: Some(Url::parse(&server.base_url()).expect("url")),
        ..ProviderConfig::new(
            "idp",
            "http://id.example.invalid",
            KeySource::JwksUrl(Url::parse("http://id.example.invalid/jwks").expect("url")),
        )
    };
    let verifier = helpers::verifier(vec![provider], helpers::clock());
    verifier
        .refresh("idp")
        .await
        .expect("fetched through internal_url");
    assert_eq!(server.jwks_requests(), 1);
}

#[tokio::test]
async fn missing_discovery_document_is_reported_with_its_url() {
    let server = JwksServer::start(json!({"keys": []})).await;
    let verifier = helpers::verifier(
        vec![discovery_provider(Some(&server.base_url()))],
        helpers::clock(),
    );
    let hint = verifier
        .refresh("keycloak")
        .await
        .expect_err("404")
        .hint()
        .expect("hint")
        .to_owned();
    assert!(
        hint.contains("/realms/app/.well-known/openid-configuration") && hint.contains("404"),
        "{hint}"
    );
}
