//! `/api/{user_id}/tasks`: create, list, read, replace, patch, complete and delete tasks.
//!
//! Every handler takes a [`TaskOwner`] first, so authentication (401/503) and the user check
//! (403) happen before anything else is read; ownership of a task is then enforced by the SQL
//! (`WHERE provider = … AND user_id = … AND id = …`), so another user's task, including the
//! same user id's at another identity provider, answers 404 like a missing one.

// Shared with the MCP tools, so the same input is refused with the same codes.
pub(crate) mod body;
mod params;
pub(crate) mod query;
mod response;
mod rfc3339;

use axum::Router;
use axum::extract::{FromRequestParts, RawPathParams, RawQuery, State};
use axum::http::header::LOCATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::auth::TaskOwner;
use crate::db::tasks::{self, Created, Idempotency, TaskRow};
use crate::error::{ApiError, FieldError};
use crate::json_body::JsonBody;
use crate::routes::openapi::problems::{CreateErrors, ListErrors, TaskErrors, TaskWriteErrors};
use crate::state::AppState;
pub use body::{CreateTask, PatchTask, ReplaceTask};
use params::{CreateParams, ListParams, TaskPath};
pub use response::TaskJson;

/// Header that makes a create safe to retry.
const IDEMPOTENCY_KEY: &str = "idempotency-key";
const MAX_IDEMPOTENCY_KEY: usize = 255;
/// Visible ASCII (what `idempotency_key` checks), for the OpenAPI document.
const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]+$";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/{user_id}/tasks", get(list_tasks).post(create_task))
        .route(
            "/api/{user_id}/tasks/{id}",
            get(get_task)
                .put(replace_task)
                .patch(patch_task)
                .delete(delete_task),
        )
        .route("/api/{user_id}/tasks/{id}/complete", patch(toggle_task))
}

/// A task as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Task {
    #[schema(minimum = 1)]
    pub id: i64,
    /// The owner: the user id of the token that created it.
    pub user_id: String,
    /// Trimmed, 1–200 characters.
    pub title: String,
    /// At most 1000 characters; null when there is none.
    #[schema(required = true)]
    pub description: Option<String>,
    pub completed: bool,
    /// RFC 3339, UTC.
    #[serde(serialize_with = "rfc3339::serialize")]
    pub created_at: DateTime<Utc>,
    /// RFC 3339, UTC; changes with every change to the task.
    #[serde(serialize_with = "rfc3339::serialize")]
    pub updated_at: DateTime<Utc>,
}

impl From<TaskRow> for Task {
    fn from(row: TaskRow) -> Task {
        Task {
            id: row.id,
            user_id: row.user_id,
            title: row.title,
            description: row.description,
            completed: row.completed,
            created_at: row.created_at.utc(),
            updated_at: row.updated_at.utc(),
        }
    }
}

/// One page of tasks.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskList {
    pub tasks: Vec<Task>,
    /// Pass as `cursor` (with the same `sort`) for the next page; null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

impl TaskList {
    /// The page of `rows`, which the query fetched one row beyond `limit`: that extra row only
    /// says a next page exists, and the cursor points after the last row kept.
    pub(crate) fn page(mut rows: Vec<TaskRow>, query: &tasks::ListQuery) -> TaskList {
        let more = rows.len() > query.limit as usize;
        rows.truncate(query.limit as usize);
        let next_cursor = match rows.last() {
            Some(last) if more => Some(query::next_cursor(query.sort, last)),
            _ => None,
        };
        TaskList {
            tasks: rows.into_iter().map(Task::from).collect(),
            next_cursor,
        }
    }
}

/// The `{id}` of the path; anything that is not a task id cannot name a task: 404.
pub struct TaskId(i64);

impl FromRequestParts<AppState> for TaskId {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::TaskNotFound)?;
        params
            .iter()
            .find(|(name, _)| *name == "id")
            .and_then(|(_, value)| value.parse::<i64>().ok())
            .filter(|id| *id > 0)
            .map(TaskId)
            .ok_or(ApiError::TaskNotFound)
    }
}

