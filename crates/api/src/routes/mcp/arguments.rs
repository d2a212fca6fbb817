//! Tool arguments → the validated values the REST routes use, through the REST validators, so the
//! same input is refused with the same `validation_failed` and the same field messages.
//!
//! Unknown arguments are refused like unknown body members: a misspelt filter must not silently
//! widen a list or a change.

use std::borrow::Cow;

use serde_json::{Map, Value, json};

use crate::db::tasks::{Changes, Idempotency, ListQuery, NewTask};
use crate::error::{ApiError, FieldError};
use crate::routes::tasks::{body, check_idempotency_key, fingerprint, query};

pub type Arguments = Map<String, Value>;

/// `list_tasks`: `completed`, `limit`, `cursor`, `sort` as in the REST query string; `null`
/// means absent (agents often send it for "no filter").
pub fn list(arguments: &Arguments) -> Result<ListQuery, ApiError> {
    let mut pairs: Vec<(Cow<'_, str>, Cow<'_, str>)> = Vec::new();
    let mut errors = Vec::new();
    for (name, value) in arguments {
        let text = match (name.as_str(), value) {
            (_, Value::Null) => continue,
            ("completed", Value::Bool(flag)) => flag.to_string(),
            ("completed", _) => {
                errors.push(FieldError::new("completed", "must be true or false"));
                continue;
            }
            ("limit", Value::Number(number)) if number.is_u64() => number.to_string(),
            ("limit", _) => {
                errors.push(FieldError::new(
                    "limit",
                    format!("must be a whole number from 1 to {}", query::MAX_LIMIT),
                ));
                continue;
            }
            ("sort" | "cursor", Value::String(text)) => text.clone(),
            ("sort", _) => {
                errors.push(FieldError::new(
                    "sort",
                    format!("must be one of: {}", query::SORTS.join(", ")),
                ));
                continue;
            }
            ("cursor", _) => {
                errors.push(FieldError::new("cursor", "must be a string"));
                continue;
            }
            (other, _) => {
                errors.push(unknown(other, "completed, limit, cursor, sort"));
                continue;
            }
        };
        pairs.push((Cow::Borrowed(name.as_str()), Cow::Owned(text)));
    }
    merge(errors, query::parse_pairs(pairs))
}

/// `create_task`: the REST body plus an optional `idempotency_key` (the header's role).
pub fn create(arguments: &Arguments) -> Result<(NewTask, Option<Idempotency>), ApiError> {
    let mut fields = arguments.clone();
    let mut errors = Vec::new();
    let key = match fields.remove("idempotency_key") {
        None | Some(Value::Null) => None,
        Some(Value::String(key)) => match check_idempotency_key(&key, "idempotency_key") {
            Ok(key) => Some(key),
            Err(error) => {
                errors.push(error);
                None
            }
        },
        Some(_) => {
            errors.push(FieldError::new("idempotency_key", "must be a string"));
            None
        }
    };
    let task: NewTask = merge(errors, body::create(&Value::Object(fields)))?.into();
    let idempotency = key.map(|key| Idempotency {
        key,
        fingerprint: fingerprint(&task),
    });
    Ok((task, idempotency))
}

/// `update_task`: `id` plus the members of a REST PATCH body.
pub fn update(arguments: &Arguments) -> Result<(i64, Changes), ApiError> {
    let mut fields = arguments.clone();
    let id = fields.remove("id");
    let changes = body::patch(&Value::Object(fields));
    let (id, changes) = both(task_id(id.as_ref()), changes)?;
    Ok((id, changes.into()))
}

/// `complete_task`: `id` and `completed` (default true). It sets the state rather than toggling
/// it, so an agent that retries a call does not undo it.
pub fn complete(arguments: &Arguments) -> Result<(i64, Changes), ApiError> {
    let errors: Vec<FieldError> = arguments
        .keys()
        .filter(|name| !matches!(name.as_str(), "id" | "completed"))
        .map(|name| unknown(name, "id, completed"))
        .collect();
    let completed = match arguments.get("completed") {
        None | Some(Value::Null) => Value::Bool(true),
        Some(value) => value.clone(),
    };
    let changes = body::patch(&json!({ "completed": completed }));
    let (id, changes) = both(task_id(arguments.get("id")), merge(errors, changes))?;
    Ok((id, changes.into()))
}

/// `get_task`, `delete_task`: only `id`.
pub fn id_only(arguments: &Arguments) -> Result<i64, ApiError> {
    let errors: Vec<FieldError> = arguments
        .keys()
        .filter(|name| name.as_str() != "id")
        .map(|name| unknown(name, "id"))
        .collect();
    merge(errors, task_id(arguments.get("id")))
}

