//! Database failures: the service starts and stays alive while PostgreSQL refuses
//! it, `/ready` and the task routes say why, and it recovers by itself. Also: replicas
//! migrating the same database at once, and a saturated pool that must not flip readiness.

use reqwest::StatusCode;

use crate::helpers::{Backend, TestApp, TestDatabase, admin_execute, assert_database_unavailable};

/// Makes the test database refuse its role and drops its open sessions.
async fn refuse_logins(database: &TestDatabase) {
    let name = &database.name;
    admin_execute(&[
        &format!("ALTER ROLE \"{name}\" NOLOGIN"),
        &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{name}'"),
    ])
    .await;
}

async fn allow_logins(database: &TestDatabase) {
    admin_execute(&[&format!("ALTER ROLE \"{}\" LOGIN", database.name)]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_starts_while_the_database_refuses_it_and_recovers_alone() {
    let database = TestDatabase::create(Backend::Postgres).await;
    refuse_logins(&database).await;
    let app = TestApp::builder(Backend::Postgres)
        .database(database)
        .no_wait()
        .spawn()
        .await;

    app.assert_live().await;
    let ready = app
        .wait_for_database_reason("not permitted to log in")
        .await;
    assert!(
        ready["reasons"][0]
            .as_str()
            .is_some_and(|r| r.starts_with("database: ")),
        "{ready}"
    );
    let refused = app.get_as("alice", "/api/alice/tasks").await;
    assert!(refused.headers().contains_key("retry-after"));
    let problem = assert_database_unavailable(refused).await;
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("not permitted to log in")),
        "{problem}"
    );

    allow_logins(&app.database).await;
    app.wait_until_ready().await;
    // Migrations ran when the database came back.
    app.create_task("alice", "after recovery").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_while_serving_is_reported_then_recovered() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let before = app.create_task("alice", "before the outage").await;

    refuse_logins(&app.database).await;
    let ready = app
        .wait_for_ready(|status, _| status == StatusCode::SERVICE_UNAVAILABLE)
        .await;
    assert_eq!(ready["checks"]["database"]["status"], "fail", "{ready}");
    assert_database_unavailable(app.get_as("alice", "/api/alice/tasks").await).await;
    app.assert_live().await;

    allow_logins(&app.database).await;
    app.wait_until_ready().await;
    let task = app
        .get_json_as("alice", &format!("/api/alice/tasks/{}", before["id"]))
        .await;
    assert_eq!(task, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_starting_together_apply_each_migration_once() {
    let database = TestDatabase::create(Backend::Postgres).await;
    let url = database.url.clone();
    let replicas = 4;
    let mut apps = Vec::new();
    for _ in 0..replicas {
        let url = url.clone();
        let shared = TestDatabase::create(Backend::Sqlite).await;
        // Each replica has its own scratch files but the same PostgreSQL database.
        apps.push(
            TestApp::builder(Backend::Postgres)
                .database(shared)
                .config(move |config| {
                    config.database.url = secrecy::SecretString::from(url);
                    config.database.kind = backend_api::config::DatabaseKind::Postgres;
                })
                .no_wait()
                .spawn()
                .await,
        );
    }
    for app in &apps {
        app.wait_until_ready().await;
    }
    let mut connection = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
        .await
        .expect("connect");
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&mut connection)
        .await
        .expect("migrations table");
    let files = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../migrations/postgres"
    ))
    .expect("migrations dir")
    .count();
    assert_eq!(applied as usize, files);
    apps[0].create_task("alice", "visible everywhere").await;
    let list = apps[replicas - 1]
        .get_json_as("alice", "/api/alice/tasks")
        .await;
    assert_eq!(list["tasks"].as_array().map(Vec::len), Some(1));
    drop(apps);
    drop(database);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_pool_sheds_requests_without_flipping_readiness() {
    let app = TestApp::builder(Backend::Sqlite)
        .config(|config| {
            config.database.max_connections = 1;
            config.database.acquire_timeout = std::time::Duration::from_secs(1);
        })
        .spawn()
        .await;
    let backend_api::db::Pool::Sqlite(pool) = app.state.db.pool().await.expect("ready") else {
        panic!("SQLite pool expected");
    };
    let held = pool.acquire().await.expect("the only connection");

    assert_database_unavailable(app.get_as("alice", "/api/alice/tasks").await).await;
    // The database itself answers, so this replica stays in the load balancer.
    assert_eq!(app.get("/ready").await.status(), StatusCode::OK);

    drop(held);
    assert_eq!(
        app.get_as("alice", "/api/alice/tasks").await.status(),
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unopenable_sqlite_file_is_reported_not_fatal() {
    let app = TestApp::builder(Backend::Sqlite)
        .config(|config| {
            config.database.url =
                secrecy::SecretString::from("sqlite:///nonexistent-backend-api-dir/tasks.db");
        })
        .no_wait()
        .spawn()
        .await;
    let ready = app
        .wait_for_ready(|status, body| {
            status == StatusCode::SERVICE_UNAVAILABLE
                && body["checks"]["database"]["reason"] != "connecting"
        })
        .await;
    let reason = ready["checks"]["database"]["reason"]
        .as_str()
        .expect("reason");
    assert!(reason.contains("unable to open database file"), "{reason}");
    app.assert_live().await;
}

/// Forwards every connection accepted on `listener` to PostgreSQL at `target` (the database
/// "coming up" at that address once this starts).
async fn forward(listener: tokio::net::TcpListener, target: String) {
    while let Ok((mut inbound, _)) = listener.accept().await {
        let target = target.clone();
        tokio::spawn(async move {
            if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            }
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_before_the_first_connection_wait_for_it_within_the_bound() {
    let database = TestDatabase::create(Backend::Postgres).await;
    let real = url::Url::parse(&database.url).expect("URL");
    let target = format!(
        "{}:{}",
        real.host_str().expect("host"),
        real.port().unwrap_or(5432)
    );
    // An address where nothing listens yet: the database is unreachable when the service starts.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port();
    let mut unreachable = real.clone();
    unreachable.set_host(Some("127.0.0.1")).expect("host");
    unreachable.set_port(Some(port)).expect("port");
    let app = TestApp::builder(Backend::Postgres)
        .database(database)
        .config(move |config| {
            config.database.url = secrecy::SecretString::from(unreachable.to_string());
            // The bound a request waits for the first connection; generous, never reached here.
            config.database.acquire_timeout = std::time::Duration::from_secs(15);
        })
        .no_wait()
        .spawn()
        .await;
    app.assert_live().await;

    // Sent at once, before any connection could be made.
    let early = app
        .as_user("alice", reqwest::Method::POST, "/api/alice/tasks")
        .json(&serde_json::json!({"title": "sent while the database was unreachable"}))
        .send();
    let bring_up = async {
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        // /health never waits for the database.
        app.assert_live().await;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("port still free");
        tokio::spawn(forward(listener, target));
    };
    let (response, ()) = tokio::join!(early, bring_up);
    let response = response.expect("answered");
    assert_eq!(response.status(), StatusCode::CREATED);
    app.wait_until_ready().await;
}
