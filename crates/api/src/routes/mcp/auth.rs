//! Authentication of `/mcp`, before any MCP processing: the bearer token is verified exactly as
//! on the REST routes (same reason codes, log line and `auth_failures_total`), and a 401 also
//! points at the resource metadata (`WWW-Authenticate: Bearer resource_metadata="…"`) so an MCP
//! client can find the authorization server.
//!
//! With `MCP_AUDIENCE` set, the token must also list that audience: a token obtained for this
//! resource (RFC 8707), not any token the provider issued.

use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use backend_api_auth::{AuthError, Reason};

use super::store::Owner;
use crate::auth::bearer_token;
use crate::error::ApiError;
use crate::state::AppState;

/// The caller, or the refusal to send (401/503 problem+json).
pub async fn authenticate(
    state: &AppState,
    parts: &Parts,
    metadata_url: &str,
) -> Result<Owner, Response> {
    let verified = state
        .verifier
        .verify(bearer_token(parts))
        .await
        .map_err(|error| refuse(ApiError::from(error), metadata_url))?;
    if let Some(required) = &state.config.mcp.audience
        && !verified.audiences().any(|aud| aud == required)
    {
        metrics::counter!(backend_api_auth::AUTH_FAILURES, "reason" => Reason::AudienceMismatch.code(), "provider" => verified.provider.to_string())
            .increment(1);
        let error = AuthError::new(
            Reason::AudienceMismatch,
            "the token's aud does not list this MCP resource (MCP_AUDIENCE)",
        )
        .with_provider(verified.provider.clone());
        return Err(refuse(ApiError::Auth(error), metadata_url));
    }
    Ok(Owner {
        provider: verified.provider.to_string(),
        user_id: verified.user_id,
    })
}

/// The REST refusal, its 401 challenge extended with `resource_metadata`.
fn refuse(error: ApiError, metadata_url: &str) -> Response {
    let mut response = error.into_response();
    if response.status() == StatusCode::UNAUTHORIZED {
        let rest = response
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer"))
            .map(|params| params.trim().to_owned())
            .unwrap_or_default();
        let challenge = challenge(metadata_url, &rest);
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
    }
    response
}

/// `Bearer resource_metadata="<url>"`, then the RFC 6750 parameters if any.
fn challenge(metadata_url: &str, params: &str) -> String {
    if params.is_empty() {
        format!("Bearer resource_metadata=\"{metadata_url}\"")
    } else {
        format!("Bearer resource_metadata=\"{metadata_url}\", {params}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_keeps_the_error_parameters() {
        assert_eq!(
            challenge("http://h/.well-known/oauth-protected-resource", ""),
            "Bearer resource_metadata=\"http://h/.well-known/oauth-protected-resource\""
        );
        assert_eq!(
            challenge(
                "http://h/m",
                "error=\"invalid_token\", error_description=\"expired\""
            ),
            "Bearer resource_metadata=\"http://h/m\", error=\"invalid_token\", error_description=\"expired\""
        );
    }
}