/// A task id is a whole number. Zero or less names no task, like `/tasks/0` on REST: 404.
fn task_id(value: Option<&Value>) -> Result<i64, ApiError> {
    match value {
        None | Some(Value::Null) => Err(ApiError::Validation(vec![FieldError::new(
            "id",
            "is required",
        )])),
        Some(Value::Number(number)) => match number.as_i64() {
            Some(id) if id > 0 => Ok(id),
            Some(_) => Err(ApiError::TaskNotFound),
            None => Err(not_an_id()),
        },
        Some(_) => Err(not_an_id()),
    }
}

fn not_an_id() -> ApiError {
    ApiError::Validation(vec![FieldError::new(
        "id",
        "must be a task id (a whole number)",
    )])
}

fn unknown(name: &str, allowed: &str) -> FieldError {
    FieldError::new(name, format!("unknown field; allowed: {allowed}"))
}

/// `result`, unless `errors` (found before it) is not empty: then every error together.
fn merge<T>(mut errors: Vec<FieldError>, result: Result<T, ApiError>) -> Result<T, ApiError> {
    match result {
        Ok(value) if errors.is_empty() => Ok(value),
        Ok(_) => Err(ApiError::Validation(errors)),
        Err(ApiError::Validation(more)) => {
            errors.extend(more);
            Err(ApiError::Validation(errors))
        }
        Err(other) if errors.is_empty() => Err(other),
        Err(_) => Err(ApiError::Validation(errors)),
    }
}

/// Both values, or every validation error of the two (those of the id first).
fn both<A, B>(a: Result<A, ApiError>, b: Result<B, ApiError>) -> Result<(A, B), ApiError> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(ApiError::Validation(mut errors)), Err(ApiError::Validation(more))) => {
            errors.extend(more);
            Err(ApiError::Validation(errors))
        }
        // Invalid fields come before a not-found id: they are what the caller must fix first.
        (Err(ApiError::Validation(errors)), _) | (_, Err(ApiError::Validation(errors))) => {
            Err(ApiError::Validation(errors))
        }
        (Err(error), _) | (_, Err(error)) => Err(error),
    }
}

/// The sorted field names of a validation error, for tests.
#[cfg(test)]
fn fields(result: Result<impl std::fmt::Debug, ApiError>) -> Value {
    match result {
        Err(ApiError::Validation(errors)) => {
            let mut names: Vec<_> = errors.into_iter().map(|e| e.field).collect();
            names.sort();
            json!(names)
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(value: Value) -> Arguments {
        value.as_object().expect("object").clone()
    }

    #[test]
    fn list_arguments_follow_the_query_rules() {
        let query = list(&args(
            json!({"completed": true, "limit": 5, "sort": "-title", "cursor": null}),
        ))
        .expect("valid");
        assert_eq!((query.completed, query.limit), (Some(true), 5));
        assert!(query.sort.descending);
        assert_eq!(
            fields(list(&args(
                json!({"completed": "yes", "limit": 0, "sort": "colour", "colour": 1})
            ))),
            json!(["colour", "completed", "limit", "sort"])
        );
        assert_eq!(fields(list(&args(json!({"limit": 2.5})))), json!(["limit"]));
    }

    #[test]
    fn create_takes_an_optional_idempotency_key() {
        let (task, key) =
            create(&args(json!({"title": " a ", "idempotency_key": "k-1"}))).expect("valid");
        assert_eq!(task.title, "a");
        assert_eq!(key.expect("key").key, "k-1");
        assert_eq!(
            fields(create(&args(
                json!({"title": "", "idempotency_key": "has space"})
            ))),
            json!(["idempotency_key", "title"])
        );
    }

    #[test]
    fn ids_must_be_whole_numbers_and_non_positive_ones_name_no_task() {
        assert_eq!(id_only(&args(json!({"id": 3}))).expect("valid"), 3);
        assert_eq!(fields(id_only(&args(json!({"id": "3"})))), json!(["id"]));
        assert_eq!(fields(id_only(&args(json!({})))), json!(["id"]));
        assert_eq!(
            fields(id_only(&args(json!({"id": 1, "x": 1})))),
            json!(["x"])
        );
        assert!(matches!(
            id_only(&args(json!({"id": 0}))),
            Err(ApiError::TaskNotFound)
        ));
    }

    #[test]
    fn update_and_complete_report_every_bad_field() {
        assert_eq!(
            fields(update(&args(
                json!({"id": "x", "title": "", "completed": 1})
            ))),
            json!(["completed", "id", "title"])
        );
        let (id, changes) = complete(&args(json!({"id": 4}))).expect("valid");
        assert_eq!((id, changes.completed), (4, Some(true)));
        let (_, changes) = complete(&args(json!({"id": 4, "completed": false}))).expect("valid");
        assert_eq!(changes.completed, Some(false));
        assert_eq!(
            fields(complete(&args(json!({"id": 4, "title": "t"})))),
            json!(["title"])
        );
    }
}
