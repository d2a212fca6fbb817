//! A known outage, reproduced: after a `helm upgrade` the secret holds a new database
//! password but PostgreSQL still has the old one. The shared test server trusts every local
//! connection, so this module starts a private cluster with SCRAM password authentication.
//! The service must start anyway, say `password authentication failed for user "app"` on
//! `/ready`, and heal by itself once `ALTER ROLE … PASSWORD` makes the two agree.

use test_support::PasswordPostgres;

use crate::helpers::{Backend, TestApp, assert_database_unavailable, execute_at};

/// Runs statements as the cluster's superuser.
async fn superuser(postgres: &PasswordPostgres, statements: &[&str]) {
    let url = postgres.url("postgres", PasswordPostgres::SUPERUSER_PASSWORD, "postgres");
    execute_at(&url, statements).await;
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

    app.wait_for_database_reason("password authentication failed for user \"app\"")
        .await;
    // No crash loop: liveness stays green.
    app.assert_live().await;
    let problem = assert_database_unavailable(app.get_as("alice", "/api/alice/tasks").await).await;
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
    app.wait_for_database_reason("password authentication failed")
        .await;
    superuser(
        &postgres,
        &["ALTER ROLE app PASSWORD 'password-after-upgrade'"],
    )
    .await;
    app.wait_until_ready().await;
}
