//! The HTTP client of every fetch. TLS runs on rustls with the aws-lc-rs provider passed
//! explicitly: a library must not install a process-wide crypto provider behind its
//! caller's back. Name resolution goes through [`TypedResolver`] so that "the host does not
//! resolve" is recognised by type, not by the wording of a resolver's message.

use std::error::Error;
use std::net::SocketAddr;
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::FetchSettings;
use crate::error::InitError;

/// Builds the client: timeouts from `settings`, redirects followed by `get` (not reqwest).
pub(super) fn build(settings: &FetchSettings) -> Result<reqwest::Client, InitError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| InitError::HttpClient(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .dns_resolver(Arc::new(TypedResolver))
        .connect_timeout(settings.connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("backend-api-auth/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| InitError::HttpClient(e.to_string()))
}

/// The system resolver (as reqwest's default), failing with [`Unresolvable`].
struct TypedResolver;

impl Resolve for TypedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let unresolvable = |detail: String| -> Box<dyn Error + Send + Sync> {
                Box::new(Unresolvable { detail })
            };
            match tokio::net::lookup_host((host.as_str(), 0)).await {
                Err(error) => Err(unresolvable(error.to_string())),
                Ok(found) => {
                    let addresses: Vec<SocketAddr> = found.collect();
                    if addresses.is_empty() {
                        return Err(unresolvable("no addresses".to_owned()));
                    }
                    Ok(Box::new(addresses.into_iter()) as Addrs)
                }
            }
        })
    }
}

/// A name lookup that found no address.
#[derive(Debug, thiserror::Error)]
#[error("name not resolved: {detail}")]
pub(super) struct Unresolvable {
    pub(super) detail: String,
}
