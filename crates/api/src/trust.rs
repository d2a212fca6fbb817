//! Builds the token [`Verifier`] the configuration asks for: the configured identity
//! providers, or (development only) the local development key, announced loudly.

use std::sync::Arc;

use backend_api_auth::{
    Clock, DevKeyError, DevelopmentKey, FetchSettings, InitError, Verifier, VerifierConfig,
};

use crate::config::{Config, Environment};

/// Why no verifier could be built.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("identity providers are inconsistent: {0}")]
    Init(#[from] InitError),
    #[error("{0}")]
    DevelopmentKey(#[from] DevKeyError),
    #[error(
        "ENVIRONMENT=production refuses the development key: set BETTER_AUTH_URL or AUTH_PROVIDERS_FILE"
    )]
    DevelopmentKeyInProduction,
}

/// The verifier for `config`, with the given clock (tests pass a settable one).
pub fn verifier(config: &Config, clock: Arc<dyn Clock>) -> Result<Verifier, TrustError> {
    let providers = if config.auth.uses_development_key() {
        if config.environment == Environment::Production {
            return Err(TrustError::DevelopmentKeyInProduction);
        }
        let key = DevelopmentKey::load_or_create(&config.auth.dev_key_file)?;
        tracing::warn!(
            key_file = %config.auth.dev_key_file.display(),
            issuer = DevelopmentKey::ISSUER,
            "NO IDENTITY PROVIDER CONFIGURED: trusting the local DEVELOPMENT KEY. Anyone who can read the key \
             file can sign in as any user. Mint a token with `backend-api token --sub alice`; for real use set \
             BETTER_AUTH_URL or AUTH_PROVIDERS_FILE"
        );
        vec![key.provider()]
    } else {
        for provider in config
            .auth
            .providers
            .iter()
            .filter(|p| p.audiences.is_none())
        {
            tracing::warn!(
                provider = %provider.name,
                "audience check disabled for this provider: any token it signed for any service is accepted"
            );
        }
        config.auth.providers.clone()
    };
    if config.auth.better_auth_secret.is_some()
        && config
            .auth
            .providers
            .iter()
            .all(|p| p.hmac_secret.is_none())
    {
        tracing::info!(
            "BETTER_AUTH_SECRET is set but not used: Better Auth's JWT plugin signs with asymmetric keys \
             served at its JWKS endpoint, so the secret need not match for verification. Set \
             BETTER_AUTH_ACCEPT_HS256=true only if the frontend really issues HS256 tokens"
        );
    }
    let fetch = FetchSettings {
        refresh_cooldown: config.auth.jwks_refresh_cooldown,
        max_stale: config.auth.jwks_stale_max,
        initial_wait: config.auth.jwks_initial_wait,
        ..FetchSettings::default()
    };
    let verifier_config = VerifierConfig {
        providers,
        fetch,
        ..VerifierConfig::default()
    };
    Ok(Verifier::with_clock(verifier_config, clock)?)
}
