//! PostgreSQL connections that died while idle in the pool (a server restart, a proxy or
//! firewall dropping quiet connections): the next request must still be answered, from a fresh
//! connection, and the database must not be reported down. The pool pings a connection before
//! use only when it has been idle for a while (a ping per request would be a round trip per
//! request); this drill is the case that ping exists for.

use std::time::Duration;

use reqwest::StatusCode;

use crate::support::bounded;
use crate::support::identity::Identity;
use crate::support::postgres::Database;
use crate::support::service::{Service, ServiceEnv, client, free_port};
use crate::support::traffic::{Api, Failure};
use test_support::temp_dir;

const USER: &str = "idle-user";
/// Longer than the pool's idle threshold for a ping before use (one second).
const IDLE_MS: u32 = 1_500;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_killed_while_idle_are_replaced_without_a_failed_request() {
    bounded(async {
        let dir = temp_dir("idle-connections");
        let database = Database::create("idle").await;
        let identity = Identity::start().await;
        let env = ServiceEnv::new(&database.url(), &identity);
        let service = Service::start_ready(&env, free_port(), dir.path(), "api").await;
        let token = identity.token(USER);
        let api = Api::new(client(), &service.url(""), USER);
        assert!(api.create(&token, "before").await.result.is_ok());

        for round in 0..3 {
            // Wait until every connection of the service is idle long enough, then kill them.
            let mut killed = 0;
            for _ in 0..200 {
                killed = database.kill_connections_idle_for(IDLE_MS).await;
                if killed > 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert!(
                killed > 0,
                "round {round}: the service's connections never went idle"
            );
            let title = format!("after-kill-{round}");
            let failed = match api.create(&token, &title).await.result {
                Ok(()) => None,
                Err(Failure::Answer(what) | Failure::Transport(what)) => Some(what),
            };
            assert!(
                failed.is_none(),
                "round {round}: the first write after idle connections died: {failed:?}\n{}",
                service.log_tail()
            );
            let ready = client()
                .get(service.url("/ready"))
                .send()
                .await
                .expect("/ready");
            assert_eq!(ready.status(), StatusCode::OK, "round {round}: /ready");
        }
        database.remove().await;
    })
    .await;
}
