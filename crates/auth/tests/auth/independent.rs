//! The verifier for the independent fixtures (fixtures/independent.json): one provider with
//! every asymmetric fixture key and the HMAC secret. Shared, through `#[path]`, with the fuzz
//! target `verify_token`, so the tests and the fuzzer verify against the same configuration.

use backend_api_auth::{HmacSecret, JwkSet, KeySource, ProviderConfig, VerifierConfig};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// The fixture document's key set.
pub fn fixture_keys(doc: &Value) -> JwkSet {
    JwkSet::from_json(doc["jwks"].to_string().as_bytes()).expect("fixture JWKS parses")
}

/// One provider holding `keys` and the fixture HMAC secret, with no token cache: every call
/// must reach the signature check, not a cached verdict.
pub fn fixture_config(doc: &Value, keys: JwkSet) -> VerifierConfig {
    let secret = URL_SAFE_NO_PAD
        .decode(doc["hmac_secret"].as_str().expect("secret"))
        .expect("base64url secret");
    let provider = ProviderConfig {
        audiences: Some(vec![doc["audience"].as_str().expect("aud").to_owned()]),
        hmac_secret: Some(HmacSecret::new(secret)),
        ..ProviderConfig::new(
            "fixtures",
            doc["issuer"].as_str().expect("iss"),
            KeySource::Static(keys),
        )
    };
    VerifierConfig {
        providers: vec![provider],
        token_cache_capacity: 0,
        ..VerifierConfig::default()
    }
}
