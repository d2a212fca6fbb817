//! The identity-provider part of the configuration: the Better Auth provider from the
//! `BETTER_AUTH_*` variables, more providers from `AUTH_PROVIDERS_FILE`, HS256, the development
//! key's location, and production's refusal to run without a real provider or with an HS256
//! secret short enough to guess.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use backend_api_auth::{HmacSecret, ProviderConfig};
use secrecy::{ExposeSecret, SecretString};
use sqlx::sqlite::SqliteConnectOptions;

use super::collect::{Errors, http_url, parse_bool, seconds};
use super::{AuthConfig, DatabaseConfig, DatabaseKind, Environment, RawConfig, env, providers};

/// The development key's file name when there is no SQLite file to put it beside.
pub(crate) const DEV_KEY_FILE: &str = "backend-api.dev-key";

/// The development key lives beside the SQLite file (`backend-api.db` → `backend-api.dev-key`).
fn default_dev_key_file(database: &DatabaseConfig) -> PathBuf {
    let fallback = PathBuf::from(DEV_KEY_FILE);
    if database.kind != DatabaseKind::Sqlite {
        return fallback;
    }
    match SqliteConnectOptions::from_str(database.url.expose_secret()) {
        Ok(options) => {
            let file: &Path = options.get_filename();
            if file.as_os_str().is_empty() || file.to_string_lossy().starts_with("file:") {
                fallback
            } else {
                file.with_extension(DEV_KEY_FILE.rsplit('.').next().unwrap_or("dev-key"))
            }
        }
        Err(_) => fallback,
    }
}

pub(super) fn parse_auth(
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
    let jwks_stale_max = errors.field(
        env::JWKS_STALE_MAX_SECONDS,
        &raw.jwks_stale_max_seconds,
        defaults.jwks_stale_max,
        |text| seconds(text, 0.0, 30.0 * 86_400.0),
    );
    let jwks_initial_wait = errors.field(
        env::JWKS_INITIAL_WAIT_SECONDS,
        &raw.jwks_initial_wait_seconds,
        defaults.jwks_initial_wait,
        |text| seconds(text, 0.0, 60.0),
    );
    let better_auth_secret = errors.field(
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
        let provider = with_hs256(
            provider,
            accept_hs256,
            better_auth_secret.as_ref(),
            environment,
            errors,
        );
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
        check_with_core(&providers, errors);
    }
    AuthConfig {
        providers,
        dev_key_file: explicit_dev_key.unwrap_or_else(|| default_dev_key_file(database)),
        better_auth_secret,
        providers_file,
        leeway,
        jwks_refresh_cooldown,
        jwks_stale_max,
        jwks_initial_wait,
    }
}

/// The `better-auth` provider (keys from `$BETTER_AUTH_URL/api/auth/jwks`), from `BETTER_AUTH_URL` and the variables refining it.
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

/// Fewest bytes an HS256 secret may have: anyone who guesses it can sign tokens for any user,
/// and a 256-bit HMAC key needs 32 bytes of (random) secret to be as strong as its output.
pub const MIN_HS256_SECRET_BYTES: usize = 32;

fn with_hs256(
    mut provider: ProviderConfig,
    accept_hs256: bool,
    secret: Option<&SecretString>,
    environment: Environment,
    errors: &mut Errors,
) -> ProviderConfig {
    if accept_hs256 {
        match secret {
            Some(secret) => {
                let length = secret.expose_secret().len();
                if environment == Environment::Production && length < MIN_HS256_SECRET_BYTES {
                    // The length only: the value is never repeated.
                    errors.push(
                        env::BETTER_AUTH_SECRET,
                        None,
                        format!(
                            "is {length} bytes; with {}=true, ENVIRONMENT=production needs at least \
                             {MIN_HS256_SECRET_BYTES} random bytes (e.g. `openssl rand -base64 32`, the \
                             same value in the frontend)",
                            env::BETTER_AUTH_ACCEPT_HS256
                        ),
                    );
                }
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
fn check_with_core(providers: &[ProviderConfig], errors: &mut Errors) {
    // The core's own rules, without building a verifier (no HTTP client, no key caches).
    if let Err(error) = backend_api_auth::validate_providers(providers) {
        errors.push(
            env::AUTH_PROVIDERS_FILE,
            None,
            format!("identity providers are inconsistent: {error}"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::*;

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

    fn hs256(environment: &str, secret: &str) -> RawConfig {
        RawConfig {
            environment: Some(environment.into()),
            better_auth_url: Some("http://frontend:3000".into()),
            better_auth_accept_hs256: Some("true".into()),
            better_auth_secret: Some(secret.into()),
            ..RawConfig::default()
        }
    }

    #[test]
    fn production_refuses_an_hs256_secret_under_32_bytes_without_showing_it() {
        let short = "x".repeat(MIN_HS256_SECRET_BYTES - 1);
        let errors = Config::from_raw(&hs256("production", &short))
            .err()
            .expect("refused")
            .0;
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].variable, env::BETTER_AUTH_SECRET);
        let text = errors[0].to_string();
        assert!(text.contains("31 bytes") && text.contains("32"), "{text}");
        assert!(!text.contains(&short), "{text}");

        let enough = "x".repeat(MIN_HS256_SECRET_BYTES);
        assert!(Config::from_raw(&hs256("production", &enough)).is_ok());
        // Development keeps working (doctor fails it there instead).
        assert!(Config::from_raw(&hs256("development", &short)).is_ok());
        // Without HS256 the secret is not used for verification: any length is accepted.
        let mut unused = hs256("production", "short");
        unused.better_auth_accept_hs256 = None;
        assert!(Config::from_raw(&unused).is_ok());
    }

    #[test]
    fn the_sole_provider_owns_tasks_from_before_providers() {
        let single = Config::from_raw(&hs256("development", "s")).expect("valid");
        assert_eq!(single.auth.sole_provider(), Some("better-auth"));
        let mut none = Config::development_defaults();
        assert_eq!(
            none.auth.sole_provider(),
            Some(super::super::DEVELOPMENT_PROVIDER)
        );
        none.auth.providers = vec![
            single.auth.providers[0].clone(),
            ProviderConfig::new(
                "other",
                "https://other.example",
                backend_api_auth::KeySource::JwksUrl(
                    "https://other.example/jwks".parse().expect("URL"),
                ),
            ),
        ];
        assert_eq!(none.auth.sole_provider(), None);
    }

    #[test]
    fn the_development_provider_name_is_the_development_keys() {
        let dir = test_support::temp_dir("devname");
        let key = backend_api_auth::DevelopmentKey::load_or_create(&dir.path().join("k.dev-key"))
            .expect("key");
        assert_eq!(key.provider().name, super::super::DEVELOPMENT_PROVIDER);
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
}
