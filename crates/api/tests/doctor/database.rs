use std::time::Duration;

use test_support::PasswordPostgres;

use crate::helpers::{BlackHole, Doctor, closed_port};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_database_password_is_db_auth_failed_with_the_seed_fix() {
    // A known outage: after `helm upgrade` rotated the secret, the database kept the old password:
    // `password authentication failed for user "docs"`. A private cluster with SCRAM authentication
    // plays the database (the shared test server trusts loopback and would accept any password).
    let postgres = PasswordPostgres::start();
    let report = Doctor::new(&[])
        .env(
            "DATABASE_URL",
            postgres.url("postgres", "rotated-by-helm", "postgres"),
        )
        .json()
        .await;
    let finding = report.expect("db_auth_failed", "fail");
    let observed = finding["observed"].as_str().expect("observed");
    assert!(
        observed.contains("password authentication failed for user \"postgres\""),
        "{observed}"
    );
    assert!(
        !observed.contains("rotated-by-helm"),
        "the password is never printed"
    );
    let fix = finding["fix"].as_str().expect("fix");
    assert!(
        fix.contains("ALTER ROLE") && fix.contains("pin the password"),
        "{fix}"
    );
    assert_eq!(report.exit(), 1);

    // Same server, right password: the database answers, migrations not applied yet.
    let report = Doctor::new(&[])
        .env(
            "DATABASE_URL",
            postgres.url("postgres", PasswordPostgres::SUPERUSER_PASSWORD, "postgres"),
        )
        .json()
        .await;
    report.expect("db_migrations_pending", "warn");
    assert!(!report.has("db_auth_failed"));
    assert_eq!(report.exit(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_down_is_db_unreachable() {
    let port = closed_port().await;
    let report = Doctor::new(&[])
        .env(
            "DATABASE_URL",
            format!("postgres://postgres:pw@127.0.0.1:{port}/postgres"),
        )
        .json()
        .await;
    let finding = report.expect("db_unreachable", "fail");
    assert!(
        finding["observed"]
            .as_str()
            .is_some_and(|o| !o.contains(":pw@"))
    );
    assert_eq!(report.exit(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_dropping_packets_is_db_unreachable_within_the_timeout() {
    // A NetworkPolicy without the database port: connection attempts vanish; --timeout still bounds
    // the run.
    let hole = BlackHole::open().await;
    let report = Doctor::new(&[])
        .env(
            "DATABASE_URL",
            format!("postgres://postgres@{}/postgres", hole.addr),
        )
        .json_args(&["--timeout", "2"])
        .await;
    let finding = report.expect("db_unreachable", "fail");
    assert!(
        finding["fix"]
            .as_str()
            .is_some_and(|f| f.contains("NetworkPolicy"))
    );
    assert!(
        report.outcome.elapsed < Duration::from_secs(10),
        "{:?}",
        report.outcome.elapsed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrated_sqlite_database_is_db_ok() {
    let doctor = Doctor::new(&[]);
    let url = format!("sqlite://{}/tasks.db", doctor.dir().display());
    let migrate = std::process::Command::new(env!("CARGO_BIN_EXE_backend-api"))
        .arg("migrate")
        .env_clear()
        .env("DATABASE_URL", &url)
        .env("LOG_FORMAT", "json")
        .current_dir(doctor.dir())
        .output()
        .expect("run migrate");
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    let report = doctor.env("DATABASE_URL", url).json().await;
    let finding = report.expect("db_ok", "ok");
    assert!(
        finding["observed"]
            .as_str()
            .is_some_and(|o| o.contains("migration(s) applied"))
    );
}
