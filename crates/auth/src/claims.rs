//! Registered-claim checks (RFC 7519 §4.1) on a payload whose signature is
//! already verified: `exp`, `nbf`, `iat`, `aud`, and the user-id claim.
//!
//! Each check is its own function so `explain` can record them one by one.
//! `iss` is not here: it was used to route the token before the signature.
//! Messages may quote the token's own claims, never the configuration;
//! expected values go in the operator hint.

use serde_json::{Map, Value};

use crate::error::{AuthError, Reason};

/// Longest user id accepted, in bytes (it ends up in URLs, logs and database rows).
const MAX_USER_ID_LEN: usize = 255;

/// A NumericDate claim: `Ok(None)` when absent, malformed when not a number.
pub(crate) fn numeric_date(
    claims: &Map<String, Value>,
    name: &str,
) -> Result<Option<i64>, AuthError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite())
                    .map(|f| f.floor() as i64)
            })
            .map(Some)
            .ok_or_else(|| malformed(name)),
        Some(_) => Err(malformed(name)),
    }
}

fn malformed(name: &str) -> AuthError {
    AuthError::new(
        Reason::TokenMalformed,
        format!("the {name} claim has the wrong type"),
    )
}

/// `exp` must exist and not be past (`now > exp + leeway` is expired). Returns `exp`.
pub(crate) fn check_exp(
    claims: &Map<String, Value>,
    now: i64,
    leeway: i64,
) -> Result<i64, AuthError> {
    let exp = numeric_date(claims, "exp")?.ok_or_else(|| {
        AuthError::new(
            Reason::ClaimMissing,
            "the token has no exp claim; tokens must expire",
        )
        .with_hint("configure the identity provider to put an expiry (exp) in its tokens")
    })?;
    if now > exp.saturating_add(leeway) {
        return Err(AuthError::new(
            Reason::Expired,
            format!("the token expired {} s ago", now.saturating_sub(exp)),
        )
        .with_hint(format!(
            "exp {exp} is before now {now} minus {leeway} s leeway; the client must refresh its token (or clocks disagree)"
        )));
    }
    Ok(exp)
}

/// `nbf` and `iat`, when present, must not be in the future beyond leeway.
pub(crate) fn check_not_before(
    claims: &Map<String, Value>,
    now: i64,
    leeway: i64,
) -> Result<(), AuthError> {
    for name in ["nbf", "iat"] {
        if let Some(t) = numeric_date(claims, name)?
            && t > now.saturating_add(leeway)
        {
            return Err(AuthError::new(
                    Reason::NotYetValid,
                    format!("the token's {name} is {} s in the future", t.saturating_sub(now)),
                )
                .with_hint(format!(
                    "{name} {t} is after now {now} plus {leeway} s leeway; check the clocks of this host and the identity provider (or raise JWT_LEEWAY_SECONDS)"
                )));
        }
    }
    Ok(())
}

/// `aud` (a string or an array of strings) must hold one of `expected`.
pub(crate) fn check_audience(
    claims: &Map<String, Value>,
    expected: &[String],
) -> Result<(), AuthError> {
    let found: Vec<&str> = match claims.get("aud") {
        None => Vec::new(),
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().ok_or_else(|| malformed("aud")))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(malformed("aud")),
    };
    if found.iter().any(|a| expected.iter().any(|e| e == a)) {
        return Ok(());
    }
    let message = if found.is_empty() {
        "the token has no aud claim".to_owned()
    } else {
        format!("the token's aud {found:?} is not accepted here")
    };
    Err(AuthError::new(Reason::AudienceMismatch, message).with_hint(format!(
        "expected one of {expected:?}; set the provider's audiences (BETTER_AUTH_AUDIENCE for Better Auth) to what the identity provider puts in aud"
    )))
}

