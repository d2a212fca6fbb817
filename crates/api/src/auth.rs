//! Request authentication: the [`AuthUser`] extractor (a verified token) and [`TaskOwner`]
//! (a verified token whose user is the `{user_id}` of the path).
//!
//! A user is the pair (provider, user id): the path names only the user id, so two providers'
//! `alice` both pass the path check, and the provider carried along keeps their tasks apart.
//!
//! The web-framework adapter of the verification core lives here, not in the core. Handlers
//! that need a user take the extractor as an argument, so a route cannot forget the check;
//! there is deliberately no `Option<AuthUser>`.
//!
//! One seam, for programs that embed the service: an [`AuthUser`] already in the request's
//! extensions is the caller, and no token is verified. Extensions are put there by code
//! around the router ([`App::wrap_router`](crate::App::wrap_router)), never parsed from what a
//! client sends, and the `backend-api` binary puts none there. Its one user is the benchmark's
//! "auth off" ceiling (`crates/api/examples/bench_auth_off.rs`); the path check of
//! [`TaskOwner`] still applies.

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::db::tasks::Owner;
use crate::error::ApiError;
use crate::state::AppState;

/// A caller whose bearer token the verifier accepted, or whom the program embedding the
/// service identified by putting this value in the request's extensions (see the module docs).
#[derive(Clone, Debug)]
pub struct AuthUser {
    pub user_id: String,
    pub provider: String,
}

/// The token after `Bearer ` (scheme case-insensitive), or "" when there is none: the
/// verifier refuses "" as `token_missing`, so every refusal is counted in one place.
pub(crate) fn bearer_token(parts: &Parts) -> &str {
    let Some(value) = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return "";
    };
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => "",
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<AuthUser>() {
            return Ok(user.clone());
        }
        let verified = state.verifier.verify(bearer_token(parts)).await?;
        Ok(AuthUser {
            user_id: verified.user_id,
            provider: verified.provider.to_string(),
        })
    }
}

/// A verified caller acting on their own `/api/{user_id}/…`; anyone else gets 403 `user_mismatch`.
#[derive(Clone, Debug)]
pub struct TaskOwner {
    pub user_id: String,
    /// Name of the provider that verified the token.
    pub provider: String,
}

impl TaskOwner {
    /// Whose tasks this caller may see: (provider, user id).
    pub fn owner(&self) -> Owner<'_> {
        Owner {
            provider: &self.provider,
            user_id: &self.user_id,
        }
    }
}

impl FromRequestParts<AppState> for TaskOwner {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        let path_user = path_user_id(parts, state).await?;
        if path_user.as_deref() != Some(user.user_id.as_str()) {
            metrics::counter!(backend_api_auth::AUTH_FAILURES, "reason" => "user_mismatch", "provider" => user.provider.clone())
                .increment(1);
            tracing::info!(
                code = "user_mismatch",
                provider = %user.provider,
                "token refused: its user differs from the user in the path"
            );
            return Err(ApiError::UserMismatch);
        }
        Ok(TaskOwner {
            user_id: user.user_id,
            provider: user.provider,
        })
    }
}

/// The `{user_id}` segment of the matched route, if the route has one.
async fn path_user_id(parts: &mut Parts, state: &AppState) -> Result<Option<String>, ApiError> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|_| ApiError::RouteNotFound)?;
    Ok(params
        .iter()
        .find(|(name, _)| *name == "user_id")
        .map(|(_, value)| value.to_owned()))
}
