//! SIGKILL right after a write was answered: the process gets no chance to flush or close
//! anything, so a `201` must mean the task is already committed to the database. Checked on
//! SQLite (WAL) and PostgreSQL, with writers still running when the kill lands.
//!
//! The kill follows the `201` of a sequential create at once (no await in between), so that
//! write is the last thing the service acknowledged. A fresh process on the same database then
//! lists every task: each acknowledged write is there exactly once, and nothing is there that no
//! request tried to create (a write cut by the kill may be stored or not; both are fine).

use std::collections::HashMap;
use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use crate::support::bounded;
use crate::support::identity::Identity;
use crate::support::postgres::Database;
use crate::support::service::{Service, ServiceEnv, client, free_port};
use crate::support::traffic::{Api, Load};
use test_support::{TempDir, temp_dir};

const USER: &str = "sigkill-user";
/// Sequential creates acknowledged before the one the kill follows.
const BEFORE_KILL: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_every_acknowledged_write_across_sigkill() {
    bounded(async {
        let dir = temp_dir("sigkill-sqlite");
        let database = format!("sqlite://{}/tasks.db", dir.path().display());
        kill_after_writes(&dir, &database).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keeps_every_acknowledged_write_across_sigkill() {
    bounded(async {
        let dir = temp_dir("sigkill-postgres");
        let database = Database::create("sigkill").await;
        kill_after_writes(&dir, &database.url()).await;
        database.remove().await;
    })
    .await;
}

async fn kill_after_writes(dir: &TempDir, database: &str) {
    let identity = Identity::start().await;
    let env = ServiceEnv::new(database, &identity);
    let port = free_port();
    let mut service = Service::start_ready(&env, port, dir.path(), "api").await;
    let token = identity.token(USER);
    let api = Api::new(client(), &service.url(""), USER);

    let writers = Load::writes(4, &api, &token, "background");
    let mut acknowledged = Vec::new();
    let mut attempted = Vec::new();
    let mut sequence = 0;
    loop {
        let title = format!("sequential-{sequence}");
        sequence += 1;
        attempted.push(title.clone());
        let step = api.create(&token, &title).await;
        if step.result.is_ok() {
            acknowledged.push(title);
            if acknowledged.len() > BEFORE_KILL {
                // Nothing between the answer and the kill: the write just acknowledged is
                // the one most likely to sit in a buffer, if anything does.
                service.sigkill();
                break;
            }
        }
        assert!(
            sequence < 10 * BEFORE_KILL,
            "creates keep failing\n{}",
            service.log_tail()
        );
    }
    let (status, _) = service.wait_exit(Duration::from_secs(10)).await;
    assert_eq!(status.signal(), Some(9), "killed by SIGKILL: {status}");
    let background = writers.finish().await;
    assert!(
        background.ok > 0,
        "no background write was acknowledged before the kill"
    );
    acknowledged.extend(background.acknowledged);
    attempted.extend(acknowledged.iter().cloned());
    attempted.extend(background.unacknowledged);

    let service = Service::start_ready(&env, port, dir.path(), "api-after").await;
    let stored = Api::new(client(), &service.url(""), USER)
        .titles(&token)
        .await;
    assert_acknowledged_kept(&acknowledged, &attempted, &stored);
    eprintln!(
        "sigkill: {} acknowledged writes kept, {} stored in all",
        acknowledged.len(),
        stored.len()
    );
}

/// Every acknowledged title stored once; no stored title that no request tried to create.
fn assert_acknowledged_kept(
    acknowledged: &[String],
    attempted: &[String],
    stored: &HashMap<String, usize>,
) {
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|t| !stored.contains_key(*t))
        .collect();
    assert!(
        lost.is_empty(),
        "acknowledged writes lost after SIGKILL: {lost:?}"
    );
    let twice: Vec<_> = stored.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "writes stored more than once: {twice:?}");
    let unknown: Vec<&String> = stored.keys().filter(|t| !attempted.contains(t)).collect();
    assert!(unknown.is_empty(), "tasks nobody created: {unknown:?}");
}
