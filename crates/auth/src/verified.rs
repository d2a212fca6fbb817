//! The accepted-token type, shared by the verifier, its explanation and the token cache (each
//! depends on this, none on another through it).

use std::sync::Arc;

use serde_json::{Map, Value};

/// An accepted token.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedToken {
    /// The user id (from the provider's user claim).
    pub user_id: String,
    /// Name of the provider that vouched for it.
    pub provider: Arc<str>,
    /// Its `iss`.
    pub issuer: String,
    /// Its `exp`, Unix seconds.
    pub expires_at: i64,
    /// All its claims.
    pub claims: Map<String, Value>,
}
