//! Public keys in JWK form (RFC 7517/7518/8037) and key sets, parsed once into
//! ready-to-verify aws-lc-rs keys.
//!
//! Parsing rules, chosen so a key is only ever used the way its publisher meant:
//! - `use` other than `sig`, or `key_ops` without `verify` → not used;
//! - `alg` that is unknown, HMAC, or does not fit the key type/curve → not used;
//! - `oct` (symmetric) keys are never taken from a key set;
//! - RSA moduli under 2048 bits (or over 8192), public exponents that are not odd,
//!   below 3 or wider than 33 bits (what AWS-LC verifies with; every provider uses 65537),
//!   unsupported curves, EC points off the curve → not used;
//! - Ed25519 keys that are small-order points (the 8 encodings of the torsion
//!   subgroup: a signature that verifies under them for every message can be
//!   forged) or non-canonical (y ≥ 2^255 − 19) → not used.
//!
//! This is the one "usable" rule: a key the verifier would refuse to verify with
//! never reaches the key set, so `/ready` counts, `doctor` and verification agree.
//!
//! Unusable keys are kept as [`RejectedKey`] notes so operators can see why.
//! Certificate members (`x5c`, `x5u`) are ignored: the key material is `n`/`e`/`x`/`y`.
//!
//! Longer than most modules (about 420 lines of code, then its unit tests): the usability rule
//! above is one decision per key type, and splitting it would scatter the one rule the verifier,
//! `/ready` and `doctor` must share.

use std::sync::Arc;

use aws_lc_rs::signature::{ParsedPublicKey, RsaPublicKeyComponents};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::algorithm::{Algorithm, KeyFamily};

/// At most this many keys are read from one set (bounds work per fetch).
const MAX_KEYS: usize = 100;

/// One usable verification key.
pub struct Jwk {
    kid: Option<String>,
    alg: Option<Algorithm>,
    family: KeyFamily,
    thumbprint: String,
    verifiers: Vec<(Algorithm, ParsedPublicKey)>,
}

impl std::fmt::Debug for Jwk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwk")
            .field("kid", &self.kid)
            .field("kty", &self.key_type())
            .field("alg", &self.alg)
            .field("thumbprint", &self.thumbprint)
            .finish()
    }
}

/// Result of checking one signature with one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyCheck {
    Valid,
    BadSignature,
    /// The key cannot be used with this algorithm (kty/crv/alg mismatch).
    WrongAlgorithm,
}

impl Jwk {
    /// The key id, if the key has one.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The `alg` the publisher pinned the key to, if any.
    pub fn alg(&self) -> Option<Algorithm> {
        self.alg
    }

