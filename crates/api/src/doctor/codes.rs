//! Every stable finding code `doctor` can emit. Codes are API (scripts match on them, the README maps
//! symptoms to them): add new ones, never rename one. Token verdicts reuse the core's authentication reason codes.
//!
//! [`Code`] is an enum, like the core's `Reason`: a finding cannot carry a code that is not listed
//! here, and a token verdict carries the core's reason itself.

use backend_api_auth::Reason;
use serde::{Serialize, Serializer};

/// A stable finding code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Code {
    // Configuration.
    /// Every variable parsed and no contradiction found.
    ConfigOk,
    /// A variable (or the providers file) does not parse.
    ConfigInvalid,
    /// `ENVIRONMENT=production` would trust the local development key.
    DevKeyInProduction,
    /// No identity provider is configured; the development key is trusted (development only).
    DevelopmentKey,
    /// A provider accepts any audience.
    AudienceCheckDisabled,
    /// HMAC tokens signed with the shared secret are accepted.
    Hs256Enabled,
    /// HS256 is accepted with a `BETTER_AUTH_SECRET` under 32 bytes (refused in production, failed
    /// everywhere): a short secret can be guessed, and whoever guesses it signs tokens for anyone.
    Hs256SecretTooShort,
    /// `BETTER_AUTH_SECRET` is set: its fingerprint, and what it is (not) used for.
    SecretFingerprint,
    /// The expected issuer was derived from an in-cluster URL; Better Auth signs with its public URL.
    IssuerFromInternalUrl,

    // The MCP endpoint.
    /// The resource metadata MCP clients read: resource URL and authorization servers.
    McpResourceMetadata,
    /// Production without `MCP_RESOURCE_URL`: the resource URL comes from each request's `Host`.
    McpResourceUrlUnset,
    /// `MCP_AUDIENCE` is not among a provider's audiences: its tokens fail one of the two checks.
    McpAudienceNotAccepted,

    // Identity providers: network path.
    /// The host resolves.
    DnsOk,
    /// The host does not resolve (wrong Service name, no DNS egress).
    DnsUnresolvable,
    /// Something listens on the port.
    TcpOk,
    /// Connection refused: nothing listens (pod not ready, wrong port).
    TcpRefused,
    /// No answer to the connection attempt: packets dropped (NetworkPolicy, firewall).
    TcpTimeout,
    /// Another network error (unreachable network, TLS).
    NetworkError,
    /// The connection opened but the HTTP answer did not come in time.
    HttpTimeout,

    // Identity providers: documents.
    /// The JWKS answered with a usable key set.
    JwksOk,
    /// The JWKS URL answers 404 (wrong path, e.g. `/.well-known/jwks.json` vs `/api/auth/jwks`).
    JwksNotFound,
    /// The JWKS URL answers another non-200 status.
    JwksHttpStatus,
    /// The JWKS URL redirects: followed like the verifier does (warn), or endlessly / to a login page (fail).
    JwksRedirect,
    /// The JWKS URL serves HTML (a login or error page).
    JwksHtml,
    /// The JWKS URL serves something that is not a JSON key set.
    JwksNotJson,
    /// The key set has no keys.
    JwksEmpty,
    /// The provider answered, but slowly.
    JwksSlow,
    /// No key can verify any algorithm the provider allows.
    KeysNoUsableAlg,
    /// The service's own verifier fetched and parsed the keys (end-to-end confirmation).
    KeysLoaded,
    /// Clock of this machine and the provider agree.
    ClockOk,
    /// Clocks differ by more than the leeway (tokens look expired or not yet valid).
    ClockSkew,
    /// The discovery document was read and names a JWKS.
    DiscoveryOk,
    /// The discovery document could not be read (status, HTML, not JSON, no `jwks_uri`).
    DiscoveryInvalid,
    /// The discovery URL redirects (followed, warned) or keeps redirecting (fail).
    DiscoveryRedirect,
    /// The issuer a discovery document advertises (warn), or a refused token's `iss` (fail), differs from
    /// the configured one: typically the public vs in-cluster URL split.
    IssuerMismatch,
    /// The discovery document sends browsers to a host that does not resolve.
    DiscoveryUnresolvableIssuer,

    // Database.
    /// The database answers and migrations are applied.
    DbOk,
    /// Nothing answers at the database address (down, wrong host or port).
    DbUnreachable,
    /// "password authentication failed for user": the password drifted from the database's.
    DbAuthFailed,
    /// The database (name) does not exist, or the role does not.
    DbNotFound,
    /// Another database error.
    DbError,
    /// Migrations this binary ships are not applied yet.
    DbMigrationsPending,
    /// A migration failed half-way, or an applied one was changed since.
    DbMigrationsBroken,

    // Tokens (`doctor token`), besides the core's authentication reason codes.
    /// What the token says about itself (unverified), with its fingerprint, never the token.
    TokenDecoded,
    /// One verification step passed.
    TokenStepOk,
    /// A verification step does not apply (e.g. no audience configured).
    TokenStepSkipped,
    /// The service would accept the token.
    TokenAccepted,

    // Manifests.
    /// The manifests raise nothing.
    ManifestsOk,
    /// The input is not Kubernetes YAML, or holds no workload.
    ManifestsInvalid,
    /// Egress allows DNS and every port the workload's URLs need.
    NpOk,
    /// Egress does not allow the identity provider's port (e.g. 80 allowed while the Service forwards to 8080).
    NpBlocksIdpPort,
    /// Egress does not allow the database's port.
    NpBlocksDbPort,
    /// Egress does not allow another URL's port.
    NpBlocksPort,
    /// Egress does not allow DNS (port 53), so no Service name resolves.
    NpMissingDns,
    /// A URL names a cluster Service the input does not define (`frontend-service` vs `frontend`).
    ServiceNotInInput,
    /// An Ingress `auth-url` (or Traefik `forwardAuth.address`) names a Service the input does not define.
    AuthUrlServiceMissing,
    /// An Ingress `auth-url` (or Traefik `forwardAuth.address`) names a port its Service does not expose.
    AuthUrlPortMissing,
    /// A liveness probe with no startupProbe can kill a slow start.
    LivenessWithoutStartup,
    /// A liveness probe on `/ready` restarts pods when a dependency is down.
    LivenessOnReady,
    /// A readiness probe on `/health` reports ready while the database or keys are missing.
    ReadinessOnHealth,
    /// A container without CPU or memory limits.
    NoResourceLimits,
    /// An env var refers to a Secret this input does not define.
    EnvSecretMissing,
    /// An env var refers to a key the Secret does not have.
    EnvSecretKeyMissing,
    /// An env var refers to a ConfigMap this input does not define.
    EnvConfigmapMissing,
    /// An env var refers to a key the ConfigMap does not have.
    EnvConfigmapKeyMissing,
    /// `imagePullPolicy: Never` only works where the image was loaded into the node (minikube, kind).
    PullPolicyNever,

    // The run itself.
    /// `doctor` could not run a check at all (runtime, HTTP client, a crashed check).
    DoctorError,
    /// `--timeout` ran out before this check finished.
    DoctorTimeout,

    // Token verdicts.
    /// The verifier refused the token: the code is the reason code.
    Refused(Reason),
}

