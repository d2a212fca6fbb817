//! Seed 002's post-mortem, reproduced: after a `helm upgrade` the secret holds a new database
//! password but PostgreSQL still has the old one. The shared test server trusts every local
//! connection, so this module starts a private cluster with SCRAM password authentication.
//! The service must start anyway, say `password authentication failed for user "app"` on
//! `/ready`, and heal by itself once `ALTER ROLE … PASSWORD` makes the two agree.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use reqwest::{Method, StatusCode};

use crate::helpers::{Backend, TestApp, assert_problem};

/// A throwaway PostgreSQL cluster on 127.0.0.1 with password authentication; removed on drop.
struct PasswordPostgres {
    port: u16,
    dir: PathBuf,
    bin: PathBuf,
}

const SUPERUSER_PASSWORD: &str = "superuser-password";

impl PasswordPostgres {
    fn start() -> PasswordPostgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL server installed under /usr/lib/postgresql (Debian layout)")
            .filter_map(Result::ok)
            .map(|entry| entry.path().join("bin"))
            .filter(|bin| bin.join("initdb").exists())
            .max()
            .expect("an initdb under /usr/lib/postgresql/*/bin");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("free port")
            .port();
        let dir = std::env::temp_dir().join(format!("backend-api-pg-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("cluster dir");
        std::fs::write(dir.join("pw"), SUPERUSER_PASSWORD).expect("password file");
        let server = PasswordPostgres { port, dir, bin };
        if running_as_root() {
            server.run(Command::new("chown").args(["-R", "postgres", &server.path("")]));
        }
        server.run(server.tool("initdb").args([
            "-D",
            &server.path("data"),
            "-U",
            "postgres",
            "-A",
            "scram-sha-256",
            "-N",
            &format!("--pwfile={}", server.path("pw")),
        ]));
        let options = format!("-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", server.path(""));
        server.run(server.tool("pg_ctl").args([
            "-D",
            &server.path("data"),
            "-o",
            &options,
            "-l",
            &server.path("log"),
            "-w",
            "start",
        ]));
        server
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    /// A server program, as user `postgres` when the tests run as root (initdb refuses root).
    fn tool(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        let mut command = if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        command.stdout(Stdio::null()).stderr(Stdio::null());
        command
    }

    fn run(&self, command: &mut Command) {
        let status = command.status().unwrap_or_else(|error| panic!("{command:?}: {error}"));
        assert!(status.success(), "{command:?} failed; see {}", self.path("log"));
    }

    fn url(&self, user: &str, password: &str, database: &str) -> String {
        format!("postgres://{user}:{password}@127.0.0.1:{}/{database}", self.port)
    }

    async fn superuser(&self, statements: &[&str]) {
        use sqlx::Connection;
        let url = self.url("postgres", SUPERUSER_PASSWORD, "postgres");
        let mut connection = sqlx::PgConnection::connect(&url).await.expect("superuser connects");
        for statement in statements {
            sqlx::query(statement)
                .execute(&mut connection)
                .await
                .unwrap_or_else(|error| panic!("{statement}: {error}"));
        }
    }
}

impl Drop for PasswordPostgres {
    fn drop(&mut self) {
        let _ = self
            .tool("pg_ctl")
            .args(["-D", &self.path("data"), "-m", "immediate", "-w", "stop"])
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

async fn wait_for_reason(app: &TestApp, needle: &str) {
    app.wait_for_ready(|status, body| {
        status == StatusCode::SERVICE_UNAVAILABLE
            && body["checks"]["database"]["reason"]
                .as_str()
                .is_some_and(|reason| reason.contains(needle))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_drift_is_reported_and_heals_after_alter_role() {
    let postgres = PasswordPostgres::start();
    postgres
        .superuser(&[
            "CREATE ROLE app LOGIN PASSWORD 'password-before-upgrade'",
            "CREATE DATABASE app OWNER app",
        ])
        .await;
    // The secret was regenerated; the database kept the old password.
    let url = postgres.url("app", "password-after-upgrade", "app");
    let app = TestApp::builder(Backend::Sqlite)
        .config(move |config| {
            config.database.url = secrecy::SecretString::from(url);
            config.database.kind = backend_api::config::DatabaseKind::Postgres;
        })
        .no_wait()
        .spawn()
        .await;

    wait_for_reason(&app, "password authentication failed for user \"app\"").await;
    let health = app.client.get(app.url("/health")).send().await.expect("sent");
    assert_eq!(health.status(), StatusCode::OK, "no crash loop: liveness stays green");
    let response = app.as_user("alice", Method::GET, "/api/alice/tasks").send().await.expect("sent");
    let problem = assert_problem(response, StatusCode::SERVICE_UNAVAILABLE, "database_unavailable").await;
    assert!(!problem.to_string().contains("password-after-upgrade"), "{problem}");

    // The post-mortem's fix, without restarting the service.
    postgres.superuser(&["ALTER ROLE app PASSWORD 'password-after-upgrade'"]).await;
    app.wait_until_ready().await;
    app.create_task("alice", "after the fix").await;

    // Drift again while serving: open sessions are cut, new ones are refused.
    postgres
        .superuser(&[
            "ALTER ROLE app PASSWORD 'rotated-again'",
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'app'",
        ])
        .await;
    wait_for_reason(&app, "password authentication failed").await;
    postgres.superuser(&["ALTER ROLE app PASSWORD 'password-after-upgrade'"]).await;
    app.wait_until_ready().await;
}
