//! `GET /.well-known/oauth-protected-resource` (RFC 9728): tells an MCP client which
//! authorization servers issue tokens this API accepts, so it can sign its user in there.
//!
//! The resource URL is `MCP_RESOURCE_URL`. Without it, the URL is rebuilt from the request's
//! `Host` (and `X-Forwarded-Proto`), which is right on a laptop but is whatever the client
//! sent: production sets the variable, and `doctor` warns when it does not.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::HOST;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::config::Config;
use crate::routes::openapi::problems::BaseErrors;
use crate::state::AppState;

pub const PATH: &str = "/.well-known/oauth-protected-resource";

pub fn router() -> Router<AppState> {
    Router::new().route(PATH, get(metadata))
}

/// The protected resource metadata of this API.
#[utoipa::path(
    get, path = "/.well-known/oauth-protected-resource", tag = "mcp", operation_id = "protected_resource_metadata",
    responses((status = 200, description = "RFC 9728 protected resource metadata: where an MCP client gets a token for this API"), BaseErrors),
)]
pub async fn metadata(State(state): State<AppState>, headers: HeaderMap) -> Json<Value> {
    Json(document(
        &state.config,
        &resource_url(&state.config, &headers),
    ))
}

/// `{"resource", "authorization_servers", "bearer_methods_supported"}` for `resource`.
pub fn document(config: &Config, resource: &str) -> Value {
    json!({
        "resource": resource,
        "authorization_servers": authorization_servers(config),
        "bearer_methods_supported": ["header"],
        "resource_name": "backend-api tasks",
    })
}

/// The issuer of each configured provider. The development key has no authorization server
/// a client could use, so it lists none.
pub fn authorization_servers(config: &Config) -> Vec<String> {
    config
        .auth
        .providers
        .iter()
        .map(|provider| provider.issuer.clone())
        .collect()
}

/// Where the metadata of `resource` is served.
pub fn metadata_url(resource: &str) -> String {
    format!("{resource}{PATH}")
}

/// `MCP_RESOURCE_URL`, or `http(s)://<Host>` of this request.
pub fn resource_url(config: &Config, headers: &HeaderMap) -> String {
    if let Some(url) = &config.mcp.resource_url {
        return url.clone();
    }
    let host = headers
        .get(HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| is_plain_host(host))
        .unwrap_or("localhost");
    let https = headers
        .get("x-forwarded-proto")
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}

/// A host[:port] that cannot break out of a URL or a header's quoted string.
fn is_plain_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configured_url_wins_over_the_host_header() {
        let mut config = Config::development_defaults();
        let mut headers = HeaderMap::new();
        headers.insert(HOST, "127.0.0.1:8000".parse().expect("header"));
        assert_eq!(resource_url(&config, &headers), "http://127.0.0.1:8000");
        headers.insert("x-forwarded-proto", "https".parse().expect("header"));
        assert_eq!(resource_url(&config, &headers), "https://127.0.0.1:8000");
        headers.insert(HOST, "evil\"host".parse().expect("header"));
        assert_eq!(resource_url(&config, &headers), "https://localhost");
        config.mcp.resource_url = Some("https://api.example.com".to_owned());
        assert_eq!(resource_url(&config, &headers), "https://api.example.com");
        assert_eq!(
            metadata_url("https://api.example.com"),
            "https://api.example.com/.well-known/oauth-protected-resource"
        );
    }
}
