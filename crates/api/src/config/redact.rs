//! The effective configuration as `backend-api config` prints it, secrets redacted.
//!
//! A secret appears only as `sha256:` plus the first 8 hex digits of its SHA-256, enough to
//! compare two deployments (frontend and backend `BETTER_AUTH_SECRET`) without revealing it.
//! A database URL keeps everything but its password.

use backend_api_auth::{KeySource, ProviderConfig, RedactedUrl, redact_url};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};
use url::Url;

use super::{Config, CorsOrigins, ForwardAuthConfig, LogFormat, env};

/// `sha256:1a2b3c4d`: a short, stable fingerprint of a secret.
pub fn fingerprint(secret: &str) -> String {
    backend_api_auth::fingerprint(secret.as_bytes())
}

fn secret(value: &Option<SecretString>) -> Value {
    value.as_ref().map_or(Value::Null, |secret| {
        Value::String(fingerprint(secret.expose_secret()))
    })
}

/// The URL with its password replaced by the password's fingerprint.
pub(crate) fn redacted_database_url(url: &str) -> String {
    let Ok(mut parsed) = Url::parse(url) else {
        // Config parsing refuses such URLs; print nothing of one just in case.
        return "<unparseable>".to_owned();
    };
    let Some(print) = parsed.password().map(fingerprint) else {
        return url.to_owned();
    };
    // Cannot fail: a URL with a password has a host.
    let _ = parsed.set_password(None);
    let text = parsed.to_string();
    // Re-insert `:sha256:…` after `scheme://user`; the URL setter would percent-encode its colon.
    let at = parsed.scheme().len() + "://".len() + parsed.username().len();
    format!("{}:{print}{}", &text[..at], &text[at..])
}

fn seconds(duration: std::time::Duration) -> Value {
    json!(duration.as_secs_f64())
}

