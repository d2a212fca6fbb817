//! The one typed configuration of the service, built once at start-up.
//!
//! Layout: `env` names every variable, `raw` reads them as strings (clap, flag or environment),
//! `parse` turns them into this [`Config`] reporting every problem at once (`collect` gathers
//! the problems, `auth` handles the identity providers, `providers` reads the
//! `AUTH_PROVIDERS_FILE`, `forward_auth` the settings of `/auth/verify`), `redact` prints the
//! effective configuration without secrets.
//! Tests build a [`Config`] with [`Config::development_defaults`] and change fields; they never
//! touch the process environment.

mod auth;
mod collect;
pub mod env;
mod forward_auth;
mod parse;
mod providers;
mod raw;
mod redact;

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use backend_api_auth::ProviderConfig;
use secrecy::SecretString;

pub use auth::MIN_HS256_SECRET_BYTES;
pub(crate) use collect::parse_bool;
pub use collect::{ConfigError, ConfigErrors};
pub use forward_auth::{ClaimHeader, ForwardAuthConfig, HostPolicy, PROVIDER_HEADER, USER_HEADER};
pub(crate) use providers::parse as parse_providers;
pub use raw::RawConfig;
pub(crate) use redact::redacted_database_url;
pub use redact::{fingerprint, render_json, render_text};

/// Largest accepted request body; larger ones answer 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Largest accepted total size of request headers; 431 beyond it.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// SQLite database used when `DATABASE_URL` is unset.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://backend-api.db";

/// Everything the service needs, parsed into real types.
#[derive(Clone)]
pub struct Config {
    pub host: IpAddr,
    pub port: u16,
    pub environment: Environment,
    pub database: DatabaseConfig,
    pub auth: AuthConfig,
    pub http: HttpConfig,
    pub log: LogConfig,
    /// `/auth/verify` for reverse proxies (forward authentication).
    pub forward_auth: ForwardAuthConfig,
    /// Accepted so deployments that set it keep working; shown only as a fingerprint.
    pub openai_api_key: Option<SecretString>,
    pub mcp: McpConfig,
}

/// The MCP endpoint as an OAuth protected resource (RFC 9728, RFC 8707).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct McpConfig {
    /// `MCP_RESOURCE_URL`: this API's public URL, without a trailing slash. Unset: derived from
    /// each request's `Host`, which a client controls, so production sets it.
    pub resource_url: Option<String>,
    /// `MCP_AUDIENCE`: when set, a token must list it in `aud` to be accepted at `/mcp`.
    pub audience: Option<String>,
}

/// `ENVIRONMENT`: production tightens what the service accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Development => "development",
            Environment::Production => "production",
        }
    }
}

/// Which engine `DATABASE_URL` points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatabaseKind {
    Postgres,
    Sqlite,
}

/// Database connection and pool settings.
#[derive(Clone)]
pub struct DatabaseConfig {
    /// Full URL; may hold a password, so it is a secret and never printed as is.
    pub url: SecretString,
    pub kind: DatabaseKind,
    pub max_connections: u32,
    pub min_connections: u32,
    /// Longest wait for a connection (pooled or new) before a request gets 503.
    pub acquire_timeout: Duration,
    /// Upper bound of the exponential backoff between reconnect attempts.
    pub reconnect_max: Duration,
    /// How often a healthy database is pinged so `/ready` notices an outage without traffic.
    pub health_interval: Duration,
}

/// Who may sign the tokens this service accepts.
#[derive(Clone)]
pub struct AuthConfig {
    /// Identity providers (Better Auth from `BETTER_AUTH_*`, then the providers file).
    /// Empty means: trust the development key (never in production).
    pub providers: Vec<ProviderConfig>,
    /// Development signing key, used by `serve` when `providers` is empty and by `token`.
    pub dev_key_file: PathBuf,
    /// `BETTER_AUTH_SECRET`, kept to show its fingerprint even when HS256 is off.
    pub better_auth_secret: Option<SecretString>,
    pub providers_file: Option<PathBuf>,
    pub leeway: Duration,
    pub jwks_refresh_cooldown: Duration,
    /// Stale-if-error bound: a key set older than this is no longer used while fetches fail.
    pub jwks_stale_max: Duration,
    /// Longest a request waits for its provider's first key set.
    pub jwks_initial_wait: Duration,
}