/// A task that must exist: `None` is 404 (also for another user's task).
pub(crate) fn found(row: Option<TaskRow>) -> Result<Task, ApiError> {
    row.map(Task::from).ok_or(ApiError::TaskNotFound)
}

/// List the caller's tasks, one page at a time.
#[utoipa::path(
    get, path = "/api/{user_id}/tasks", tag = "tasks",
    params(ListParams),
    responses((status = 200, body = TaskList, description = "One page of the caller's tasks"), ListErrors),
    security(("bearer" = []))
)]
pub async fn list_tasks(
    State(state): State<AppState>,
    owner: TaskOwner,
    RawQuery(raw): RawQuery,
) -> Result<TaskJson, ApiError> {
    let query = query::parse(raw.as_deref())?;
    let rows = state
        .db
        .run(|pool| tasks::list(pool, owner.owner(), &query))
        .await?;
    Ok(TaskJson::list(&TaskList::page(rows, &query)))
}

/// Create a task. With an `Idempotency-Key` header, a retry of the same request returns the
/// task the first one created (header `Idempotent-Replayed: true`) instead of a duplicate.
#[utoipa::path(
    post, path = "/api/{user_id}/tasks", tag = "tasks",
    params(CreateParams),
    request_body = CreateTask,
    responses(
        (status = 201, body = Task, description = "Created (or, with a reused `Idempotency-Key` and the same body, the task the first request created)",
            headers(
                ("Location" = String, description = "Path of the new task: `/api/{user_id}/tasks/{id}`"),
                ("Idempotent-Replayed" = String, description = "`true` when this answers a retry with the same `Idempotency-Key`"),
            )),
        CreateErrors,
    ),
    security(("bearer" = []))
)]
pub async fn create_task(
    State(state): State<AppState>,
    owner: TaskOwner,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let idempotency_key = idempotency_key(&headers);
    let task = body::create(&body);
    // Report a bad key together with bad fields.
    let (task, key) = match (task, idempotency_key) {
        (Ok(task), Ok(key)) => (task, key),
        (Err(ApiError::Validation(mut errors)), Err(key_error)) => {
            errors.push(key_error);
            return Err(ApiError::Validation(errors));
        }
        (Err(error), _) => return Err(error),
        (Ok(_), Err(key_error)) => return Err(ApiError::Validation(vec![key_error])),
    };
    let new_task = task.into();
    let idempotency = key.map(|key| Idempotency {
        key,
        fingerprint: fingerprint(&new_task),
    });
    let created = state
        .db
        .run(|pool| tasks::create(pool, owner.owner(), &new_task, idempotency.as_ref()))
        .await?;
    let (row, replayed) = match created {
        Created::New(row) => (row, false),
        Created::Replayed(row) => (row, true),
        Created::KeyReused => return Err(ApiError::IdempotencyKeyReused),
    };
    let location = task_location(&row);
    let mut response = (StatusCode::CREATED, TaskJson::task(&Task::from(row))).into_response();
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(LOCATION, location);
    }
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, FieldError> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    // Not visible ASCII at all: refused by the same rule as a bad key.
    check_idempotency_key(value.to_str().unwrap_or("\n"), "Idempotency-Key").map(Some)
}

/// An idempotency key is 1 to 255 visible ASCII characters; `field` names it in the error.
pub(crate) fn check_idempotency_key(key: &str, field: &str) -> Result<String, FieldError> {
    if (1..=MAX_IDEMPOTENCY_KEY).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(key.to_owned())
    } else {
        Err(FieldError::new(
            field,
            format!("must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters"),
        ))
    }
}

/// Identifies the request body a key was first used with (after validation and trimming).
pub(crate) fn fingerprint(task: &tasks::NewTask) -> String {
    let mut hasher = Sha256::new();
    hasher.update(task.title.as_bytes());
    hasher.update([0]);
    match &task.description {
        Some(description) => {
            hasher.update([1]);
            hasher.update(description.as_bytes());
        }
        None => hasher.update([0]),
    }
    backend_api_auth::hex(&hasher.finalize())
}

