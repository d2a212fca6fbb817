//! Queries on the `tasks` table. A task's owner is the pair (identity provider, user id): the
//! same user id issued by two providers is two users. Every statement filters on both, so
//! ownership is enforced by the database itself: another user's task is indistinguishable from
//! a missing one.
//!
//! The SQL is the same text for both engines (both accept `$n` placeholders, `RETURNING`,
//! `ON CONFLICT` and row-value comparison); `on_pool!` type-checks each body once per engine.

use serde::{Deserialize, Serialize};

use super::{DbTime, Pool};

/// Runs `$body` with `$pool` bound to the concrete pool of either engine.
macro_rules! on_pool {
    ($pool:expr, $name:ident => $body:expr) => {
        match $pool {
            Pool::Postgres($name) => $body,
            Pool::Sqlite($name) => $body,
        }
    };
}

/// Who a task belongs to: the provider that verified the token and the user id it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owner<'a> {
    pub provider: &'a str,
    pub user_id: &'a str,
}

/// `provider` of tasks written before tasks had one; see [`adopt_unassigned`].
pub const UNASSIGNED: &str = "";

const COLUMNS: &str = "id, user_id, title, description, completed, created_at, updated_at";

/// One stored task.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct TaskRow {
    pub id: i64,
    pub user_id: String,
    pub title: String,
    pub description: Option<String>,
    pub completed: bool,
    pub created_at: DbTime,
    pub updated_at: DbTime,
}

/// Column a list is ordered by; `id` breaks ties so the order is total.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortKey {
    #[serde(rename = "c")]
    CreatedAt,
    #[serde(rename = "u")]
    UpdatedAt,
    #[serde(rename = "t")]
    Title,
}

impl SortKey {
    fn column(self) -> &'static str {
        match self {
            SortKey::CreatedAt => "created_at",
            SortKey::UpdatedAt => "updated_at",
            SortKey::Title => "title",
        }
    }
}

/// `sort=` of the list route: a column and a direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

/// The position after which the next page starts: the last row's sort value and id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum After {
    Time(DbTime, i64),
    Text(String, i64),
}

/// A list request, already validated.
#[derive(Clone, Debug)]
pub struct ListQuery {
    pub completed: Option<bool>,
    pub sort: Sort,
    pub after: Option<After>,
    /// Rows to return; one more is fetched to learn whether a next page exists.
    pub limit: u32,
}

/// Fields of a new task, already validated.
#[derive(Clone, Debug)]
pub struct NewTask {
    pub title: String,
    pub description: Option<String>,
}

/// `Idempotency-Key` of a create and a fingerprint of its body.
#[derive(Clone, Debug)]
pub struct Idempotency {
    pub key: String,
    pub fingerprint: String,
}

/// Result of a create.
#[derive(Debug)]
pub enum Created {
    New(TaskRow),
    /// The same key and body were seen before: this is the task that request created.
    Replayed(TaskRow),
    /// The key was used before with a different body.
    KeyReused,
}

/// Changes to a task; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct Changes {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub completed: Option<bool>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.title.is_none() && self.description.is_none() && self.completed.is_none()
    }
}

/// `SELECT … WHERE provider = $1 AND user_id = $2 [AND completed = $n] [AND (key, id) > ($n, $n+1)] ORDER BY … LIMIT $n`.
fn list_sql(query: &ListQuery) -> String {
    let column = query.sort.key.column();
    let (direction, comparison) = if query.sort.descending {
        ("DESC", "<")
    } else {
        ("ASC", ">")
    };
    let mut sql = format!("SELECT {COLUMNS} FROM tasks WHERE provider = $1 AND user_id = $2");
    let mut next = 3;
    if query.completed.is_some() {
        sql.push_str(&format!(" AND completed = ${next}"));
        next += 1;
    }
    if query.after.is_some() {
        sql.push_str(&format!(
            " AND ({column}, id) {comparison} (${next}, ${})",
            next + 1
        ));
        next += 2;
    }
    sql.push_str(&format!(
        " ORDER BY {column} {direction}, id {direction} LIMIT ${next}"
    ));
    sql
}

