//! One GET through the core's `Fetcher`, told as findings: a warning for each redirect taken, and
//! for a failure the finding whose code names the fix (`FetchError` is typed: no message is parsed).

use backend_api_auth::{FetchError, Fetched, Hop, RedactedUrl};
use url::Url;

use super::reach::network_failure;
use super::{Document, Run};
use crate::doctor::codes::Code;
use crate::doctor::finding::Finding;
use crate::doctor::probe::{self, ProbeError};

impl Run<'_> {
    /// DNS and TCP of the first host, then the verifier's GET. Returns the final URL, its hop and
    /// the document; `None` after pushing the finding of the step that failed.
    pub(super) async fn fetch(
        &mut self,
        url: &Url,
        document: Document,
    ) -> Option<(Url, Hop, Fetched)> {
        let subject = self.subject(document.label());
        if !self.reachable(url, &subject).await {
            return None;
        }
        let traced = self.fetcher.get_traced(url).await;
        let last = traced.hops.last().cloned()?;
        if last.status.is_some() {
            self.clock(&last);
        }
        let redirected = traced.hops.len() > 1;
        let refused_redirect = matches!(traced.result, Err(FetchError::Redirect { .. }));
        if redirected && !refused_redirect {
            let hops: Vec<String> = traced.hops[1..]
                .iter()
                .map(|h| RedactedUrl::new(&h.url).to_string())
                .collect();
            self.findings.push(Finding::warn(
                document.redirect_code(),
                &subject,
                format!(
                    "GET {} redirects to {}",
                    RedactedUrl::new(url),
                    hops.join(" -> ")
                ),
                format!(
                    "configure the final URL {}: every fetch pays the extra round trip, and a \
                     redirect that later points at a login page breaks verification",
                    RedactedUrl::new(&last.url)
                ),
            ));
        }
        match traced.result {
            Ok(fetched) => Some((last.url.clone(), last, fetched)),
            Err(error) => {
                let finding = self.failure(&last.url, document, &error);
                self.findings.push(finding);
                None
            }
        }
    }

    /// The finding for a fetch of `url` (the last hop) that failed with `error`.
    fn failure(&self, url: &Url, document: Document, error: &FetchError) -> Finding {
        let shown = RedactedUrl::new(url);
        let subject = self.subject(document.label());
        let (host, port) = probe::host_port(url).unwrap_or_else(|| ("?".to_owned(), 0));
        let code = |jwks: Code| match document {
            Document::Jwks => jwks,
            Document::Discovery => Code::DiscoveryInvalid,
        };
        match error {
            FetchError::Timeout { .. } => Finding::fail(
                Code::HttpTimeout,
                subject,
                format!("GET {shown}: connected, but no answer before the deadline"),
                format!(
                    "the provider at {host}:{port} is overloaded or hanging: check its pods and logs \
                     (raise --timeout to see how slow it is)"
                ),
            ),
            FetchError::Unresolvable { host, detail, .. } => Finding::fail(
                Code::DnsUnresolvable,
                self.subject(&format!("DNS {host}")),
                format!("{host} does not resolve (name not resolved: {detail})"),
                self.unresolvable_fix(host),
            ),
            FetchError::Refused { .. } => {
                let (code, fix) = network_failure(&ProbeError::Refused, &host, port);
                Finding::fail(
                    code,
                    subject,
                    format!("GET {shown}: connection refused"),
                    fix,
                )
            }
            FetchError::Status { status: 404, .. } => Finding::fail(
                code(Code::JwksNotFound),
                subject,
                format!("GET {shown} -> 404 Not Found"),
                self.not_found_fix(url, document),
            ),
            FetchError::Status { status, .. } => Finding::fail(
                code(Code::JwksHttpStatus),
                subject,
                format!("GET {shown} -> HTTP {status}"),
                "the provider answered with an error: check its pods and logs",
            ),
            FetchError::Html { content_type, .. } => Finding::fail(
                code(Code::JwksHtml),
                subject,
                format!(
                    "GET {shown} -> 200 but HTML ({}), a login or error page, not a {}",
                    content_type.as_deref().unwrap_or("no Content-Type"),
                    document.label()
                ),
                self.not_found_fix(url, document),
            ),
            FetchError::TooLarge { .. } => Finding::fail(
                code(Code::JwksNotJson),
                subject,
                format!("{error}, the most the verifier reads"),
                "point the URL at the document itself; a real key set is a few KiB",
            ),
            FetchError::Redirect { .. } => Finding::fail(
                document.redirect_code(),
                subject,
                error.to_string(),
                "configure the final https URL: the service refuses this redirect too, so no key is \
                 ever fetched from it; a redirect to a login page means this path is behind authentication",
            ),
            _ => {
                let (code, fix) =
                    network_failure(&ProbeError::Other(error.to_string()), &host, port);
                Finding::fail(code, subject, error.to_string(), fix)
            }
        }
    }

    pub(super) fn not_found_fix(&self, url: &Url, document: Document) -> String {
        let shown = RedactedUrl::new(url);
        match document {
            Document::Discovery => format!(
                "{shown} is not this provider's discovery document: check the issuer (realm name, path) or \
                 configure jwks_url instead of discovery"
            ),
            Document::Jwks if self.provider.name == "better-auth" => {
                let mut expected = url.clone();
                expected.set_path("/api/auth/jwks");
                format!(
                    "Better Auth serves its keys at /api/auth/jwks when the jwt plugin is enabled (route \
                     app/api/auth/[...all]/route.ts): set BETTER_AUTH_JWKS_URL={} or unset it",
                    RedactedUrl::new(&expected)
                )
            }
            Document::Jwks => "use the jwks_uri the provider publishes in its discovery document \
                               (set discovery = true in the providers file)"
                .to_owned(),
        }
    }
}
