//! Every stable finding code `doctor` can emit. Codes are API (scripts match on them, the README maps
//! symptoms to them): add new ones, never rename one. Token verdicts reuse the reason codes of SPEC §5.

// Configuration.
/// Every variable parsed and no contradiction found.
pub(crate) const CONFIG_OK: &str = "config_ok";
/// A variable (or the providers file) does not parse.
pub(crate) const CONFIG_INVALID: &str = "config_invalid";
/// `ENVIRONMENT=production` would trust the local development key.
pub(crate) const DEV_KEY_IN_PRODUCTION: &str = "dev_key_in_production";
/// No identity provider is configured; the development key is trusted (development only).
pub(crate) const DEVELOPMENT_KEY: &str = "development_key";
/// A provider accepts any audience.
pub(crate) const AUDIENCE_CHECK_DISABLED: &str = "audience_check_disabled";
/// HMAC tokens signed with the shared secret are accepted.
pub(crate) const HS256_ENABLED: &str = "hs256_enabled";
/// HS256 is accepted with a `BETTER_AUTH_SECRET` under 32 bytes (refused in production, failed
/// everywhere): a short secret can be guessed, and whoever guesses it signs tokens for anyone.
pub(crate) const HS256_SECRET_TOO_SHORT: &str = "hs256_secret_too_short";
/// `BETTER_AUTH_SECRET` is set: its fingerprint, and what it is (not) used for.
pub(crate) const SECRET_FINGERPRINT: &str = "secret_fingerprint";
/// The expected issuer was derived from an in-cluster URL; Better Auth signs with its public URL.
pub(crate) const ISSUER_FROM_INTERNAL_URL: &str = "issuer_from_internal_url";

// The MCP endpoint.
/// The resource metadata MCP clients read: resource URL and authorization servers.
pub(crate) const MCP_RESOURCE_METADATA: &str = "mcp_resource_metadata";
/// Production without `MCP_RESOURCE_URL`: the resource URL comes from each request's `Host`.
pub(crate) const MCP_RESOURCE_URL_UNSET: &str = "mcp_resource_url_unset";
/// `MCP_AUDIENCE` is not among a provider's audiences: its tokens fail one of the two checks.
pub(crate) const MCP_AUDIENCE_NOT_ACCEPTED: &str = "mcp_audience_not_accepted";

// Identity providers: network path.
/// The host resolves.
pub(crate) const DNS_OK: &str = "dns_ok";
/// The host does not resolve (wrong Service name, no DNS egress).
pub(crate) const DNS_UNRESOLVABLE: &str = "dns_unresolvable";
/// Something listens on the port.
pub(crate) const TCP_OK: &str = "tcp_ok";
/// Connection refused: nothing listens (pod not ready, wrong port).
pub(crate) const TCP_REFUSED: &str = "tcp_refused";
/// No answer to the connection attempt: packets dropped (NetworkPolicy, firewall).
pub(crate) const TCP_TIMEOUT: &str = "tcp_timeout";
/// Another network error (unreachable network, TLS).
pub(crate) const NETWORK_ERROR: &str = "network_error";
/// The connection opened but the HTTP answer did not come in time.
pub(crate) const HTTP_TIMEOUT: &str = "http_timeout";

// Identity providers: documents.
/// The JWKS answered with a usable key set.
pub(crate) const JWKS_OK: &str = "jwks_ok";
/// The JWKS URL answers 404 (wrong path, e.g. `/.well-known/jwks.json` vs `/api/auth/jwks`).
pub(crate) const JWKS_NOT_FOUND: &str = "jwks_not_found";
/// The JWKS URL answers another non-200 status.
pub(crate) const JWKS_HTTP_STATUS: &str = "jwks_http_status";
/// The JWKS URL redirects: followed like the verifier does (warn), or endlessly / to a login page (fail).
pub(crate) const JWKS_REDIRECT: &str = "jwks_redirect";
/// The JWKS URL serves HTML (a login or error page).
pub(crate) const JWKS_HTML: &str = "jwks_html";
/// The JWKS URL serves something that is not a JSON key set.
pub(crate) const JWKS_NOT_JSON: &str = "jwks_not_json";
/// The key set has no keys.
pub(crate) const JWKS_EMPTY: &str = "jwks_empty";
/// The provider answered, but slowly.
pub(crate) const JWKS_SLOW: &str = "jwks_slow";
/// No key can verify any algorithm the provider allows.
pub(crate) const KEYS_NO_USABLE_ALG: &str = "keys_no_usable_alg";
/// The service's own verifier fetched and parsed the keys (end-to-end confirmation).
pub(crate) const KEYS_LOADED: &str = "keys_loaded";
/// Clock of this machine and the provider agree.
pub(crate) const CLOCK_OK: &str = "clock_ok";
/// Clocks differ by more than the leeway (tokens look expired or not yet valid).
pub(crate) const CLOCK_SKEW: &str = "clock_skew";
/// The discovery document was read and names a JWKS.
pub(crate) const DISCOVERY_OK: &str = "discovery_ok";
/// The discovery document could not be read (status, HTML, not JSON, no `jwks_uri`).
pub(crate) const DISCOVERY_INVALID: &str = "discovery_invalid";
/// The discovery URL redirects (followed, warned) or keeps redirecting (fail).
pub(crate) const DISCOVERY_REDIRECT: &str = "discovery_redirect";
/// The issuer a discovery document advertises (warn), or a refused token's `iss` (fail), differs from
/// the configured one: typically the public vs in-cluster URL split.
pub(crate) const ISSUER_MISMATCH: &str = "issuer_mismatch";
/// The discovery document sends browsers to a host that does not resolve.
pub(crate) const DISCOVERY_UNRESOLVABLE_ISSUER: &str = "discovery_unresolvable_issuer";

