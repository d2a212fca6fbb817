//! The configuration as the process receives it: strings from flags or environment.
//!
//! Every field is an optional string so that nothing fails while clap reads it; `parse.rs`
//! turns the whole set into a typed [`Config`](super::Config) and reports every bad value at once.
//! Secrets carry `hide_env_values` so `--help` never prints them.

use clap::Args;

use super::env;

/// Settings shared by every subcommand; each is a `--flag` and an environment variable.
#[derive(Args, Debug, Default, Clone)]
#[command(next_help_heading = "Configuration (flags or environment variables)")]
pub struct RawConfig {
    /// Listen address [default: 0.0.0.0]
    #[arg(long, env = env::HOST, global = true)]
    pub host: Option<String>,
    /// Listen port [default: 8000]
    #[arg(long, env = env::PORT, global = true)]
    pub port: Option<String>,
    /// `development` or `production` [default: development]
    #[arg(long, env = env::ENVIRONMENT, global = true)]
    pub environment: Option<String>,
    /// postgres://… or sqlite://… [default: sqlite://backend-api.db]
    #[arg(long, env = env::DATABASE_URL, hide_env_values = true, global = true)]
    pub database_url: Option<String>,
    /// Most connections in the pool [default: 10]
    #[arg(long, env = env::DATABASE_MAX_CONNECTIONS, global = true)]
    pub database_max_connections: Option<String>,
    /// Connections kept open when idle [default: 0]
    #[arg(long, env = env::DATABASE_MIN_CONNECTIONS, global = true)]
    pub database_min_connections: Option<String>,
    /// Longest wait for a pooled connection or a new one [default: 5]
    #[arg(long, env = env::DATABASE_ACQUIRE_TIMEOUT_SECONDS, global = true)]
    pub database_acquire_timeout_seconds: Option<String>,
    /// Longest pause between reconnect attempts while the database is down [default: 30]
    #[arg(long, env = env::DATABASE_RECONNECT_MAX_SECONDS, global = true)]
    pub database_reconnect_max_seconds: Option<String>,
    /// Base URL where this service reaches Better Auth (enables that provider)
    #[arg(long, env = env::BETTER_AUTH_URL, global = true)]
    pub better_auth_url: Option<String>,
    /// Better Auth key set URL [default: $BETTER_AUTH_URL/api/auth/jwks]
    #[arg(long, env = env::BETTER_AUTH_JWKS_URL, global = true)]
    pub better_auth_jwks_url: Option<String>,
    /// Expected `iss` of Better Auth tokens [default: origin of BETTER_AUTH_URL]
    #[arg(long, env = env::BETTER_AUTH_ISSUER, global = true)]
    pub better_auth_issuer: Option<String>,
    /// Expected `aud` of Better Auth tokens; `*` disables the check [default: the issuer]
    #[arg(long, env = env::BETTER_AUTH_AUDIENCE, global = true)]
    pub better_auth_audience: Option<String>,
    /// Shared secret; only used for HS256 when BETTER_AUTH_ACCEPT_HS256=true
    #[arg(long, env = env::BETTER_AUTH_SECRET, hide_env_values = true, global = true)]
    pub better_auth_secret: Option<String>,
    /// Accept HS256 tokens signed with BETTER_AUTH_SECRET [default: false]
    #[arg(long, env = env::BETTER_AUTH_ACCEPT_HS256, global = true)]
    pub better_auth_accept_hs256: Option<String>,
    /// TOML file with more identity providers
    #[arg(long, env = env::AUTH_PROVIDERS_FILE, global = true)]
    pub auth_providers_file: Option<String>,
    /// Development signing key (development only) [default: beside the SQLite file]
    #[arg(long, env = env::DEV_KEY_FILE, global = true)]
    pub dev_key_file: Option<String>,
    /// Clock-skew allowance for exp, nbf, iat [default: 30]
    #[arg(long, env = env::JWT_LEEWAY_SECONDS, global = true)]
    pub jwt_leeway_seconds: Option<String>,
    /// Least time between two key-set fetches caused by unknown kids [default: 10]
    #[arg(long, env = env::JWKS_REFRESH_COOLDOWN_SECONDS, global = true)]
    pub jwks_refresh_cooldown_seconds: Option<String>,
    /// While key-set fetches fail, how long the last fetched key set is still used [default: 86400]
    #[arg(long, env = env::JWKS_STALE_MAX_SECONDS, global = true)]
    pub jwks_stale_max_seconds: Option<String>,
    /// Longest a request waits for a provider's first key set before 503 keys_unavailable [default: 3]
    #[arg(long, env = env::JWKS_INITIAL_WAIT_SECONDS, global = true)]
    pub jwks_initial_wait_seconds: Option<String>,
    /// Comma-separated browser origins allowed by CORS, or `*` [default: none]
    #[arg(long, env = env::CORS_ALLOWED_ORIGINS, global = true)]
    pub cors_allowed_origins: Option<String>,
    /// Longest time one request may take [default: 30]
    #[arg(long, env = env::REQUEST_TIMEOUT_SECONDS, global = true)]
    pub request_timeout_seconds: Option<String>,
    /// Longest wait for a request's complete headers before the connection is closed [default: 10]
    #[arg(long, env = env::HEADER_READ_TIMEOUT_SECONDS, global = true)]
    pub header_read_timeout_seconds: Option<String>,
    /// Idle keep-alive connections are closed after this long; keep it above the proxy's [default: 75]
    #[arg(long, env = env::KEEP_ALIVE_TIMEOUT_SECONDS, global = true)]
    pub keep_alive_timeout_seconds: Option<String>,
    /// Most client connections open at once; past it idle ones are closed first [default: 1024]
    #[arg(long, env = env::HTTP_MAX_CONNECTIONS, global = true)]
    pub http_max_connections: Option<String>,
    /// After SIGTERM: keep accepting while /ready says 503, so load balancers notice [default: 0]
    #[arg(long, env = env::SHUTDOWN_DELAY_SECONDS, global = true)]
    pub shutdown_delay_seconds: Option<String>,
    /// After SIGTERM: longest wait for in-flight requests [default: 20]
    #[arg(long, env = env::SHUTDOWN_DRAIN_SECONDS, global = true)]
    pub shutdown_drain_seconds: Option<String>,
    /// `json` or `pretty` [default: json in production, pretty otherwise]
    #[arg(long, env = env::LOG_FORMAT, global = true)]
    pub log_format: Option<String>,
    /// Log filter, e.g. `info,backend_api=debug` [default: info]
    #[arg(long, env = env::RUST_LOG, global = true)]
    pub rust_log: Option<String>,
    /// Accepted and redacted; reserved for features that need it
    #[arg(long, env = env::OPENAI_API_KEY, hide_env_values = true, global = true)]
    pub openai_api_key: Option<String>,
    /// Public URL of this API, announced to MCP clients as the protected resource [default: from the request's Host]
    #[arg(long, env = env::MCP_RESOURCE_URL, global = true)]
    pub mcp_resource_url: Option<String>,
    /// Audience a token must list in `aud` to be accepted at /mcp (RFC 8707) [default: none]
    #[arg(long, env = env::MCP_AUDIENCE, global = true)]
    pub mcp_audience: Option<String>,
    /// Serve /auth/verify for proxies (nginx auth_request, Traefik forwardAuth) [default: true]
    #[arg(long, env = env::FORWARD_AUTH, global = true)]
    pub forward_auth: Option<String>,
    /// Claims copied to headers of a /auth/verify 200, e.g. email=X-Auth-Email,name=X-Auth-Name
    #[arg(long, env = env::FORWARD_AUTH_CLAIM_HEADERS, global = true)]
    pub forward_auth_claim_headers: Option<String>,
    /// TOML file with the per-host audience/provider policy of /auth/verify
    #[arg(long, env = env::FORWARD_AUTH_POLICY_FILE, global = true)]
    pub forward_auth_policy_file: Option<String>,
}
