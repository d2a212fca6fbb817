//! PostgreSQL goes away while writes run: every connection of the service is killed, repeatedly,
//! and for a while the database refuses new ones — what a restart or a failover of the server
//! looks like from the service. The shared server itself is never restarted (other tests use it):
//! the drill works on a database of its own.
//!
//! Nothing may be lost or doubled: every write answered 2xx is stored, writes that failed are
//! retried with the same `Idempotency-Key` once the database is back (some of them were applied
//! and only their answer was lost) and each is stored exactly once; the service recovers by itself.

use std::time::Duration;

use crate::support::bounded;
use crate::support::identity::Identity;
use crate::support::postgres::Database;
use crate::support::service::{Service, ServiceEnv, client, free_port};
use crate::support::traffic::{Api, Load, assert_stored_exactly_once};
use test_support::temp_dir;

const USER: &str = "drill-writer";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_write_survives_postgres_connection_loss_exactly_once() {
    bounded(async {
        let dir = temp_dir("postgres");
        let database = Database::create("outage").await;
        let identity = Identity::start().await;
        let env = ServiceEnv::new(&database.url(), &identity)
            // Fail fast while the database is away, and reconnect quickly once it is back.
            .set("DATABASE_ACQUIRE_TIMEOUT_SECONDS", "2")
            .set("DATABASE_RECONNECT_MAX_SECONDS", "1");
        let mut service = Service::start_ready(&env, free_port(), dir.path(), "api").await;
        let token = identity.token(USER);
        let api = Api::new(client(), &service.url(""), USER);

        let writes = Load::writes(4, &api, &token, "during");
        let mut killed = 0;
        for round in 0..6 {
            tokio::time::sleep(Duration::from_millis(400)).await;
            killed += database.kill_connections().await;
            if round == 3 {
                // An outage, not just a blip: no new connection for a while.
                database.refuse_connections(true).await;
                killed += database.kill_connections().await;
                tokio::time::sleep(Duration::from_millis(1500)).await;
                database.refuse_connections(false).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut tally = writes.finish().await;
        assert!(killed > 0, "no connection of the service was killed: the fault was not exercised");
        assert!(!tally.acknowledged.is_empty(), "no write got through around the faults");

        // The client's retry queue: every write that failed is sent again, same key and body,
        // until acknowledged. A write whose answer was lost must not be created a second time.
        // One more write after the outage shows the recovery even when none had failed.
        let retried = tally.unacknowledged.len();
        tally.unacknowledged.push("after-outage".to_owned());
        for title in std::mem::take(&mut tally.unacknowledged) {
            let done = api.create_until_acknowledged(&token, &title, Duration::from_secs(20)).await;
            assert!(done, "write {title} never succeeded after the outage\n{}", service.log_tail());
            tally.acknowledged.push(title);
        }

        let stored = api.titles(&token).await;
        assert_stored_exactly_once(&tally.acknowledged, &stored);
        eprintln!(
            "postgres outage: {killed} connections killed; {} writes, all stored exactly once; {retried} \
             retried after failing ({})",
            tally.acknowledged.len(),
            tally.sample()
        );
        service.wait_status("/ready", 200).await;
        service.stop(Duration::from_secs(30)).await;
        database.remove().await;
    })
    .await;
}
