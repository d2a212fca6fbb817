//! URLs as they may be shown: in `/ready`, logs, `config`, `doctor`, metrics and
//! error messages. A URL may carry credentials (`https://user:password@host/…`,
//! or a token as the user name); those never leave the process in text.
//!
//! Every place that prints a configured or fetched URL goes through [`RedactedUrl`]
//! (or [`redact_url`] for text that may hold one, such as an issuer).

use std::fmt;

use url::Url;

/// What replaces the credentials.
const HIDDEN: &str = "***";

/// Displays a URL with its password replaced by `***` (`https://user:***@host/`),
/// or its user name too when there is no password, since a lone user name is often
/// a token (`https://***@host/`). A URL without credentials is shown unchanged.
///
/// ```
/// use backend_api_auth::RedactedUrl;
/// let url = "http://user:s3cret@idp/jwks".parse().unwrap();
/// assert_eq!(RedactedUrl::new(&url).to_string(), "http://user:***@idp/jwks");
/// ```
#[derive(Clone, Copy)]
pub struct RedactedUrl<'a>(&'a Url);

impl<'a> RedactedUrl<'a> {
    /// Wraps `url` for display.
    pub fn new(url: &'a Url) -> Self {
        RedactedUrl(url)
    }
}

impl fmt::Display for RedactedUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = self.0;
        if url.username().is_empty() && url.password().is_none() {
            return f.write_str(url.as_str());
        }
        let mut shown = url.clone();
        // Both setters only fail for URLs that cannot have credentials, which these have.
        let hidden = if url.password().is_some() {
            shown.set_password(Some(HIDDEN))
        } else {
            shown.set_username(HIDDEN)
        };
        match hidden {
            Ok(()) => f.write_str(shown.as_str()),
            Err(()) => f.write_str("<a URL with credentials>"),
        }
    }
}

impl fmt::Debug for RedactedUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `text` with credentials hidden when it is a URL that has some (an issuer, a
/// configured value); any other text is returned as it is.
pub fn redact_url(text: &str) -> String {
    match Url::parse(text) {
        Ok(url) if !url.username().is_empty() || url.password().is_some() => {
            RedactedUrl::new(&url).to_string()
        }
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str) -> String {
        RedactedUrl::new(&Url::parse(text).expect("url")).to_string()
    }

    #[test]
    fn password_and_lone_user_names_are_hidden() {
        assert_eq!(
            shown("http://user:s3cret@host:8080/jwks.json?x=1"),
            "http://user:***@host:8080/jwks.json?x=1"
        );
        assert_eq!(
            shown("https://ghp_token@host/keys"),
            "https://***@host/keys"
        );
        assert_eq!(shown("https://:s3cret@host/"), "https://:***@host/");
        assert_eq!(shown("https://host/keys"), "https://host/keys");
    }

    #[test]
    fn text_is_redacted_only_when_it_is_a_url_with_credentials() {
        assert_eq!(
            redact_url("https://u:p4ss@id.example.com/"),
            "https://u:***@id.example.com/"
        );
        assert_eq!(
            redact_url("https://id.example.com"),
            "https://id.example.com"
        );
        assert_eq!(
            redact_url("backend-api-development"),
            "backend-api-development"
        );
    }
}