/// `/api/{user_id}/tasks/{id}` with the user id percent-encoded as a path segment.
fn task_location(row: &TaskRow) -> String {
    let mut url = url::Url::parse("http://localhost/").expect("a constant, valid URL");
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.extend(["api", &row.user_id, "tasks", &row.id.to_string()]);
    }
    url.path().to_owned()
}

/// Read one task.
#[utoipa::path(
    get, path = "/api/{user_id}/tasks/{id}", tag = "tasks",
    params(TaskPath),
    responses((status = 200, body = Task, description = "The task"), TaskErrors),
    security(("bearer" = []))
)]
pub async fn get_task(
    State(state): State<AppState>,
    owner: TaskOwner,
    TaskId(id): TaskId,
) -> Result<TaskJson, ApiError> {
    let row = state
        .db
        .run(|pool| tasks::get(pool, owner.owner(), id))
        .await?;
    found(row).map(|task| TaskJson::task(&task))
}

/// Replace a task's title and description (and `completed`, if given).
#[utoipa::path(
    put, path = "/api/{user_id}/tasks/{id}", tag = "tasks",
    params(TaskPath),
    request_body = ReplaceTask,
    responses((status = 200, body = Task, description = "The task after the change"), TaskWriteErrors),
    security(("bearer" = []))
)]
pub async fn replace_task(
    State(state): State<AppState>,
    owner: TaskOwner,
    TaskId(id): TaskId,
    JsonBody(body): JsonBody,
) -> Result<TaskJson, ApiError> {
    let changes = body::replace(&body)?.into();
    let row = state
        .db
        .run(|pool| tasks::update(pool, owner.owner(), id, &changes))
        .await?;
    found(row).map(|task| TaskJson::task(&task))
}

/// Change some fields of a task.
#[utoipa::path(
    patch, path = "/api/{user_id}/tasks/{id}", tag = "tasks",
    params(TaskPath),
    request_body = PatchTask,
    responses((status = 200, body = Task, description = "The task after the change (unchanged for an empty body)"), TaskWriteErrors),
    security(("bearer" = []))
)]
pub async fn patch_task(
    State(state): State<AppState>,
    owner: TaskOwner,
    TaskId(id): TaskId,
    JsonBody(body): JsonBody,
) -> Result<TaskJson, ApiError> {
    let changes: tasks::Changes = body::patch(&body)?.into();
    let row = state
        .db
        .run(|pool| async {
            // An empty patch changes nothing, not even updated_at.
            if changes.is_empty() {
                tasks::get(pool, owner.owner(), id).await
            } else {
                tasks::update(pool, owner.owner(), id, &changes).await
            }
        })
        .await?;
    found(row).map(|task| TaskJson::task(&task))
}

/// Flip `completed`.
#[utoipa::path(
    patch, path = "/api/{user_id}/tasks/{id}/complete", tag = "tasks",
    params(TaskPath),
    responses((status = 200, body = Task, description = "The task with `completed` flipped"), TaskErrors),
    security(("bearer" = []))
)]
pub async fn toggle_task(
    State(state): State<AppState>,
    owner: TaskOwner,
    TaskId(id): TaskId,
) -> Result<TaskJson, ApiError> {
    let row = state
        .db
        .run(|pool| tasks::toggle(pool, owner.owner(), id))
        .await?;
    found(row).map(|task| TaskJson::task(&task))
}

/// Delete a task.
#[utoipa::path(
    delete, path = "/api/{user_id}/tasks/{id}", tag = "tasks",
    params(TaskPath),
    responses((status = 204, description = "Deleted"), TaskErrors),
    security(("bearer" = []))
)]
pub async fn delete_task(
    State(state): State<AppState>,
    owner: TaskOwner,
    TaskId(id): TaskId,
) -> Result<StatusCode, ApiError> {
    let deleted = state
        .db
        .run(|pool| tasks::delete(pool, owner.owner(), id))
        .await?;
    if deleted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::TaskNotFound)
    }
}
