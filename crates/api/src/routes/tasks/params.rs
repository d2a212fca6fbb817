//! The documented parameters of the task routes (path, query, `Idempotency-Key`), built from
//! the same constants the parsers check, so the OpenAPI ranges, enums and patterns are the
//! rules the service applies.

use utoipa::IntoParams;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{Required, Schema};

use super::query::{DEFAULT_LIMIT, MAX_CURSOR_CHARS, MAX_LIMIT, SORTS};
use super::{IDEMPOTENCY_KEY_PATTERN, MAX_IDEMPOTENCY_KEY};

fn parameter(
    name: &str,
    place: ParameterIn,
    required: bool,
    description: &str,
    schema: impl Into<Schema>,
) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(place)
        .required(if required {
            Required::True
        } else {
            Required::False
        })
        .description(Some(description))
        .schema(Some(schema.into()))
        .build()
}

fn user_id() -> Parameter {
    parameter(
        "user_id",
        ParameterIn::Path,
        true,
        "The token's user id (percent-encoded); any other user answers 403 `user_mismatch`",
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1)),
    )
}

fn task_id() -> Parameter {
    parameter(
        "id",
        ParameterIn::Path,
        true,
        "The task's id; anything else (another user's task, not a positive integer) answers 404",
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(1)),
    )
}

/// `{user_id}` and `{id}` of `/api/{user_id}/tasks/{id}…`.
pub struct TaskPath;

impl IntoParams for TaskPath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![user_id(), task_id()]
    }
}

/// The list route's path and query parameters. Unknown query parameters are ignored; a
/// parameter given twice is refused (422).
pub struct ListParams;

impl IntoParams for ListParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            user_id(),
            parameter(
                "completed",
                ParameterIn::Query,
                false,
                "Only completed (`true`) or open (`false`) tasks; absent: both",
                ObjectBuilder::new().schema_type(Type::Boolean),
            ),
            parameter(
                "limit",
                ParameterIn::Query,
                false,
                &format!("Page size, 1–{MAX_LIMIT}"),
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1))
                    .maximum(Some(MAX_LIMIT))
                    .default(Some(DEFAULT_LIMIT.into())),
            ),
            parameter(
                "cursor",
                ParameterIn::Query,
                false,
                "Opaque: the `next_cursor` of the previous page, passed as is with the same \
                 `sort`; any other value answers 422",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(MAX_CURSOR_CHARS))
                    .pattern(Some("^[A-Za-z0-9_-]+$")),
            ),
            parameter(
                "sort",
                ParameterIn::Query,
                false,
                "Order of the tasks: a column, ascending, or descending with a leading `-`; \
                 ties are broken by id",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(SORTS))
                    .default(Some(SORTS[0].into())),
            ),
        ]
    }
}

/// `POST /api/{user_id}/tasks`: the path and the optional `Idempotency-Key` header.
pub struct CreateParams;

impl IntoParams for CreateParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            user_id(),
            parameter(
                "Idempotency-Key",
                ParameterIn::Header,
                false,
                "Makes retries safe: a retry with the same key and body answers the task the \
                 first request created (with `Idempotent-Replayed: true`); the same key with \
                 another body answers 422 `idempotency_key_reused`. Visible ASCII characters.",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(MAX_IDEMPOTENCY_KEY))
                    .pattern(Some(IDEMPOTENCY_KEY_PATTERN)),
            ),
        ]
    }
}