impl Code {
    /// The code as scripts and the README see it (`snake_case`).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Code::ConfigOk => "config_ok",
            Code::ConfigInvalid => "config_invalid",
            Code::DevKeyInProduction => "dev_key_in_production",
            Code::DevelopmentKey => "development_key",
            Code::AudienceCheckDisabled => "audience_check_disabled",
            Code::Hs256Enabled => "hs256_enabled",
            Code::Hs256SecretTooShort => "hs256_secret_too_short",
            Code::SecretFingerprint => "secret_fingerprint",
            Code::IssuerFromInternalUrl => "issuer_from_internal_url",
            Code::McpResourceMetadata => "mcp_resource_metadata",
            Code::McpResourceUrlUnset => "mcp_resource_url_unset",
            Code::McpAudienceNotAccepted => "mcp_audience_not_accepted",
            Code::DnsOk => "dns_ok",
            Code::DnsUnresolvable => "dns_unresolvable",
            Code::TcpOk => "tcp_ok",
            Code::TcpRefused => "tcp_refused",
            Code::TcpTimeout => "tcp_timeout",
            Code::NetworkError => "network_error",
            Code::HttpTimeout => "http_timeout",
            Code::JwksOk => "jwks_ok",
            Code::JwksNotFound => "jwks_not_found",
            Code::JwksHttpStatus => "jwks_http_status",
            Code::JwksRedirect => "jwks_redirect",
            Code::JwksHtml => "jwks_html",
            Code::JwksNotJson => "jwks_not_json",
            Code::JwksEmpty => "jwks_empty",
            Code::JwksSlow => "jwks_slow",
            Code::KeysNoUsableAlg => "keys_no_usable_alg",
            Code::KeysLoaded => "keys_loaded",
            Code::ClockOk => "clock_ok",
            Code::ClockSkew => "clock_skew",
            Code::DiscoveryOk => "discovery_ok",
            Code::DiscoveryInvalid => "discovery_invalid",
            Code::DiscoveryRedirect => "discovery_redirect",
            Code::IssuerMismatch => "issuer_mismatch",
            Code::DiscoveryUnresolvableIssuer => "discovery_unresolvable_issuer",
            Code::DbOk => "db_ok",
            Code::DbUnreachable => "db_unreachable",
            Code::DbAuthFailed => "db_auth_failed",
            Code::DbNotFound => "db_not_found",
            Code::DbError => "db_error",
            Code::DbMigrationsPending => "db_migrations_pending",
            Code::DbMigrationsBroken => "db_migrations_broken",
            Code::TokenDecoded => "token_decoded",
            Code::TokenStepOk => "token_step_ok",
            Code::TokenStepSkipped => "token_step_skipped",
            Code::TokenAccepted => "token_accepted",
            Code::ManifestsOk => "manifests_ok",
            Code::ManifestsInvalid => "manifests_invalid",
            Code::NpOk => "np_ok",
            Code::NpBlocksIdpPort => "np_blocks_idp_port",
            Code::NpBlocksDbPort => "np_blocks_db_port",
            Code::NpBlocksPort => "np_blocks_port",
            Code::NpMissingDns => "np_missing_dns",
            Code::ServiceNotInInput => "service_not_in_input",
            Code::AuthUrlServiceMissing => "auth_url_service_missing",
            Code::AuthUrlPortMissing => "auth_url_port_missing",
            Code::LivenessWithoutStartup => "liveness_without_startup",
            Code::LivenessOnReady => "liveness_on_ready",
            Code::ReadinessOnHealth => "readiness_on_health",
            Code::NoResourceLimits => "no_resource_limits",
            Code::EnvSecretMissing => "env_secret_missing",
            Code::EnvSecretKeyMissing => "env_secret_key_missing",
            Code::EnvConfigmapMissing => "env_configmap_missing",
            Code::EnvConfigmapKeyMissing => "env_configmap_key_missing",
            Code::PullPolicyNever => "pull_policy_never",
            Code::DoctorError => "doctor_error",
            Code::DoctorTimeout => "doctor_timeout",
            Code::Refused(reason) => reason.code(),
        }
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}
