//! `backend-api migrate`: applies the embedded migrations once and exits (1 on failure,
//! with the database's reason and what to check).

use super::{Outcome, runtime_or_report};
use crate::config::Config;
use crate::db::Database;
use crate::telemetry;

pub fn run(config: Config) -> Outcome {
    let _log = telemetry::init_logging(&config.log);
    let runtime = match runtime_or_report() {
        Ok(runtime) => runtime,
        Err(outcome) => return outcome,
    };
    runtime.block_on(async {
        let db = match Database::new(
            &config.database,
            config.http.request_timeout,
            config.auth.sole_provider().map(str::to_owned),
        ) {
            Ok(db) => db,
            Err(error) => {
                eprintln!("backend-api: DATABASE_URL cannot be used: {error}");
                return Outcome::Usage;
            }
        };
        let result = db.migrate().await;
        let explained = match &result {
            Ok(()) => None,
            Err(error) => Some(db.explain(error).await),
        };
        db.close().await;
        match explained {
            None => {
                eprintln!("backend-api: migrations applied");
                Outcome::Success
            }
            Some(diagnosis) => {
                eprintln!(
                    "backend-api: migration failed: database: {}\n  fix: {}",
                    diagnosis.reason, diagnosis.hint
                );
                Outcome::Failed
            }
        }
    })
}
