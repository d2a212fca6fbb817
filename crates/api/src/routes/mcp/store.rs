//! The MCP tools' only way to the tasks: every database call they make is here, as the REST
//! handlers make it, acting for one [`Owner`].
//!
//! Tasks belong to the pair (provider, user id); every query filters on both.

use crate::db::tasks::Owner as TaskOwnerKey;
use crate::db::tasks::{self, Changes, Created, Idempotency, ListQuery, NewTask};
use crate::error::ApiError;
use crate::routes::tasks::{Task, TaskList, database_error, pool, query};
use crate::state::AppState;

/// The verified caller the tools act for.
#[derive(Clone, Debug)]
pub struct Owner {
    pub provider: String,
    pub user_id: String,
}

impl Owner {
    /// The (provider, user id) pair the queries filter on.
    fn key(&self) -> TaskOwnerKey<'_> {
        TaskOwnerKey {
            provider: &self.provider,
            user_id: &self.user_id,
        }
    }
}

pub async fn list(
    state: &AppState,
    owner: &Owner,
    query: &ListQuery,
) -> Result<TaskList, ApiError> {
    let mut rows = tasks::list(pool(state).await?, owner.key(), query)
        .await
        .map_err(|error| database_error(&state.db, error))?;
    let more = rows.len() > query.limit as usize;
    rows.truncate(query.limit as usize);
    let next_cursor = match rows.last() {
        Some(last) if more => Some(query::next_cursor(query.sort, last)),
        _ => None,
    };
    Ok(TaskList {
        tasks: rows.into_iter().map(Task::from).collect(),
        next_cursor,
    })
}

pub async fn get(state: &AppState, owner: &Owner, id: i64) -> Result<Task, ApiError> {
    found(state, tasks::get(pool(state).await?, owner.key(), id).await)
}

/// Creates a task; with an idempotency key, a retry returns the first task (`true` = replayed).
pub async fn create(
    state: &AppState,
    owner: &Owner,
    task: &NewTask,
    idempotency: Option<&Idempotency>,
) -> Result<(Task, bool), ApiError> {
    let created = tasks::create(pool(state).await?, owner.key(), task, idempotency)
        .await
        .map_err(|error| database_error(&state.db, error))?;
    match created {
        Created::New(row) => Ok((row.into(), false)),
        Created::Replayed(row) => Ok((row.into(), true)),
        Created::KeyReused => Err(ApiError::IdempotencyKeyReused),
    }
}

/// Applies `changes`; no change at all leaves the task (and its `updated_at`) as it is.
pub async fn update(
    state: &AppState,
    owner: &Owner,
    id: i64,
    changes: &Changes,
) -> Result<Task, ApiError> {
    let pool = pool(state).await?;
    let result = if changes.is_empty() {
        tasks::get(pool, owner.key(), id).await
    } else {
        tasks::update(pool, owner.key(), id, changes).await
    };
    found(state, result)
}

pub async fn delete(state: &AppState, owner: &Owner, id: i64) -> Result<(), ApiError> {
    match tasks::delete(pool(state).await?, owner.key(), id).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(ApiError::TaskNotFound),
        Err(error) => Err(database_error(&state.db, error)),
    }
}

fn found(
    state: &AppState,
    result: Result<Option<tasks::TaskRow>, sqlx::Error>,
) -> Result<Task, ApiError> {
    match result {
        Ok(Some(row)) => Ok(row.into()),
        Ok(None) => Err(ApiError::TaskNotFound),
        Err(error) => Err(database_error(&state.db, error)),
    }
}
