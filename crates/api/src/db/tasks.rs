//! Queries on the `tasks` table. A task's owner is the pair (identity provider, user id): the
//! same user id issued by two providers is two users. Every statement filters on both, so
//! ownership is enforced by the database itself: another user's task is indistinguishable from
//! a missing one.
//!
//! The SQL is the same text for both engines (both accept `$n` placeholders, `RETURNING`,
//! `ON CONFLICT` and row-value comparison); each statement's arguments are listed once as
//! [`Arg`]s and bound to whichever engine runs it (`statement`).

use serde::{Deserialize, Serialize};
use sqlx::postgres::PgRow;

use super::statement::{Access, Arg, FromSqlite, execute, fetch_all, fetch_optional, numbered};
use super::{DbTime, Pool};

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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskRow {
    pub id: i64,
    pub user_id: String,
    pub title: String,
    pub description: Option<String>,
    pub completed: bool,
    pub created_at: DbTime,
    pub updated_at: DbTime,
}

/// By position, the columns of [`COLUMNS`] in order: a lookup by name is a hash per column
/// and row (~3% of a list request on PostgreSQL).
impl sqlx::FromRow<'_, PgRow> for TaskRow {
    fn from_row(row: &PgRow) -> Result<TaskRow, sqlx::Error> {
        use sqlx::Row;
        Ok(TaskRow {
            id: row.try_get(0)?,
            user_id: row.try_get(1)?,
            title: row.try_get(2)?,
            description: row.try_get(3)?,
            completed: row.try_get(4)?,
            created_at: row.try_get(5)?,
            updated_at: row.try_get(6)?,
        })
    }
}

impl FromSqlite for TaskRow {
    /// The columns of [`COLUMNS`], in order.
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<TaskRow> {
        Ok(TaskRow {
            id: row.get(0)?,
            user_id: row.get(1)?,
            title: row.get(2)?,
            description: row.get(3)?,
            completed: row.get(4)?,
            created_at: row.get(5)?,
            updated_at: row.get(6)?,
        })
    }
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

/// The list statement of `query`'s shape, for PostgreSQL and for SQLite: every shape (sort
/// column × direction × filter × cursor, 24 in all) is written once, not at each request.
fn list_statement(query: &ListQuery) -> (&'static str, &'static str) {
    static STATEMENTS: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    let shape = |key: SortKey, descending: bool, completed: bool, after: bool| {
        let key = match key {
            SortKey::CreatedAt => 0,
            SortKey::UpdatedAt => 1,
            SortKey::Title => 2,
        };
        key * 8 + usize::from(descending) * 4 + usize::from(completed) * 2 + usize::from(after)
    };
    let statements = STATEMENTS.get_or_init(|| {
        let mut statements = vec![(String::new(), String::new()); 24];
        for key in [SortKey::CreatedAt, SortKey::UpdatedAt, SortKey::Title] {
            for descending in [false, true] {
                for completed in [false, true] {
                    for after in [false, true] {
                        let sql = list_sql(&ListQuery {
                            completed: completed.then_some(true),
                            sort: Sort { key, descending },
                            after: after.then(|| After::Text(String::new(), 0)),
                            limit: 0,
                        });
                        statements[shape(key, descending, completed, after)] =
                            (numbered(&sql), sql);
                    }
                }
            }
        }
        statements
    });
    let (sqlite, postgres) = &statements[shape(
        query.sort.key,
        query.sort.descending,
        query.completed.is_some(),
        query.after.is_some(),
    )];
    (postgres, sqlite)
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
    let sql = list_statement(query);
    let mut args = Vec::with_capacity(6);
    args.extend([Arg::Text(owner.provider), Arg::Text(owner.user_id)]);
    if let Some(completed) = query.completed {
        args.push(Arg::Bool(completed));
    }
    match &query.after {
        Some(After::Time(time, id)) => args.extend([Arg::Time(*time), Arg::Int(*id)]),
        Some(After::Text(text, id)) => args.extend([Arg::Text(text), Arg::Int(*id)]),
        None => {}
    }
    args.push(Arg::Int(i64::from(query.limit) + 1));
    fetch_all(pool, sql, &args).await
}

pub async fn get(pool: &Pool, owner: Owner<'_>, id: i64) -> Result<Option<TaskRow>, sqlx::Error> {
    let sql =
        format!("SELECT {COLUMNS} FROM tasks WHERE provider = $1 AND user_id = $2 AND id = $3");
    let args = [
        Arg::Text(owner.provider),
        Arg::Text(owner.user_id),
        Arg::Int(id),
    ];
    fetch_optional(pool, Access::Read, &sql, &args).await
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
    let args = [
        Arg::Text(owner.provider),
        Arg::Text(owner.user_id),
        Arg::Text(&task.title),
        Arg::MaybeText(task.description.as_deref()),
        Arg::Time(now),
        Arg::MaybeText(idempotency.map(|i| i.key.as_str())),
        Arg::MaybeText(idempotency.map(|i| i.fingerprint.as_str())),
    ];
    fetch_optional(pool, Access::Write, &sql, &args).await
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
    let args = [
        Arg::Text(owner.provider),
        Arg::Text(owner.user_id),
        Arg::Text(key),
    ];
    fetch_optional(pool, Access::Read, &sql, &args).await
}

struct Replay {
    task: TaskRow,
    request_fingerprint: Option<String>,
}

impl sqlx::FromRow<'_, PgRow> for Replay {
    fn from_row(row: &PgRow) -> Result<Replay, sqlx::Error> {
        Ok(Replay {
            task: TaskRow::from_row(row)?,
            request_fingerprint: sqlx::Row::try_get(row, 7)?,
        })
    }
}

