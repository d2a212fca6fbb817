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

impl VerifiedToken {
    /// The token's `aud` values: one string, or the strings of an array (other members are
    /// skipped); none when absent. For checks a caller adds on top of the provider's own.
    pub fn audiences(&self) -> impl Iterator<Item = &str> {
        let (single, list) = match self.claims.get("aud") {
            Some(Value::String(aud)) => (Some(aud.as_str()), None),
            Some(Value::Array(items)) => (None, Some(items.iter().filter_map(Value::as_str))),
            _ => (None, None),
        };
        single.into_iter().chain(list.into_iter().flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn token_with(claims: Value) -> VerifiedToken {
        VerifiedToken {
            user_id: "alice".into(),
            provider: Arc::from("p"),
            issuer: "i".into(),
            expires_at: 0,
            claims: claims.as_object().expect("object").clone(),
        }
    }

    #[test]
    fn aud_may_be_a_string_or_a_list() {
        let listed = token_with(json!({"aud": ["a", 1, "b"]}));
        assert_eq!(listed.audiences().collect::<Vec<_>>(), ["a", "b"]);
        let single = token_with(json!({"aud": "x"}));
        assert_eq!(single.audiences().collect::<Vec<_>>(), ["x"]);
        assert_eq!(token_with(json!({})).audiences().count(), 0);
    }
}
