//! Better Auth (npm `better-auth` + `jwt` plugin, `interop/better-auth/server.mjs`) and a signed-in user's
//! session, driven through Better Auth's own HTTP API the way a browser frontend does.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use super::http::{client, get_json};
use super::process::{Running, node_server, wait_listening};

/// How to run Better Auth; `Default` = its defaults (EdDSA, base URL = its loopback URL).
#[derive(Default)]
pub struct Options<'a> {
    /// `jwks.keyPairConfig.alg`: EdDSA, ES256, ES384, ES512, RS256, PS256.
    pub alg: Option<&'a str>,
    /// Public base URL Better Auth believes it has (its origin becomes `iss` and `aud`).
    pub base_url: Option<&'a str>,
    /// Better Auth's own BETTER_AUTH_SECRET.
    pub secret: Option<&'a str>,
}

pub struct BetterAuth {
    /// Where backend-api and the tests reach it: `http://127.0.0.1:<port>`.
    pub url: String,
    /// The public base URL, whose origin Better Auth writes into `iss` and `aud`.
    pub base_url: String,
    http: reqwest::Client,
    _process: Running,
}

/// A signed-in user: Better Auth's session cookie and the user id it reported.
pub struct Session<'a> {
    better_auth: &'a BetterAuth,
    cookie: String,
    pub user_id: String,
}

impl BetterAuth {
    pub async fn start(options: Options<'_>) -> BetterAuth {
        let mut command = node_server("better-auth/server.mjs");
        if let Some(alg) = options.alg {
            command.env("BA_ALG", alg);
        }
        if let Some(base_url) = options.base_url {
            command.env("BA_BASE_URL", base_url);
        }
        if let Some(secret) = options.secret {
            command.env("BA_SECRET", secret);
        }
        let mut process = Running::spawn("better-auth", command);
        let listening = wait_listening(&mut process).await;
        BetterAuth {
            url: listening["url"].as_str().expect("url").to_owned(),
            base_url: listening["base_url"].as_str().expect("base_url").to_owned(),
            http: client(),
            _process: process,
        }
    }

    /// The `Origin` a browser on the public site sends; Better Auth refuses cookie POSTs without one.
    fn origin(&self) -> String {
        url::Url::parse(&self.base_url)
            .expect("base URL")
            .origin()
            .ascii_serialization()
    }

    async fn post_json(&self, path: &str, cookie: Option<&str>, body: Value) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("{}{path}", self.url))
            .header("origin", self.origin())
            .json(&body);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.expect("Better Auth request");
        assert_eq!(response.status(), StatusCode::OK, "POST {path}");
        response
    }

    /// `POST /api/auth/sign-up/email`, then `POST /api/auth/sign-in/email` with the same credentials.
    pub async fn sign_up_and_in(&self, name: &str, email: &str, password: &str) -> Session<'_> {
        let signed_up = self
            .post_json(
                "/api/auth/sign-up/email",
                None,
                json!({"name": name, "email": email, "password": password}),
            )
            .await;
        let up: Value = signed_up.json().await.expect("sign-up body");
        let signed_in = self
            .post_json(
                "/api/auth/sign-in/email",
                None,
                json!({"email": email, "password": password}),
            )
            .await;
        let cookie = session_cookie(signed_in.headers());
        let body: Value = signed_in.json().await.expect("sign-in body");
        let user_id = body["user"]["id"].as_str().expect("user id").to_owned();
        assert_eq!(up["user"]["id"], body["user"]["id"], "same user");
        Session {
            better_auth: self,
            cookie,
            user_id,
        }
    }

    /// Creates a new signing key through the jwt plugin (`createJwk`); returns its kid.
    pub async fn rotate(&self) -> String {
        let reply = self.control("/__interop/rotate").await;
        reply["kid"].as_str().expect("kid").to_owned()
    }

    /// Stops publishing key `kid` the way Better Auth does once a rotated key's grace period is over.
    pub async fn retire(&self, kid: &str) {
        self.control(&format!("/__interop/retire?kid={kid}")).await;
    }

    /// Has Better Auth sign arbitrary claims with its current key (server-side `signJWT`).
    pub async fn sign(&self, claims: Value) -> String {
        let response = self
            .http
            .post(format!("{}/__interop/sign", self.url))
            .json(&claims)
            .send()
            .await
            .expect("sign request");
        let body: Value = response.json().await.expect("sign body");
        body["token"].as_str().expect("token").to_owned()
    }

    /// GETs of `/api/auth/jwks` Better Auth served so far: the JWKS fetches made on the wire.
    pub async fn jwks_requests(&self) -> u64 {
        let (_, body) = get_json(&self.http, &format!("{}/__interop/stats", self.url)).await;
        body["jwks_requests"].as_u64().expect("jwks_requests")
    }

    /// `GET /api/auth/jwks`: response headers and the key set.
    pub async fn jwks(&self) -> (HeaderMap, Value) {
        get_json(&self.http, &format!("{}/api/auth/jwks", self.url)).await
    }

    async fn control(&self, path: &str) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .send()
            .await
            .expect("control request");
        assert_eq!(response.status(), StatusCode::OK, "POST {path}");
        response.json().await.expect("control body")
    }
}

/// `name=value` of Better Auth's session cookie (`better-auth.session_token`, or `__Secure-…` on https).
fn session_cookie(headers: &HeaderMap) -> String {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| pair.contains("session_token="))
        .expect("a session cookie")
        .to_owned()
}

impl Session<'_> {
    /// A JWT from `GET /api/auth/token`.
    pub async fn token(&self) -> String {
        let response = self
            .better_auth
            .http
            .get(format!("{}/api/auth/token", self.better_auth.url))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("token request");
        assert_eq!(response.status(), StatusCode::OK, "GET /api/auth/token");
        let body: Value = response.json().await.expect("token body");
        body["token"].as_str().expect("token").to_owned()
    }

    /// The JWT Better Auth puts in the `set-auth-jwt` header of `GET /api/auth/get-session`.
    pub async fn session_jwt(&self) -> String {
        let response = self
            .better_auth
            .http
            .get(format!("{}/api/auth/get-session", self.better_auth.url))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("get-session request");
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "GET /api/auth/get-session"
        );
        response
            .headers()
            .get("set-auth-jwt")
            .and_then(|v| v.to_str().ok())
            .expect("set-auth-jwt header")
            .to_owned()
    }
}
