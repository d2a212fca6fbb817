//! Test signing keys for every JOSE algorithm, and token minting with any
//! header and payload — including deliberately broken ones for attack tests.
//!
//! Independent of `backend-api-auth` on purpose: tokens are built here from
//! aws-lc-rs primitives and raw JSON, so a bug in the core's parser or key
//! handling cannot be mirrored by the code that makes its test inputs.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use aws_lc_rs::{hmac, signature::EcdsaSigningAlgorithm};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// Every algorithm the core supports, JOSE names.
pub const ALL_ALGORITHMS: &[&str] = &[
    "EdDSA", "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
    "HS256", "HS384", "HS512",
];

/// Unpadded base64url.
pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Joins raw parts into a compact token: `b64(header).b64(payload).b64(signature)`.
pub fn compact(header: &[u8], payload: &[u8], signature: &[u8]) -> String {
    format!("{}.{}.{}", b64(header), b64(payload), b64(signature))
}

enum Material {
    Ed25519(Ed25519KeyPair),
    Ec(EcdsaKeyPair, &'static str),
    Rsa(RsaKeyPair),
    Hmac(Vec<u8>),
}

/// A private key able to sign for one algorithm family.
pub struct TestKey {
    alg: String,
    kid: String,
    material: Material,
}

impl TestKey {
    /// A fresh key for `alg` (JOSE name) with a random kid. Panics on an unknown name.
    pub fn generate(alg: &str) -> TestKey {
        let ec = |a: &'static EcdsaSigningAlgorithm, crv| {
            Material::Ec(EcdsaKeyPair::generate(a).expect("EC key generation"), crv)
        };
        let material = match alg {
            "EdDSA" => {
                Material::Ed25519(Ed25519KeyPair::generate().expect("Ed25519 key generation"))
            }
            "ES256" => ec(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, "P-256"),
            "ES384" => ec(&signature::ECDSA_P384_SHA384_FIXED_SIGNING, "P-384"),
            "ES512" => ec(&signature::ECDSA_P521_SHA512_FIXED_SIGNING, "P-521"),
            a if a.starts_with("RS") || a.starts_with("PS") => {
                Material::Rsa(RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key generation"))
            }
            a if a.starts_with("HS") => Material::Hmac(random_bytes(32)),
            other => panic!("unknown algorithm {other}"),
        };
        TestKey {
            alg: alg.to_owned(),
            kid: format!("kid-{}", b64(random_bytes(9))),
            material,
        }
    }

    /// An HMAC key with the given secret bytes.
    pub fn hmac(alg: &str, secret: &[u8]) -> TestKey {
        TestKey {
            alg: alg.to_owned(),
            kid: "hmac".into(),
            material: Material::Hmac(secret.to_vec()),
        }
    }

    /// Same key under another kid.
    pub fn with_kid(mut self, kid: impl Into<String>) -> TestKey {
        self.kid = kid.into();
        self
    }

