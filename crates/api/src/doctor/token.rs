//! `doctor token <JWT>`: the verifier's own decision on one token (`Verifier::explain`), step by
//! step, as findings; plus what the token says about itself, decoded without trusting it.
//!
//! The token is never printed back whole nor logged: it appears only as a length and a SHA-256
//! fingerprint, next to a few claims.

use std::io::Read;
use std::sync::Arc;

use backend_api_auth::{Explanation, Reason, StepOutcome, SystemClock};
use serde_json::Value;
use url::Url;

use super::codes::Code;
use super::finding::Finding;
use super::probe::Deadline;
use crate::config::{Config, fingerprint};
use crate::trust;

/// Far above the service's own limit, so an oversized token still reaches `token_too_large`.
const MAX_STDIN_BYTES: u64 = 64 * 1024;

/// The token from the argument, or from stdin when the argument is absent or `-`.
pub(crate) fn read(argument: Option<&str>) -> std::io::Result<String> {
    match argument {
        Some(token) if token != "-" => Ok(token.trim().to_owned()),
        _ => {
            let mut text = String::new();
            std::io::stdin()
                .take(MAX_STDIN_BYTES)
                .read_to_string(&mut text)?;
            let text = text.trim();
            // Accept a pasted `Authorization` header value as well.
            Ok(text
                .strip_prefix("Bearer ")
                .unwrap_or(text)
                .trim()
                .to_owned())
        }
    }
}

pub(crate) async fn explain(config: &Config, token: &str, deadline: Deadline) -> Vec<Finding> {
    // Building the verifier would create a missing development key; a diagnosis must not.
    if config.auth.uses_development_key() && !config.auth.dev_key_file.exists() {
        return vec![Finding::fail(
            Code::DevelopmentKey,
            "configuration",
            format!(
                "no identity provider is configured and the development key {} does not exist yet, so no \
                 token can verify here",
                config.auth.dev_key_file.display()
            ),
            "run doctor with the same BETTER_AUTH_URL / AUTH_PROVIDERS_FILE as the service that refuses the token",
        )];
    }
    let verifier = match trust::verifier(config, Arc::new(SystemClock)) {
        Ok(verifier) => verifier,
        Err(error) => {
            return vec![Finding::fail(
                Code::ConfigInvalid,
                "configuration",
                error.to_string(),
                "fix the configuration first (`backend-api doctor`)",
            )];
        }
    };
    let Ok(explanation) = tokio::time::timeout(deadline.remaining(), verifier.explain(token)).await
    else {
        return vec![Finding::fail(
            Code::DoctorTimeout,
            "token",
            "no decision before the deadline (fetching the provider's keys took too long)",
            "run `backend-api doctor` to see why the provider is slow or unreachable",
        )];
    };
    let mut findings = vec![summary(token, &explanation)];
    findings.extend(steps(&explanation));
    findings.extend(issuer_mismatch(config, &explanation));
    findings.push(verdict(&explanation));
    findings
}

/// What the token claims, unverified: enough to recognise it, never enough to reuse it.
fn summary(token: &str, explanation: &Explanation) -> Finding {
    let mut parts = vec![format!("{} bytes, {}", token.len(), fingerprint(token))];
    let field = |part: &Option<Value>, name: &str| {
        part.as_ref()
            .and_then(|p| p.get(name))
            .map(Value::to_string)
    };
    for name in ["alg", "kid", "typ"] {
        if let Some(value) = field(&explanation.header, name) {
            parts.push(format!("{name} {value}"));
        }
    }
    for name in ["iss", "aud", "sub", "user_id"] {
        if let Some(value) = field(&explanation.claims, name) {
            parts.push(format!("{name} {value}"));
        }
    }
    let claims = explanation.claims.as_ref();
    for name in ["iat", "nbf", "exp"] {
        if let Some(seconds) = claims.and_then(|c| c.get(name)).and_then(Value::as_i64) {
            parts.push(format!("{name} {}", when(seconds)));
        }
    }
    if let Some(provider) = &explanation.provider {
        parts.push(format!("routed to provider {provider}"));
    }
    Finding::ok(
        Code::TokenDecoded,
        "token (unverified contents)",
        parts.join(", "),
    )
}

