//! One identity provider: the issuer it signs as, where its keys come from,
//! and what its tokens must carry. The verifier routes each token to exactly
//! one provider by exact `iss` match, never by trying providers in turn.

use std::fmt;
use std::time::Duration;

use url::Url;

use crate::algorithm::Algorithm;
use crate::error::InitError;
use crate::jwk::JwkSet;
use crate::redact::{RedactedUrl, redact_url};
use crate::secret::HmacSecret;

/// Settings of one identity provider.
#[derive(Clone)]
pub struct ProviderConfig {
    /// Short name for logs, metrics and doctor ("better-auth", "keycloak").
    pub name: String,
    /// The exact `iss` its tokens carry.
    pub issuer: String,
    /// Where its public keys come from.
    pub keys: KeySource,
    /// Back channel: a request to the issuer's origin goes to this origin instead
    /// (in a cluster, the public hostname often does not resolve).
    pub internal_url: Option<Url>,
    /// Accepted `aud` values (any one must match); `None` disables the check.
    pub audiences: Option<Vec<String>>,
    /// Allowed algorithms; empty means every asymmetric one (plus HMAC with a secret).
    pub algorithms: Vec<Algorithm>,
    /// Claims holding the user id, tried in order (the first present one counts):
    /// `["sub"]` by default, `["user_id", "sub"]` for Better Auth. `sub` must be a
    /// string; another claim may also be an integer.
    pub user_claims: Vec<String>,
    /// Clock-skew allowance for `exp`, `nbf`, `iat`.
    pub leeway: Duration,
    /// Shared secret: HS256/384/512 are accepted for this provider only when set.
    pub hmac_secret: Option<HmacSecret>,
    /// The setting that fixes an issuer mismatch, named in hints ("BETTER_AUTH_ISSUER").
    pub issuer_setting: Option<String>,
}

/// Where a provider's verification keys come from.
#[derive(Clone)]
pub enum KeySource {
    /// A JWKS document at this URL.
    JwksUrl(Url),
    /// `jwks_uri` from `<issuer>/.well-known/openid-configuration` (through `internal_url`).
    Discovery,
    /// A fixed set (development key, tests).
    Static(JwkSet),
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::JwksUrl(url) => write!(f, "JwksUrl({})", RedactedUrl::new(url)),
            KeySource::Discovery => f.write_str("Discovery"),
            KeySource::Static(set) => f.debug_tuple("Static").field(set).finish(),
        }
    }
}

/// Default clock-skew allowance (`JWT_LEEWAY_SECONDS`).
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);

impl ProviderConfig {
    /// A provider with defaults: no audience check, all asymmetric algorithms,
    /// user id from `sub`, 30 s leeway, no secret.
    pub fn new(name: impl Into<String>, issuer: impl Into<String>, keys: KeySource) -> Self {
        ProviderConfig {
            name: name.into(),
            issuer: issuer.into(),
            keys,
            internal_url: None,
            audiences: None,
            algorithms: Vec::new(),
            user_claims: vec!["sub".to_owned()],
            leeway: DEFAULT_LEEWAY,
            hmac_secret: None,
            issuer_setting: None,
        }
    }

    /// Better Auth defaults: keys from `<base>/api/auth/jwks`, issuer = origin of
    /// `base`, audience = issuer, user id from `user_id`, then `sub` (the Better Auth
    /// JWT plugin's payload carries the user's id; `sub` when it is customised away).
    ///
    /// ```
    /// use backend_api_auth::ProviderConfig;
    /// let p = ProviderConfig::better_auth(&"http://frontend:3000".parse().unwrap());
    /// assert_eq!(p.issuer, "http://frontend:3000");
    /// assert_eq!(p.jwks_url().unwrap().as_str(), "http://frontend:3000/api/auth/jwks");
    /// ```
    pub fn better_auth(base_url: &Url) -> ProviderConfig {
        let mut jwks = base_url.clone();
        let path = format!("{}/api/auth/jwks", base_url.path().trim_end_matches('/'));
        jwks.set_path(&path);
        jwks.set_query(None);
        jwks.set_fragment(None);
        let issuer = base_url.origin().ascii_serialization();
        ProviderConfig {
            audiences: Some(vec![issuer.clone()]),
            user_claims: vec!["user_id".to_owned(), "sub".to_owned()],
            issuer_setting: Some("BETTER_AUTH_ISSUER".into()),
            ..ProviderConfig::new("better-auth", issuer, KeySource::JwksUrl(jwks))
        }
    }

    /// The algorithms this provider accepts, after defaults.
    pub fn allowed_algorithms(&self) -> Vec<Algorithm> {
        if !self.algorithms.is_empty() {
            return self.algorithms.clone();
        }
        let mut all = Algorithm::ASYMMETRIC.to_vec();
        if self.hmac_secret.is_some() {
            all.extend_from_slice(Algorithm::HMAC);
        }
        all
    }

    /// The URL of the key set, when it is known without discovery.
    pub fn jwks_url(&self) -> Option<&Url> {
        match &self.keys {
            KeySource::JwksUrl(url) => Some(url),
            _ => None,
        }
    }

    /// Where a request for `url` really goes: onto `internal_url` when `url` is on the
    /// issuer's origin (the back channel), else `url` itself. For `doctor`, which must
    /// probe exactly the URLs the verifier fetches.
    pub fn back_channel(&self, url: &Url) -> Url {
        crate::back_channel::rewrite(url, &self.issuer, self.internal_url.as_ref())
    }

