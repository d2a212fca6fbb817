//! What the providers actually publish and issue, pinned down so that an upgrade of `better-auth` or
//! `oidc-provider` that changes something backend-api relies on (or that the README states) shows up here.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::support::better_auth::{BetterAuth, Options};
use crate::support::jwt;
use crate::support::oidc::{self, OidcProvider};

fn assert_absent(claims: &Value, names: &[&str]) {
    for name in names {
        assert!(
            claims.get(name).is_none(),
            "unexpected claim {name} in {claims}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn better_auth_keys_and_tokens() {
    let better_auth = BetterAuth::start(Options::default()).await;
    let ivan = better_auth
        .sign_up_and_in("Ivan", "ivan@example.io", "facts-password-123")
        .await;
    let token = ivan.token().await;
    let (headers, jwks) = better_auth.jwks().await;
    assert!(
        headers.get("cache-control").is_none(),
        "JWKS served without Cache-Control"
    );
    let key = &jwks["keys"][0];
    assert_eq!(
        (&key["kty"], &key["crv"], &key["alg"]),
        (&json!("OKP"), &json!("Ed25519"), &json!("EdDSA"))
    );
    assert!(
        key.get("use").is_none(),
        "no `use` on Better Auth's keys: {key}"
    );
    assert_eq!(key["kid"].as_str().map(str::len), Some(32));

    let header = jwt::header(&token);
    assert_eq!(header, json!({"alg": "EdDSA", "kid": key["kid"]}), "no typ");
    let claims = jwt::claims(&token);
    assert_eq!(claims["sub"], ivan.user_id.as_str());
    assert_eq!(
        claims["iss"],
        better_auth.url.as_str(),
        "iss = origin of the base URL"
    );
    assert_eq!(
        claims["aud"],
        better_auth.url.as_str(),
        "aud = iss, a plain string"
    );
    assert_eq!(claims["email"], "ivan@example.io");
    let lifetime = claims["exp"]
        .as_i64()
        .zip(claims["iat"].as_i64())
        .map(|(exp, iat)| exp - iat);
    assert_eq!(lifetime, Some(15 * 60));
    assert_absent(&claims, &["user_id", "jti", "nbf"]);
    // The get-session header carries a token of the same shape.
    assert_eq!(
        jwt::claims(&ivan.session_jwt().await)["sub"],
        ivan.user_id.as_str()
    );
}

/// RFC 7638 thumbprint of a public JWK (the members it needs, in lexicographic order).
fn thumbprint(jwk: &Value) -> String {
    let members: &[&str] = match jwk["kty"].as_str() {
        Some("RSA") => &["e", "kty", "n"],
        Some("EC") => &["crv", "kty", "x", "y"],
        _ => &["crv", "kty", "x"],
    };
    let canonical: serde_json::Map<String, Value> = members
        .iter()
        .map(|m| ((*m).to_owned(), jwk[*m].clone()))
        .collect();
    let bytes = serde_json::to_vec(&canonical).expect("canonical JWK");
    URL_SAFE_NO_PAD.encode(Sha256::digest(bytes))
}

async fn oidc_provider_keys_and_tokens(advertise_public: bool) {
    let issuer = "https://id.example.invalid/realms/app";
    let provider = OidcProvider::start(oidc::Options {
        alg: Some("ES256"),
        issuer: Some(issuer),
        advertise_public,
    })
    .await;
    let discovery = provider.discovery().await;
    assert_eq!(discovery["issuer"], issuer);
    let jwks_uri = discovery["jwks_uri"].as_str().expect("jwks_uri");
    let advertised_origin = if advertise_public {
        "https://id.example.invalid"
    } else {
        provider.url.as_str()
    };
    assert_eq!(jwks_uri, format!("{advertised_origin}/realms/app/jwks"));

    let (headers, jwks) = provider
        .jwks_at(&format!("{}/realms/app/jwks", provider.url))
        .await;
    assert!(
        headers.get("cache-control").is_none(),
        "JWKS served without Cache-Control"
    );
    let key = &jwks["keys"][0];
    let token = provider.access_token().await;
    let header = jwt::header(&token);
    assert_eq!(
        header,
        json!({"alg": "ES256", "typ": "at+jwt", "kid": key["kid"]})
    );
    assert_eq!(
        key["kid"].as_str(),
        Some(thumbprint(key).as_str()),
        "kid = RFC 7638 thumbprint"
    );
    let claims = jwt::claims(&token);
    assert_eq!(claims["iss"], issuer);
    assert_eq!(
        claims["aud"], "backend-api",
        "aud is the plain configured string"
    );
    assert_eq!(
        claims["sub"],
        provider.client_id(),
        "client_credentials: sub = client id"
    );
    assert_eq!(claims["client_id"], provider.client_id());
    for name in ["jti", "iat", "exp"] {
        assert!(claims.get(name).is_some(), "claim {name} in {claims}");
    }
    assert_absent(&claims, &["nbf"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_provider_keys_and_tokens_with_request_host_discovery() {
    oidc_provider_keys_and_tokens(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_provider_keys_and_tokens_with_keycloak_style_discovery() {
    oidc_provider_keys_and_tokens(true).await;
}
