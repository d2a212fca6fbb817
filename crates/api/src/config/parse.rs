//! Turns [`RawConfig`] strings into a typed [`Config`], collecting every problem.
//!
//! Operators fix configuration one deploy at a time; listing all bad variables in one run
//! (with the variable's name, the value unless it is secret, and what is expected) saves
//! them a crash-loop per mistake. Identity providers are parsed in `auth`.

use std::net::IpAddr;
use std::str::FromStr;

use secrecy::SecretString;
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use tracing_subscriber::EnvFilter;
use url::Url;

use super::auth::parse_auth;
use super::collect::{ConfigErrors, Errors, seconds};
use super::env;
use super::forward_auth::parse_forward_auth;
use super::{
    Config, ConnectionLimits, CorsOrigins, DatabaseConfig, DatabaseKind, Environment, HttpConfig,
    LogConfig, LogFormat, McpConfig, RawConfig,
};

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
    let provider_names: Vec<&str> = auth.providers.iter().map(|p| p.name.as_str()).collect();
    let forward_auth = parse_forward_auth(raw, &provider_names, &mut errors);
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
    let openai_api_key = errors.field(env::OPENAI_API_KEY, &raw.openai_api_key, None, |text| {
        Ok(Some(SecretString::from(text)))
    });

    let mcp = parse_mcp(raw, &mut errors);

    if errors.0.is_empty() {
        Ok(Config {
            host,
            port,
            environment,
            database,
            auth,
            http,
            log,
            forward_auth,
            openai_api_key,
            mcp,
        })
    } else {
        Err(ConfigErrors(errors.0))
    }
}

fn parse_mcp(raw: &RawConfig, errors: &mut Errors) -> McpConfig {
    McpConfig {
        resource_url: errors.field(env::MCP_RESOURCE_URL, &raw.mcp_resource_url, None, |text| {
            parse_resource_url(text).map(Some)
        }),
        audience: errors.field(env::MCP_AUDIENCE, &raw.mcp_audience, None, |text| {
            Ok(Some(text.to_owned()))
        }),
    }
}

/// An absolute http(s) URL without credentials, query or fragment (RFC 9728 forbids the last
/// two in a resource identifier); a trailing slash is dropped so `<url>/.well-known/…` joins.
fn parse_resource_url(text: &str) -> Result<String, String> {
    const EXPECTED: &str = "expected the API's public URL, such as https://api.example.com";
    let url = Url::parse(text.trim_end_matches('/')).map_err(|_| EXPECTED.to_owned())?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(EXPECTED.to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain credentials".to_owned());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not contain a query or fragment".to_owned());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
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
    let (url, kind) = errors.field(
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
        connections: parse_connections(raw, &defaults.connections, errors),
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

fn parse_connections(
    raw: &RawConfig,
    defaults: &ConnectionLimits,
    errors: &mut Errors,
) -> ConnectionLimits {
    ConnectionLimits {
        header_read_timeout: errors.field(
            env::HEADER_READ_TIMEOUT_SECONDS,
            &raw.header_read_timeout_seconds,
            defaults.header_read_timeout,
            |text| seconds(text, 0.1, 600.0),
        ),
        keep_alive_timeout: errors.field(
            env::KEEP_ALIVE_TIMEOUT_SECONDS,
            &raw.keep_alive_timeout_seconds,
            defaults.keep_alive_timeout,
            |text| seconds(text, 0.1, 3600.0),
        ),
        max_connections: errors.field(
            env::HTTP_MAX_CONNECTIONS,
            &raw.http_max_connections,
            defaults.max_connections,
            |text| match text.parse::<usize>() {
                Ok(n) if (8..=1_000_000).contains(&n) => Ok(n),
                _ => Err("expected a whole number from 8 to 1000000".into()),
            },
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

/// The variables a configuration that must not load is refused for, in the order reported.
#[cfg(test)]
pub(super) fn refused_variables(raw: &RawConfig) -> Vec<&'static str> {
    let errors = Config::from_raw(raw).err().expect("invalid").0;
    errors.iter().map(|e| e.variable).collect()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

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
    fn connection_limits_have_defaults_and_are_bounded() {
        let config = Config::from_raw(&raw()).expect("defaults are valid");
        assert_eq!(config.http.connections, ConnectionLimits::default());
        assert!(config.http.connections.keep_alive_timeout > Duration::from_secs(60));
        let raw = RawConfig {
            header_read_timeout_seconds: Some("2.5".into()),
            keep_alive_timeout_seconds: Some("90".into()),
            http_max_connections: Some("4096".into()),
            ..RawConfig::default()
        };
        let limits = Config::from_raw(&raw).expect("valid").http.connections;
        assert_eq!(limits.header_read_timeout, Duration::from_millis(2500));
        assert_eq!(limits.keep_alive_timeout, Duration::from_secs(90));
        assert_eq!(limits.max_connections, 4096);
        let raw = RawConfig {
            header_read_timeout_seconds: Some("0".into()),
            keep_alive_timeout_seconds: Some("forever".into()),
            http_max_connections: Some("3".into()),
            ..RawConfig::default()
        };
        assert_eq!(
            refused_variables(&raw),
            [
                env::HEADER_READ_TIMEOUT_SECONDS,
                env::KEEP_ALIVE_TIMEOUT_SECONDS,
                env::HTTP_MAX_CONNECTIONS
            ]
        );
    }

    #[test]
    fn mcp_resource_url_is_an_absolute_url_without_trailing_slash() {
        let config = Config::from_raw(&RawConfig {
            mcp_resource_url: Some("https://api.example.com/".into()),
            mcp_audience: Some("https://api.example.com".into()),
            ..RawConfig::default()
        })
        .expect("valid");
        assert_eq!(
            config.mcp.resource_url.as_deref(),
            Some("https://api.example.com")
        );
        assert_eq!(
            config.mcp.audience.as_deref(),
            Some("https://api.example.com")
        );
        for bad in [
            "api.example.com",
            "ftp://api.example.com",
            "https://u:p@api.example.com",
            "https://api.example.com/?x=1",
        ] {
            let errors = Config::from_raw(&RawConfig {
                mcp_resource_url: Some(bad.into()),
                ..RawConfig::default()
            })
            .err()
            .expect("invalid")
            .0;
            assert_eq!(errors[0].variable, env::MCP_RESOURCE_URL, "{bad}");
        }
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