    /// The discovery document URL the verifier reads (after the back-channel rewrite).
    pub fn discovery_url(&self) -> Result<Url, String> {
        Ok(self.back_channel(&crate::back_channel::configuration_url(&self.issuer)?))
    }

    /// Checks this provider alone (cross-provider checks are in the verifier).
    pub(crate) fn validate(&self) -> Result<(), InitError> {
        if self.name.trim().is_empty() {
            return Err(InitError::EmptyName);
        }
        if self.issuer.trim().is_empty() {
            return Err(InitError::EmptyIssuer(self.name.clone()));
        }
        match &self.hmac_secret {
            Some(secret) if secret.is_empty() => {
                return Err(InitError::EmptySecret(self.name.clone()));
            }
            None => {
                if let Some(alg) = self.algorithms.iter().find(|a| a.is_hmac()) {
                    return Err(InitError::HmacWithoutSecret {
                        provider: self.name.clone(),
                        algorithm: alg.to_string(),
                    });
                }
            }
            Some(_) => {}
        }
        if self.audiences.as_ref().is_some_and(Vec::is_empty) {
            return Err(InitError::EmptyAudiences(self.name.clone()));
        }
        if self.user_claims.iter().all(|c| c.trim().is_empty()) {
            return Err(InitError::NoUserClaim(self.name.clone()));
        }
        let bad_url = |detail: String| InitError::BadUrl {
            provider: self.name.clone(),
            detail,
        };
        for url in self.jwks_url().into_iter().chain(&self.internal_url) {
            if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
                return Err(bad_url(format!(
                    "{} is not an http(s) URL",
                    RedactedUrl::new(url)
                )));
            }
        }
        match &self.keys {
            KeySource::Static(set) if set.is_empty() => {
                Err(InitError::EmptyStaticKeys(self.name.clone()))
            }
            KeySource::Discovery => match Url::parse(&self.issuer) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(()),
                _ => Err(bad_url(format!(
                    "discovery needs an http(s) issuer URL, {:?} is not one",
                    redact_url(&self.issuer)
                ))),
            },
            _ => Ok(()),
        }
    }
}

impl fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("name", &self.name)
            .field("issuer", &redact_url(&self.issuer))
            .field("keys", &self.keys)
            .field(
                "internal_url",
                &self.internal_url.as_ref().map(RedactedUrl::new),
            )
            .field("audiences", &self.audiences)
            .field("algorithms", &self.algorithms)
            .field("user_claims", &self.user_claims)
            .field("leeway", &self.leeway)
            .field(
                "hmac_secret",
                &self.hmac_secret.as_ref().map(HmacSecret::fingerprint),
            )
            .field("issuer_setting", &self.issuer_setting)
            .finish()
    }
}

/// Checks a whole provider list as [`crate::Verifier::new`] does (each provider, unique names,
/// unique issuers), without building anything: configuration validation calls this.
pub fn validate_all(providers: &[ProviderConfig]) -> Result<(), InitError> {
    for (i, provider) in providers.iter().enumerate() {
        provider.validate()?;
        let earlier = &providers[..i];
        if let Some(other) = earlier.iter().find(|p| p.name == provider.name) {
            return Err(InitError::DuplicateName(other.name.clone()));
        }
        if let Some(first) = earlier.iter().find(|p| p.issuer == provider.issuer) {
            return Err(InitError::DuplicateIssuer {
                issuer: provider.issuer.clone(),
                first: first.name.clone(),
                second: provider.name.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn better_auth_defaults_follow_the_spec() {
        let base = Url::parse("http://frontend:3000").expect("url");
        let p = ProviderConfig::better_auth(&base);
        assert_eq!(p.issuer, "http://frontend:3000");
        assert_eq!(p.audiences, Some(vec!["http://frontend:3000".to_owned()]));
        assert_eq!(
            p.jwks_url().map(Url::as_str),
            Some("http://frontend:3000/api/auth/jwks")
        );
        assert_eq!(p.issuer_setting.as_deref(), Some("BETTER_AUTH_ISSUER"));
        assert_eq!(p.user_claims, ["user_id", "sub"]);
        let other = ProviderConfig::new("kc", "https://kc", KeySource::Discovery);
        assert_eq!(other.user_claims, ["sub"], "other providers read sub");
        let nested =
            ProviderConfig::better_auth(&Url::parse("https://x.example/app/").expect("url"));
        assert_eq!(
            nested.jwks_url().map(Url::as_str),
            Some("https://x.example/app/api/auth/jwks")
        );
        assert_eq!(nested.issuer, "https://x.example");
    }

    #[test]
    fn hmac_algorithm_without_secret_is_a_config_error() {
        let mut p = ProviderConfig::better_auth(&Url::parse("http://f:3000").expect("url"));
        p.algorithms = vec![Algorithm::HS256];
        assert!(matches!(
            p.validate(),
            Err(InitError::HmacWithoutSecret { .. })
        ));
        p.hmac_secret = Some(HmacSecret::new("s"));
        assert!(p.validate().is_ok());
    }

    #[test]
    fn secret_adds_hmac_to_the_default_list_only() {
        let mut p = ProviderConfig::better_auth(&Url::parse("http://f:3000").expect("url"));
        assert!(!p.allowed_algorithms().contains(&Algorithm::HS256));
        p.hmac_secret = Some(HmacSecret::new("s"));
        assert!(p.allowed_algorithms().contains(&Algorithm::HS256));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let mut p = ProviderConfig::better_auth(&Url::parse("http://f:3000").expect("url"));
        p.hmac_secret = Some(HmacSecret::new("super-secret-value"));
        assert!(!format!("{p:?}").contains("super-secret-value"));
    }
}
