//! An OpenID Connect provider (npm `oidc-provider`, `interop/oidc/server.mjs`) issuing JWT access tokens
//! for the audience `backend-api` through the client_credentials grant.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::http::{client, get_json};
use super::process::{Running, node_server, wait_listening};

/// How to run the provider; `Default` = RS256, issuer = its loopback URL, discovery on the request host.
#[derive(Default)]
pub struct Options<'a> {
    pub alg: Option<&'a str>,
    /// Public issuer (may not resolve); the provider still listens on loopback, under the issuer's path.
    pub issuer: Option<&'a str>,
    /// Discovery advertises endpoints on the public issuer's origin, as Keycloak does.
    pub advertise_public: bool,
}

pub struct OidcProvider {
    /// `http://127.0.0.1:<port>`: the back channel (what `internal_url` points at).
    pub url: String,
    pub issuer: String,
    token_endpoint: String,
    client_id: String,
    client_secret: String,
    http: reqwest::Client,
    _process: Running,
}

fn text(listening: &Value, field: &str) -> String {
    listening[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in the listening line"))
        .to_owned()
}

impl OidcProvider {
    pub async fn start(options: Options<'_>) -> OidcProvider {
        let mut command = node_server("oidc/server.mjs");
        if let Some(alg) = options.alg {
            command.env("OIDC_ALG", alg);
        }
        if let Some(issuer) = options.issuer {
            command.env("OIDC_ISSUER", issuer);
        }
        if options.advertise_public {
            command.env("OIDC_ADVERTISE", "issuer");
        }
        let mut process = Running::spawn("oidc-provider", command);
        let listening = wait_listening(&mut process).await;
        OidcProvider {
            url: text(&listening, "url"),
            issuer: text(&listening, "issuer"),
            token_endpoint: text(&listening, "token_endpoint"),
            client_id: text(&listening, "client_id"),
            client_secret: text(&listening, "client_secret"),
            http: client(),
            _process: process,
        }
    }

    /// The client id, which client_credentials puts into `sub`: the user id backend-api sees.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// An access token from the client_credentials grant (JWT, `aud` = backend-api).
    pub async fn access_token(&self) -> String {
        let response = self
            .http
            .post(&self.token_endpoint)
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("token request");
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "client_credentials grant"
        );
        let body: Value = response.json().await.expect("token body");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// (JWKS requests, discovery requests) the provider served on loopback so far.
    pub async fn requests_served(&self) -> (u64, u64) {
        let (_, body) = get_json(&self.http, &format!("{}/__interop/stats", self.url)).await;
        let count = |field: &str| body[field].as_u64().expect("a request count");
        (count("jwks_requests"), count("discovery_requests"))
    }

    /// A new signing key; the previous ones stay published (oidc-provider is rebuilt behind the same port).
    pub async fn rotate(&self) {
        self.control("/__interop/rotate").await;
    }

    /// Stops publishing the oldest key.
    pub async fn retire_oldest(&self) {
        self.control("/__interop/retire-oldest").await;
    }

    async fn control(&self, path: &str) {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .send()
            .await
            .expect("control request");
        assert_eq!(response.status(), StatusCode::OK, "POST {path}");
    }

    /// The discovery document as served on loopback (under the issuer's path).
    pub async fn discovery(&self) -> Value {
        let path = url::Url::parse(&self.issuer)
            .expect("issuer URL")
            .path()
            .trim_end_matches('/')
            .to_owned();
        let url = format!("{}{path}/.well-known/openid-configuration", self.url);
        get_json(&self.http, &url).await.1
    }

    /// GET of a JWKS URL on loopback: response headers and the key set.
    pub async fn jwks_at(&self, url: &str) -> (HeaderMap, Value) {
        get_json(&self.http, url).await
    }
}
