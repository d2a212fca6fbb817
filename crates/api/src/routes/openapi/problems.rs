//! The error responses of the OpenAPI document, defined once and referenced by every
//! operation: one response component per [`Failure`], each with its problem+json schema
//! whose `code` is the enum of the codes that failure can carry, and its headers.
//!
//! The codes come from [`ApiError::catalogue`] through the same `status()`/`code()` the
//! service answers with, so the document cannot list a code the service never sends or miss
//! one it does. An operation lists its failures with one of the sets at the bottom
//! ([`ListErrors`], [`CreateErrors`], …), written in its `#[utoipa::path(responses(…))]`.
//!
//! Longer than most modules on purpose: it is one table (every failure, its status, headers
//! and schema, then every operation's set), and splitting a table only hides rows from each other.

use std::collections::BTreeMap;

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::openapi::{Ref, RefOr, Schema};
use utoipa::{IntoResponses, Modify};

use crate::error::{ApiError, PROBLEM_JSON};

/// One documented error response (a status and the codes it carries there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// 400: the body is not JSON.
    MalformedJson,
    /// 401: the token was refused.
    Unauthorized,
    /// 403: the token's user is not the path's user.
    Forbidden,
    /// 404: no such task for this user.
    TaskNotFound,
    /// 404 of a route with a path parameter that is not a task (a `/docs` asset).
    NotFound,
    /// 413: the body is over the size limit.
    PayloadTooLarge,
    /// 415: the body is not `application/json`.
    UnsupportedMediaType,
    /// 422: invalid members or query values, each named in `errors`.
    InvalidInput,
    /// 422 of a create: invalid input, or an `Idempotency-Key` reused with another body.
    InvalidCreate,
    /// 431: the request headers are over the size limit.
    HeadersTooLarge,
    /// 500: a bug; the request id finds it in the log.
    Internal,
    /// 503: keys or database unavailable, or the request timed out.
    Unavailable,
    /// 503 of a route that verifies a token but uses no database: keys unavailable, or the
    /// request timed out.
    KeysUnavailable,
    /// 401 of `/mcp`: [`Failure::Unauthorized`] whose challenge also points at the protected
    /// resource metadata (RFC 9728), so an MCP client can find where to sign in.
    McpUnauthorized,
}

impl Failure {
    pub const ALL: [Failure; 14] = [
        Failure::MalformedJson,
        Failure::Unauthorized,
        Failure::Forbidden,
        Failure::TaskNotFound,
        Failure::NotFound,
        Failure::PayloadTooLarge,
        Failure::UnsupportedMediaType,
        Failure::InvalidInput,
        Failure::InvalidCreate,
        Failure::HeadersTooLarge,
        Failure::Internal,
        Failure::Unavailable,
        Failure::KeysUnavailable,
        Failure::McpUnauthorized,
    ];