// Database.
/// The database answers and migrations are applied.
pub(crate) const DB_OK: &str = "db_ok";
/// Nothing answers at the database address (down, wrong host or port).
pub(crate) const DB_UNREACHABLE: &str = "db_unreachable";
/// "password authentication failed for user": the password drifted from the database's.
pub(crate) const DB_AUTH_FAILED: &str = "db_auth_failed";
/// The database (name) does not exist, or the role does not.
pub(crate) const DB_NOT_FOUND: &str = "db_not_found";
/// Another database error.
pub(crate) const DB_ERROR: &str = "db_error";
/// Migrations this binary ships are not applied yet.
pub(crate) const DB_MIGRATIONS_PENDING: &str = "db_migrations_pending";
/// A migration failed half-way, or an applied one was changed since.
pub(crate) const DB_MIGRATIONS_BROKEN: &str = "db_migrations_broken";

// Tokens (`doctor token`), besides the reason codes of SPEC §5.
/// What the token says about itself (unverified), with its fingerprint, never the token.
pub(crate) const TOKEN_DECODED: &str = "token_decoded";
/// One verification step passed.
pub(crate) const TOKEN_STEP_OK: &str = "token_step_ok";
/// A verification step does not apply (e.g. no audience configured).
pub(crate) const TOKEN_STEP_SKIPPED: &str = "token_step_skipped";
/// The service would accept the token.
pub(crate) const TOKEN_ACCEPTED: &str = "token_accepted";

// Manifests.
/// The manifests raise nothing.
pub(crate) const MANIFESTS_OK: &str = "manifests_ok";
/// The input is not Kubernetes YAML, or holds no workload.
pub(crate) const MANIFESTS_INVALID: &str = "manifests_invalid";
/// Egress allows DNS and every port the workload's URLs need.
pub(crate) const NP_OK: &str = "np_ok";
/// Egress does not allow the identity provider's port (seed 002: 80 vs 8080 on the back channel).
pub(crate) const NP_BLOCKS_IDP_PORT: &str = "np_blocks_idp_port";
/// Egress does not allow the database's port.
pub(crate) const NP_BLOCKS_DB_PORT: &str = "np_blocks_db_port";
/// Egress does not allow another URL's port.
pub(crate) const NP_BLOCKS_PORT: &str = "np_blocks_port";
/// Egress does not allow DNS (port 53), so no Service name resolves.
pub(crate) const NP_MISSING_DNS: &str = "np_missing_dns";
/// A URL names a cluster Service the input does not define (`frontend-service` vs `frontend`).
pub(crate) const SERVICE_NOT_IN_INPUT: &str = "service_not_in_input";
/// An Ingress `auth-url` (or Traefik `forwardAuth.address`) names a Service the input does not define.
pub(crate) const AUTH_URL_SERVICE_MISSING: &str = "auth_url_service_missing";
/// An Ingress `auth-url` (or Traefik `forwardAuth.address`) names a port its Service does not expose.
pub(crate) const AUTH_URL_PORT_MISSING: &str = "auth_url_port_missing";
/// A liveness probe with no startupProbe can kill a slow start.
pub(crate) const LIVENESS_WITHOUT_STARTUP: &str = "liveness_without_startup";
/// A liveness probe on `/ready` restarts pods when a dependency is down.
pub(crate) const LIVENESS_ON_READY: &str = "liveness_on_ready";
/// A readiness probe on `/health` reports ready while the database or keys are missing.
pub(crate) const READINESS_ON_HEALTH: &str = "readiness_on_health";
/// A container without CPU or memory limits.
pub(crate) const NO_RESOURCE_LIMITS: &str = "no_resource_limits";
/// An env var refers to a Secret this input does not define.
pub(crate) const ENV_SECRET_MISSING: &str = "env_secret_missing";
/// An env var refers to a key the Secret does not have.
pub(crate) const ENV_SECRET_KEY_MISSING: &str = "env_secret_key_missing";
/// An env var refers to a ConfigMap this input does not define.
pub(crate) const ENV_CONFIGMAP_MISSING: &str = "env_configmap_missing";
/// An env var refers to a key the ConfigMap does not have.
pub(crate) const ENV_CONFIGMAP_KEY_MISSING: &str = "env_configmap_key_missing";
/// `imagePullPolicy: Never` only works where the image was loaded into the node (minikube, kind).
pub(crate) const PULL_POLICY_NEVER: &str = "pull_policy_never";

// The run itself.
/// `doctor` could not run a check at all (runtime, HTTP client, a crashed check).
pub(crate) const DOCTOR_ERROR: &str = "doctor_error";
/// `--timeout` ran out before this check finished.
pub(crate) const DOCTOR_TIMEOUT: &str = "doctor_timeout";
