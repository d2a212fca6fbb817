//! Seed 002's post-mortem, reproduced: after a `helm upgrade` the secret holds a new database
//! password but PostgreSQL still has the old one. The shared test server trusts every local
//! connection, so this module starts a private cluster with SCRAM password authentication.
//! The service must start anyway, say `password authentication failed for user "app"` on
//! `/ready`, and heal by itself once `ALTER ROLE … PASSWORD` makes the two agree.

use reqwest::{Method, StatusCode};
use test_support::PasswordPostgres;

use crate::helpers::{Backend, TestApp, assert_problem};

/// Runs statements as the cluster's superuser.
async fn superuser(postgres: &PasswordPostgres, statements: &[&str]) {
    use sqlx::Connection;
    let url = postgres.url("postgres", PasswordPostgres::SUPERUSER_PASSWORD, "postgres");
    let mut connection = sqlx::PgConnection::connect(&url)
        .await
        .expect("superuser connects");
    for statement in statements {
        sqlx::query(statement)
            .execute(&mut connection)
            .await
            .unwrap_or_else(|error| panic!("{statement}: {error}"));
    }
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
    superuser(
        &postgres,
        &[
            "CREATE ROLE app LOGIN PASSWORD 'password-before-upgrade'",
            "CREATE DATABASE app OWNER app",
        ],
    )
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
    let health = app
        .client
        .get(app.url("/health"))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        health.status(),
        StatusCode::OK,
        "no crash loop: liveness stays green"
    );
    let response = app
        .as_user("alice", Method::GET, "/api/alice/tasks")
        .send()
        .await
        .expect("sent");
    let problem = assert_problem(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "database_unavailable",
    )
    .await;
    assert!(
        !problem.to_string().contains("password-after-upgrade"),
        "{problem}"
    );

    // The post-mortem's fix, without restarting the service.
    superuser(
        &postgres,
        &["ALTER ROLE app PASSWORD 'password-after-upgrade'"],
    )
    .await;
    app.wait_until_ready().await;
    app.create_task("alice", "after the fix").await;

    // Drift again while serving: open sessions are cut, new ones are refused.
    superuser(
        &postgres,
        &[
            "ALTER ROLE app PASSWORD 'rotated-again'",
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'app'",
        ],
    )
    .await;
    wait_for_reason(&app, "password authentication failed").await;
    superuser(
        &postgres,
        &["ALTER ROLE app PASSWORD 'password-after-upgrade'"],
    )
    .await;
    app.wait_until_ready().await;
}
