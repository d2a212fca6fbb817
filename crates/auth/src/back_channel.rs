//! The back channel: the discovery URL of an issuer, and the rewrite that sends a URL on
//! the issuer's public origin to `internal_url` instead, because inside a cluster the public
//! hostname often does not resolve (or loops out through the ingress). Pure URL functions,
//! used by `provider` (what `doctor` probes) and `discovery` (what the verifier fetches).

use url::Url;

/// Moves `url` onto `internal`'s origin (and path prefix) when it is on the
/// issuer's origin; any other URL is returned unchanged.
pub(crate) fn rewrite(url: &Url, issuer: &str, internal: Option<&Url>) -> Url {
    let (Some(internal), Ok(issuer)) = (internal, Url::parse(issuer)) else {
        return url.clone();
    };
    if url.origin() != issuer.origin() {
        return url.clone();
    }
    let mut moved = internal.clone();
    let prefix = internal.path().trim_end_matches('/');
    moved.set_path(&format!("{prefix}{}", url.path()));
    moved.set_query(url.query());
    moved.set_fragment(None);
    moved
}

/// The discovery document URL of `issuer` (before any rewrite).
pub(crate) fn configuration_url(issuer: &str) -> Result<Url, String> {
    let base = issuer.trim_end_matches('/');
    Url::parse(&format!("{base}/.well-known/openid-configuration"))
        .map_err(|e| format!("issuer {issuer:?} is not a URL, discovery impossible: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn issuer_origin_is_moved_to_internal_url() {
        let internal = url("http://keycloak-keycloak.identity.svc");
        let issuer = "https://id.example.com/realms/app";
        let moved = rewrite(
            &url("https://id.example.com/realms/app/protocol/openid-connect/certs"),
            issuer,
            Some(&internal),
        );
        assert_eq!(
            moved.as_str(),
            "http://keycloak-keycloak.identity.svc/realms/app/protocol/openid-connect/certs"
        );
    }

    #[test]
    fn internal_url_path_is_a_prefix_and_other_origins_are_untouched() {
        let internal = url("http://auth.svc:8080/kc/");
        let issuer = "https://id.example.com";
        assert_eq!(
            rewrite(
                &url("https://id.example.com/certs?x=1"),
                issuer,
                Some(&internal)
            )
            .as_str(),
            "http://auth.svc:8080/kc/certs?x=1"
        );
        let other = url("https://cdn.example.net/keys");
        assert_eq!(rewrite(&other, issuer, Some(&internal)), other);
        assert_eq!(
            rewrite(&url("https://id.example.com/a"), issuer, None).as_str(),
            "https://id.example.com/a"
        );
    }

    #[test]
    fn configuration_url_keeps_the_issuer_path() {
        assert_eq!(
            configuration_url("https://id.example.com/realms/app/")
                .expect("url")
                .as_str(),
            "https://id.example.com/realms/app/.well-known/openid-configuration"
        );
    }
}