pub async fn list(
    pool: &Pool,
    owner: Owner<'_>,
    query: &ListQuery,
) -> Result<Vec<TaskRow>, sqlx::Error> {
    let sql = list_sql(query);
    let fetch = i64::from(query.limit) + 1;
    on_pool!(pool, pool => {
        let mut statement = sqlx::query_as::<_, TaskRow>(&sql)
            .bind(owner.provider)
            .bind(owner.user_id);
        if let Some(completed) = query.completed {
            statement = statement.bind(completed);
        }
        statement = match &query.after {
            Some(After::Time(time, id)) => statement.bind(*time).bind(*id),
            Some(After::Text(text, id)) => statement.bind(text.as_str()).bind(*id),
            None => statement,
        };
        statement.bind(fetch).fetch_all(pool).await
    })
}

pub async fn get(pool: &Pool, owner: Owner<'_>, id: i64) -> Result<Option<TaskRow>, sqlx::Error> {
    let sql =
        format!("SELECT {COLUMNS} FROM tasks WHERE provider = $1 AND user_id = $2 AND id = $3");
    on_pool!(pool, pool => {
        sqlx::query_as::<_, TaskRow>(&sql)
            .bind(owner.provider)
            .bind(owner.user_id)
            .bind(id)
            .fetch_optional(pool)
            .await
    })
}

pub async fn create(
    pool: &Pool,
    owner: Owner<'_>,
    task: &NewTask,
    idempotency: Option<&Idempotency>,
) -> Result<Created, sqlx::Error> {
    // Two rounds at most: a conflicting task deleted between the two statements frees its key.
    for _ in 0..2 {
        if let Some(row) = insert(pool, owner, task, idempotency).await? {
            return Ok(Created::New(row));
        }
        // Only a conflicting idempotency key makes the insert return nothing.
        let Some(idempotency) = idempotency else {
            return Err(sqlx::Error::RowNotFound);
        };
        if let Some(earlier) = by_idempotency_key(pool, owner, &idempotency.key).await? {
            return Ok(
                if earlier.request_fingerprint.as_deref() == Some(idempotency.fingerprint.as_str())
                {
                    Created::Replayed(earlier.task)
                } else {
                    Created::KeyReused
                },
            );
        }
    }
    Err(sqlx::Error::RowNotFound)
}

async fn insert(
    pool: &Pool,
    owner: Owner<'_>,
    task: &NewTask,
    idempotency: Option<&Idempotency>,
) -> Result<Option<TaskRow>, sqlx::Error> {
    let sql = format!(
        "INSERT INTO tasks (provider, user_id, title, description, completed, created_at, updated_at, owner_idempotency_key, request_fingerprint) \
         VALUES ($1, $2, $3, $4, FALSE, $5, $5, $6, $7) \
         ON CONFLICT (provider, user_id, owner_idempotency_key) DO NOTHING RETURNING {COLUMNS}"
    );
    let now = DbTime::now();
    let key = idempotency.map(|i| i.key.as_str());
    let fingerprint = idempotency.map(|i| i.fingerprint.as_str());
    on_pool!(pool, pool => {
        sqlx::query_as::<_, TaskRow>(&sql)
            .bind(owner.provider)
            .bind(owner.user_id)
            .bind(task.title.as_str())
            .bind(task.description.as_deref())
            .bind(now)
            .bind(key)
            .bind(fingerprint)
            .fetch_optional(pool)
            .await
    })
}

async fn by_idempotency_key(
    pool: &Pool,
    owner: Owner<'_>,
    key: &str,
) -> Result<Option<Replay>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS}, request_fingerprint FROM tasks \
         WHERE provider = $1 AND user_id = $2 AND owner_idempotency_key = $3"
    );
    on_pool!(pool, pool => {
        sqlx::query_as::<_, Replay>(&sql)
            .bind(owner.provider)
            .bind(owner.user_id)
            .bind(key)
            .fetch_optional(pool)
            .await
    })
}

#[derive(sqlx::FromRow)]
struct Replay {
    #[sqlx(flatten)]
    task: TaskRow,
    request_fingerprint: Option<String>,
}

