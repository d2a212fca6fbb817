//! [`DbError`]: how a request's database call fails, and [`Database::run`], the one way request
//! handlers (REST and MCP) reach the pool. Handlers use `?`: the error converts into `ApiError`,
//! which logs the whole cause chain in one place.

use std::future::Future;

use super::{Database, Pool};

/// A database call that failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database cannot be used now (not connected, down); the reason is safe to show.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The query itself failed; the cause is kept for the log.
    #[error("database query failed")]
    Query(#[source] sqlx::Error),
}

impl Database {
    /// Runs `query` on the pool. A database that is not usable, or a query failing because the
    /// connection did (which wakes the supervisor, see [`Database::report`]), is
    /// [`DbError::Unavailable`]; any other failure is [`DbError::Query`].
    pub async fn run<'a, T, F, Fut>(&'a self, query: F) -> Result<T, DbError>
    where
        F: FnOnce(&'a Pool) -> Fut,
        Fut: Future<Output = Result<T, sqlx::Error>>,
    {
        let pool = self
            .pool()
            .await
            .map_err(|unavailable| DbError::Unavailable(unavailable.reason))?;
        query(pool).await.map_err(|error| self.classify(error))
    }

    /// Sorts a query's error into unavailable (503) or the query's own (500).
    fn classify(&self, error: sqlx::Error) -> DbError {
        match self.report(&error) {
            Some(diagnosis) => DbError::Unavailable(diagnosis.reason),
            None => DbError::Query(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;

    #[test]
    fn a_query_error_keeps_its_cause_for_the_log() {
        let error = ApiError::from(DbError::Query(sqlx::Error::RowNotFound));
        let ApiError::Internal(cause) = &error else {
            panic!("a query error is internal: {error:?}");
        };
        let chain = format!("{cause:#}");
        assert!(
            chain.contains("database query failed") && chain.contains("no rows returned"),
            "{chain}"
        );
        let unavailable = ApiError::from(DbError::Unavailable("connecting".to_owned()));
        assert!(
            matches!(&unavailable, ApiError::DatabaseUnavailable(reason) if reason == "connecting"),
            "{unavailable:?}"
        );
    }
}
