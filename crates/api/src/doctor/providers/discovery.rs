//! The discovery document: fetched as the verifier fetches it, parsed by the core's
//! `DiscoveryDocument` (the verifier's rules), then what only an operator cares about: the
//! advertised issuer and the hosts browsers are sent to.

use std::collections::BTreeSet;

use backend_api_auth::{DiscoveryDocument, RedactedUrl, redact_url};
use serde_json::Value;
use url::Url;

use super::reach::describe;
use super::{Document, Run};
use crate::doctor::codes::Code;
use crate::doctor::finding::Finding;
use crate::doctor::probe;

impl Run<'_> {
    /// Reads the discovery document; returns the `jwks_uri` the verifier would use.
    pub(super) async fn discovery(&mut self) -> Option<Url> {
        let subject = self.subject("discovery document");
        let url = match self.provider.discovery_url() {
            Ok(url) => url,
            Err(error) => {
                self.findings.push(Finding::fail(
                    Code::DiscoveryInvalid,
                    subject,
                    error,
                    "set an http(s) issuer URL",
                ));
                return None;
            }
        };
        let (url, _, fetched) = self.fetch(&url, Document::Discovery).await?;
        let shown = RedactedUrl::new(&url);
        // The verifier's own parse: the same document is refused for the same reason.
        let document = match DiscoveryDocument::parse(&fetched.body, &url) {
            Ok(document) => document,
            Err(error) => {
                self.findings.push(Finding::fail(
                    Code::DiscoveryInvalid,
                    &subject,
                    error,
                    "check the issuer URL, or configure jwks_url instead of discovery",
                ));
                return None;
            }
        };
        let jwks_uri = document.jwks_uri.clone();
        let jwks_url = self.provider.back_channel(&jwks_uri);
        self.findings.push(Finding::ok(
            Code::DiscoveryOk,
            &subject,
            format!(
                "{shown} -> jwks_uri {} (fetched as {})",
                RedactedUrl::new(&jwks_uri),
                RedactedUrl::new(&jwks_url)
            ),
        ));
        self.advertised_issuer(&document.raw, &url);
        self.front_channel(&document.raw).await;
        Some(jwks_url)
    }

    fn advertised_issuer(&mut self, document: &Value, url: &Url) {
        let shown = RedactedUrl::new(url);
        let Some(advertised) = document.get("issuer").and_then(Value::as_str) else {
            return;
        };
        if advertised == self.provider.issuer {
            return;
        }
        self.findings.push(Finding::warn(
            Code::IssuerMismatch,
            self.subject("issuer"),
            format!(
                "{shown} advertises issuer {advertised}, the configured issuer is {}; tokens are matched on the \
                 configured one",
                redact_url(&self.provider.issuer)
            ),
            format!(
                "if tokens carry iss={advertised}, set issuer to it (and internal_url for the back channel); \
                 Keycloak: fix its hostname (KC_HOSTNAME) so the issuer does not depend on the URL used"
            ),
        ));
    }

    /// The endpoints a browser is sent to must resolve (a realm whose browser URL names a cluster-only host such as `id.kubernetes.local` signs nobody in).
    async fn front_channel(&mut self, document: &Value) {
        let mut hosts = BTreeSet::new();
        for field in ["issuer", "authorization_endpoint", "end_session_endpoint"] {
            if let Some((host, port)) = document
                .get(field)
                .and_then(Value::as_str)
                .and_then(|u| Url::parse(u).ok())
                .as_ref()
                .and_then(probe::host_port)
            {
                hosts.insert((host, port, field));
            }
        }
        let mut seen = BTreeSet::new();
        for (host, port, field) in hosts {
            if !seen.insert(host.clone()) {
                continue;
            }
            if let Err(error) = probe::resolve(&host, port, self.deadline).await {
                self.findings.push(Finding::warn(
                    Code::DiscoveryUnresolvableIssuer,
                    self.subject("front channel"),
                    format!(
                        "the discovery document's {field} sends browsers to {host}, which does not resolve from \
                         here ({})",
                        describe(&error)
                    ),
                    format!(
                        "give the provider a public hostname that browsers resolve (Keycloak: KC_HOSTNAME) and \
                         keep the in-cluster URL for the back channel (internal_url); {host} must resolve \
                         where users' browsers run"
                    ),
                ));
            }
        }
    }
}
