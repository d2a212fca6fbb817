//! [`ApiError`]: every way a request can fail, and the one place that turns it into an
//! `application/problem+json` response (RFC 9457) with a stable `code`.
//!
//! Handlers return `Result<_, ApiError>`. 5xx answers carry a generic detail; the cause goes to
//! the log. No variant holds a token, key, secret or password.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use backend_api_auth::{AuthError, Reason};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem+json body (RFC 9457). `type` is `urn:backend-api:error:<code>`; `code` is the
/// stable, machine-readable reason. Each error response of an operation narrows `code` to the
/// values its status can carry.
#[derive(Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: String,
    /// Present with `validation_failed`: one entry per invalid field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// One invalid input field (body member or query parameter).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Every failure a request can end in.
#[derive(Debug)]
pub enum ApiError {
    /// The token was refused (401) or its keys are unavailable (503).
    Auth(AuthError),
    /// The token's user is not the `{user_id}` of the path.
    UserMismatch,
    /// No such task for this user (also: another user's task).
    TaskNotFound,
    /// No such route.
    RouteNotFound,
    MethodNotAllowed,
    /// Well-formed input with invalid fields or query values.
    Validation(Vec<FieldError>),
    /// The body is not valid JSON; the detail says where.
    MalformedJson(String),
    UnsupportedMediaType,
    PayloadTooLarge,
    HeadersTooLarge,
    /// `Idempotency-Key` reused with a different body.
    IdempotencyKeyReused,
    /// The database cannot be used now; the reason is safe to show (no password).
    DatabaseUnavailable(String),
    Timeout,
    /// A bug or an unexpected failure; its cause chain is logged (by [`ApiError::log`]), never sent.
    Internal(anyhow::Error),
}

impl From<crate::db::DbError> for ApiError {
    fn from(error: crate::db::DbError) -> ApiError {
        match error {
            crate::db::DbError::Unavailable(reason) => ApiError::DatabaseUnavailable(reason),
            query @ crate::db::DbError::Query(_) => ApiError::Internal(query.into()),
        }
    }
}

/// Seconds a client should wait before retrying a 503 caused by the database.
const DATABASE_RETRY_AFTER: Duration = Duration::from_secs(5);

impl ApiError {
    /// One instance of every kind of failure (every authentication reason included): the
    /// OpenAPI document derives the `code` values each status can carry from it, so the
    /// document cannot drift from the codes the service sends. A new variant belongs here
    /// (the test `every_variant_is_in_the_catalogue` fails until it is).
    pub fn catalogue() -> Vec<ApiError> {
        let mut all: Vec<ApiError> = Reason::ALL
            .iter()
            // The path check is ours (`UserMismatch` below), never a verifier's verdict.
            .filter(|reason| **reason != Reason::UserMismatch)
            .map(|reason| ApiError::Auth(AuthError::new(*reason, "")))
            .collect();
        all.extend([
            ApiError::UserMismatch,
            ApiError::TaskNotFound,
            ApiError::RouteNotFound,
            ApiError::MethodNotAllowed,
            ApiError::Validation(Vec::new()),
            ApiError::MalformedJson(String::new()),
            ApiError::UnsupportedMediaType,
            ApiError::PayloadTooLarge,
            ApiError::HeadersTooLarge,
            ApiError::IdempotencyKeyReused,
            ApiError::DatabaseUnavailable(String::new()),
            ApiError::Timeout,
            ApiError::Internal(anyhow::anyhow!("sample")),
        ]);
        all
    }

