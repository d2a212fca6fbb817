//! [`JsonBody`]: reads a request body as a JSON value and maps each failure to its problem:
//! wrong content type → 415, over the body limit → 413, not JSON → 400.
//!
//! The value stays untyped here; the route validates it field by field so that a 422 can name
//! every bad field at once (serde stops at the first).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde_json::Value;

use crate::error::ApiError;

/// A JSON request body, parsed but not yet validated.
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<Value>::from_request(request, state).await {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(rejection_to_error(rejection)),
        }
    }
}

fn rejection_to_error(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        JsonRejection::JsonSyntaxError(error) => ApiError::MalformedJson(error.body_text()),
        // A `Value` accepts any JSON, so a data error cannot happen; treat it like a syntax error.
        other => ApiError::MalformedJson(other.body_text()),
    }
}
