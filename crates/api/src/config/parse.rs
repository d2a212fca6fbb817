//! Turns [`RawConfig`] strings into a typed [`Config`], collecting every problem.
//!
//! Operators fix configuration one deploy at a time; listing all bad variables in one run
//! (with the variable's name, the value unless it is secret, and what is expected) saves
//! them a crash-loop per mistake.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use backend_api_auth::{HmacSecret, ProviderConfig, Verifier, VerifierConfig};
use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use tracing_subscriber::EnvFilter;
use url::Url;

use super::env;
use super::providers;
use super::{
    AuthConfig, Config, CorsOrigins, DatabaseConfig, DatabaseKind, Environment, HttpConfig,
    LogConfig, LogFormat, RawConfig,
};

/// One bad variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The variable to change.
    pub variable: &'static str,
    /// The value seen, unless the variable is secret or unset.
    pub value: Option<String>,
    /// What is wrong and what is expected.
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(value) => write!(
                f,
                "{}={value:?} is not valid: {}",
                self.variable, self.reason
            ),
            None => write!(f, "{}: {}", self.variable, self.reason),
        }
    }
}

/// Every problem found in one pass over the configuration.
#[derive(Debug, Clone)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.0.len();
        let noun = if count == 1 { "problem" } else { "problems" };
        write!(f, "invalid configuration ({count} {noun}):")?;
        for error in &self.0 {
            write!(f, "\n  - {error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Collects errors while each variable is parsed with its default.
#[derive(Default)]
struct Errors(Vec<ConfigError>);

impl Errors {
    /// Parses `raw` (or takes `default` when unset), recording a failure under `variable`.
    fn field<T>(
        &mut self,
        variable: &'static str,
        raw: &Option<String>,
        default: T,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> T {
        match raw.as_deref().map(str::trim) {
            None | Some("") => default,
            Some(text) => match parse(text) {
                Ok(value) => value,
                Err(reason) => {
                    self.push(variable, Some(text.to_owned()), reason);
                    default
                }
            },
        }
    }

    /// Like [`Errors::field`] for secrets: the value never appears in the error.
    fn secret_field<T>(
        &mut self,
        variable: &'static str,
        raw: &Option<String>,
        default: T,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> T {
        match raw.as_deref().map(str::trim) {
            None | Some("") => default,
            Some(text) => parse(text).unwrap_or_else(|reason| {
                self.push(variable, None, reason);
                default
            }),
        }
    }

    fn push(&mut self, variable: &'static str, value: Option<String>, reason: impl Into<String>) {
        self.0.push(ConfigError {
            variable,
            value,
            reason: reason.into(),
        });
    }
}

pub(super) fn parse(raw: &RawConfig) -> Result<Config, ConfigErrors> {
    let mut errors = Errors::default();
    let defaults = Config::development_defaults();

    let host = errors.field(env::HOST, &raw.host, defaults.host, |text| {
        IpAddr::from_str(text).map_err(|_| "expected an IP address such as 0.0.0.0 or ::".into())
    });
    let port = errors.field(env::PORT, &raw.port, defaults.port, |text| {
        text.parse::<u16>()
            .map_err(|_| "expected a port number from 0 to 65535".into())
    });
    let environment = errors.field(
        env::ENVIRONMENT,
        &raw.environment,
        Environment::Development,
        parse_environment,
    );
    let database = parse_database(raw, &defaults.database, &mut errors);
    let auth = parse_auth(raw, environment, &database, &defaults.auth, &mut errors);
    let http = parse_http(raw, &defaults.http, &mut errors);
    let default_format = match environment {
        Environment::Production => LogFormat::Json,
        Environment::Development => LogFormat::Pretty,
    };
    let log = LogConfig {
        format: errors.field(
            env::LOG_FORMAT,
            &raw.log_format,
            default_format,
            |text| match text.to_ascii_lowercase().as_str() {
                "json" => Ok(LogFormat::Json),
                "pretty" | "text" => Ok(LogFormat::Pretty),
                _ => Err("expected one of: json, pretty".into()),
            },
        ),
        filter: errors.field(env::RUST_LOG, &raw.rust_log, defaults.log.filter, |text| {
            EnvFilter::try_new(text)
                .map(|_| text.to_owned())
                .map_err(|error| format!("not a log filter ({error}); example: info,sqlx=warn"))
        }),
    };
    let openai_api_key =
        errors.secret_field(env::OPENAI_API_KEY, &raw.openai_api_key, None, |text| {
            Ok(Some(SecretString::from(text)))
        });

    if errors.0.is_empty() {
        Ok(Config {
            host,
            port,
            environment,
            database,
            auth,
            http,
            log,
            openai_api_key,
        })
    } else {
        Err(ConfigErrors(errors.0))
    }
}

fn parse_environment(text: &str) -> Result<Environment, String> {
    match text.to_ascii_lowercase().as_str() {
        "development" => Ok(Environment::Development),
        "production" => Ok(Environment::Production),
        _ => Err("expected one of: development, production".into()),
    }
}

fn parse_database(
    raw: &RawConfig,
    defaults: &DatabaseConfig,
    errors: &mut Errors,
) -> DatabaseConfig {
    let (url, kind) = errors.secret_field(
        env::DATABASE_URL,
        &raw.database_url,
        (defaults.url.clone(), defaults.kind),
        |text| {
            let kind = database_kind(text)?;
            Ok((SecretString::from(text), kind))
        },
    );
    let max_connections = errors.field(
        env::DATABASE_MAX_CONNECTIONS,
        &raw.database_max_connections,
        defaults.max_connections,
        |text| match text.parse::<u32>() {
            Ok(n) if (1..=1000).contains(&n) => Ok(n),
            _ => Err("expected a whole number from 1 to 1000".into()),
        },
    );
    let min_connections = errors.field(
        env::DATABASE_MIN_CONNECTIONS,
        &raw.database_min_connections,
        defaults.min_connections,
        |text| match text.parse::<u32>() {
            Ok(n) if n <= max_connections => Ok(n),
            _ => Err(format!(
                "expected a whole number from 0 to DATABASE_MAX_CONNECTIONS ({max_connections})"
            )),
        },
    );
    DatabaseConfig {
        url,
        kind,
        max_connections,
        min_connections,
        acquire_timeout: errors.field(
            env::DATABASE_ACQUIRE_TIMEOUT_SECONDS,
            &raw.database_acquire_timeout_seconds,
            defaults.acquire_timeout,
            |text| seconds(text, 0.1, 300.0),
        ),
        reconnect_max: errors.field(
            env::DATABASE_RECONNECT_MAX_SECONDS,
            &raw.database_reconnect_max_seconds,
            defaults.reconnect_max,
            |text| seconds(text, 0.1, 3600.0),
        ),
        health_interval: defaults.health_interval,
    }
}

/// Recognises the engine and checks the URL parses, without echoing it (it may hold a password).
fn database_kind(url: &str) -> Result<DatabaseKind, String> {
    let scheme = url.split_once(':').map(|(scheme, _)| scheme).unwrap_or("");
    match scheme {
        "postgres" | "postgresql" => PgConnectOptions::from_str(url)
            .map(|_| DatabaseKind::Postgres)
            .map_err(|error| format!("not a PostgreSQL URL ({error}); expected postgres://user:password@host:5432/database")),
        "sqlite" => SqliteConnectOptions::from_str(url)
            .map(|_| DatabaseKind::Sqlite)
            .map_err(|error| format!("not a SQLite URL ({error}); expected sqlite://path/to/file.db")),
        _ => Err("expected a postgres://, postgresql:// or sqlite:// URL".into()),
    }
}

/// The development key lives beside the SQLite file (`backend-api.db` → `backend-api.dev-key`).
fn default_dev_key_file(database: &DatabaseConfig) -> PathBuf {
    let fallback = PathBuf::from("backend-api.dev-key");
    if database.kind != DatabaseKind::Sqlite {
        return fallback;
    }
    match SqliteConnectOptions::from_str(database.url.expose_secret()) {
        Ok(options) => {
            let file: &Path = options.get_filename();
            if file.as_os_str().is_empty() || file.to_string_lossy().starts_with("file:") {
                fallback
            } else {
                file.with_extension("dev-key")
            }
        }
        Err(_) => fallback,
    }
}

fn parse_auth(
    raw: &RawConfig,
    environment: Environment,
    database: &DatabaseConfig,
    defaults: &AuthConfig,
    errors: &mut Errors,
) -> AuthConfig {
    let leeway = errors.field(
        env::JWT_LEEWAY_SECONDS,
        &raw.jwt_leeway_seconds,
        defaults.leeway,
        |text| seconds(text, 0.0, 600.0),
    );
    let jwks_refresh_cooldown = errors.field(
        env::JWKS_REFRESH_COOLDOWN_SECONDS,
        &raw.jwks_refresh_cooldown_seconds,
        defaults.jwks_refresh_cooldown,
        |text| seconds(text, 0.0, 3600.0),
    );
    let better_auth_secret = errors.secret_field(
        env::BETTER_AUTH_SECRET,
        &raw.better_auth_secret,
        None,
        |text| Ok(Some(SecretString::from(text))),
    );
    let accept_hs256 = errors.field(
        env::BETTER_AUTH_ACCEPT_HS256,
        &raw.better_auth_accept_hs256,
        false,
        parse_bool,
    );

    let mut providers = Vec::new();
    if let Some(provider) = better_auth_provider(raw, leeway, errors) {
        let provider = with_hs256(provider, accept_hs256, better_auth_secret.as_ref(), errors);
        providers.push(provider);
    } else if accept_hs256 {
        errors.push(
            env::BETTER_AUTH_ACCEPT_HS256,
            Some("true".into()),
            "HS256 applies to the Better Auth provider; set BETTER_AUTH_URL as well",
        );
    }
    let providers_file = errors.field(
        env::AUTH_PROVIDERS_FILE,
        &raw.auth_providers_file,
        None,
        |text| Ok(Some(PathBuf::from(text))),
    );
    if let Some(path) = &providers_file {
        match providers::read(path, leeway) {
            Ok(mut more) => providers.append(&mut more),
            Err(reason) => errors.push(
                env::AUTH_PROVIDERS_FILE,
                Some(path.display().to_string()),
                reason,
            ),
        }
    }

    let explicit_dev_key = errors.field(env::DEV_KEY_FILE, &raw.dev_key_file, None, |text| {
        Ok(Some(PathBuf::from(text)))
    });
    if environment == Environment::Production {
        if providers.is_empty() {
            errors.push(
                env::BETTER_AUTH_URL,
                None,
                "ENVIRONMENT=production needs a real identity provider and refuses the development key: \
                 set BETTER_AUTH_URL (Better Auth, e.g. http://frontend:3000) or AUTH_PROVIDERS_FILE",
            );
        }
        if explicit_dev_key.is_some() {
            errors.push(
                env::DEV_KEY_FILE,
                None,
                "ENVIRONMENT=production refuses the development key: unset DEV_KEY_FILE",
            );
        }
    }
    if errors.0.is_empty() && !providers.is_empty() {
        check_with_verifier(&providers, errors);
    }
    AuthConfig {
        providers,
        dev_key_file: explicit_dev_key.unwrap_or_else(|| default_dev_key_file(database)),
        better_auth_secret,
        providers_file,
        leeway,
        jwks_refresh_cooldown,
    }
}

/// The Better Auth provider of SPEC §3, from `BETTER_AUTH_URL` and the variables refining it.
fn better_auth_provider(
    raw: &RawConfig,
    leeway: Duration,
    errors: &mut Errors,
) -> Option<ProviderConfig> {
    let base = errors.field(env::BETTER_AUTH_URL, &raw.better_auth_url, None, |text| {
        http_url(text).map(Some)
    });
    let jwks_url = errors.field(
        env::BETTER_AUTH_JWKS_URL,
        &raw.better_auth_jwks_url,
        None,
        |text| http_url(text).map(Some),
    );
    let issuer = errors.field(
        env::BETTER_AUTH_ISSUER,
        &raw.better_auth_issuer,
        None,
        |text| Ok(Some(text.to_owned())),
    );
    let audience = errors.field(
        env::BETTER_AUTH_AUDIENCE,
        &raw.better_auth_audience,
        None,
        |text| Ok(Some(text.to_owned())),
    );

    let mut provider = match (&base, &jwks_url, &issuer) {
        (Some(base), _, _) => ProviderConfig::better_auth(base),
        (None, Some(jwks_url), Some(issuer)) => {
            let mut provider = ProviderConfig::better_auth(jwks_url);
            provider.issuer = issuer.clone();
            provider
        }
        (None, Some(_), None) => {
            errors.push(
                env::BETTER_AUTH_ISSUER,
                None,
                "BETTER_AUTH_JWKS_URL is set without BETTER_AUTH_URL: set BETTER_AUTH_ISSUER to the `iss` Better Auth writes (its public base URL)",
            );
            return None;
        }
        (None, None, _) => {
            if issuer.is_some() || audience.is_some() {
                errors.push(
                    env::BETTER_AUTH_URL,
                    None,
                    "BETTER_AUTH_ISSUER/BETTER_AUTH_AUDIENCE are set but BETTER_AUTH_URL is not: set it to where this service reaches Better Auth",
                );
            }
            return None;
        }
    };
    if let Some(jwks_url) = jwks_url {
        provider.keys = backend_api_auth::KeySource::JwksUrl(jwks_url);
    }
    if let Some(issuer) = issuer {
        provider.issuer = issuer;
    }
    provider.audiences = match audience.as_deref() {
        Some("*") => None,
        Some(list) => Some(
            list.split(',')
                .map(|a| a.trim().to_owned())
                .filter(|a| !a.is_empty())
                .collect(),
        ),
        None => Some(vec![provider.issuer.clone()]),
    };
    provider.leeway = leeway;
    provider.issuer_setting = Some(env::BETTER_AUTH_ISSUER.to_owned());
    Some(provider)
}

fn with_hs256(
    mut provider: ProviderConfig,
    accept_hs256: bool,
    secret: Option<&SecretString>,
    errors: &mut Errors,
) -> ProviderConfig {
    if accept_hs256 {
        match secret {
            Some(secret) => {
                provider.hmac_secret =
                    Some(HmacSecret::new(secret.expose_secret().as_bytes().to_vec()));
            }
            None => errors.push(
                env::BETTER_AUTH_SECRET,
                None,
                "BETTER_AUTH_ACCEPT_HS256=true needs the shared secret: set BETTER_AUTH_SECRET",
            ),
        }
    }
    provider
}

/// Lets the core validate what it will be given (duplicate issuers, HS algorithms without a
/// secret…) now, so those problems are reported with the others.
fn check_with_verifier(providers: &[ProviderConfig], errors: &mut Errors) {
    let config = VerifierConfig {
        providers: providers.to_vec(),
        ..VerifierConfig::default()
    };
    if let Err(error) = Verifier::new(config) {
        errors.push(
            env::AUTH_PROVIDERS_FILE,
            None,
            format!("identity providers are inconsistent: {error}"),
        );
    }
}

fn parse_http(raw: &RawConfig, defaults: &HttpConfig, errors: &mut Errors) -> HttpConfig {
    HttpConfig {
        cors: errors.field(
            env::CORS_ALLOWED_ORIGINS,
            &raw.cors_allowed_origins,
            CorsOrigins::None,
            parse_cors,
        ),
        request_timeout: errors.field(
            env::REQUEST_TIMEOUT_SECONDS,
            &raw.request_timeout_seconds,
            defaults.request_timeout,
            |text| seconds(text, 0.1, 3600.0),
        ),
        shutdown_delay: errors.field(
            env::SHUTDOWN_DELAY_SECONDS,
            &raw.shutdown_delay_seconds,
            defaults.shutdown_delay,
            |text| seconds(text, 0.0, 600.0),
        ),
        shutdown_drain: errors.field(
            env::SHUTDOWN_DRAIN_SECONDS,
            &raw.shutdown_drain_seconds,
            defaults.shutdown_drain,
            |text| seconds(text, 0.0, 3600.0),
        ),
    }
}

fn parse_cors(text: &str) -> Result<CorsOrigins, String> {
    if text == "*" {
        return Ok(CorsOrigins::Any);
    }
    let mut origins = Vec::new();
    for origin in text.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        let url = Url::parse(origin)
            .map_err(|_| format!("{origin:?} is not an origin such as https://app.example.com"))?;
        let is_origin = matches!(url.scheme(), "http" | "https")
            && url.host().is_some()
            && url.path() == "/"
            && url.query().is_none()
            && !origin.ends_with('/');
        if !is_origin {
            return Err(format!(
                "{origin:?} is not an origin: use scheme://host[:port] without path, e.g. https://app.example.com"
            ));
        }
        origins.push(origin.to_owned());
    }
    Ok(if origins.is_empty() {
        CorsOrigins::None
    } else {
        CorsOrigins::List(origins)
    })
}

fn parse_bool(text: &str) -> Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err("expected true or false".into()),
    }
}

fn http_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text)
        .map_err(|error| format!("not a URL ({error}); example: http://frontend:3000"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("expected an http:// or https:// URL with a host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("credentials in the URL are not supported".into());
    }
    Ok(url)
}

/// Seconds as a number (fractions allowed) within `[min, max]`.
pub(super) fn seconds(text: &str, min: f64, max: f64) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && (min..=max).contains(&value) => {
            Ok(Duration::from_secs_f64(value))
        }
        _ => Err(format!("expected a number of seconds from {min} to {max}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawConfig {
        RawConfig::default()
    }

    #[test]
    fn nothing_set_gives_the_development_defaults() {
        let config = Config::from_raw(&raw()).expect("defaults are valid");
        assert_eq!(config.port, 8000);
        assert_eq!(config.environment, Environment::Development);
        assert_eq!(config.database.kind, DatabaseKind::Sqlite);
        assert!(config.auth.uses_development_key());
        assert_eq!(
            config.auth.dev_key_file,
            PathBuf::from("backend-api.dev-key")
        );
    }

    #[test]
    fn every_bad_variable_is_reported_in_one_run() {
        let raw = RawConfig {
            port: Some("80800".into()),
            environment: Some("staging".into()),
            database_url: Some("mysql://user:hunter2@db/app".into()),
            jwt_leeway_seconds: Some("-1".into()),
            better_auth_url: Some("frontend:3000".into()),
            cors_allowed_origins: Some("https://app.example.com/path".into()),
            ..RawConfig::default()
        };
        let errors = Config::from_raw(&raw).err().expect("invalid").0;
        let names: Vec<_> = errors.iter().map(|e| e.variable).collect();
        for name in [
            env::PORT,
            env::ENVIRONMENT,
            env::DATABASE_URL,
            env::JWT_LEEWAY_SECONDS,
            env::BETTER_AUTH_URL,
            env::CORS_ALLOWED_ORIGINS,
        ] {
            assert!(names.contains(&name), "{name} missing from {names:?}");
        }
        let text = ConfigErrors(errors).to_string();
        assert!(!text.contains("hunter2"), "secret leaked: {text}");
    }

    #[test]
    fn production_without_a_provider_names_the_variable_to_set() {
        let raw = RawConfig {
            environment: Some("production".into()),
            ..RawConfig::default()
        };
        let text = Config::from_raw(&raw).err().expect("refused").to_string();
        assert!(
            text.contains("BETTER_AUTH_URL") && text.contains("AUTH_PROVIDERS_FILE"),
            "{text}"
        );
    }

    #[test]
    fn better_auth_defaults_follow_the_base_url() {
        let raw = RawConfig {
            better_auth_url: Some("http://frontend:3000".into()),
            ..RawConfig::default()
        };
        let config = Config::from_raw(&raw).expect("valid");
        let provider = &config.auth.providers[0];
        assert_eq!(provider.issuer, "http://frontend:3000");
        assert_eq!(
            provider.audiences,
            Some(vec!["http://frontend:3000".to_owned()])
        );
        assert!(!config.auth.uses_development_key());
    }

    #[test]
    fn audience_star_disables_the_audience_check() {
        let raw = RawConfig {
            better_auth_url: Some("http://frontend:3000".into()),
            better_auth_issuer: Some("https://app.example.com".into()),
            better_auth_audience: Some("*".into()),
            ..RawConfig::default()
        };
        let config = Config::from_raw(&raw).expect("valid");
        assert_eq!(config.auth.providers[0].issuer, "https://app.example.com");
        assert_eq!(config.auth.providers[0].audiences, None);
    }

    #[test]
    fn hs256_without_a_secret_is_refused() {
        let raw = RawConfig {
            better_auth_url: Some("http://frontend:3000".into()),
            better_auth_accept_hs256: Some("true".into()),
            ..RawConfig::default()
        };
        let errors = Config::from_raw(&raw).err().expect("refused").0;
        assert_eq!(errors[0].variable, env::BETTER_AUTH_SECRET);
    }

    #[test]
    fn the_development_key_sits_beside_the_sqlite_file() {
        let raw = RawConfig {
            database_url: Some("sqlite:///var/lib/app/tasks.db".into()),
            ..RawConfig::default()
        };
        let config = Config::from_raw(&raw).expect("valid");
        assert_eq!(
            config.auth.dev_key_file,
            PathBuf::from("/var/lib/app/tasks.dev-key")
        );
    }

    #[test]
    fn cors_accepts_origins_and_star() {
        assert_eq!(parse_cors("*"), Ok(CorsOrigins::Any));
        assert_eq!(
            parse_cors("https://a.example.com, http://localhost:3000"),
            Ok(CorsOrigins::List(vec![
                "https://a.example.com".into(),
                "http://localhost:3000".into()
            ]))
        );
        assert!(parse_cors("https://a.example.com/").is_err());
    }
}