    /// JWK `kty`: `OKP`, `EC` or `RSA`.
    pub fn key_type(&self) -> &'static str {
        match self.family {
            KeyFamily::Ed25519 => "OKP",
            KeyFamily::P256 | KeyFamily::P384 | KeyFamily::P521 => "EC",
            KeyFamily::Rsa => "RSA",
            KeyFamily::Hmac => "oct",
        }
    }

    /// RFC 7638 SHA-256 thumbprint (base64url): identifies the key material.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// The algorithms this key may verify.
    pub fn algorithms(&self) -> impl Iterator<Item = Algorithm> + '_ {
        self.verifiers.iter().map(|(a, _)| *a)
    }

    /// True when `signature` is a valid `alg` signature of `message` by this key
    /// (false too when the key cannot be used with `alg`).
    pub fn verify_signature(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> bool {
        self.check(alg, message, signature) == KeyCheck::Valid
    }

    pub(crate) fn check(&self, alg: Algorithm, message: &[u8], signature: &[u8]) -> KeyCheck {
        match self.verifiers.iter().find(|(a, _)| *a == alg) {
            None => KeyCheck::WrongAlgorithm,
            Some((_, key)) if key.verify_sig(message, signature).is_ok() => KeyCheck::Valid,
            Some(_) => KeyCheck::BadSignature,
        }
    }

    /// Parses one JWK object; `Err` says why it cannot be used.
    pub fn from_value(value: &Value) -> Result<Jwk, String> {
        let obj = value.as_object().ok_or("a key is not a JSON object")?;
        let kty = string_member(obj, "kty")?.ok_or("no kty")?;
        if let Some(usage) = string_member(obj, "use")?
            && usage != "sig"
        {
            return Err(format!("use is {usage:?}, not \"sig\""));
        }
        if let Some(ops) = obj.get("key_ops") {
            let verify = ops
                .as_array()
                .is_some_and(|ops| ops.iter().any(|o| o == "verify"));
            if !verify {
                return Err("key_ops does not include \"verify\"".into());
            }
        }
        let alg = match string_member(obj, "alg")? {
            None => None,
            Some(name) => match name.parse::<Algorithm>() {
                Ok(a) if a.is_hmac() => return Err(format!("alg {a} is symmetric")),
                Ok(a) => Some(a),
                Err(_) => return Err(format!("alg {:?} is not supported", truncate(name))),
            },
        };
        let (family, material) = match kty {
            "OKP" => okp(obj)?,
            "EC" => ec(obj)?,
            "RSA" => rsa(obj)?,
            "oct" => return Err("symmetric (oct) keys are never taken from a key set".into()),
            other => return Err(format!("kty {:?} is not supported", truncate(other))),
        };
        let candidates: Vec<Algorithm> = Algorithm::ASYMMETRIC
            .iter()
            .copied()
            .filter(|a| a.family() == family && alg.is_none_or(|pinned| pinned == *a))
            .collect();
        if candidates.is_empty() {
            return Err(format!(
                "alg {} does not fit a {kty} key",
                alg.map_or("?", Algorithm::as_str)
            ));
        }
        let verifiers = candidates
            .into_iter()
            .map(|a| material.parse(a).map(|k| (a, k)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Jwk {
            kid: string_member(obj, "kid")?.map(str::to_owned),
            alg,
            family,
            thumbprint: material.thumbprint(),
            verifiers,
        })
    }
}

/// Decoded key material, before binding to an algorithm.
enum Material {
    Okp {
        x: Vec<u8>,
    },
    Ec {
        crv: &'static str,
        x: Vec<u8>,
        y: Vec<u8>,
    },
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
}

impl Material {
    fn parse(&self, alg: Algorithm) -> Result<ParsedPublicKey, String> {
        let parsed = match (self, alg.verification(), alg.rsa_parameters()) {
            (Material::Rsa { n, e }, _, Some(params)) => {
                RsaPublicKeyComponents { n, e }.to_parsed_public_key(params)
            }
            (Material::Okp { x }, Some(v), _) => ParsedPublicKey::new(v, x),
            (Material::Ec { x, y, .. }, Some(v), _) => {
                ParsedPublicKey::new(v, [&[4u8][..], x, y].concat())
            }
            _ => return Err(format!("key cannot be used for {alg}")),
        };
        parsed.map_err(|e| format!("invalid public key: {e}"))
    }

    /// RFC 7638: required members only, lexicographic order, no whitespace.
    fn thumbprint(&self) -> String {
        let b = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let canonical = match self {
            Material::Okp { x } => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, b(x)),
            Material::Ec { crv, x, y } => {
                format!(
                    r#"{{"crv":"{crv}","kty":"EC","x":"{}","y":"{}"}}"#,
                    b(x),
                    b(y)
                )
            }
            Material::Rsa { n, e } => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, b(e), b(n)),
        };
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    }
}

fn okp(obj: &Map<String, Value>) -> Result<(KeyFamily, Material), String> {
    match string_member(obj, "crv")? {
        Some("Ed25519") => {}
        Some(other) => return Err(format!("OKP curve {:?} is not supported", truncate(other))),
        None => return Err("OKP key without crv".into()),
    }
    let x = bytes_member(obj, "x")?;
    let point: &[u8; 32] = x
        .as_slice()
        .try_into()
        .map_err(|_| "Ed25519 x is not 32 bytes".to_owned())?;
    crate::ed25519::check_public_key(point)?;
    Ok((KeyFamily::Ed25519, Material::Okp { x }))
}