/// Every variable with its effective value (sorted by name).
fn variables(config: &Config) -> Map<String, Value> {
    let database = &config.database;
    let auth = &config.auth;
    let http = &config.http;
    let providers_file = auth
        .providers_file
        .as_ref()
        .map_or(Value::Null, |path| json!(path.display().to_string()));
    let cors = match &http.cors {
        CorsOrigins::None => Value::Null,
        CorsOrigins::Any => json!("*"),
        CorsOrigins::List(origins) => json!(origins.join(",")),
    };
    let log_format = match config.log.format {
        LogFormat::Json => "json",
        LogFormat::Pretty => "pretty",
    };
    [
        (env::HOST, json!(config.host.to_string())),
        (env::PORT, json!(config.port)),
        (env::ENVIRONMENT, json!(config.environment.as_str())),
        (
            env::DATABASE_URL,
            json!(redacted_database_url(database.url.expose_secret())),
        ),
        (
            env::DATABASE_MAX_CONNECTIONS,
            json!(database.max_connections),
        ),
        (
            env::DATABASE_MIN_CONNECTIONS,
            json!(database.min_connections),
        ),
        (
            env::DATABASE_ACQUIRE_TIMEOUT_SECONDS,
            seconds(database.acquire_timeout),
        ),
        (
            env::DATABASE_RECONNECT_MAX_SECONDS,
            seconds(database.reconnect_max),
        ),
        (env::BETTER_AUTH_SECRET, secret(&auth.better_auth_secret)),
        (env::AUTH_PROVIDERS_FILE, providers_file),
        (
            env::DEV_KEY_FILE,
            json!(auth.dev_key_file.display().to_string()),
        ),
        (env::JWT_LEEWAY_SECONDS, seconds(auth.leeway)),
        (
            env::JWKS_REFRESH_COOLDOWN_SECONDS,
            seconds(auth.jwks_refresh_cooldown),
        ),
        (env::JWKS_STALE_MAX_SECONDS, seconds(auth.jwks_stale_max)),
        (
            env::JWKS_INITIAL_WAIT_SECONDS,
            seconds(auth.jwks_initial_wait),
        ),
        (env::CORS_ALLOWED_ORIGINS, cors),
        (env::REQUEST_TIMEOUT_SECONDS, seconds(http.request_timeout)),
        (
            env::HEADER_READ_TIMEOUT_SECONDS,
            seconds(http.connections.header_read_timeout),
        ),
        (
            env::KEEP_ALIVE_TIMEOUT_SECONDS,
            seconds(http.connections.keep_alive_timeout),
        ),
        (
            env::HTTP_MAX_CONNECTIONS,
            json!(http.connections.max_connections),
        ),
        (env::SHUTDOWN_DELAY_SECONDS, seconds(http.shutdown_delay)),
        (env::SHUTDOWN_DRAIN_SECONDS, seconds(http.shutdown_drain)),
        (env::LOG_FORMAT, json!(log_format)),
        (env::RUST_LOG, json!(config.log.filter)),
        (env::OPENAI_API_KEY, secret(&config.openai_api_key)),
        (env::MCP_RESOURCE_URL, json!(config.mcp.resource_url)),
        (env::MCP_AUDIENCE, json!(config.mcp.audience)),
        (env::FORWARD_AUTH, json!(config.forward_auth.enabled)),
        (
            env::FORWARD_AUTH_CLAIM_HEADERS,
            claim_headers(&config.forward_auth),
        ),
        (
            env::FORWARD_AUTH_POLICY_FILE,
            config
                .forward_auth
                .policy_file
                .as_ref()
                .map_or(Value::Null, |path| json!(path.display().to_string())),
        ),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect()
}

/// `FORWARD_AUTH_CLAIM_HEADERS` as given (claim=Header, …), or null when none.
fn claim_headers(forward_auth: &ForwardAuthConfig) -> Value {
    if forward_auth.claim_headers.is_empty() {
        return Value::Null;
    }
    let pairs: Vec<String> = forward_auth
        .claim_headers
        .iter()
        .map(|m| format!("{}={}", m.claim, m.header))
        .collect();
    json!(pairs.join(","))
}

/// The per-host policy of `/auth/verify`, the default first (shown as host `(default)`).
fn host_policies(forward_auth: &ForwardAuthConfig) -> Value {
    std::iter::once(&forward_auth.default_policy)
        .chain(&forward_auth.hosts)
        .map(|p| {
            json!({
                "host": if p.host.is_empty() { "(default)" } else { p.host.as_str() },
                "audiences": p.audiences,
                "providers": p.providers,
            })
        })
        .collect()
}

fn provider(provider: &ProviderConfig) -> Value {
    let keys = match &provider.keys {
        KeySource::JwksUrl(url) => json!({ "jwks_url": RedactedUrl::new(url).to_string() }),
        KeySource::Discovery => json!({ "discovery": true }),
        KeySource::Static(_) => json!({ "static": true }),
    };
    json!({
        "name": provider.name,
        "issuer": redact_url(&provider.issuer),
        "keys": keys,
        "internal_url": provider.internal_url.as_ref().map(|u| RedactedUrl::new(u).to_string()),
        "audiences": provider.audiences,
        "algorithms": provider.algorithms.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "user_claims": provider.user_claims,
        "leeway_seconds": provider.leeway.as_secs_f64(),
        "hs256": provider.hmac_secret.is_some(),
    })
}

/// What signs accepted tokens, in words.
fn trust(config: &Config) -> String {
    if config.auth.uses_development_key() {
        format!(
            "development key {} (no identity provider configured)",
            config.auth.dev_key_file.display()
        )
    } else {
        let names: Vec<_> = config
            .auth
            .providers
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        format!("identity providers: {}", names.join(", "))
    }
}

/// `backend-api config --json`.
pub fn render_json(config: &Config) -> Value {
    json!({
        "variables": variables(config),
        "trust": trust(config),
        "providers": config.auth.providers.iter().map(provider).collect::<Vec<_>>(),
        "forward_auth_policy": host_policies(&config.forward_auth),
    })
}

/// `backend-api config`: `NAME=value` lines, then the providers.
pub fn render_text(config: &Config) -> String {
    let mut out = String::new();
    for (name, value) in variables(config) {
        let shown = match value {
            Value::Null => "(unset)".to_owned(),
            Value::String(text) => text,
            other => other.to_string(),
        };
        out.push_str(&format!("{name}={shown}\n"));
    }
    out.push_str(&format!("\ntrust: {}\n", trust(config)));
    for entry in &config.auth.providers {
        out.push_str(&format!("provider {}\n", provider(entry)));
    }
    if config.forward_auth.enabled
        && config.forward_auth.policy_file.is_some()
        && let Value::Array(policies) = host_policies(&config.forward_auth)
    {
        for policy in policies {
            out.push_str(&format!("forward-auth policy {policy}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_limits_are_shown() {
        let text = render_text(&Config::development_defaults());
        for line in [
            "HEADER_READ_TIMEOUT_SECONDS=10.0",
            "KEEP_ALIVE_TIMEOUT_SECONDS=75.0",
            "HTTP_MAX_CONNECTIONS=1024",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
    }

    #[test]
    fn fingerprint_is_short_and_stable() {
        assert_eq!(fingerprint("secret"), "sha256:2bb80d53");
    }

    #[test]
    fn database_password_is_replaced_by_its_fingerprint() {
        let shown = redacted_database_url("postgres://app:hunter2@db:5432/tasks");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.starts_with("postgres://app:sha256:"), "{shown}");
    }

    #[test]
    fn secrets_never_appear_in_the_output() {
        let mut config = Config::development_defaults();
        config.openai_api_key = Some(SecretString::from("sk-very-secret"));
        config.auth.better_auth_secret = Some(SecretString::from("shared-secret-value"));
        config.database.url = SecretString::from("postgres://u:pa55word@h/db");
        let text = render_text(&config);
        let json = render_json(&config).to_string();
        for secret in ["sk-very-secret", "shared-secret-value", "pa55word"] {
            assert!(
                !text.contains(secret) && !json.contains(secret),
                "{secret} leaked"
            );
        }
        assert!(text.contains(&fingerprint("shared-secret-value")));
    }
}
