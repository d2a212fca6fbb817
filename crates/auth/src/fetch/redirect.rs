//! Which redirects a key-set or discovery fetch follows: at most
//! [`MAX_REDIRECTS`], and never from `https` to `http` (that would let whoever sits
//! on the network path swap the keys the TLS hop was meant to protect). `get`
//! applies it hop by hop, for the key cache and `doctor` alike.

use url::Url;

use crate::redact::RedactedUrl;

/// Most redirects one fetch follows before giving up.
pub const MAX_REDIRECTS: usize = 3;

/// Why a redirect is not followed; `None` when it may be.
///
/// `chain` is every URL requested so far (the first one included), `next` the
/// `Location` to go to. The answer is for operators and never shows credentials.
///
/// ```
/// use backend_api_auth::redirect_refusal;
/// let from: url::Url = "https://idp/jwks".parse().unwrap();
/// assert!(redirect_refusal(&[from.clone()], &"https://idp/v2/jwks".parse().unwrap()).is_none());
/// assert!(redirect_refusal(&[from], &"http://idp/jwks".parse().unwrap()).is_some());
/// ```
pub fn redirect_refusal(chain: &[Url], next: &Url) -> Option<String> {
    if chain.len() > MAX_REDIRECTS {
        return Some(format!(
            "more than {MAX_REDIRECTS} redirects (last to {}); configure the final URL",
            RedactedUrl::new(next)
        ));
    }
    if !matches!(next.scheme(), "http" | "https") {
        return Some(format!(
            "a redirect to {}, which is not an http(s) URL",
            RedactedUrl::new(next)
        ));
    }
    if next.scheme() == "http" && chain.iter().any(|u| u.scheme() == "https") {
        let from = chain.last().map(RedactedUrl::new);
        return Some(format!(
            "a redirect from https to http ({} -> {}) is never followed: keys must not lose TLS on the way; configure an https URL that does not redirect to http",
            from.map_or_else(String::new, |u| u.to_string()),
            RedactedUrl::new(next)
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn https_to_http_is_refused_anywhere_in_the_chain() {
        let https = url("https://idp.example.com/jwks");
        let refused = redirect_refusal(
            std::slice::from_ref(&https),
            &url("http://idp.example.com/jwks"),
        )
        .expect("downgrade");
        assert!(refused.contains("https to http"), "{refused}");
        // https -> https (other host) -> http: still a downgrade of the first hop.
        let chain = [https, url("https://cdn.example.com/jwks")];
        assert!(redirect_refusal(&chain, &url("http://cdn.example.com/jwks")).is_some());
    }

    #[test]
    fn upgrades_and_same_scheme_hops_are_followed_up_to_the_cap() {
        let http = url("http://idp/jwks");
        assert_eq!(
            redirect_refusal(std::slice::from_ref(&http), &url("https://idp/jwks")),
            None
        );
        assert_eq!(
            redirect_refusal(std::slice::from_ref(&http), &url("http://idp/v2")),
            None
        );
        let chain = vec![http.clone(); MAX_REDIRECTS];
        assert_eq!(redirect_refusal(&chain, &url("http://idp/v3")), None);
        let too_many = vec![http; MAX_REDIRECTS + 1];
        assert!(redirect_refusal(&too_many, &url("http://idp/v4")).is_some());
        assert!(redirect_refusal(&[url("https://idp/")], &url("ftp://idp/jwks")).is_some());
    }

    #[test]
    fn refusals_never_show_credentials() {
        let reason = redirect_refusal(
            &[url("https://u:s3cret@idp/jwks")],
            &url("http://u:s3cret@idp/jwks"),
        )
        .expect("downgrade");
        assert!(!reason.contains("s3cret"), "{reason}");
    }
}
