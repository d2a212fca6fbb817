//! A rolling update: three replicas behind nginx share one PostgreSQL database and are
//! restarted one at a time, twice over, while clients read and write through nginx.
//!
//! First round, what Kubernetes does for a pod: the replica leaves the load balancer (nginx
//! reloaded with it marked `down`), gets SIGTERM at once (while the old nginx worker may still
//! have requests on it, which the replica must drain), exits 0, and a new replica on the same
//! port joins once `/ready` says so. Second round, the harsh way: SIGTERM while nginx still sends
//! it traffic, and the new replica gets traffic as soon as it listens; nginx only learns from
//! refused connections and 503s, and passes those requests — POSTs included, safe thanks to
//! their `Idempotency-Key` — to another replica. The three first replicas start together, so
//! their migrations race for the lock. Zero failed requests; every write stored exactly once.

use std::time::Duration;

use crate::support::bounded;
use crate::support::identity::Identity;
use crate::support::nginx::Nginx;
use crate::support::postgres::Database;
use crate::support::service::{Service, ServiceEnv, client_builder, free_port};
use crate::support::traffic::{Api, Load, assert_stored_exactly_once};
use test_support::temp_dir;

const USER: &str = "drill-user";
const REPLICAS: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_restart_behind_nginx_fails_no_request_and_loses_no_task() {
    bounded(async {
        let dir = temp_dir("rolling");
        let database = Database::create("rolling").await;
        let identity = Identity::start().await;
        let env = ServiceEnv::new(&database.url(), &identity)
            .set("SHUTDOWN_DRAIN_SECONDS", "10");
        let ports: Vec<u16> = (0..REPLICAS).map(|_| free_port()).collect();
        let mut replicas: Vec<Service> = ports
            .iter()
            .map(|port| Service::spawn(&env, *port, dir.path(), "replica"))
            .collect();
        for replica in &mut replicas {
            replica.wait_status("/ready", 200).await;
        }
        let nginx = Nginx::start(dir.path(), &ports).await;
        // A new connection per request: a client's idle keep-alive connection closed by nginx's
        // reload would otherwise be a failure of the test client, not of the service.
        let http = client_builder().pool_max_idle_per_host(0).build().expect("HTTP client");
        let api = Api::new(http, &nginx.url(), USER);
        let token = identity.token(USER);

        let writes = Load::writes(3, &api, &token, "rolling");
        let reads = Load::reads(3, &api, std::slice::from_ref(&token));
        tokio::time::sleep(Duration::from_millis(500)).await;
        for leaves_balancer_first in [true, false] {
            for (i, port) in ports.iter().enumerate() {
                if leaves_balancer_first {
                    nginx.reload(Some(*port)).await;
                }
                replicas[i].stop(Duration::from_secs(15)).await;
                replicas[i] = Service::start_ready(&env, *port, dir.path(), "replica").await;
                if leaves_balancer_first {
                    nginx.reload(None).await;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
        let writes = writes.finish().await;
        let reads = reads.finish().await;

        for (kind, tally) in [("writes", &writes), ("reads", &reads)] {
            assert!(tally.ok > 0, "no {kind} got through");
            assert!(
                tally.clean(),
                "{kind} failed during the rolling update: {}\nnginx: {}",
                tally.sample(),
                nginx.error_log()
            );
        }
        let stored = api.titles(&token).await;
        assert_stored_exactly_once(&writes.acknowledged, &stored);
        eprintln!(
            "rolling update, {REPLICAS} replicas restarted twice: {} writes and {} reads, none failed; every task stored once",
            writes.ok, reads.ok
        );
        for replica in &mut replicas {
            replica.stop(Duration::from_secs(15)).await;
        }
        drop(nginx);
        database.remove().await;
    })
    .await;
}
