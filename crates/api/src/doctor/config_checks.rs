//! Configuration checks: every variable parsed (by the service's own `Config::from_raw`), then the
//! contradictions an operator would not spot by reading the environment: the development key in
//! production, disabled audience checks, HMAC enabled (and with a secret short enough to guess), an
//! issuer derived from an in-cluster URL, and the `BETTER_AUTH_SECRET` fingerprint with what that
//! secret is (not) used for.

use secrecy::ExposeSecret;
use url::Url;

use super::codes::Code;
use super::finding::Finding;
use crate::config::{
    Config, ConfigErrors, Environment, MIN_HS256_SECRET_BYTES, RawConfig, env, fingerprint,
    parse_bool,
};

const SUBJECT: &str = "configuration";

/// One finding per variable that did not parse. Production without an identity provider is refused
/// by the parser (on `BETTER_AUTH_URL`); it keeps its own code here.
pub(crate) fn invalid(errors: &ConfigErrors, raw: &RawConfig) -> Vec<Finding> {
    let production = raw.environment.as_deref().is_some_and(|e| {
        e.trim()
            .eq_ignore_ascii_case(Environment::Production.as_str())
    });
    let no_provider = raw.better_auth_url.is_none() && raw.auth_providers_file.is_none();
    let short_secret = short_hs256_secret(raw);
    errors
        .0
        .iter()
        .map(|error| {
            // Production refuses it in the parser; it keeps the code it has in development.
            if let Some(length) = short_secret.filter(|_| error.variable == env::BETTER_AUTH_SECRET)
            {
                return hs256_secret_too_short(length);
            }
            let code = if production && no_provider && error.variable == env::BETTER_AUTH_URL {
                Code::DevKeyInProduction
            } else {
                Code::ConfigInvalid
            };
            Finding::fail(
                code,
                format!("configuration: {}", error.variable),
                error.to_string(),
                format!(
                    "set {} as the message says (`backend-api --help` lists every variable); the service \
                     refuses to start until then",
                    error.variable
                ),
            )
        })
        .collect()
}

pub(crate) fn check(config: &Config, raw: &RawConfig) -> Vec<Finding> {
    let names: Vec<&str> = config
        .auth
        .providers
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let mut findings = vec![Finding::ok(
        Code::ConfigOk,
        SUBJECT,
        format!(
            "every variable parsed; ENVIRONMENT={}, {} identity provider(s){}",
            config.environment.as_str(),
            names.len(),
            if names.is_empty() {
                String::new()
            } else {
                format!(": {}", names.join(", "))
            }
        ),
    )];
    if config.auth.uses_development_key() {
        findings.push(development_key(config));
    }
    for provider in &config.auth.providers {
        let subject = format!("provider {}", provider.name);
        if provider.audiences.is_none() {
            findings.push(Finding::warn(
                Code::AudienceCheckDisabled,
                &subject,
                "no audience check: a token this provider issued for any other service is accepted here",
                format!(
                    "set the expected audience ({} for Better Auth, `audiences` in the providers file)",
                    env::BETTER_AUTH_AUDIENCE
                ),
            ));
        }
        if provider.hmac_secret.is_some()
            && let Some(length) = short_hs256_secret(raw)
        {
            findings.push(hs256_secret_too_short(length));
        }
        if provider.hmac_secret.is_some() {
            findings.push(Finding::warn(
                Code::Hs256Enabled,
                &subject,
                "HMAC (HS256/384/512) tokens signed with the shared secret are accepted: anyone holding the \
                 secret (every frontend pod) can mint tokens for any user",
                format!(
                    "unset {} unless the frontend really issues HS256 tokens; Better Auth's jwt plugin signs \
                     with asymmetric keys from its JWKS",
                    env::BETTER_AUTH_ACCEPT_HS256
                ),
            ));
        }
    }
    findings.extend(internal_issuer(config, raw));
    if let Some(secret) = &config.auth.better_auth_secret {
        findings.push(secret_fingerprint(secret.expose_secret()));
    }
    findings
}

/// The length of `BETTER_AUTH_SECRET` when HS256 is on and the secret is too short for it.
fn short_hs256_secret(raw: &RawConfig) -> Option<usize> {
    let accepted = raw
        .better_auth_accept_hs256
        .as_deref()
        .is_some_and(|v| parse_bool(v.trim()).unwrap_or(false));
    let length = raw.better_auth_secret.as_deref()?.len();
    (accepted && length < MIN_HS256_SECRET_BYTES).then_some(length)
}

