//! Refusal reasons (stable codes, the API's contract), the per-token [`AuthError`] and the
//! set-up [`InitError`]. "This token is wrong" and "the configuration is wrong"
//! are kept apart: the first goes to the client, the second stops start-up.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Why a token was refused. Codes are API: never renamed, only added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// No bearer token was presented.
    TokenMissing,
    /// Not a well-formed compact JWS/JWT (encoding, JSON, claim types, `crit`).
    TokenMalformed,
    /// The token is longer than the configured limit.
    TokenTooLarge,
    /// `none`, HMAC without a secret, or an algorithm the provider or key does not allow.
    AlgNotAllowed,
    /// No provider is configured for the token's `iss` (or it has none).
    IssuerUnknown,
    /// No key with the token's `kid`, even after a refresh.
    UnknownKid,
    /// The signature does not verify.
    BadSignature,
    /// `exp` is in the past (beyond leeway).
    Expired,
    /// `nbf` or `iat` is in the future (beyond leeway).
    NotYetValid,
    /// `aud` is missing or names none of the expected audiences.
    AudienceMismatch,
    /// `exp` or the user claim is absent.
    ClaimMissing,
    /// The provider's keys could not be fetched and none are cached.
    KeysUnavailable,
    /// The token's user is not the user named in the request path.
    UserMismatch,
}

impl Reason {
    /// Every reason, in the order of the README table.
    pub const ALL: &'static [Reason] = &[
        Reason::TokenMissing,
        Reason::TokenMalformed,
        Reason::TokenTooLarge,
        Reason::AlgNotAllowed,
        Reason::IssuerUnknown,
        Reason::UnknownKid,
        Reason::BadSignature,
        Reason::Expired,
        Reason::NotYetValid,
        Reason::AudienceMismatch,
        Reason::ClaimMissing,
        Reason::KeysUnavailable,
        Reason::UserMismatch,
    ];

    /// The stable snake_case code (response `code`, log field, metric label).
    pub fn code(&self) -> &'static str {
        match self {
            Reason::TokenMissing => "token_missing",
            Reason::TokenMalformed => "token_malformed",
            Reason::TokenTooLarge => "token_too_large",
            Reason::AlgNotAllowed => "alg_not_allowed",
            Reason::IssuerUnknown => "issuer_unknown",
            Reason::UnknownKid => "unknown_kid",
            Reason::BadSignature => "bad_signature",
            Reason::Expired => "expired",
            Reason::NotYetValid => "not_yet_valid",
            Reason::AudienceMismatch => "audience_mismatch",
            Reason::ClaimMissing => "claim_missing",
            Reason::KeysUnavailable => "keys_unavailable",
            Reason::UserMismatch => "user_mismatch",
        }
    }

    /// HTTP status the service answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            Reason::KeysUnavailable => 503,
            Reason::UserMismatch => 403,
            _ => 401,
        }
    }

    /// Short human title (problem+json `title`).
    pub fn title(&self) -> &'static str {
        match self {
            Reason::TokenMissing => "Bearer token missing",
            Reason::TokenMalformed => "Token malformed",
            Reason::TokenTooLarge => "Token too large",
            Reason::AlgNotAllowed => "Signature algorithm not allowed",
            Reason::IssuerUnknown => "Token issuer not trusted",
            Reason::UnknownKid => "Signing key not found",
            Reason::BadSignature => "Invalid token signature",
            Reason::Expired => "Token expired",
            Reason::NotYetValid => "Token not yet valid",
            Reason::AudienceMismatch => "Token audience not accepted",
            Reason::ClaimMissing => "Required claim missing",
            Reason::KeysUnavailable => "Signing keys unavailable",
            Reason::UserMismatch => "Token user does not match",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A refused token: one [`Reason`], a client-safe message and an operator hint.
#[derive(Debug, Clone)]
pub struct AuthError {
    reason: Reason,
    message: String,
    hint: Option<String>,
    provider: Option<Arc<str>>,
    retry_after: Option<Duration>,
}

impl AuthError {
    /// A refusal with a message that is safe to send to the client.
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        AuthError {
            reason,
            message: message.into(),
            hint: None,
            provider: None,
            retry_after: None,
        }
    }

    /// Adds what an operator should change (logged, shown by doctor).
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Names the provider the token was routed to.
    pub fn with_provider(mut self, provider: Arc<str>) -> Self {
        self.provider = Some(provider);
        self
    }

    /// Sets how long a client should wait before retrying.
    pub fn with_retry_after(mut self, after: Duration) -> Self {
        self.retry_after = Some(after);
        self
    }

    /// The refusal reason.
    pub fn reason(&self) -> Reason {
        self.reason
    }

    /// Human message; contains no token, key or secret.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What to fix, for operators (logs, doctor); may name hosts and settings.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// The provider the token was routed to, if any.
    pub fn provider(&self) -> Option<&str> {
        self.provider.as_deref()
    }

    /// For `keys_unavailable`: when to try again.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.reason.code(), self.message)
    }
}

impl std::error::Error for AuthError {}

/// The verifier configuration cannot work; found at start-up, before any token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// A provider has an empty name.
    #[error("a provider has an empty name")]
    EmptyName,
    /// Two providers share a name.
    #[error("two providers are named {0:?}; names must be unique")]
    DuplicateName(String),
    /// A provider has an empty issuer.
    #[error("provider {0:?} has an empty issuer")]
    EmptyIssuer(String),
    /// Two providers expect the same `iss`, so routing would be ambiguous.
    #[error(
        "providers {first:?} and {second:?} both expect issuer {issuer:?}; a token is routed by iss to exactly one provider"
    )]
    DuplicateIssuer {
        /// The shared issuer.
        issuer: String,
        /// First provider.
        first: String,
        /// Second provider.
        second: String,
    },
    /// An HMAC algorithm is listed but no secret is configured.
    #[error(
        "provider {provider:?} lists {algorithm} but has no shared secret; HMAC algorithms need one"
    )]
    HmacWithoutSecret {
        /// Provider name.
        provider: String,
        /// The HMAC algorithm.
        algorithm: String,
    },
    /// The shared secret is empty.
    #[error("provider {0:?} has an empty shared secret")]
    EmptySecret(String),
    /// A static key set has no usable key.
    #[error("provider {0:?} has a static key set without any usable key")]
    EmptyStaticKeys(String),
    /// An audience list is given but empty (would refuse everything).
    #[error("provider {0:?} has an empty audience list; omit it to disable the audience check")]
    EmptyAudiences(String),
    /// No claim is named to hold the user id.
    #[error("provider {0:?} names no user claim; omit user_claim to read sub")]
    NoUserClaim(String),
    /// A URL is unusable (scheme other than http/https, or discovery from a non-URL issuer).
    #[error("provider {provider:?}: {detail}")]
    BadUrl {
        /// Provider name.
        provider: String,
        /// What is wrong with which URL.
        detail: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client for key fetches: {0}")]
    HttpClient(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_snake_case() {
        let mut codes: Vec<_> = Reason::ALL.iter().map(super::Reason::code).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'))
        );
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Reason::ALL.len());
    }

    #[test]
    fn statuses_follow_the_spec() {
        assert_eq!(Reason::KeysUnavailable.http_status(), 503);
        assert_eq!(Reason::UserMismatch.http_status(), 403);
        assert_eq!(Reason::Expired.http_status(), 401);
    }
}