    /// Name of the response component (`#/components/responses/<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Failure::MalformedJson => "MalformedJson",
            Failure::Unauthorized => "Unauthorized",
            Failure::Forbidden => "Forbidden",
            Failure::TaskNotFound => "TaskNotFound",
            Failure::NotFound => "NotFound",
            Failure::PayloadTooLarge => "PayloadTooLarge",
            Failure::UnsupportedMediaType => "UnsupportedMediaType",
            Failure::InvalidInput => "InvalidInput",
            Failure::InvalidCreate => "InvalidCreate",
            Failure::HeadersTooLarge => "HeadersTooLarge",
            Failure::Internal => "InternalError",
            Failure::Unavailable => "Unavailable",
            Failure::KeysUnavailable => "KeysUnavailable",
            Failure::McpUnauthorized => "McpUnauthorized",
        }
    }

    /// Name of the problem schema (`#/components/schemas/<name>`): `<name>Problem`, shared
    /// by the failures that carry the same codes.
    pub fn schema_name(self) -> String {
        match self {
            Failure::McpUnauthorized => Failure::Unauthorized.schema_name(),
            other => format!("{}Problem", other.name()),
        }
    }

    pub fn status(self) -> u16 {
        match self {
            Failure::MalformedJson => 400,
            Failure::Unauthorized | Failure::McpUnauthorized => 401,
            Failure::Forbidden => 403,
            Failure::TaskNotFound | Failure::NotFound => 404,
            Failure::PayloadTooLarge => 413,
            Failure::UnsupportedMediaType => 415,
            Failure::InvalidInput | Failure::InvalidCreate => 422,
            Failure::HeadersTooLarge => 431,
            Failure::Internal => 500,
            Failure::Unavailable | Failure::KeysUnavailable => 503,
        }
    }

    fn description(self) -> String {
        let text = match self {
            Failure::MalformedJson => "The body is not well-formed JSON; `detail` says where.",
            Failure::Unauthorized => {
                "The bearer token is missing or refused; `code` says why. `WWW-Authenticate` \
                 carries the RFC 6750 challenge (`Bearer` alone when no token was sent, else \
                 `Bearer error=\"invalid_token\", error_description=\"<code>\"`)."
            }
            Failure::Forbidden => "The token is valid but its user is not `{user_id}` of the path.",
            Failure::TaskNotFound => {
                "No task with this id for this user: unknown, deleted, another user's, or an \
                 `{id}` that is not a positive integer."
            }
            Failure::NotFound => "Nothing is served under this name.",
            Failure::PayloadTooLarge => {
                return format!("The body exceeds {} bytes.", crate::config::MAX_BODY_BYTES);
            }
            Failure::UnsupportedMediaType => {
                "The body is not sent as `Content-Type: application/json`."
            }
            Failure::InvalidInput => {
                "Well-formed input with invalid members or query values; `errors` names each one."
            }
            Failure::InvalidCreate => {
                "Invalid members or `Idempotency-Key` (`validation_failed`, each named in \
                 `errors`), or an `Idempotency-Key` already used with a different body \
                 (`idempotency_key_reused`: use a new key)."
            }
            Failure::HeadersTooLarge => {
                return format!(
                    "The request headers together exceed {} bytes. A request head over {} \
                     bytes is refused earlier, by the connection layer before any route: 431 \
                     with `Connection: close`, no body and none of the headers below.",
                    crate::config::MAX_HEADER_BYTES,
                    crate::connections::MAX_READ_BUFFER
                );
            }
            Failure::Internal => {
                "An unexpected failure (a bug); `x-request-id` finds it in the service's log."
            }
            Failure::Unavailable => {
                "A dependency is unavailable (`keys_unavailable`: the identity provider's keys \
                 cannot be fetched; `database_unavailable`), or the request timed out \
                 (`request_timeout`). Retry later; `Retry-After` says when, if known."
            }
            Failure::KeysUnavailable => {
                "The identity provider's keys cannot be fetched and none are cached \
                 (`keys_unavailable`, with `Retry-After`), or the request timed out \
                 (`request_timeout`). Retry later."
            }
            Failure::McpUnauthorized => {
                "The bearer token is missing or refused; `code` says why. `WWW-Authenticate` \
                 points at the protected resource metadata (RFC 9728), where an MCP client \
                 finds the authorization servers: `Bearer resource_metadata=\"<url>\"`, \
                 followed by `error=\"invalid_token\", error_description=\"<code>\"` when a \
                 token was sent."
            }
        };
        text.to_owned()
    }

    /// Whether this failure is the documented response of `error`.
    fn carries(self, error: &ApiError) -> bool {
        let status = error.status().as_u16();
        match self {
            // These statuses have one meaning each wherever they appear.
            Failure::MalformedJson
            | Failure::Unauthorized
            | Failure::McpUnauthorized
            | Failure::Forbidden
            | Failure::PayloadTooLarge
            | Failure::UnsupportedMediaType
            | Failure::HeadersTooLarge
            | Failure::Internal
            | Failure::Unavailable => status == self.status(),
            // An operation's 404 is always a task; `route_not_found` answers paths that are
            // no operation at all.
            Failure::TaskNotFound => matches!(error, ApiError::TaskNotFound),
            Failure::NotFound => matches!(error, ApiError::RouteNotFound),
            // No database behind these routes.
            Failure::KeysUnavailable => {
                status == self.status() && !matches!(error, ApiError::DatabaseUnavailable(_))
            }
            Failure::InvalidInput => matches!(error, ApiError::Validation(_)),
            Failure::InvalidCreate => {
                matches!(
                    error,
                    ApiError::Validation(_) | ApiError::IdempotencyKeyReused
                )
            }
        }
    }

    /// The `code` values of this failure, in catalogue order.
    pub fn codes(self) -> Vec<&'static str> {
        let mut codes: Vec<&'static str> = ApiError::catalogue()
            .iter()
            .filter(|error| self.carries(error))
            .map(ApiError::code)
            .collect();
        codes.dedup();
        codes
    }

    fn schema(self) -> Schema {
        let codes = self.codes();
        let string = || ObjectBuilder::new().schema_type(Type::String);
        let mut problem = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(format!(
                "RFC 9457 problem of a {} response.",
                self.status()
            )))
            .property(
                "type",
                string()
                    .description(Some("`urn:backend-api:error:<code>`"))
                    .enum_values(Some(
                        codes
                            .iter()
                            .map(|code| format!("urn:backend-api:error:{code}")),
                    )),
            )
            .property(
                "title",
                string().description(Some("Short, human-readable summary")),
            )
            .property(
                "status",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .enum_values(Some([self.status()])),
            )
            .property(
                "detail",
                string().description(Some("What happened, for a human")),
            )
            .property(
                "code",
                string()
                    .description(Some("Stable, machine-readable reason"))
                    .enum_values(Some(codes.iter().copied())),
            );
        for required in ["type", "title", "status", "detail", "code"] {
            problem = problem.required(required);
        }
        if matches!(self, Failure::InvalidInput | Failure::InvalidCreate) {
            problem = problem.property(
                "errors",
                ArrayBuilder::new()
                    .description(Some(
                        "With `validation_failed`: one entry per invalid member, query \
                         parameter or header",
                    ))
                    .min_items(Some(1))
                    .items(RefOr::Ref(Ref::from_schema_name("FieldError"))),
            );
        }
        problem.into()
    }

    fn response(self) -> Response {
        let codes = self.codes();
        let mut response = ResponseBuilder::new()
            .description(self.description())
            .content(
                PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(RefOr::Ref(Ref::from_schema_name(self.schema_name()))))
                    .build(),
            )
            .header(
                "x-error-code",
                HeaderBuilder::new()
                    .schema(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .enum_values(Some(codes.iter().copied())),
                    )
                    .description(Some("The body's `code`, for proxies' logs"))
                    .build(),
            );
        match self {
            Failure::Unauthorized => {
                response = response.header(
                    "WWW-Authenticate",
                    HeaderBuilder::new()
                        .schema(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .pattern(Some("^Bearer")),
                        )
                        .description(Some(
                            "RFC 6750 challenge: `Bearer` when no token was sent, else \
                             `Bearer error=\"invalid_token\", error_description=\"<code>\"`",
                        ))
                        .build(),
                );
            }
            Failure::McpUnauthorized => {
                response = response.header(
                    "WWW-Authenticate",
                    HeaderBuilder::new()
                        .schema(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .pattern(Some("^Bearer resource_metadata=\"[^\"]+\"")),
                        )
                        .description(Some(
                            "RFC 6750 challenge with the RFC 9728 `resource_metadata` URL (the \
                             `/.well-known/oauth-protected-resource` of this API), then \
                             `error=\"invalid_token\", error_description=\"<code>\"` when a \
                             token was sent",
                        ))
                        .build(),
                );
            }
            Failure::Unavailable | Failure::KeysUnavailable => {
                response = response.header(
                    "Retry-After",
                    HeaderBuilder::new()
                        .schema(
                            ObjectBuilder::new()
                                .schema_type(Type::Integer)
                                .minimum(Some(1)),
                        )
                        .description(Some(format!(
                            "Seconds to wait before retrying; sent with {}",
                            codes
                                .iter()
                                .filter(|code| **code != "request_timeout")
                                .map(|code| format!("`{code}`"))
                                .collect::<Vec<_>>()
                                .join(" and ")
                        )))
                        .build(),
                );
            }
            _ => {}
        }
        response.build()
    }
}