pub async fn update(
    pool: &Pool,
    owner: Owner<'_>,
    id: i64,
    changes: &Changes,
) -> Result<Option<TaskRow>, sqlx::Error> {
    let sql = format!(
        "UPDATE tasks SET title = COALESCE($4, title), \
         description = CASE WHEN $5 THEN $6 ELSE description END, \
         completed = COALESCE($7, completed), updated_at = $8 \
         WHERE provider = $1 AND user_id = $2 AND id = $3 RETURNING {COLUMNS}"
    );
    let set_description = changes.description.is_some();
    let description = changes.description.clone().flatten();
    let now = DbTime::now();
    on_pool!(pool, pool => {
        sqlx::query_as::<_, TaskRow>(&sql)
            .bind(owner.provider)
            .bind(owner.user_id)
            .bind(id)
            .bind(changes.title.as_deref())
            .bind(set_description)
            .bind(description.as_deref())
            .bind(changes.completed)
            .bind(now)
            .fetch_optional(pool)
            .await
    })
}

pub async fn toggle(
    pool: &Pool,
    owner: Owner<'_>,
    id: i64,
) -> Result<Option<TaskRow>, sqlx::Error> {
    let sql = format!(
        "UPDATE tasks SET completed = NOT completed, updated_at = $4 \
         WHERE provider = $1 AND user_id = $2 AND id = $3 RETURNING {COLUMNS}"
    );
    let now = DbTime::now();
    on_pool!(pool, pool => {
        sqlx::query_as::<_, TaskRow>(&sql)
            .bind(owner.provider)
            .bind(owner.user_id)
            .bind(id)
            .bind(now)
            .fetch_optional(pool)
            .await
    })
}

pub async fn delete(pool: &Pool, owner: Owner<'_>, id: i64) -> Result<bool, sqlx::Error> {
    let sql = "DELETE FROM tasks WHERE provider = $1 AND user_id = $2 AND id = $3";
    let affected = on_pool!(pool, pool => {
        sqlx::query(sql)
            .bind(owner.provider)
            .bind(owner.user_id)
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(affected > 0)
}

/// Rows assigned per statement, so a large table never holds one long transaction (or runs
/// into the statement timeout).
const ADOPT_BATCH: i64 = 5_000;

/// Gives every task without a provider (written before tasks had one, or by a replica of that
/// version still running during a rolling update) to `provider`, its Idempotency-Key with it;
/// returns how many. A task whose key that owner already holds keeps only the old column's
/// copy (read by the previous version alone): the task moves, the duplicate key does not.
pub async fn adopt_unassigned(pool: &Pool, provider: &str) -> Result<u64, sqlx::Error> {
    let sql = "UPDATE tasks SET provider = $1, \
         owner_idempotency_key = CASE WHEN EXISTS (SELECT 1 FROM tasks AS held \
             WHERE held.provider = $1 AND held.user_id = tasks.user_id \
             AND held.owner_idempotency_key = tasks.idempotency_key) THEN NULL ELSE idempotency_key END \
         WHERE id IN (SELECT id FROM tasks WHERE provider = $2 LIMIT $3)";
    let mut total = 0;
    loop {
        let adopted = on_pool!(pool, pool => {
            sqlx::query(sql)
                .bind(provider)
                .bind(UNASSIGNED)
                .bind(ADOPT_BATCH)
                .execute(pool)
                .await?
                .rows_affected()
        });
        total += adopted;
        if adopted < ADOPT_BATCH as u64 {
            return Ok(total);
        }
    }
}

/// How many tasks belong to no provider yet.
pub async fn count_unassigned(pool: &Pool) -> Result<i64, sqlx::Error> {
    let sql = "SELECT count(*) FROM tasks WHERE provider = $1";
    on_pool!(pool, pool => {
        sqlx::query_scalar::<_, i64>(sql).bind(UNASSIGNED).fetch_one(pool).await
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(descending: bool, completed: Option<bool>, after: Option<After>) -> ListQuery {
        ListQuery {
            completed,
            sort: Sort {
                key: SortKey::Title,
                descending,
            },
            after,
            limit: 10,
        }
    }

    #[test]
    fn list_sql_numbers_only_the_parameters_it_binds() {
        assert_eq!(
            list_sql(&query(false, None, None)),
            format!(
                "SELECT {COLUMNS} FROM tasks WHERE provider = $1 AND user_id = $2 ORDER BY title ASC, id ASC LIMIT $3"
            )
        );
        assert_eq!(
            list_sql(&query(true, Some(true), Some(After::Text("a".into(), 1)))),
            format!(
                "SELECT {COLUMNS} FROM tasks WHERE provider = $1 AND user_id = $2 AND completed = $3 \
                 AND (title, id) < ($4, $5) ORDER BY title DESC, id DESC LIMIT $6"
            )
        );
    }
}