impl FromSqlite for Replay {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Replay> {
        Ok(Replay {
            task: TaskRow::from_sqlite(row)?,
            request_fingerprint: row.get(7)?,
        })
    }
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
    let args = [
        Arg::Text(owner.provider),
        Arg::Text(owner.user_id),
        Arg::Int(id),
        Arg::MaybeText(changes.title.as_deref()),
        Arg::Bool(changes.description.is_some()),
        Arg::MaybeText(changes.description.as_ref().and_then(Option::as_deref)),
        Arg::MaybeBool(changes.completed),
        Arg::Time(DbTime::now()),
    ];
    fetch_optional(pool, Access::Write, &sql, &args).await
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
    let args = [
        Arg::Text(owner.provider),
        Arg::Text(owner.user_id),
        Arg::Int(id),
        Arg::Time(DbTime::now()),
    ];
    fetch_optional(pool, Access::Write, &sql, &args).await
}

pub async fn delete(pool: &Pool, owner: Owner<'_>, id: i64) -> Result<bool, sqlx::Error> {
    let sql = "DELETE FROM tasks WHERE provider = $1 AND user_id = $2 AND id = $3";
    let args = [
        Arg::Text(owner.provider),
        Arg::Text(owner.user_id),
        Arg::Int(id),
    ];
    Ok(execute(pool, sql, &args).await? > 0)
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
        let args = [
            Arg::Text(provider),
            Arg::Text(UNASSIGNED),
            Arg::Int(ADOPT_BATCH),
        ];
        let adopted = execute(pool, sql, &args).await?;
        total += adopted;
        if adopted < ADOPT_BATCH as u64 {
            return Ok(total);
        }
    }
}

/// How many tasks belong to no provider yet.
pub async fn count_unassigned(pool: &Pool) -> Result<i64, sqlx::Error> {
    let sql = "SELECT count(*) FROM tasks WHERE provider = $1";
    let args = [Arg::Text(UNASSIGNED)];
    let count: Option<Count> = fetch_optional(pool, Access::Read, sql, &args).await?;
    Ok(count.map_or(0, |count| count.0))
}

/// A `count(*)`.
#[derive(sqlx::FromRow)]
struct Count(i64);

impl FromSqlite for Count {
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Count> {
        row.get(0).map(Count)
    }
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
    fn each_list_shape_has_its_own_statement_for_each_engine() {
        let shapes = [
            query(false, None, None),
            query(true, Some(false), Some(After::Text("a".into(), 1))),
            ListQuery {
                sort: Sort {
                    key: SortKey::UpdatedAt,
                    descending: false,
                },
                ..query(false, Some(true), None)
            },
        ];
        for shape in &shapes {
            let (postgres, sqlite) = list_statement(shape);
            assert_eq!(postgres, list_sql(shape));
            assert_eq!(sqlite, numbered(&list_sql(shape)));
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
