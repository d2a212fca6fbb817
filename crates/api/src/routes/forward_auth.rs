//! `/auth/verify`: forward authentication for reverse proxies (nginx `auth_request`,
//! ingress-nginx `auth-url`, Traefik `forwardAuth`, Envoy `ext_authz` over HTTP).
//!
//! The proxy sends the client's `Authorization` header here before passing a request to the
//! protected app. The token is verified by the same verifier (providers, cache, reason codes)
//! as the task routes; a refusal is the same `ApiError` response (401/503 with
//! `WWW-Authenticate`, `x-error-code` and problem+json; never 403, there is no path user), a
//! success is an empty 200 with `X-Auth-User`, `X-Auth-Provider` and the configured claim
//! headers, which the proxy copies to the request it forwards.
//!
//! The original method and URI (`X-Original-*` from nginx, `X-Forwarded-*` from Traefik) only
//! go to the request's log line, without the query string (it may carry a code or token) and
//! cut to a bounded length. The per-host policy is picked by the `host` query parameter of the
//! URL the proxy is configured with (a client cannot change it), else `X-Forwarded-Host`, else
//! the host of ingress-nginx's `X-Original-URL`; a proxy must set the header, not pass the
//! client's.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use backend_api_auth::{AuthError, Reason, VerifiedToken};
use serde_json::Value;

use crate::auth::bearer_token;
use crate::config::{ClaimHeader, HostPolicy, PROVIDER_HEADER, USER_HEADER};
use crate::error::ApiError;
use crate::routes::openapi::problems::TokenErrors;
use crate::state::AppState;

/// The route's path, also its metrics label.
pub const PATH: &str = "/auth/verify";
/// Longest original URI kept in the log line.
const MAX_LOGGED_URI: usize = 256;
/// Longest original method kept in the log line.
const MAX_LOGGED_METHOD: usize = 16;
/// Longest claim value copied into a header; a longer one is left out (proxies cap header size).
const MAX_CLAIM_VALUE: usize = 4096;

/// The route, or nothing when `FORWARD_AUTH=false` (the path then answers 404 like any other).
pub fn router(enabled: bool) -> Router<AppState> {
    if enabled {
        Router::new().route(PATH, any(verify))
    } else {
        Router::new()
    }
}

/// Verifies the bearer token for a proxy: 200 with identity headers or the refusal.
#[utoipa::path(get, path = "/auth/verify", tag = "forward-auth", operation_id = "verify_token",
    description = "For reverse proxies (nginx `auth_request`, ingress-nginx `auth-url`, Traefik `forwardAuth`, \
Envoy `ext_authz`): verifies the bearer token exactly as the task routes do. Any method is accepted and \
answered alike (Envoy forwards the original one); `GET` is what the others send. No path user is involved, \
so never 403. Off with `FORWARD_AUTH=false` (then 404 like any unknown path).",
    params(("host" = Option<String>, Query, description = "The protected app whose per-host policy applies, fixed in the proxy's auth URL; default: X-Forwarded-Host")),
    responses(
        (status = 200, description = "Token accepted; empty body. The proxy copies the identity headers (and the \
claim headers `FORWARD_AUTH_CLAIM_HEADERS` configures) to the request it forwards.",
            headers(
                ("X-Auth-User" = String, description = "The token's user id"),
                ("X-Auth-Provider" = String, description = "The name of the identity provider that issued the token"),
                ("Cache-Control" = String, description = "`no-store`: a verdict is per token"),
            )),
        TokenErrors,
    ),
    security(("bearer" = [])))]
pub async fn verify(State(state): State<AppState>, request: Request) -> Result<Response, ApiError> {
    let (parts, _body) = request.into_parts();
    let host = configured_host(parts.uri.query()).or_else(|| forwarded_host(&parts.headers));
    record_original_request(&parts.headers, host.as_deref());
    let token = state.verifier.verify(bearer_token(&parts)).await?;
    let forward_auth = &state.config.forward_auth;
    check_policy(forward_auth.policy_for(host.as_deref()), &token)?;
    let user = HeaderValue::from_bytes(token.user_id.as_bytes()).map_err(|_| {
        refused(
            Reason::TokenMalformed,
            &token,
            "the user id holds characters that cannot be sent in a header".to_owned(),
        )
    })?;
    let mut response = StatusCode::OK.into_response();
    let headers = response.headers_mut();
    headers.insert(USER_HEADER, user);
    if let Ok(provider) = HeaderValue::from_str(&token.provider) {
        headers.insert(PROVIDER_HEADER, provider);
    }
    for mapping in &forward_auth.claim_headers {
        if let Some(value) = claim_header_value(&token, mapping) {
            headers.insert(mapping.header.clone(), value);
        }
    }
    // Proxies may cache auth answers (ingress-nginx auth-cache-key); a verdict is per token.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `?host=docs.example.com`, written into the proxy's auth URL for one protected app.
fn configured_host(query: Option<&str>) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(name, _)| name == "host")
        .map(|(_, value)| bounded(value.trim(), MAX_LOGGED_URI).to_owned())
        .filter(|host| !host.is_empty())
}