/// Adds every [`Failure`]'s response and schema to the document's components.
pub struct Components;

impl Modify for Components {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for failure in Failure::ALL {
            components
                .schemas
                .entry(failure.schema_name())
                .or_insert_with(|| failure.schema().into());
            components
                .responses
                .insert(failure.name().to_owned(), failure.response().into());
        }
    }
}

/// The responses of `failures`, as references to their components.
fn references(failures: &[Failure]) -> BTreeMap<String, RefOr<Response>> {
    failures
        .iter()
        .map(|failure| {
            (
                failure.status().to_string(),
                RefOr::Ref(Ref::from_response_name(failure.name())),
            )
        })
        .collect()
}

/// Declares a set of failures an operation can answer, usable in `responses(…)`.
macro_rules! failure_set {
    ($(#[$doc:meta])* $name:ident = [$($failure:ident),* $(,)?]) => {
        $(#[$doc])*
        pub struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                references(&[$(Failure::$failure),*])
            }
        }
    };
}

failure_set!(
    /// Any operation: only the header limit applies before the handler.
    BaseErrors = [HeadersTooLarge]
);

failure_set!(
    /// An operation that only verifies a bearer token (no path user, no body, no database):
    /// `/auth/verify`.
    TokenErrors = [Unauthorized, HeadersTooLarge, KeysUnavailable]
);