fn hs256_secret_too_short(length: usize) -> Finding {
    Finding::fail(
        Code::Hs256SecretTooShort,
        format!("configuration: {}", env::BETTER_AUTH_SECRET),
        format!(
            "{}=true and {} is {length} bytes: a secret this short can be guessed offline from one token, \
             and whoever holds it signs tokens for any user. ENVIRONMENT=production refuses to start with it",
            env::BETTER_AUTH_ACCEPT_HS256,
            env::BETTER_AUTH_SECRET
        ),
        format!(
            "set {} to at least {MIN_HS256_SECRET_BYTES} random bytes (`openssl rand -base64 32`), the same \
             value in the frontend; or unset {} if the frontend signs with its JWKS keys",
            env::BETTER_AUTH_SECRET,
            env::BETTER_AUTH_ACCEPT_HS256
        ),
    )
}

fn development_key(config: &Config) -> Finding {
    let observed = format!(
        "no identity provider configured: tokens signed by the local development key ({}) are trusted",
        config.auth.dev_key_file.display()
    );
    let fix = format!(
        "set {} or {}",
        env::BETTER_AUTH_URL,
        env::AUTH_PROVIDERS_FILE
    );
    match config.environment {
        Environment::Production => Finding::fail(Code::DevKeyInProduction, SUBJECT, observed, fix),
        Environment::Development => Finding::warn(Code::DevelopmentKey, SUBJECT, observed, fix),
    }
}

/// Better Auth writes its *public* base URL into `iss`; an issuer derived from the in-cluster
/// `BETTER_AUTH_URL` (http://frontend:3000) therefore refuses every real token as `issuer_unknown`.
fn internal_issuer(config: &Config, raw: &RawConfig) -> Option<Finding> {
    if raw.better_auth_issuer.is_some() {
        return None;
    }
    let provider = config
        .auth
        .providers
        .iter()
        .find(|p| p.name == "better-auth")?;
    let url = Url::parse(&provider.issuer).ok()?;
    let host = url.host_str()?;
    if !is_cluster_internal(host) {
        return None;
    }
    Some(Finding::warn(
        Code::IssuerFromInternalUrl,
        "provider better-auth: issuer",
        format!(
            "expected iss is {} (derived from {}, an in-cluster address); Better Auth puts the public URL \
             users open in iss",
            provider.issuer,
            env::BETTER_AUTH_URL
        ),
        format!(
            "set {} to the frontend's public BETTER_AUTH_URL (e.g. https://app.example.com); check a real token \
             with `backend-api doctor token`",
            env::BETTER_AUTH_ISSUER
        ),
    ))
}

/// Names that only resolve inside a cluster: single labels (`frontend`) and `*.svc[.cluster.local]`.
fn is_cluster_internal(host: &str) -> bool {
    (!host.contains('.') && host != "localhost")
        || host.ends_with(".svc")
        || host.ends_with(".cluster.local")
}

fn secret_fingerprint(secret: &str) -> Finding {
    let short = if secret.len() < 32 {
        format!(
            " It is only {} bytes long; Better Auth expects at least 32.",
            secret.len()
        )
    } else {
        String::new()
    };
    Finding::ok(
        Code::SecretFingerprint,
        format!("configuration: {}", env::BETTER_AUTH_SECRET),
        format!(
            "{} (first 8 hex digits of its SHA-256). Better Auth's JWKS mode signs tokens with the key pair \
             served at its JWKS endpoint, not with this secret, so a mismatch here is not why tokens are \
             refused (it matters only with {}=true).{short} To compare with the frontend without revealing \
             either, run in the frontend pod: printf %s \"$BETTER_AUTH_SECRET\" | sha256sum | cut -c1-8",
            fingerprint(secret),
            env::BETTER_AUTH_ACCEPT_HS256
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_internal_names_are_recognised() {
        assert!(is_cluster_internal("frontend"));
        assert!(is_cluster_internal("frontend.web.svc"));
        assert!(is_cluster_internal("frontend.web.svc.cluster.local"));
        assert!(!is_cluster_internal("app.example.com"));
        assert!(!is_cluster_internal("localhost"));
    }

    #[test]
    fn the_secret_is_shown_only_as_a_fingerprint_with_the_compare_command() {
        let finding = secret_fingerprint("a-secret-that-nobody-may-see-in-output!!");
        assert!(!finding.observed.contains("nobody-may-see"));
        assert!(
            finding
                .observed
                .contains(&fingerprint("a-secret-that-nobody-may-see-in-output!!"))
        );
        assert!(finding.observed.contains("sha256sum | cut -c1-8"));
        assert!(finding.observed.contains("not with this secret"));
    }

    #[test]
    fn fingerprint_matches_the_shell_command_it_tells_operators_to_run() {
        // printf %s "s3cret" | sha256sum | cut -c1-8  ->  the same 8 hex digits.
        let output = std::process::Command::new("sh")
            .args(["-c", "printf %s \"s3cret\" | sha256sum | cut -c1-8"])
            .output()
            .expect("sh runs");
        let shell = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        assert_eq!(fingerprint("s3cret"), format!("sha256:{shell}"));
    }
}
