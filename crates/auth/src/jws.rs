//! Compact JWS parsing (RFC 7515 §7.1) of an untrusted token, before any key is
//! looked at: three base64url parts, canonical encoding, strict JSON objects.
//!
//! Nothing here trusts the header: `jku`, `x5u`, `jwk` and `x5c` are never read,
//! and a `crit` header is refused outright because we implement no extension.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// A token split and decoded, signature not yet checked.
#[derive(Debug)]
pub(crate) struct Compact<'a> {
    /// `base64url(header) . base64url(payload)`: the bytes that were signed.
    pub signing_input: &'a [u8],
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    pub signature: Vec<u8>,
}

/// Why a token could not even be parsed (all map to `token_malformed`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ParseError {
    #[error("a token has three dot-separated parts, this one has {0}")]
    PartCount(usize),
    #[error("the {0} is not canonical unpadded base64url")]
    Base64(&'static str),
    #[error("the {0} is not a JSON object ({1})")]
    Json(&'static str, String),
    #[error("the header has a crit parameter; no JWS extension is supported")]
    Crit,
    #[error("the header has no alg string")]
    NoAlg,
    #[error("the header kid is not a string")]
    KidType,
}

impl<'a> Compact<'a> {
    pub(crate) fn parse(token: &'a str) -> Result<Compact<'a>, ParseError> {
        let parts: Vec<&str> = token.split('.').collect();
        let &[header_b64, claims_b64, signature_b64] = parts.as_slice() else {
            return Err(ParseError::PartCount(parts.len()));
        };
        let header = object(decode(header_b64, "header")?, "header")?;
        if header.contains_key("crit") {
            return Err(ParseError::Crit);
        }
        if !header.get("alg").is_some_and(Value::is_string) {
            return Err(ParseError::NoAlg);
        }
        if header.get("kid").is_some_and(|k| !k.is_string()) {
            return Err(ParseError::KidType);
        }
        let claims = object(decode(claims_b64, "payload")?, "payload")?;
        // An empty signature parses: `alg: none` tokens are then refused as
        // alg_not_allowed, and an empty signature on a real alg as bad_signature.
        let signature = decode(signature_b64, "signature")?;
        let signed_len = header_b64.len() + 1 + claims_b64.len();
        Ok(Compact {
            signing_input: &token.as_bytes()[..signed_len],
            header,
            claims,
            signature,
        })
    }

    /// The header `alg` exactly as written (checked to be a string by `parse`).
    pub(crate) fn alg(&self) -> &str {
        self.header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The header `kid`, if present (checked to be a string by `parse`).
    pub(crate) fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }
}

/// Strict decoding: the base64 engine refuses padding, non-alphabet bytes and
/// non-zero trailing bits, so each token has exactly one spelling.
fn decode(part: &str, what: &'static str) -> Result<Vec<u8>, ParseError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| ParseError::Base64(what))
}

fn object(bytes: Vec<u8>, what: &'static str) -> Result<Map<String, Value>, ParseError> {
    match crate::json::parse(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ParseError::Json(what, "not an object".into())),
        Err(e) => Err(ParseError::Json(what, e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn token(header: &str, claims: &str) -> String {
        format!("{}.{}.{}", b64(header), b64(claims), b64("sig"))
    }

    #[test]
    fn well_formed_token_is_split() {
        let t = token(r#"{"alg":"EdDSA","kid":"k1"}"#, r#"{"sub":"a"}"#);
        let c = Compact::parse(&t).expect("parses");
        assert_eq!(c.alg(), "EdDSA");
        assert_eq!(c.kid(), Some("k1"));
        assert_eq!(c.claims["sub"], "a");
        assert_eq!(c.signature, b"sig");
        assert_eq!(
            c.signing_input,
            t.rsplit_once('.').expect("dot").0.as_bytes()
        );
    }

    #[test]
    fn wrong_part_counts_are_refused() {
        let t = token(r#"{"alg":"EdDSA"}"#, "{}");
        assert_eq!(
            Compact::parse("a.b").expect_err("refused"),
            ParseError::PartCount(2)
        );
        assert_eq!(
            Compact::parse(&format!("{t}.x")).expect_err("refused"),
            ParseError::PartCount(4)
        );
    }

    #[test]
    fn padding_and_non_canonical_base64_are_refused() {
        let t = token(r#"{"alg":"EdDSA"}"#, "{}");
        assert!(Compact::parse(&format!("{t}=")).is_err());
        // "c2lnZ" would decode with non-zero trailing bits.
        let (head, _) = t.rsplit_once('.').expect("dot");
        assert!(Compact::parse(&format!("{head}.c2lnZ")).is_err());
        assert!(Compact::parse(&format!("{head}.c2ln+w")).is_err());
    }

    #[test]
    fn crit_kid_type_and_missing_alg_are_refused() {
        assert_eq!(
            Compact::parse(&token(r#"{"alg":"EdDSA","crit":["exp"]}"#, "{}")).expect_err("refused"),
            ParseError::Crit
        );
        assert_eq!(
            Compact::parse(&token(r#"{"alg":"EdDSA","kid":7}"#, "{}")).expect_err("refused"),
            ParseError::KidType
        );
        assert_eq!(
            Compact::parse(&token(r#"{"typ":"JWT"}"#, "{}")).expect_err("refused"),
            ParseError::NoAlg
        );
    }

    #[test]
    fn non_object_payload_is_refused() {
        assert!(Compact::parse(&token(r#"{"alg":"EdDSA"}"#, "[1]")).is_err());
        assert!(Compact::parse(&token(r#""EdDSA""#, "{}")).is_err());
    }
}
