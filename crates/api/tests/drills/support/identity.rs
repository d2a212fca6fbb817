//! The drills' identity provider: a `test-support` JWKS server on loopback publishing one
//! Ed25519 key (its faults — stop, slow, garbage — are the server's own), and tokens signed by
//! that key the way Better Auth signs them.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};
use test_support::{JwksServer, TestKey, claims, jwks, now};

const ISSUER: &str = "https://auth.drill.example";
const AUDIENCE: &str = "backend-api-drill";

pub struct Identity {
    pub jwks: JwksServer,
    key: TestKey,
    minted: AtomicU64,
}

impl Identity {
    /// A provider whose key endpoint serves from the start.
    pub async fn start() -> Identity {
        let key = TestKey::generate("EdDSA");
        let jwks = JwksServer::start(jwks(&[&key])).await;
        Identity::new(jwks, key)
    }

    /// A provider whose key endpoint is down (connection refused) until `jwks.resume()`.
    pub async fn down() -> Identity {
        let key = TestKey::generate("EdDSA");
        let jwks = JwksServer::reserve(jwks(&[&key])).await;
        Identity::new(jwks, key)
    }

    fn new(jwks: JwksServer, key: TestKey) -> Identity {
        Identity {
            jwks,
            key,
            minted: AtomicU64::new(0),
        }
    }

    pub fn jwks_url(&self) -> String {
        self.jwks.jwks_url()
    }

    pub fn issuer(&self) -> &'static str {
        ISSUER
    }

    pub fn audience(&self) -> &'static str {
        AUDIENCE
    }

    /// A valid token for `user`, distinct from every other one minted (its own `jti`).
    pub fn token(&self, user: &str) -> String {
        self.key.sign(&self.claims(user))
    }

    /// A token for `user` whose `kid` no key set holds.
    pub fn token_with_unknown_kid(&self, user: &str) -> String {
        let n = self.minted.load(Ordering::Relaxed);
        let header = json!({"alg": "EdDSA", "typ": "JWT", "kid": format!("never-published-{n}")});
        self.key.sign_with_header(&header, &self.claims(user))
    }

    fn claims(&self, user: &str) -> Value {
        let mut claims = claims(ISSUER, AUDIENCE, user, now());
        let n = self.minted.fetch_add(1, Ordering::Relaxed);
        claims["jti"] = json!(format!("drill-{}-{n}", std::process::id()));
        claims
    }
}