/// A Unix time as RFC 3339 plus its distance from now, so clock problems stand out.
fn when(seconds: i64) -> String {
    let Some(time) = chrono::DateTime::from_timestamp(seconds, 0) else {
        return seconds.to_string();
    };
    let delta = seconds - chrono::Utc::now().timestamp();
    let distance = if delta >= 0 {
        format!("in {delta} s")
    } else {
        format!("{} s ago", -delta)
    };
    format!("{} ({distance})", time.format("%Y-%m-%dT%H:%M:%SZ"))
}

/// Passed and skipped steps; the failing one becomes the verdict.
fn steps(explanation: &Explanation) -> Vec<Finding> {
    explanation
        .steps
        .iter()
        .filter_map(|step| {
            let subject = format!("token: {}", step.name);
            match step.outcome {
                StepOutcome::Pass => Some(Finding::ok(Code::TokenStepOk, subject, &step.detail)),
                StepOutcome::Skipped => {
                    Some(Finding::ok(Code::TokenStepSkipped, subject, &step.detail))
                }
                StepOutcome::Fail => None,
            }
        })
        .collect()
}

/// Better Auth signs with its public URL while the service is often configured with the in-cluster
/// one: name both, so the operator sees which setting to change.
fn issuer_mismatch(config: &Config, explanation: &Explanation) -> Option<Finding> {
    let refused_as_unknown =
        matches!(&explanation.verdict, Err(e) if e.reason() == Reason::IssuerUnknown);
    let iss = explanation.claims.as_ref()?.get("iss")?.as_str()?;
    if !refused_as_unknown || config.auth.providers.is_empty() {
        return None;
    }
    let same_path = |issuer: &str| {
        let path = |u: &str| {
            Url::parse(u)
                .map(|u| u.path().trim_end_matches('/').to_owned())
                .ok()
        };
        path(issuer).is_some() && path(issuer) == path(iss)
    };
    let closest = config
        .auth
        .providers
        .iter()
        .find(|p| same_path(&p.issuer))
        .unwrap_or(&config.auth.providers[0]);
    let setting = closest.issuer_setting.as_deref().map_or_else(
        || format!("issuer of provider {} in the providers file", closest.name),
        str::to_owned,
    );
    let configured: Vec<String> = config
        .auth
        .providers
        .iter()
        .map(|p| backend_api_auth::redact_url(&p.issuer))
        .collect();
    Some(Finding::fail(
        Code::IssuerMismatch,
        "token: issuer",
        format!(
            "token iss {iss:?}; configured issuer(s): {}",
            configured.join(", ")
        ),
        format!(
            "if this token comes from {}, set {setting}={iss} (the public URL it signs with) and keep the \
             in-cluster URL for fetching keys",
            closest.name
        ),
    ))
}

fn verdict(explanation: &Explanation) -> Finding {
    let error = match &explanation.verdict {
        Ok(token) => {
            return Finding::ok(
                Code::TokenAccepted,
                "token: verdict",
                format!(
                    "accepted: user {:?} from provider {}",
                    token.user_id, token.provider
                ),
            );
        }
        Err(error) => error,
    };
    let reason = error.reason();
    let failed = explanation
        .steps
        .iter()
        .find(|s| s.outcome == StepOutcome::Fail);
    let subject = failed.map_or_else(
        || "token: verdict".to_owned(),
        |s| format!("token: {}", s.name),
    );
    let fix = error
        .hint()
        .map_or_else(|| default_fix(reason).to_owned(), str::to_owned);
    Finding::fail(
        Code::Refused(reason),
        subject,
        format!(
            "refused: {} {}: {}",
            reason.http_status(),
            reason.code(),
            error.message()
        ),
        fix,
    )
}

/// What to do about a refusal when the verifier gave no more specific hint.
fn default_fix(reason: Reason) -> &'static str {
    match reason {
        Reason::TokenMissing | Reason::TokenMalformed => {
            "pass the raw JWT (three base64url parts separated by dots), without quotes or `Bearer `"
        }
        Reason::TokenTooLarge => "the token is too large: send fewer claims",
        Reason::Expired => {
            "get a fresh token; if fresh tokens are refused as expired, the clocks differ: `backend-api doctor`              reports clock_skew"
        }
        Reason::NotYetValid => {
            "the issuer's clock is ahead of this machine's: synchronise them (NTP)"
        }
        Reason::ClaimMissing => {
            "the provider must put exp and the user claim (user_claim: default sub; Better Auth: user_id, then sub) in the token"
        }
        Reason::KeysUnavailable => {
            "the provider's keys cannot be fetched: run `backend-api doctor`"
        }
        _ => {
            "see the observed text; `backend-api doctor` checks the provider's configuration and keys"
        }
    }
}
