//! Which provider a token belongs to, and which algorithm its header names —
//! the two decisions taken from unverified input, so both are strict: exact
//! `iss` match only, exact JOSE names only, `none` never.

use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::error::{AuthError, Reason};
use crate::provider::ProviderConfig;
use crate::redact::redact_url;

pub(crate) use crate::text::truncated;

/// `alg` from the header: `none` in any case and unknown names are refused.
pub(crate) fn algorithm(name: &str) -> Result<Algorithm, AuthError> {
    if name.eq_ignore_ascii_case("none") {
        return Err(AuthError::new(
            Reason::AlgNotAllowed,
            "unsigned tokens (alg none) are never accepted",
        ));
    }
    name.parse::<Algorithm>().map_err(|_| {
        AuthError::new(
            Reason::AlgNotAllowed,
            format!("alg {:?} is not supported", truncated(name, 20)),
        )
    })
}

/// The `iss` claim: absent is `issuer_unknown`, not a string is malformed.
pub(crate) fn issuer(claims: &Map<String, Value>) -> Result<&str, AuthError> {
    match claims.get("iss") {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(AuthError::new(
            Reason::TokenMalformed,
            "the iss claim has the wrong type",
        )),
        None => Err(
            AuthError::new(Reason::IssuerUnknown, "the token has no iss claim")
                .with_hint("the identity provider must put its issuer URL in iss"),
        ),
    }
}

/// The refusal for an `iss` no provider expects. The hint names the configured
/// issuers and the setting that changes them; the message reveals neither.
pub(crate) fn unknown_issuer(iss: &str, providers: &[&ProviderConfig]) -> AuthError {
    let shown = truncated(iss, 200);
    let hint = match providers {
        [] => "no identity provider is configured".to_owned(),
        [only] => {
            let setting = only
                .issuer_setting
                .clone()
                .unwrap_or_else(|| format!("issuer of provider {:?}", only.name));
            let slash = if only.issuer.trim_end_matches('/') == shown.trim_end_matches('/') {
                " (they differ only by a trailing slash)"
            } else {
                ""
            };
            format!(
                "token iss is {shown} but the configured issuer is {}{slash}: set {setting}={shown} if that issuer is trusted",
                redact_url(&only.issuer)
            )
        }
        many => {
            let listed: Vec<String> = many
                .iter()
                .map(|p| match &p.issuer_setting {
                    Some(setting) => {
                        format!("{} ({}, set by {setting})", redact_url(&p.issuer), p.name)
                    }
                    None => format!("{} ({})", redact_url(&p.issuer), p.name),
                })
                .collect();
            format!(
                "token iss is {shown}; configured issuers: {}; add a provider for it or correct an issuer setting",
                listed.join(", ")
            )
        }
    };
    AuthError::new(
        Reason::IssuerUnknown,
        format!("the token's issuer {shown:?} is not trusted here"),
    )
    .with_hint(hint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::KeySource;
    use serde_json::json;

    #[test]
    fn none_in_any_case_and_unknown_names_are_refused() {
        for name in ["none", "NoNe", "HS1", "es256", ""] {
            assert_eq!(
                algorithm(name).expect_err("refused").reason(),
                Reason::AlgNotAllowed,
                "{name}"
            );
        }
        assert_eq!(algorithm("ES512").expect("known"), Algorithm::ES512);
    }

    #[test]
    fn issuer_must_be_a_string() {
        let claims = |v: Value| v.as_object().expect("object").clone();
        assert_eq!(issuer(&claims(json!({"iss": "a"}))).expect("iss"), "a");
        assert_eq!(
            issuer(&claims(json!({}))).expect_err("none").reason(),
            Reason::IssuerUnknown
        );
        assert_eq!(
            issuer(&claims(json!({"iss": 1})))
                .expect_err("num")
                .reason(),
            Reason::TokenMalformed
        );
    }

    #[test]
    fn trailing_slash_difference_is_pointed_out() {
        let p = ProviderConfig::new("kc", "https://id.example.com/", KeySource::Discovery);
        let hint = unknown_issuer("https://id.example.com", &[&p])
            .hint()
            .expect("hint")
            .to_owned();
        assert!(
            hint.contains("trailing slash") && hint.contains("issuer of provider \"kc\""),
            "{hint}"
        );
    }

    #[test]
    fn several_providers_are_all_listed() {
        let a = ProviderConfig {
            issuer_setting: Some("BETTER_AUTH_ISSUER".into()),
            ..ProviderConfig::new("ba", "http://f:3000", KeySource::Discovery)
        };
        let b = ProviderConfig::new("kc", "https://kc", KeySource::Discovery);
        let hint = unknown_issuer("https://x", &[&a, &b])
            .hint()
            .expect("hint")
            .to_owned();
        assert!(
            hint.contains("http://f:3000 (ba, set by BETTER_AUTH_ISSUER)")
                && hint.contains("https://kc (kc)"),
            "{hint}"
        );
    }
}
