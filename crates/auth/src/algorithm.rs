//! JOSE signature algorithms (RFC 7518 §3, RFC 8037): names, families and the
//! aws-lc-rs verification parameters behind each one.
//!
//! This module only maps names to primitives; which algorithms a provider
//! accepts is decided in `provider.rs` and enforced in `verifier.rs`.

use std::fmt;
use std::str::FromStr;

use aws_lc_rs::signature::{self, VerificationAlgorithm};

/// A JWS signature algorithm this crate can verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// Ed25519 (RFC 8037).
    EdDSA,
    /// ECDSA P-256 with SHA-256.
    ES256,
    /// ECDSA P-384 with SHA-384.
    ES384,
    /// ECDSA P-521 with SHA-512.
    ES512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// HMAC SHA-256 (shared secret; never with a key-set key).
    HS256,
    /// HMAC SHA-384 (shared secret; never with a key-set key).
    HS384,
    /// HMAC SHA-512 (shared secret; never with a key-set key).
    HS512,
}

/// The key family an algorithm needs (the JWK `kty`, plus the curve for EC/OKP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyFamily {
    Ed25519,
    P256,
    P384,
    P521,
    Rsa,
    Hmac,
}

impl Algorithm {
    /// Every public-key algorithm: the default allow-list of a provider.
    pub const ASYMMETRIC: &'static [Algorithm] = &[
        Algorithm::EdDSA,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::ES512,
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
    ];

    /// The shared-secret algorithms, only for a provider with an HMAC secret.
    pub const HMAC: &'static [Algorithm] = &[Algorithm::HS256, Algorithm::HS384, Algorithm::HS512];

    /// The JOSE name, e.g. `"ES256"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::EdDSA => "EdDSA",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::ES512 => "ES512",
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
        }
    }

    /// True for HS256/384/512.
    pub fn is_hmac(self) -> bool {
        self.family() == KeyFamily::Hmac
    }

    pub(crate) fn family(self) -> KeyFamily {
        match self {
            Algorithm::EdDSA => KeyFamily::Ed25519,
            Algorithm::ES256 => KeyFamily::P256,
            Algorithm::ES384 => KeyFamily::P384,
            Algorithm::ES512 => KeyFamily::P521,
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => KeyFamily::Rsa,
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => KeyFamily::Hmac,
        }
    }

    /// The aws-lc-rs verification parameters; `None` for HMAC.
    ///
    /// ECDSA uses the `FIXED` (r‖s) encoding that JWS mandates, not ASN.1 DER.
    pub(crate) fn verification(self) -> Option<&'static dyn VerificationAlgorithm> {
        if let Some(rsa) = self.rsa_parameters() {
            return Some(rsa);
        }
        Some(match self {
            Algorithm::EdDSA => &signature::ED25519,
            Algorithm::ES256 => &signature::ECDSA_P256_SHA256_FIXED,
            Algorithm::ES384 => &signature::ECDSA_P384_SHA384_FIXED,
            Algorithm::ES512 => &signature::ECDSA_P521_SHA512_FIXED,
            _ => return None,
        })
    }

    /// RSA parameters (the RSA key is built from its components, not bytes).
    /// Keys under 2048 bits are refused by the parameter choice itself.
    pub(crate) fn rsa_parameters(self) -> Option<&'static signature::RsaParameters> {
        Some(match self {
            Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
            Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
            Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
            Algorithm::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
            _ => return None,
        })
    }

    /// HMAC digest; `None` for public-key algorithms.
    pub(crate) fn hmac(self) -> Option<aws_lc_rs::hmac::Algorithm> {
        Some(match self {
            Algorithm::HS256 => aws_lc_rs::hmac::HMAC_SHA256,
            Algorithm::HS384 => aws_lc_rs::hmac::HMAC_SHA384,
            Algorithm::HS512 => aws_lc_rs::hmac::HMAC_SHA512,
            _ => return None,
        })
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An algorithm name this crate does not accept (including `none`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unsupported algorithm {0:?} (supported: EdDSA, ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512, HS256, HS384, HS512)"
)]
pub struct UnknownAlgorithm(pub String);

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    /// Exact, case-sensitive JOSE names: `"es256"` or `"None"` are not algorithms.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Algorithm::ASYMMETRIC, Algorithm::HMAC]
            .concat()
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| UnknownAlgorithm(s.chars().take(32).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for alg in Algorithm::ASYMMETRIC.iter().chain(Algorithm::HMAC) {
            assert_eq!(alg.as_str().parse::<Algorithm>(), Ok(*alg));
        }
    }

    #[test]
    fn none_and_wrong_case_are_not_algorithms() {
        for name in ["none", "None", "NONE", "es256", "eddsa", "RS1", ""] {
            assert!(name.parse::<Algorithm>().is_err(), "{name}");
        }
    }

    #[test]
    fn only_hmac_algorithms_lack_public_key_parameters() {
        for alg in Algorithm::ASYMMETRIC {
            assert!(alg.verification().is_some() && alg.hmac().is_none());
        }
        for alg in Algorithm::HMAC {
            assert!(alg.verification().is_none() && alg.hmac().is_some());
        }
    }
}
