//! The MCP tools' only way to the tasks: every database call they make is here, as the REST
//! handlers make it, acting for one [`Owner`].
//!
//! Tasks belong to the pair (provider, user id); every query filters on both.

use crate::db::tasks::Owner as TaskOwnerKey;
use crate::db::tasks::{self, Changes, Created, Idempotency, ListQuery, NewTask};
use crate::error::ApiError;
use crate::routes::tasks::{Task, TaskList, found};
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
    let rows = state
        .db
        .run(|pool| tasks::list(pool, owner.key(), query))
        .await?;
    Ok(TaskList::page(rows, query))
}

pub async fn get(state: &AppState, owner: &Owner, id: i64) -> Result<Task, ApiError> {
    found(
        state
            .db
            .run(|pool| tasks::get(pool, owner.key(), id))
            .await?,
    )
}

/// Creates a task; with an idempotency key, a retry returns the first task (`true` = replayed).
pub async fn create(
    state: &AppState,
    owner: &Owner,
    task: &NewTask,
    idempotency: Option<&Idempotency>,
) -> Result<(Task, bool), ApiError> {
    let created = state
        .db
        .run(|pool| tasks::create(pool, owner.key(), task, idempotency))
        .await?;
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
    let row = state
        .db
        .run(|pool| async {
            if changes.is_empty() {
                tasks::get(pool, owner.key(), id).await
            } else {
                tasks::update(pool, owner.key(), id, changes).await
            }
        })
        .await?;
    found(row)
}

pub async fn delete(state: &AppState, owner: &Owner, id: i64) -> Result<(), ApiError> {
    let deleted = state
        .db
        .run(|pool| tasks::delete(pool, owner.key(), id))
        .await?;
    if deleted {
        Ok(())
    } else {
        Err(ApiError::TaskNotFound)
    }
}