fn ec(obj: &Map<String, Value>) -> Result<(KeyFamily, Material), String> {
    let (family, crv, len) = match string_member(obj, "crv")? {
        Some("P-256") => (KeyFamily::P256, "P-256", 32),
        Some("P-384") => (KeyFamily::P384, "P-384", 48),
        Some("P-521") => (KeyFamily::P521, "P-521", 66),
        Some(other) => return Err(format!("EC curve {:?} is not supported", truncate(other))),
        None => return Err("EC key without crv".into()),
    };
    let (x, y) = (bytes_member(obj, "x")?, bytes_member(obj, "y")?);
    if x.len() != len || y.len() != len {
        return Err(format!("{crv} coordinates are not {len} bytes"));
    }
    Ok((family, Material::Ec { crv, x, y }))
}

fn rsa(obj: &Map<String, Value>) -> Result<(KeyFamily, Material), String> {
    // Some publishers keep a leading zero octet; aws-lc-rs wants the minimal form.
    let strip = |v: Vec<u8>| -> Vec<u8> {
        let start = v.iter().position(|b| *b != 0).unwrap_or(v.len());
        v[start..].to_vec()
    };
    let n = strip(bytes_member(obj, "n")?);
    let e = strip(bytes_member(obj, "e")?);
    let bits = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
    if !(2048..=8192).contains(&bits) {
        return Err(format!(
            "RSA modulus of {bits} bits (2048 to 8192 accepted)"
        ));
    }
    check_rsa_exponent(&e)?;
    Ok((KeyFamily::Rsa, Material::Rsa { n, e }))
}

/// Widest public exponent AWS-LC verifies with (it refuses larger ones at verification).
const MAX_RSA_EXPONENT_BITS: usize = 33;

/// An RSA public exponent must be odd, at least 3 and at most 33 bits wide: e = 1 makes
/// every "signature" its own message, an even e is not a permutation, and AWS-LC refuses
/// wider exponents when verifying, so such a key could never verify anything.
fn check_rsa_exponent(e: &[u8]) -> Result<(), String> {
    let bits = e.len() * 8 - e.first().map_or(8, |b| b.leading_zeros() as usize);
    let odd = e.last().is_some_and(|b| b & 1 == 1);
    if bits > MAX_RSA_EXPONENT_BITS {
        return Err(format!(
            "RSA public exponent of {bits} bits (at most {MAX_RSA_EXPONENT_BITS} accepted; 65537 is usual)"
        ));
    }
    if !odd || bits < 2 {
        let value = e.iter().fold(0u64, |v, b| (v << 8) | u64::from(*b));
        return Err(format!(
            "RSA public exponent {value} is not an odd number of at least 3 (65537 is usual)"
        ));
    }
    Ok(())
}

fn string_member<'a>(obj: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, String> {
    match obj.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("{name} is not a string")),
    }
}

fn bytes_member(obj: &Map<String, Value>, name: &str) -> Result<Vec<u8>, String> {
    let text = string_member(obj, name)?.ok_or_else(|| format!("no {name}"))?;
    // Padding is not base64url, but some publishers add it; it carries no data.
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| format!("{name} is not base64url"))
}

fn truncate(s: &str) -> String {
    crate::text::truncated(s, 40)
}

/// A key in a set that will not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedKey {
    /// Its `kid`, if it had a readable one.
    pub kid: Option<String>,
    /// Why it is not used.
    pub reason: String,
}

/// A parsed key set: the usable keys plus notes on the ones left out.
#[derive(Debug, Clone, Default)]
pub struct JwkSet {
    keys: Vec<Arc<Jwk>>,
    rejected: Vec<RejectedKey>,
}

/// Why a document is not a JWKS at all. (A well-formed set without a usable key
/// is not an error: it is authoritative, and the provider is then not ready.)
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwkSetError {
    /// Not JSON (or duplicate members).
    #[error("the answer is not JSON ({0})")]
    NotJson(String),
    /// JSON, but no `keys` array.
    #[error("the answer is JSON but not a key set (no \"keys\" array)")]
    NotAKeySet,
}

/// Why a set has no usable key, in words: "it is empty" or each rejected kid and reason.
pub(crate) fn describe_unusable(rejected: &[RejectedKey]) -> String {
    if rejected.is_empty() {
        return "the key set is empty".into();
    }
    let each: Vec<String> = rejected
        .iter()
        .map(|r| format!("kid {}: {}", r.kid.as_deref().unwrap_or("(none)"), r.reason))
        .collect();
    format!(
        "the key set has no usable signing key ({})",
        each.join("; ")
    )
}