    /// The HTTP status this failure answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Auth(error) => StatusCode::from_u16(error.reason().http_status())
                .unwrap_or(StatusCode::UNAUTHORIZED),
            ApiError::UserMismatch => StatusCode::FORBIDDEN,
            ApiError::TaskNotFound | ApiError::RouteNotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Validation(_) | ApiError::IdempotencyKeyReused => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::MalformedJson(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::DatabaseUnavailable(_) | ApiError::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code; for authentication, the core's reason code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Auth(error) => error.reason().code(),
            ApiError::UserMismatch => Reason::UserMismatch.code(),
            ApiError::TaskNotFound => "task_not_found",
            ApiError::RouteNotFound => "route_not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Validation(_) => "validation_failed",
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::HeadersTooLarge => "headers_too_large",
            ApiError::IdempotencyKeyReused => "idempotency_key_reused",
            ApiError::DatabaseUnavailable(_) => "database_unavailable",
            ApiError::Timeout => "request_timeout",
            ApiError::Internal(_) => "internal_error",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::Auth(error) => error.reason().title(),
            ApiError::UserMismatch => Reason::UserMismatch.title(),
            ApiError::TaskNotFound => "Task not found",
            ApiError::RouteNotFound => "Not found",
            ApiError::MethodNotAllowed => "Method not allowed",
            ApiError::Validation(_) => "Invalid input",
            ApiError::MalformedJson(_) => "Malformed JSON body",
            ApiError::UnsupportedMediaType => "Unsupported media type",
            ApiError::PayloadTooLarge => "Request body too large",
            ApiError::HeadersTooLarge => "Request headers too large",
            ApiError::IdempotencyKeyReused => "Idempotency key reused",
            ApiError::DatabaseUnavailable(_) => "Database unavailable",
            ApiError::Timeout => "Request timed out",
            ApiError::Internal(_) => "Internal error",
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::Auth(error) => error.message().to_owned(),
            ApiError::UserMismatch => {
                "the token's user differs from the user in the path".to_owned()
            }
            ApiError::TaskNotFound => "no task with this id for this user".to_owned(),
            ApiError::RouteNotFound => "no route for this path".to_owned(),
            ApiError::MethodNotAllowed => "this route does not accept this method".to_owned(),
            ApiError::Validation(errors) => errors
                .iter()
                .map(|error| format!("{}: {}", error.field, error.message))
                .collect::<Vec<_>>()
                .join("; "),
            ApiError::MalformedJson(detail) => detail.clone(),
            ApiError::UnsupportedMediaType => {
                "send the body as Content-Type: application/json".to_owned()
            }
            ApiError::PayloadTooLarge => {
                format!("the body exceeds {} bytes", crate::config::MAX_BODY_BYTES)
            }
            ApiError::HeadersTooLarge => {
                format!(
                    "the headers exceed {} bytes",
                    crate::config::MAX_HEADER_BYTES
                )
            }
            ApiError::IdempotencyKeyReused => {
                "this Idempotency-Key was used with a different request body; use a new key"
                    .to_owned()
            }
            ApiError::DatabaseUnavailable(reason) => format!("database: {reason}"),
            ApiError::Timeout => "the request took too long and was abandoned".to_owned(),
            ApiError::Internal(_) => {
                "unexpected error; the request id in x-request-id finds it in the log".to_owned()
            }
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::Auth(error) => error.retry_after(),
            ApiError::DatabaseUnavailable(_) => Some(DATABASE_RETRY_AFTER),
            _ => None,
        }
    }

    /// RFC 6750 challenge of a 401; `error` is omitted when no token was sent.
    fn challenge(&self) -> Option<String> {
        match self {
            ApiError::Auth(error) if self.status() == StatusCode::UNAUTHORIZED => {
                Some(match error.reason() {
                    Reason::TokenMissing => "Bearer".to_owned(),
                    reason => format!(
                        "Bearer error=\"invalid_token\", error_description=\"{}\"",
                        reason.code()
                    ),
                })
            }
            _ => None,
        }
    }

    /// Logs the failure as the HTTP answer would (also for MCP tool errors).
    pub(crate) fn log(&self) {
        match self {
            ApiError::Auth(error) => tracing::info!(
                code = error.reason().code(),
                provider = error.provider().unwrap_or("unknown"),
                detail = error.message(),
                fix = error.hint(),
                "token refused"
            ),
            ApiError::Internal(cause) => {
                tracing::error!(cause = %format!("{cause:#}"), "request failed");
            }
            ApiError::DatabaseUnavailable(reason) => {
                tracing::warn!(reason = %reason, "request refused: database unavailable");
            }
            _ => {}
        }
    }

    /// The problem+json body (also the text of an MCP tool error).
    pub(crate) fn problem(&self) -> Problem {
        let code = self.code();
        Problem {
            kind: format!("urn:backend-api:error:{code}"),
            title: self.title().to_owned(),
            status: self.status().as_u16(),
            detail: self.detail(),
            code: code.to_owned(),
            errors: match self {
                ApiError::Validation(errors) => errors.clone(),
                _ => Vec::new(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.log();
        let body = serde_json::to_vec(&self.problem())
            .unwrap_or_else(|_| json!({}).to_string().into_bytes());
        let mut response = (self.status(), body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(challenge) = self
            .challenge()
            .and_then(|c| HeaderValue::from_str(&c).ok())
        {
            headers.insert(header::WWW_AUTHENTICATE, challenge);
        }
        if let Some(after) = self.retry_after() {
            // Retry-After counts whole seconds; never 0 so clients do back off.
            let seconds = after.as_secs_f64().ceil().max(1.0) as u64;
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        // The code also as a header so that logs of proxies and load tests can count reasons.
        if let Ok(code) = HeaderValue::from_str(self.code()) {
            headers.insert(HeaderName::from_static("x-error-code"), code);
        }
        response
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> ApiError {
        ApiError::Auth(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_token_gets_a_challenge_without_error() {
        let error = ApiError::Auth(AuthError::new(Reason::TokenMissing, "no bearer token"));
        assert_eq!(error.challenge().as_deref(), Some("Bearer"));
    }

    #[test]
    fn a_refused_token_names_its_code_in_the_challenge() {
        let error = ApiError::Auth(AuthError::new(Reason::Expired, "expired"));
        assert_eq!(
            error.challenge().as_deref(),
            Some("Bearer error=\"invalid_token\", error_description=\"expired\"")
        );
    }

    /// Each variant's position; no wildcard, so a new variant stops the build here until it
    /// is given one (and then the catalogue test fails until the catalogue has it too).
    fn variant(error: &ApiError) -> usize {
        match error {
            ApiError::Auth(_) => 0,
            ApiError::UserMismatch => 1,
            ApiError::TaskNotFound => 2,
            ApiError::RouteNotFound => 3,
            ApiError::MethodNotAllowed => 4,
            ApiError::Validation(_) => 5,
            ApiError::MalformedJson(_) => 6,
            ApiError::UnsupportedMediaType => 7,
            ApiError::PayloadTooLarge => 8,
            ApiError::HeadersTooLarge => 9,
            ApiError::IdempotencyKeyReused => 10,
            ApiError::DatabaseUnavailable(_) => 11,
            ApiError::Timeout => 12,
            ApiError::Internal(_) => 13,
        }
    }

    #[test]
    fn every_variant_is_in_the_catalogue() {
        let catalogue = ApiError::catalogue();
        let mut seen: Vec<usize> = catalogue.iter().map(variant).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, (0..=13).collect::<Vec<_>>());
        // Every authentication reason but the path check, which is `UserMismatch`.
        let auth = catalogue.iter().filter(|e| variant(e) == 0).count();
        assert_eq!(auth, Reason::ALL.len() - 1);
    }

    #[test]
    fn keys_unavailable_is_a_503_without_challenge() {
        let error = ApiError::Auth(AuthError::new(Reason::KeysUnavailable, "down"));
        assert_eq!(error.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(error.challenge(), None);
    }
}
