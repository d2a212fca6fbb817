//! The MCP endpoint as MCP clients discover it: the protected resource metadata that `/mcp`
//! points to in its 401 challenge (resource URL, authorization servers), and the settings that
//! make it wrong in production.

use super::codes::Code;
use super::finding::Finding;
use crate::config::{Config, Environment, env};
use crate::routes::well_known;

const SUBJECT: &str = "MCP endpoint (/mcp)";

pub(crate) fn check(config: &Config) -> Vec<Finding> {
    let servers = well_known::authorization_servers(config);
    let servers = if servers.is_empty() {
        "none (development key)".to_owned()
    } else {
        servers.join(", ")
    };
    let audience = config
        .mcp
        .audience
        .as_deref()
        .map_or("any audience the provider accepts".to_owned(), |aud| {
            format!("aud must list {aud:?}")
        });
    let mut findings = Vec::new();
    match &config.mcp.resource_url {
        Some(resource) => findings.push(Finding::ok(
            Code::McpResourceMetadata,
            SUBJECT,
            format!(
                "resource {resource}, metadata at {}; authorization servers: {servers}; {audience}",
                well_known::metadata_url(resource)
            ),
        )),
        None if config.environment == Environment::Production => findings.push(Finding::warn(
            Code::McpResourceUrlUnset,
            SUBJECT,
            format!(
                "{} is unset: the resource URL is rebuilt from each request's Host header, which \
                 clients control and a TLS-terminating proxy changes; authorization servers: {servers}",
                env::MCP_RESOURCE_URL
            ),
            format!(
                "set {} to this API's public URL, e.g. https://api.example.com",
                env::MCP_RESOURCE_URL
            ),
        )),
        None => findings.push(Finding::ok(
            Code::McpResourceMetadata,
            SUBJECT,
            format!(
                "resource http://<Host of each request> ({} unset, fine for development), metadata \
                 at <resource>{}; authorization servers: {servers}; {audience}",
                env::MCP_RESOURCE_URL,
                well_known::PATH
            ),
        )),
    }
    if let Some(required) = &config.mcp.audience {
        for provider in &config.auth.providers {
            let accepts = provider
                .audiences
                .as_ref()
                .is_none_or(|list| list.iter().any(|aud| aud == required));
            if !accepts {
                findings.push(Finding::warn(
                    Code::McpAudienceNotAccepted,
                    format!("provider {}", provider.name),
                    format!(
                        "{}={required:?} is not among the provider's audiences, so a token must \
                         list both in aud to be accepted at /mcp",
                        env::MCP_AUDIENCE
                    ),
                    format!("add {required:?} to the provider's audiences"),
                ));
            }
        }
    }
    findings
}