impl JwkSet {
    /// Parses a JWKS document (`{"keys":[…]}`). A well-formed document is a set even
    /// when no key in it is usable (see [`JwkSet::is_empty`] and [`JwkSet::rejected`]).
    ///
    /// ```
    /// use backend_api_auth::{JwkSet, JwkSetError};
    /// let doc = br#"{"keys":[
    ///   {"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"a"},
    ///   {"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB","kid":"b"}]}"#;
    /// let set = JwkSet::from_json(doc).unwrap();
    /// assert_eq!(set.key_ids(), ["a"]);
    /// assert_eq!(set.rejected()[0].kid.as_deref(), Some("b"));
    /// assert!(JwkSet::from_json(br#"{"keys":[]}"#).unwrap().is_empty());
    /// assert!(matches!(JwkSet::from_json(br#"{"kes":[]}"#), Err(JwkSetError::NotAKeySet)));
    /// ```
    pub fn from_json(bytes: &[u8]) -> Result<JwkSet, JwkSetError> {
        let doc = crate::json::parse(bytes).map_err(|e| JwkSetError::NotJson(e.to_string()))?;
        let entries = doc
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(JwkSetError::NotAKeySet)?;
        let mut set = JwkSet::default();
        for entry in entries.iter().take(MAX_KEYS) {
            match Jwk::from_value(entry) {
                Ok(key) => set.keys.push(Arc::new(key)),
                Err(reason) => set.rejected.push(RejectedKey {
                    kid: entry.get("kid").and_then(Value::as_str).map(truncate),
                    reason,
                }),
            }
        }
        Ok(set)
    }

    /// The usable keys.
    pub fn keys(&self) -> &[Arc<Jwk>] {
        &self.keys
    }

    /// Keys present in the document but not used, with the reason.
    pub fn rejected(&self) -> &[RejectedKey] {
        &self.rejected
    }