/// Name of the provider the development key stands for (`DevelopmentKey::provider`).
pub const DEVELOPMENT_PROVIDER: &str = "development";

impl AuthConfig {
    /// True when the service trusts the local development key instead of a real provider.
    pub fn uses_development_key(&self) -> bool {
        self.providers.is_empty()
    }

    /// The one provider whose users the service serves, if there is exactly one (the
    /// development key counts as one). Tasks written before tasks had a provider belong to it;
    /// with several providers any of them could claim those, so none does.
    pub fn sole_provider(&self) -> Option<&str> {
        match self.providers.as_slice() {
            [] => Some(DEVELOPMENT_PROVIDER),
            [only] => Some(only.name.as_str()),
            _ => None,
        }
    }
}

/// HTTP behaviour: CORS, timeouts, shutdown.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    pub cors: CorsOrigins,
    pub request_timeout: Duration,
    /// Connection limits against slow, idle and too many clients.
    pub connections: ConnectionLimits,
    /// Time between SIGTERM and closing the listener, while `/ready` already answers 503.
    pub shutdown_delay: Duration,
    /// Longest wait for in-flight requests once the listener is closed.
    pub shutdown_drain: Duration,
}

/// Bounds on client connections, so hostile or broken clients cannot exhaust memory or file
/// descriptors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// A connection must deliver a request's complete headers within this time of its first
    /// byte (or of being accepted), else it is closed (slowloris).
    pub header_read_timeout: Duration,
    /// A connection with no request in progress and no byte of a next one is closed after this
    /// long. Longer than the keep-alive timeout of the proxy in front, so the proxy closes first.
    pub keep_alive_timeout: Duration,
    /// Most client connections open at once in this process.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> ConnectionLimits {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            keep_alive_timeout: Duration::from_secs(75),
            max_connections: 1024,
        }
    }
}

/// `CORS_ALLOWED_ORIGINS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CorsOrigins {
    /// No cross-origin browser access (the default).
    None,
    /// `*`: any origin (credentials are never allowed with it).
    Any,
    List(Vec<String>),
}

/// Log output.
#[derive(Clone, Debug)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A validated `tracing_subscriber::EnvFilter` directive.
    pub filter: String,
}

/// `LOG_FORMAT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

impl Config {
    /// Reads every variable from `raw`, reporting all problems together.
    pub fn from_raw(raw: &RawConfig) -> Result<Config, ConfigErrors> {
        parse::parse(raw)
    }

    /// The configuration with nothing set: SQLite file, development key, port 8000.
    pub fn development_defaults() -> Config {
        let fetch = backend_api_auth::FetchSettings::default();
        Config {
            host: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            port: 8000,
            environment: Environment::Development,
            database: DatabaseConfig {
                url: SecretString::from(DEFAULT_DATABASE_URL),
                kind: DatabaseKind::Sqlite,
                max_connections: 10,
                min_connections: 0,
                acquire_timeout: Duration::from_secs(5),
                reconnect_max: Duration::from_secs(30),
                health_interval: Duration::from_secs(5),
            },
            auth: AuthConfig {
                providers: Vec::new(),
                dev_key_file: PathBuf::from(auth::DEV_KEY_FILE),
                better_auth_secret: None,
                providers_file: None,
                // The core's defaults, so a default here and there cannot drift apart.
                leeway: backend_api_auth::DEFAULT_LEEWAY,
                jwks_refresh_cooldown: fetch.refresh_cooldown,
                jwks_stale_max: fetch.max_stale,
                jwks_initial_wait: fetch.initial_wait,
            },
            http: HttpConfig {
                cors: CorsOrigins::None,
                request_timeout: Duration::from_secs(30),
                connections: ConnectionLimits::default(),
                shutdown_delay: Duration::ZERO,
                shutdown_drain: Duration::from_secs(20),
            },
            log: LogConfig {
                format: LogFormat::Pretty,
                filter: "info".to_owned(),
            },
            forward_auth: ForwardAuthConfig::default(),
            openai_api_key: None,
            mcp: McpConfig::default(),
        }
    }
}
