//! Names of every environment variable the service reads, in one place.
//!
//! The same names appear in `--help`, error messages, `backend-api config`, the README table,
//! the Dockerfile and the Helm values; the first ones are those of the FastAPI backend this service replaces, so existing deployments keep working.

pub const HOST: &str = "HOST";
pub const PORT: &str = "PORT";
pub const ENVIRONMENT: &str = "ENVIRONMENT";
pub const DATABASE_URL: &str = "DATABASE_URL";
pub const DATABASE_MAX_CONNECTIONS: &str = "DATABASE_MAX_CONNECTIONS";
pub const DATABASE_MIN_CONNECTIONS: &str = "DATABASE_MIN_CONNECTIONS";
pub const DATABASE_ACQUIRE_TIMEOUT_SECONDS: &str = "DATABASE_ACQUIRE_TIMEOUT_SECONDS";
pub const DATABASE_RECONNECT_MAX_SECONDS: &str = "DATABASE_RECONNECT_MAX_SECONDS";
pub const BETTER_AUTH_URL: &str = "BETTER_AUTH_URL";
pub const BETTER_AUTH_JWKS_URL: &str = "BETTER_AUTH_JWKS_URL";
pub const BETTER_AUTH_ISSUER: &str = "BETTER_AUTH_ISSUER";
pub const BETTER_AUTH_AUDIENCE: &str = "BETTER_AUTH_AUDIENCE";
pub const BETTER_AUTH_SECRET: &str = "BETTER_AUTH_SECRET";
pub const BETTER_AUTH_ACCEPT_HS256: &str = "BETTER_AUTH_ACCEPT_HS256";
pub const AUTH_PROVIDERS_FILE: &str = "AUTH_PROVIDERS_FILE";
pub const DEV_KEY_FILE: &str = "DEV_KEY_FILE";
pub const JWT_LEEWAY_SECONDS: &str = "JWT_LEEWAY_SECONDS";
pub const JWKS_REFRESH_COOLDOWN_SECONDS: &str = "JWKS_REFRESH_COOLDOWN_SECONDS";
pub const JWKS_STALE_MAX_SECONDS: &str = "JWKS_STALE_MAX_SECONDS";
pub const JWKS_INITIAL_WAIT_SECONDS: &str = "JWKS_INITIAL_WAIT_SECONDS";
pub const CORS_ALLOWED_ORIGINS: &str = "CORS_ALLOWED_ORIGINS";
pub const REQUEST_TIMEOUT_SECONDS: &str = "REQUEST_TIMEOUT_SECONDS";
pub const HEADER_READ_TIMEOUT_SECONDS: &str = "HEADER_READ_TIMEOUT_SECONDS";
pub const KEEP_ALIVE_TIMEOUT_SECONDS: &str = "KEEP_ALIVE_TIMEOUT_SECONDS";
pub const HTTP_MAX_CONNECTIONS: &str = "HTTP_MAX_CONNECTIONS";
pub const SHUTDOWN_DELAY_SECONDS: &str = "SHUTDOWN_DELAY_SECONDS";
pub const SHUTDOWN_DRAIN_SECONDS: &str = "SHUTDOWN_DRAIN_SECONDS";
pub const LOG_FORMAT: &str = "LOG_FORMAT";
pub const RUST_LOG: &str = "RUST_LOG";
pub const OPENAI_API_KEY: &str = "OPENAI_API_KEY";
pub const MCP_RESOURCE_URL: &str = "MCP_RESOURCE_URL";
pub const MCP_AUDIENCE: &str = "MCP_AUDIENCE";
pub const FORWARD_AUTH: &str = "FORWARD_AUTH";
pub const FORWARD_AUTH_CLAIM_HEADERS: &str = "FORWARD_AUTH_CLAIM_HEADERS";
pub const FORWARD_AUTH_POLICY_FILE: &str = "FORWARD_AUTH_POLICY_FILE";

/// Variables whose value is never repeated in an error (a password or key).
pub const SECRETS: [&str; 3] = [DATABASE_URL, BETTER_AUTH_SECRET, OPENAI_API_KEY];
