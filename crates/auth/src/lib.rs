//! `backend-api-auth`: decides, for a bearer JWT, either "user X from provider P"
//! or exactly one refusal [`Reason`] with a client-safe message and an operator hint.
//!
//! No web framework and no database here; the service wires this in.
//!
//! # Crypto stack
//! Signatures are verified with **aws-lc-rs** (AWS-LC, FIPS-validated lineage),
//! called directly rather than through `jsonwebtoken`: aws-lc-rs verifies every
//! algorithm Better Auth can sign with — EdDSA, ES256, ES384, **ES512 (P-521)**,
//! RS256, PS256 — while `jsonwebtoken` 11 cannot verify ES512; `ring` lacks
//! P-521 as well, and RustCrypto would add a second crypto implementation to a
//! tree whose TLS (rustls) already runs on aws-lc-rs. Keys are parsed once per
//! key-set fetch into `ParsedPublicKey`s, so a verification does no key decoding.
//!
//! # Layout
//! - `algorithm` — JOSE algorithm names and their aws-lc-rs parameters.
//! - `json` — strict JSON (duplicate members refused).
//! - `jws` — compact token parsing (canonical base64url, no `crit`, header never trusted).
//! - `jwk` — JWK / JWKS parsing and usability rules; `ed25519` — refused Ed25519 encodings.
//! - `claims` — `exp`, `nbf`, `iat`, `aud`, user-id checks.
//! - `provider` — one identity provider's settings; Better Auth defaults.
//! - `back_channel` — the discovery URL and the `internal_url` rewrite (pure URL functions).
//! - `fetch/` — the one bounded HTTP GET (typed [`FetchError`], hop-by-hop [`Traced`]), used by
//!   the key cache, discovery and `backend-api doctor`.
//! - `discovery` — OpenID discovery document → `jwks_uri`.
//! - `jwks/` — the per-provider key cache (refresh, single-flight, stale-if-error).
//! - `token_cache` — bounded verified-token cache.
//! - `routing` — `iss` → provider and header `alg` policy; `key_lookup` — kid → key, refresh on a miss.
//! - `verified` — [`VerifiedToken`], the accepted token (shared by verifier, explain, token cache).
//! - `verifier` — the decision pipeline; `explain` — the same decision step by step.
//! - `error` — reason codes, [`AuthError`], [`InitError`]; `status` — key-set health.
//! - `clock`, `secret`, `dev_key` — time source, HMAC secret, development key.
//! - `text` — hex, secret fingerprints, truncation of untrusted text (one definition each).
//! - `redact` — URLs shown without their credentials (`user:***@`).
//! - `observe` — metric names and descriptions.
#![warn(missing_docs)]

mod algorithm;
mod back_channel;
mod claims;
mod clock;
mod dev_key;
mod discovery;
mod ed25519;
mod error;
mod explain;
mod fetch;
mod json;
mod jwk;
mod jwks;
mod jws;
mod key_lookup;
mod observe;
mod provider;
mod redact;
mod routing;
mod secret;
mod status;
mod text;
mod token_cache;
mod verified;
mod verifier;

pub use algorithm::{Algorithm, UnknownAlgorithm};
pub use clock::{Clock, ManualClock, SystemClock};
pub use dev_key::{DevKeyError, DevelopmentKey};
pub use discovery::DiscoveryDocument;
pub use error::{AuthError, InitError, Reason};
pub use explain::{Explanation, Step, StepOutcome};
pub use fetch::{FetchError, Fetched, Fetcher, Hop, MAX_REDIRECTS, Traced, redirect_refusal};
pub use jwk::{Jwk, JwkSet, JwkSetError, RejectedKey};
pub use observe::{
    AUTH_FAILURES, AUTH_SUCCESS, JWKS_FETCHES, JWKS_KEY_SET_AGE, JWKS_KEYS, TOKEN_CACHE_HITS,
    TOKEN_CACHE_MISSES, describe_metrics,
};
pub use provider::{DEFAULT_LEEWAY, KeySource, ProviderConfig, validate_all as validate_providers};
pub use redact::{RedactedUrl, redact_url};
pub use secret::HmacSecret;
pub use status::{KeySetState, ProviderStatus};
pub use text::{fingerprint, hex, truncated};
pub use verifier::{FetchSettings, VerifiedToken, Verifier, VerifierConfig};