    /// Same key used for another algorithm of its family (RS256 key → PS384).
    pub fn with_alg(mut self, alg: impl Into<String>) -> TestKey {
        self.alg = alg.into();
        self
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm it signs with.
    pub fn alg(&self) -> &str {
        &self.alg
    }

    /// The public key as a JWK (with kid, alg, use=sig). HMAC keys give an `oct` JWK.
    pub fn public_jwk(&self) -> Value {
        let mut jwk = match &self.material {
            Material::Ed25519(k) => {
                json!({"kty": "OKP", "crv": "Ed25519", "x": b64(k.public_key())})
            }
            Material::Ec(k, crv) => {
                let point = k.public_key().as_ref();
                let half = (point.len() - 1) / 2;
                json!({"kty": "EC", "crv": crv, "x": b64(&point[1..=half]), "y": b64(&point[1 + half..])})
            }
            Material::Rsa(k) => {
                let public = k.public_key();
                json!({
                    "kty": "RSA",
                    "n": b64(public.modulus().big_endian_without_leading_zero()),
                    "e": b64(public.exponent().big_endian_without_leading_zero()),
                })
            }
            Material::Hmac(secret) => json!({"kty": "oct", "k": b64(secret)}),
        };
        jwk["kid"] = json!(self.kid);
        jwk["alg"] = json!(self.alg);
        jwk["use"] = json!("sig");
        jwk
    }

    /// Bytes an attacker can read about the public key (DER SubjectPublicKeyInfo
    /// for RSA/EC, raw point for Ed25519): the classic HS256 confusion secret.
    pub fn public_key_bytes(&self) -> Vec<u8> {
        match &self.material {
            Material::Ed25519(k) => k.public_key().as_ref().to_vec(),
            Material::Ec(k, _) => k.public_key().as_ref().to_vec(),
            Material::Rsa(k) => k.public_key().as_ref().to_vec(),
            Material::Hmac(secret) => secret.clone(),
        }
    }

    /// Signs `input` with this key's algorithm.
    pub fn sign_bytes(&self, input: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match &self.material {
            Material::Ed25519(k) => k.sign(input).as_ref().to_vec(),
            Material::Ec(k, _) => k
                .sign(&rng, input)
                .expect("ECDSA signing")
                .as_ref()
                .to_vec(),
            Material::Rsa(k) => {
                let padding: &'static dyn signature::RsaEncoding = match self.alg.as_str() {
                    "RS256" => &signature::RSA_PKCS1_SHA256,
                    "RS384" => &signature::RSA_PKCS1_SHA384,
                    "RS512" => &signature::RSA_PKCS1_SHA512,
                    "PS256" => &signature::RSA_PSS_SHA256,
                    "PS384" => &signature::RSA_PSS_SHA384,
                    "PS512" => &signature::RSA_PSS_SHA512,
                    other => panic!("an RSA key cannot sign {other}"),
                };
                let mut sig = vec![0; k.public_modulus_len()];
                k.sign(padding, &rng, input, &mut sig).expect("RSA signing");
                sig
            }
            Material::Hmac(secret) => {
                let alg = match self.alg.as_str() {
                    "HS256" => hmac::HMAC_SHA256,
                    "HS384" => hmac::HMAC_SHA384,
                    "HS512" => hmac::HMAC_SHA512,
                    other => panic!("an HMAC key cannot sign {other}"),
                };
                hmac::sign(&hmac::Key::new(alg, secret), input)
                    .as_ref()
                    .to_vec()
            }
        }
    }

    /// A token with header `{"alg","typ":"JWT","kid"}` and these claims.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_header(
            &json!({"alg": self.alg, "typ": "JWT", "kid": self.kid}),
            claims,
        )
    }

    /// A token with exactly this header (whatever its `alg` says), signed by this key.
    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        self.sign_raw(header.to_string().as_bytes(), claims.to_string().as_bytes())
    }

    /// A token from raw header and payload bytes (duplicate members, odd JSON…).
    pub fn sign_raw(&self, header: &[u8], payload: &[u8]) -> String {
        let input = format!("{}.{}", b64(header), b64(payload));
        format!("{input}.{}", b64(self.sign_bytes(input.as_bytes())))
    }
}

/// A JWKS document holding the public JWKs of `keys`.
pub fn jwks(keys: &[&TestKey]) -> Value {
    json!({ "keys": keys.iter().map(|k| k.public_jwk()).collect::<Vec<_>>() })
}

/// Standard claims for `iss`/`aud`/`sub`, valid from `now` for an hour.
pub fn claims(iss: &str, aud: &str, sub: &str, now: i64) -> Value {
    json!({"iss": iss, "aud": aud, "sub": sub, "iat": now, "nbf": now, "exp": now + 3600})
}

/// Current Unix time in seconds.
pub fn now() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(since.as_secs()).expect("time fits i64")
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0; n];
    aws_lc_rs::rand::fill(&mut bytes).expect("random bytes");
    bytes
}