    /// Number of usable keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when there is no usable key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Key ids of the usable keys (keys without one are shown as `(none)`).
    pub fn key_ids(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| k.kid().unwrap_or("(none)").to_owned())
            .collect()
    }

    /// Usable keys carrying this `kid` (`None`: keys without a kid).
    pub(crate) fn with_kid<'a>(
        &'a self,
        kid: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Arc<Jwk>> {
        self.keys.iter().filter(move |k| k.kid() == kid)
    }

    /// True when a key with this kid and thumbprint is still in the set.
    pub(crate) fn contains(&self, kid: Option<&str>, thumbprint: &str) -> bool {
        self.with_kid(kid).any(|k| k.thumbprint() == thumbprint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use test_support::TestKey;

    fn parse(jwk: Value) -> Result<Jwk, String> {
        Jwk::from_value(&jwk)
    }

    fn with(mut jwk: Value, member: &str, value: Value) -> Value {
        jwk[member] = value;
        jwk
    }

    #[test]
    fn every_public_key_type_parses_with_its_algorithms() {
        for alg in ["EdDSA", "ES256", "ES384", "ES512", "RS256", "PS512"] {
            let key = parse(TestKey::generate(alg).public_jwk()).expect(alg);
            assert_eq!(
                key.algorithms().map(Algorithm::as_str).collect::<Vec<_>>(),
                [alg]
            );
        }
    }

    #[test]
    fn encryption_keys_and_keys_without_verify_op_are_not_used() {
        let jwk = TestKey::generate("ES256").public_jwk();
        assert!(
            parse(with(jwk.clone(), "use", json!("enc")))
                .expect_err("enc")
                .contains("enc")
        );
        assert!(parse(with(jwk.clone(), "key_ops", json!(["encrypt"]))).is_err());
        assert!(parse(with(jwk, "key_ops", json!(["verify"]))).is_ok());
    }

    #[test]
    fn alg_that_does_not_fit_the_key_is_not_used() {
        let ec = TestKey::generate("ES256").public_jwk();
        assert!(
            parse(with(ec.clone(), "alg", json!("ES384"))).is_err(),
            "curve mismatch"
        );
        assert!(
            parse(with(ec.clone(), "alg", json!("RS256"))).is_err(),
            "kty mismatch"
        );
        assert!(
            parse(with(ec.clone(), "alg", json!("HS256"))).is_err(),
            "symmetric alg"
        );
        assert!(parse(with(ec.clone(), "alg", json!("none"))).is_err());
        assert!(
            parse(with(ec, "crv", json!("P-384"))).is_err(),
            "P-256 coordinates are not P-384"
        );
    }

    #[test]
    fn broken_key_material_is_not_used() {
        let ec = TestKey::generate("ES256").public_jwk();
        let off_curve = with(ec.clone(), "y", json!(ec["x"].clone()));
        assert!(
            parse(off_curve)
                .expect_err("off curve")
                .contains("invalid public key")
        );
        let small_rsa =
            json!({"kty": "RSA", "n": URL_SAFE_NO_PAD.encode([0xc5u8; 128]), "e": "AQAB"});
        assert!(
            parse(small_rsa)
                .expect_err("1024 bits")
                .contains("1024 bits")
        );
        assert!(parse(json!({"kty": "OKP", "crv": "X25519", "x": "AAAA"})).is_err());
        assert!(
            parse(json!({"kty": "oct", "k": "c2VjcmV0"}))
                .expect_err("oct")
                .contains("symmetric")
        );
        assert!(parse(json!({"kty": "EC", "crv": "P-256", "x": 1, "y": 2})).is_err());
    }

    #[test]
    fn small_order_and_non_canonical_ed25519_keys_are_not_used() {
        // The issue's keys: the identity point (y = 1) and all zeros (order 4).
        for x in [
            "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            let reason =
                parse(json!({"kty": "OKP", "crv": "Ed25519", "x": x})).expect_err("small order");
            assert!(reason.contains("small-order"), "{reason}");
        }
        // y = 2^255 - 1 is not below p.
        let non_canonical = URL_SAFE_NO_PAD.encode([[0xffu8; 31].as_slice(), &[0x7f]].concat());
        let reason = parse(json!({"kty": "OKP", "crv": "Ed25519", "x": non_canonical}))
            .expect_err("non-canonical");
        assert!(reason.contains("canonical"), "{reason}");
    }

    #[test]
    fn rsa_exponents_other_than_odd_from_3_to_33_bits_are_not_used() {
        let jwk = TestKey::generate("RS256").public_jwk();
        let with_e = |e: &[u8]| parse(with(jwk.clone(), "e", json!(URL_SAFE_NO_PAD.encode(e))));
        for bad in [
            &[1u8][..],
            &[2],
            &[0, 1],
            &[1, 0, 0, 0, 0, 0, 0, 0, 1], // 2^64 + 1
            &[2, 0, 0, 0, 1],             // 2^33 + 1: 34 bits
            &[1, 0, 0],                   // 65536, even
        ] {
            let reason = with_e(bad).expect_err("bad exponent");
            assert!(reason.contains("RSA public exponent"), "{bad:?}: {reason}");
        }
        for good in [&[3u8][..], &[1, 0, 1], &[1, 0, 0, 0, 1]] {
            assert!(with_e(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn thumbprint_follows_rfc7638() {
        // RFC 7638 §3.1 example key and thumbprint.
        let key = parse(json!({
            "kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        }))
        .expect("RFC 7638 key");
        assert_eq!(
            key.thumbprint(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn key_set_keeps_usable_keys_and_explains_the_rest() {
        let good = TestKey::generate("EdDSA").public_jwk();
        let doc = json!({"keys": [good, {"kty": "oct", "k": "eA", "kid": "sym"}]});
        let set = JwkSet::from_json(doc.to_string().as_bytes()).expect("one usable");
        assert_eq!((set.len(), set.rejected().len()), (1, 1));
        assert_eq!(set.rejected()[0].kid.as_deref(), Some("sym"));
        assert!(
            JwkSet::from_json(b"{\"keys\":[]}")
                .expect("empty")
                .is_empty()
        );
        assert!(matches!(
            JwkSet::from_json(b"{\"kes\":[]}"),
            Err(JwkSetError::NotAKeySet)
        ));
        assert!(matches!(
            JwkSet::from_json(b"<html>"),
            Err(JwkSetError::NotJson(_))
        ));
    }
}
