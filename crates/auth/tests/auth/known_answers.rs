//! Published examples: if these fail, the primitives or the JWS signing-input
//! construction are wrong, whatever our own round trips say.

use std::sync::Arc;

use backend_api_auth::{
    Algorithm, Clock, JwkSet, KeySource, ManualClock, ProviderConfig, Reason, SystemClock,
    Verifier, VerifierConfig,
};
use serde_json::json;

use crate::helpers::{flip_signature_bit, reason};

// RFC 7515 §A.2 / §A.3 share this payload: {"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}
const RFC7515_PAYLOAD: &str = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";

const RFC7515_A2_N: &str = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
const RFC7515_A2_SIG: &str = "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

const RFC7515_A3_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
const RFC7515_A3_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
const RFC7515_A3_SIG: &str =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

const RFC8037_A4_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
const RFC8037_A4_TOKEN: &str = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

/// A verifier trusting issuer "joe" with `jwk`, its clock just before the RFC's exp.
fn rfc7515_verifier(jwk: serde_json::Value) -> Verifier {
    rfc7515_verifier_at(jwk, Arc::new(ManualClock::at_unix(1_300_819_000)))
}

fn rfc7515_verifier_at(jwk: serde_json::Value, clock: Arc<dyn Clock>) -> Verifier {
    let set =
        JwkSet::from_json(json!({ "keys": [jwk] }).to_string().as_bytes()).expect("RFC key parses");
    let provider = ProviderConfig {
        // The RFC payload has no user claim; use iss so the token can be accepted.
        user_claims: vec!["iss".into()],
        ..ProviderConfig::new("rfc", "joe", KeySource::Static(set))
    };
    let config = VerifierConfig {
        providers: vec![provider],
        ..Default::default()
    };
    Verifier::with_clock(config, clock).expect("config")
}

async fn assert_rfc7515(verifier: Verifier, header: &str, signature: &str) {
    let token = format!("{header}.{RFC7515_PAYLOAD}.{signature}");
    let accepted = verifier.verify(&token).await.expect("RFC example verifies");
    assert_eq!(accepted.expires_at, 1_300_819_380);
    assert_eq!(accepted.claims["http://example.com/is_root"], true);
    assert_eq!(
        reason(verifier.verify(&flip_signature_bit(&token, 0)).await),
        Reason::BadSignature
    );
}

#[tokio::test]
async fn rfc7515_a2_rs256_example_verifies() {
    let verifier = rfc7515_verifier(json!({"kty": "RSA", "n": RFC7515_A2_N, "e": "AQAB"}));
    assert_rfc7515(verifier, "eyJhbGciOiJSUzI1NiJ9", RFC7515_A2_SIG).await;
}

#[tokio::test]
async fn rfc7515_a3_es256_example_verifies() {
    let verifier = rfc7515_verifier(
        json!({"kty": "EC", "crv": "P-256", "x": RFC7515_A3_X, "y": RFC7515_A3_Y}),
    );
    assert_rfc7515(verifier, "eyJhbGciOiJFUzI1NiJ9", RFC7515_A3_SIG).await;
}

#[tokio::test]
async fn rfc7515_example_is_expired_at_the_real_time() {
    let jwk = json!({"kty": "EC", "crv": "P-256", "x": RFC7515_A3_X, "y": RFC7515_A3_Y});
    let verifier = rfc7515_verifier_at(jwk, Arc::new(SystemClock));
    let token = format!("eyJhbGciOiJFUzI1NiJ9.{RFC7515_PAYLOAD}.{RFC7515_A3_SIG}");
    assert_eq!(reason(verifier.verify(&token).await), Reason::Expired);
}

#[test]
fn rfc8037_a4_ed25519_signature_verifies() {
    let set = JwkSet::from_json(
        json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": RFC8037_A4_X}]})
            .to_string()
            .as_bytes(),
    )
    .expect("RFC 8037 key parses");
    let key = &set.keys()[0];
    let (input, sig) = RFC8037_A4_TOKEN.rsplit_once('.').expect("parts");
    use base64::Engine;
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(sig)
        .expect("b64");
    assert!(key.verify_signature(Algorithm::EdDSA, input.as_bytes(), &sig));
    let mut bad = sig.clone();
    bad[10] ^= 0x40;
    assert!(!key.verify_signature(Algorithm::EdDSA, input.as_bytes(), &bad));
    assert!(
        !key.verify_signature(Algorithm::ES256, input.as_bytes(), &sig),
        "an OKP key never verifies ES256"
    );
    // RFC 8037 A.3: the thumbprint of this key.
    assert_eq!(
        key.thumbprint(),
        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    );
}

#[tokio::test]
async fn rfc8037_a4_token_is_refused_as_a_jwt_because_its_payload_is_not_json() {
    let set = JwkSet::from_json(
        json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": RFC8037_A4_X}]})
            .to_string()
            .as_bytes(),
    )
    .expect("key");
    let verifier = Verifier::new(VerifierConfig {
        providers: vec![ProviderConfig::new("rfc", "x", KeySource::Static(set))],
        ..Default::default()
    })
    .expect("config");
    assert_eq!(
        reason(verifier.verify(RFC8037_A4_TOKEN).await),
        Reason::TokenMalformed
    );
}