/// The user id from the first of `names` present in the token.
///
/// `sub` must be a JSON string (RFC 7519 §4.1.2). Any other claim may be a string or an
/// integer (used as its decimal text). An empty id, one over [`MAX_USER_ID_LEN`] bytes or
/// one holding control characters is `token_malformed`.
pub(crate) fn user_id(claims: &Map<String, Value>, names: &[String]) -> Result<String, AuthError> {
    for name in names {
        let id = match claims.get(name) {
            None => continue,
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) if name != "sub" && (n.is_u64() || n.is_i64()) => n.to_string(),
            Some(_) if name == "sub" => {
                return Err(AuthError::new(
                    Reason::TokenMalformed,
                    "the sub claim is not a string",
                ));
            }
            Some(_) => return Err(malformed(name)),
        };
        if id.is_empty() || id.len() > MAX_USER_ID_LEN || id.chars().any(char::is_control) {
            return Err(AuthError::new(
                Reason::TokenMalformed,
                format!(
                    "the {name} claim is not a usable user id (1 to {MAX_USER_ID_LEN} bytes, no control characters)"
                ),
            ));
        }
        return Ok(id);
    }
    Err(AuthError::new(
        Reason::ClaimMissing,
        format!("the token has no {} claim", names.join(" or ")),
    )
    .with_hint("set user_claim of the provider to the claim that holds the user id"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().expect("object").clone()
    }

    #[test]
    fn exp_in_past_but_in_leeway_ok() {
        assert_eq!(
            check_exp(&map(json!({"exp": 100})), 120, 30).expect("in leeway"),
            100
        );
        let err = check_exp(&map(json!({"exp": 100})), 131, 30).expect_err("refused");
        assert_eq!(err.reason(), Reason::Expired);
    }

    #[test]
    fn missing_or_mistyped_exp() {
        assert_eq!(
            check_exp(&map(json!({})), 0, 0)
                .expect_err("refused")
                .reason(),
            Reason::ClaimMissing
        );
        assert_eq!(
            check_exp(&map(json!({"exp": "100"})), 0, 0)
                .expect_err("refused")
                .reason(),
            Reason::TokenMalformed
        );
        assert_eq!(
            check_exp(&map(json!({"exp": 100.7})), 100, 0).expect("float"),
            100
        );
    }

    #[test]
    fn nbf_and_iat_in_future_beyond_leeway() {
        assert!(check_not_before(&map(json!({"nbf": 130, "iat": 130})), 100, 30).is_ok());
        let e = check_not_before(&map(json!({"nbf": 131})), 100, 30).expect_err("refused");
        assert_eq!(e.reason(), Reason::NotYetValid);
        let e = check_not_before(&map(json!({"iat": 200})), 100, 30).expect_err("refused");
        assert_eq!(e.reason(), Reason::NotYetValid);
    }

    #[test]
    fn audience_string_or_array() {
        let exp = vec!["api".to_owned()];
        assert!(check_audience(&map(json!({"aud": "api"})), &exp).is_ok());
        assert!(check_audience(&map(json!({"aud": ["x", "api"]})), &exp).is_ok());
        let e = check_audience(&map(json!({"aud": ["x"]})), &exp).expect_err("refused");
        assert_eq!(e.reason(), Reason::AudienceMismatch);
        assert!(e.hint().expect("hint").contains("api"));
        assert!(
            !e.message().contains("\"api\""),
            "message must not reveal configuration"
        );
        assert_eq!(
            check_audience(&map(json!({})), &exp)
                .expect_err("refused")
                .reason(),
            Reason::AudienceMismatch
        );
        assert_eq!(
            check_audience(&map(json!({"aud": [1]})), &exp)
                .expect_err("refused")
                .reason(),
            Reason::TokenMalformed
        );
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn user_claims_are_tried_in_order() {
        let better_auth = names(&["user_id", "sub"]);
        assert_eq!(
            user_id(&map(json!({"user_id": "u", "sub": "s"})), &better_auth).expect("id"),
            "u"
        );
        assert_eq!(
            user_id(&map(json!({"sub": "s"})), &better_auth).expect("id"),
            "s"
        );
        assert_eq!(
            user_id(
                &map(json!({"user_id": "bob", "sub": "alice"})),
                &names(&["sub"])
            )
            .expect("id"),
            "alice",
            "user_id means nothing to a provider that reads sub"
        );
        assert_eq!(
            user_id(&map(json!({"sub": "s"})), &names(&["email"]))
                .expect_err("refused")
                .reason(),
            Reason::ClaimMissing
        );
    }

    #[test]
    fn sub_must_be_a_string_but_a_custom_claim_may_be_an_integer() {
        let sub = names(&["sub"]);
        for bad in [
            json!(42),
            json!(1.5),
            json!({"a": 1}),
            json!(["x"]),
            json!(true),
        ] {
            assert_eq!(
                user_id(&map(json!({ "sub": bad })), &sub)
                    .expect_err("refused")
                    .reason(),
                Reason::TokenMalformed,
                "{bad}"
            );
        }
        let uid = names(&["uid"]);
        assert_eq!(
            user_id(&map(json!({"uid": 42})), &uid).expect("integer"),
            "42"
        );
        assert_eq!(
            user_id(&map(json!({"uid": -7})), &uid).expect("integer"),
            "-7"
        );
        assert_eq!(
            user_id(&map(json!({"uid": 4.5})), &uid)
                .expect_err("float")
                .reason(),
            Reason::TokenMalformed
        );
    }

    #[test]
    fn empty_over_long_and_control_character_ids_are_malformed() {
        let sub = names(&["sub"]);
        let longest = "a".repeat(MAX_USER_ID_LEN);
        assert_eq!(
            user_id(&map(json!({ "sub": longest })), &sub).expect("255 bytes"),
            longest
        );
        for bad in [
            String::new(),
            "a".repeat(MAX_USER_ID_LEN + 1),
            "a\nb".to_owned(),
        ] {
            assert_eq!(
                user_id(&map(json!({ "sub": bad })), &sub)
                    .expect_err("refused")
                    .reason(),
                Reason::TokenMalformed
            );
        }
    }
}