failure_set!(
    /// A `/docs` asset: only listed names are served.
    AssetErrors = [NotFound, HeadersTooLarge]
);

failure_set!(
    /// The problem+json failures of `POST /mcp` (its transport refusals are JSON-RPC errors,
    /// documented beside the operation): the token, the body size, the header limit.
    McpErrors = [McpUnauthorized, PayloadTooLarge, HeadersTooLarge, KeysUnavailable]
);

failure_set!(
    /// `GET /api/{user_id}/tasks`.
    ListErrors = [Unauthorized, Forbidden, InvalidInput, HeadersTooLarge, Internal, Unavailable]
);

failure_set!(
    /// `POST /api/{user_id}/tasks`.
    CreateErrors = [
        MalformedJson,
        Unauthorized,
        Forbidden,
        PayloadTooLarge,
        UnsupportedMediaType,
        InvalidCreate,
        HeadersTooLarge,
        Internal,
        Unavailable,
    ]
);

failure_set!(
    /// An operation on one task without a body (`GET`, `DELETE`, `…/complete`).
    TaskErrors = [Unauthorized, Forbidden, TaskNotFound, HeadersTooLarge, Internal, Unavailable]
);

failure_set!(
    /// An operation on one task with a JSON body (`PUT`, `PATCH`).
    TaskWriteErrors = [
        MalformedJson,
        Unauthorized,
        Forbidden,
        TaskNotFound,
        PayloadTooLarge,
        UnsupportedMediaType,
        InvalidInput,
        HeadersTooLarge,
        Internal,
        Unavailable,
    ]
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_an_operation_can_answer_is_documented() {
        // Route-level answers: they come from no operation.
        let route_level = ["route_not_found", "method_not_allowed"];
        for error in ApiError::catalogue() {
            let code = error.code();
            if route_level.contains(&code) {
                continue;
            }
            assert!(
                Failure::ALL.iter().any(|f| f.codes().contains(&code)),
                "{code} is in no documented failure"
            );
        }
    }

    #[test]
    fn each_failure_carries_codes_of_its_own_status_only() {
        for failure in Failure::ALL {
            assert!(!failure.codes().is_empty(), "{failure:?} carries no code");
            for error in ApiError::catalogue() {
                if failure.carries(&error) {
                    assert_eq!(error.status().as_u16(), failure.status(), "{failure:?}");
                }
            }
        }
        assert_eq!(Failure::TaskNotFound.codes(), ["task_not_found"]);
        assert_eq!(
            Failure::InvalidCreate.codes(),
            ["validation_failed", "idempotency_key_reused"]
        );
        assert!(Failure::Unauthorized.codes().contains(&"token_missing"));
        assert!(!Failure::Unauthorized.codes().contains(&"keys_unavailable"));
        assert_eq!(
            Failure::Unavailable.codes(),
            [
                "keys_unavailable",
                "database_unavailable",
                "request_timeout"
            ]
        );
        assert_eq!(
            Failure::KeysUnavailable.codes(),
            ["keys_unavailable", "request_timeout"]
        );
        assert_eq!(
            Failure::McpUnauthorized.codes(),
            Failure::Unauthorized.codes()
        );
        assert_eq!(
            Failure::McpUnauthorized.schema_name(),
            "UnauthorizedProblem"
        );
        assert_eq!(Failure::NotFound.codes(), ["route_not_found"]);
    }
}