/// The protected app's host as the proxy forwarded it: `X-Forwarded-Host` (first entry),
/// else the host of ingress-nginx's `X-Original-URL`.
fn forwarded_host(headers: &HeaderMap) -> Option<String> {
    if let Some(host) = header_text(headers, "x-forwarded-host") {
        let first = host.split(',').next().unwrap_or("").trim();
        return (!first.is_empty()).then(|| first.to_owned());
    }
    let original = header_text(headers, "x-original-url")?;
    let url = url::Url::parse(original).ok()?;
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Adds the original method, URI (path only, bounded) and host to the request's log span.
fn record_original_request(headers: &HeaderMap, host: Option<&str>) {
    let span = tracing::Span::current();
    let method = header_text(headers, "x-original-method")
        .or_else(|| header_text(headers, "x-forwarded-method"));
    if let Some(method) = method {
        span.record("original_method", bounded(method, MAX_LOGGED_METHOD));
    }
    let uri = header_text(headers, "x-original-uri")
        .or_else(|| header_text(headers, "x-forwarded-uri"))
        .or_else(|| header_text(headers, "x-original-url"));
    if let Some(uri) = uri {
        let path = uri.split(['?', '#']).next().unwrap_or("");
        span.record("original_uri", bounded(path, MAX_LOGGED_URI));
    }
    if let Some(host) = host {
        span.record("forwarded_host", bounded(host, MAX_LOGGED_URI));
    }
}

/// At most `limit` bytes of `text`, cut on a character boundary.
fn bounded(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A refusal with the token's provider, counted like the verifier's own refusals.
fn refused(reason: Reason, token: &VerifiedToken, message: String) -> ApiError {
    metrics::counter!(
        backend_api_auth::AUTH_FAILURES,
        "reason" => reason.code(),
        "provider" => token.provider.to_string()
    )
    .increment(1);
    ApiError::Auth(AuthError::new(reason, message).with_provider(token.provider.clone()))
}

/// The host's extra requirements: one of its providers, one of its audiences.
fn check_policy(policy: &HostPolicy, token: &VerifiedToken) -> Result<(), ApiError> {
    let subject = if policy.host.is_empty() {
        "the default forward-auth policy".to_owned()
    } else {
        format!("host {}", policy.host)
    };
    if let Some(providers) = &policy.providers
        && !providers.iter().any(|p| **p == *token.provider)
    {
        return Err(refused(
            Reason::IssuerUnknown,
            token,
            format!(
                "{subject} accepts tokens of provider(s) {}, not of {}",
                providers.join(", "),
                token.provider
            ),
        ));
    }
    if let Some(audiences) = &policy.audiences
        && !token
            .audiences()
            .any(|aud| audiences.iter().any(|a| a == aud))
    {
        return Err(refused(
            Reason::AudienceMismatch,
            token,
            format!(
                "{subject} needs a token whose aud holds one of: {}",
                audiences.join(", ")
            ),
        ));
    }
    Ok(())
}

/// A claim as header text: strings as they are, numbers and booleans as JSON, arrays of those
/// joined with commas; objects, nulls, over-long or unsendable values are left out.
fn claim_header_value(token: &VerifiedToken, mapping: &ClaimHeader) -> Option<HeaderValue> {
    fn scalar(value: &Value) -> Option<String> {
        match value {
            Value::String(text) => Some(text.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    let text = match token.claims.get(&mapping.claim)? {
        Value::Array(items) => items
            .iter()
            .map(scalar)
            .collect::<Option<Vec<_>>>()?
            .join(","),
        other => scalar(other)?,
    };
    if text.len() > MAX_CLAIM_VALUE {
        return None;
    }
    HeaderValue::from_bytes(text.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_cuts_on_character_boundaries() {
        assert_eq!(bounded("abc", 5), "abc");
        assert_eq!(bounded("abcdef", 3), "abc");
        assert_eq!(bounded("aé", 2), "a");
    }

    #[test]
    fn the_host_query_parameter_names_the_protected_app() {
        assert_eq!(
            configured_host(Some("host=docs.example.com")).as_deref(),
            Some("docs.example.com")
        );
        assert_eq!(
            configured_host(Some("a=1&host=x.example%3A8443")).as_deref(),
            Some("x.example:8443")
        );
        assert_eq!(configured_host(Some("host=")), None);
        assert_eq!(configured_host(None), None);
    }

    #[test]
    fn forwarded_host_prefers_x_forwarded_host_then_original_url() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-original-url",
            HeaderValue::from_static("https://docs.example.com:8443/a?b"),
        );
        assert_eq!(
            forwarded_host(&headers).as_deref(),
            Some("docs.example.com:8443")
        );
        headers.insert(
            "x-forwarded-host",
            HeaderValue::from_static("app.example.com, proxy.internal"),
        );
        assert_eq!(forwarded_host(&headers).as_deref(), Some("app.example.com"));
    }
}
