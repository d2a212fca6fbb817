//! A user is the pair (identity provider, user id): the same `sub` from two providers is two
//! users who never see each other's tasks, on every route. Upgrading a database written by the
//! schema before providers owned tasks keeps each task reachable by its owner (one provider
//! configured) and gives them to nobody while several providers could claim them.

use std::path::PathBuf;
use std::str::FromStr;

use backend_api_auth::{KeySource, ProviderConfig};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;
use sqlx::migrate::Migrator;
use test_support::{JwksServer, TestKey, claims, jwks, now};

use crate::helpers::{AUDIENCE, Backend, TestApp, TestDatabase};

crate::on_both_backends!(
    the_same_user_id_from_two_providers_is_two_users,
    idempotency_keys_are_scoped_per_provider_user,
    upgrade_keeps_tasks_reachable_by_their_owner,
    upgrade_with_several_providers_gives_old_tasks_to_nobody,
    upgrade_assigns_a_large_table_completely,
);

const OTHER_ISSUER: &str = "https://other-idp.test.example";

/// A second identity provider on its own JWKS server, issuing tokens with the same user ids.
struct OtherProvider {
    key: TestKey,
    _jwks: JwksServer,
    config: ProviderConfig,
}

impl OtherProvider {
    async fn start() -> OtherProvider {
        let key = TestKey::generate("RS256");
        let server = JwksServer::start(jwks(&[&key])).await;
        let mut config = ProviderConfig::new(
            "other-idp",
            OTHER_ISSUER,
            KeySource::JwksUrl(server.jwks_url().parse().expect("JWKS URL")),
        );
        config.audiences = Some(vec![AUDIENCE.to_owned()]);
        OtherProvider {
            key,
            _jwks: server,
            config,
        }
    }

    fn token(&self, user: &str) -> String {
        self.key.sign(&claims(OTHER_ISSUER, AUDIENCE, user, now()))
    }

    fn request(&self, app: &TestApp, user: &str, method: Method, path: &str) -> RequestBuilder {
        app.client
            .request(method, app.url(path))
            .bearer_auth(self.token(user))
    }
}

/// The app with the test provider and `other` configured.
async fn app_with(
    backend: Backend,
    other: &OtherProvider,
    database: Option<TestDatabase>,
) -> TestApp {
    let provider = other.config.clone();
    let mut builder =
        TestApp::builder(backend).config(move |config| config.auth.providers.push(provider));
    if let Some(database) = database {
        builder = builder.database(database);
    }
    builder.spawn().await
}

async fn status(request: RequestBuilder) -> StatusCode {
    request.send().await.expect("sent").status()
}

async fn list(request: RequestBuilder) -> Vec<Value> {
    let response = request.send().await.expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    body["tasks"].as_array().cloned().expect("tasks array")
}

async fn the_same_user_id_from_two_providers_is_two_users(backend: Backend) {
    let other = OtherProvider::start().await;
    let app = app_with(backend, &other, None).await;
    let theirs = app.create_task("alice", "first provider's alice").await;
    let id = theirs["id"].as_i64().expect("id");
    let task = format!("/api/alice/tasks/{id}");

    // The other provider's alice is a different user: nothing of the first one's is visible.
    assert!(
        list(other.request(&app, "alice", Method::GET, "/api/alice/tasks"))
            .await
            .is_empty()
    );
    assert_eq!(
        status(other.request(&app, "alice", Method::GET, &task)).await,
        StatusCode::NOT_FOUND
    );
    for method in [Method::PUT, Method::PATCH] {
        assert_eq!(
            status(
                other
                    .request(&app, "alice", method.clone(), &task)
                    .json(&json!({"title": "stolen"}))
            )
            .await,
            StatusCode::NOT_FOUND,
            "{method}"
        );
    }
    assert_eq!(
        status(other.request(&app, "alice", Method::PATCH, &format!("{task}/complete"))).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(other.request(&app, "alice", Method::DELETE, &task)).await,
        StatusCode::NOT_FOUND
    );

    // Their own task is theirs alone, and the Task JSON still shows the bare user id.
    let response = other
        .request(&app, "alice", Method::POST, "/api/alice/tasks")
        .json(&json!({"title": "second provider's alice"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::CREATED);
    let mine: Value = response.json().await.expect("json");
    assert_eq!(mine["user_id"], "alice");
    let seen = list(other.request(&app, "alice", Method::GET, "/api/alice/tasks")).await;
    assert_eq!(seen, vec![mine.clone()]);

    // The first provider's alice still has exactly her untouched task.
    let first = app.get_json_as("alice", "/api/alice/tasks").await;
    assert_eq!(first["tasks"], json!([theirs]));
    let not_mine = format!("/api/alice/tasks/{}", mine["id"]);
    assert_eq!(
        app.get_as("alice", &not_mine).await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn idempotency_keys_are_scoped_per_provider_user(backend: Backend) {
    let other = OtherProvider::start().await;
    let app = app_with(backend, &other, None).await;
    let body = json!({"title": "same request, two users"});
    let create = |request: RequestBuilder| {
        let body = body.clone();
        async move {
            let response = request
                .header("Idempotency-Key", "shared-key-1")
                .json(&body)
                .send()
                .await
                .expect("sent");
            assert_eq!(response.status(), StatusCode::CREATED);
            let replayed = response.headers().contains_key("idempotent-replayed");
            (response.json::<Value>().await.expect("json"), replayed)
        }
    };
    let (first, replayed) = create(app.as_user("alice", Method::POST, "/api/alice/tasks")).await;
    assert!(!replayed);
    // Same key, same body, other provider: a new task of its own, not the first one replayed.
    let (second, replayed) =
        create(other.request(&app, "alice", Method::POST, "/api/alice/tasks")).await;
    assert!(
        !replayed,
        "the other provider's alice got the first one's task replayed"
    );
    assert_ne!(first["id"], second["id"]);
    // Each one's retry replays their own.
    let (again, replayed) =
        create(other.request(&app, "alice", Method::POST, "/api/alice/tasks")).await;
    assert!(replayed);
    assert_eq!(again, second);
    let (again, replayed) = create(app.as_user("alice", Method::POST, "/api/alice/tasks")).await;
    assert!(replayed);
    assert_eq!(again, first);
}

/// Version of the migration that created the schema without providers.
const SCHEMA_WITHOUT_PROVIDERS: i64 = 20261129000001;

/// A database holding what the service wrote before tasks had a provider: the first migration
/// only (applied as that version's binary did, so the new binary sees it as its own history),
/// three tasks of alice (the third deleted again) and one of bob.
async fn database_from_before_providers(backend: Backend) -> TestDatabase {
    let database = TestDatabase::create(backend).await;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../migrations")
        .join(match backend {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        });
    let mut migrator = Migrator::new(dir).await.expect("migrations directory");
    let old: Vec<_> = migrator
        .migrations
        .iter()
        .filter(|m| m.version == SCHEMA_WITHOUT_PROVIDERS)
        .cloned()
        .collect();
    assert_eq!(
        old.len(),
        1,
        "the schema without providers is migration {SCHEMA_WITHOUT_PROVIDERS}"
    );
    migrator.migrations = old.into();
    let rows = [
        "INSERT INTO tasks (user_id, title, description, completed, created_at, updated_at, idempotency_key, request_fingerprint) \
         VALUES ('alice', 'written before the upgrade', 'kept', FALSE, '2026-11-29T10:00:00.000000Z', '2026-11-29T10:00:00.000000Z', 'old-key', 'old-fingerprint')",
        "INSERT INTO tasks (user_id, title, description, completed, created_at, updated_at) \
         VALUES ('alice', 'also before', NULL, TRUE, '2026-11-29T10:00:01.000000Z', '2026-11-29T10:00:01.000000Z')",
        "INSERT INTO tasks (user_id, title, description, completed, created_at, updated_at) \
         VALUES ('alice', 'deleted before the upgrade', NULL, FALSE, '2026-11-29T10:00:02.000000Z', '2026-11-29T10:00:02.000000Z')",
        "INSERT INTO tasks (user_id, title, description, completed, created_at, updated_at) \
         VALUES ('bob', 'bob''s', NULL, FALSE, '2026-11-29T10:00:03.000000Z', '2026-11-29T10:00:03.000000Z')",
        "DELETE FROM tasks WHERE title = 'deleted before the upgrade'",
    ];
    execute(backend, &database.url, Some(&migrator), &rows).await;
    database
}

/// Runs `migrator` (if any), then `statements`, on one connection to the database at `url`.
async fn execute(backend: Backend, url: &str, migrator: Option<&Migrator>, statements: &[&str]) {
    match backend {
        Backend::Postgres => {
            let mut connection = sqlx::PgConnection::connect(url).await.expect("connect");
            if let Some(migrator) = migrator {
                migrator.run(&mut connection).await.expect("old migration");
            }
            for statement in statements {
                sqlx::query(statement)
                    .execute(&mut connection)
                    .await
                    .expect(statement);
            }
        }
        Backend::Sqlite => {
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
                .expect("SQLite URL")
                .create_if_missing(true);
            let mut connection = sqlx::SqliteConnection::connect_with(&options)
                .await
                .expect("open");
            if let Some(migrator) = migrator {
                migrator.run(&mut connection).await.expect("old migration");
            }
            for statement in statements {
                sqlx::query(statement)
                    .execute(&mut connection)
                    .await
                    .expect(statement);
            }
        }
    }
}

/// The insert of the version before providers, word for word: what its replicas still send
/// during a rolling update.
const PREVIOUS_VERSION_INSERT: &str = "INSERT INTO tasks (user_id, title, description, completed, created_at, updated_at, idempotency_key, request_fingerprint) \
     VALUES ('alice', 'written by an old replica', NULL, FALSE, '2026-11-30T10:00:00.000000Z', '2026-11-30T10:00:00.000000Z', 'old-replica-key', 'f') \
     ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING id";

fn titles(tasks: &Value) -> Vec<&str> {
    tasks["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter_map(|t| t["title"].as_str())
        .collect()
}

async fn upgrade_keeps_tasks_reachable_by_their_owner(backend: Backend) {
    let database = database_from_before_providers(backend).await;
    // One identity provider, as most deployments upgrading have: it owns every earlier task.
    let app = TestApp::builder(backend).database(database).spawn().await;

    let alice = app.get_json_as("alice", "/api/alice/tasks").await;
    assert_eq!(
        titles(&alice),
        ["written before the upgrade", "also before"],
        "{alice}"
    );
    let first = &alice["tasks"][0];
    assert_eq!(first["user_id"], "alice");
    assert_eq!(first["description"], "kept");
    assert_eq!(first["id"], 1);
    assert_eq!(alice["tasks"][1]["completed"], true);
    let bob = app.get_json_as("bob", "/api/bob/tasks").await;
    assert_eq!(titles(&bob), ["bob's"]);

    // Every route works on an upgraded task.
    let path = "/api/alice/tasks/1";
    assert_eq!(app.get_as("alice", path).await.status(), StatusCode::OK);
    let patched = app
        .as_user("alice", Method::PATCH, path)
        .json(&json!({"title": "changed after the upgrade"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(patched.status(), StatusCode::OK);
    let toggled = app
        .as_user("alice", Method::PATCH, &format!("{path}/complete"))
        .send()
        .await
        .expect("sent");
    assert_eq!(toggled.status(), StatusCode::OK);
    // Its idempotency key still belongs to alice: reused with another body, it is refused.
    let reused = app
        .as_user("alice", Method::POST, "/api/alice/tasks")
        .header("Idempotency-Key", "old-key")
        .json(&json!({"title": "a different request"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(reused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A replica of the previous version, still running during the rolling update, keeps
    // working; what it writes reaches its owner too.
    execute(backend, &app.database.url, None, &[PREVIOUS_VERSION_INSERT]).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let seen = app.get_json_as("alice", "/api/alice/tasks").await;
        if titles(&seen).contains(&"written by an old replica") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never assigned: {seen}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // Ids of tasks deleted before the upgrade are never handed out again.
    let new = app.create_task("alice", "after the upgrade").await;
    assert!(new["id"].as_i64().expect("id") > 5, "{new}");
    let deleted = app
        .as_user("alice", Method::DELETE, path)
        .send()
        .await
        .expect("sent");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
}

async fn upgrade_with_several_providers_gives_old_tasks_to_nobody(backend: Backend) {
    let database = database_from_before_providers(backend).await;
    let other = OtherProvider::start().await;
    let app = app_with(backend, &other, Some(database)).await;

    // Either provider's alice could be the one who wrote them: neither gets them.
    assert!(titles(&app.get_json_as("alice", "/api/alice/tasks").await).is_empty());
    assert!(
        list(other.request(&app, "alice", Method::GET, "/api/alice/tasks"))
            .await
            .is_empty()
    );
    assert_eq!(
        app.get_as("alice", "/api/alice/tasks/1").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(other.request(&app, "alice", Method::GET, "/api/alice/tasks/1")).await,
        StatusCode::NOT_FOUND
    );
    // New tasks work as usual for both.
    app.create_task("alice", "first provider's").await;
    assert!(
        list(other.request(&app, "alice", Method::GET, "/api/alice/tasks"))
            .await
            .is_empty()
    );
}

async fn upgrade_assigns_a_large_table_completely(backend: Backend) {
    let database = database_from_before_providers(backend).await;
    // More rows than one assignment statement takes, so it has to go round several times.
    let many = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000) \
        INSERT INTO tasks (user_id, title, completed, created_at, updated_at) \
        SELECT 'carol', 'old task', FALSE, '2026-11-29T11:00:00.000000Z', '2026-11-29T11:00:00.000000Z' FROM n";
    execute(backend, &database.url, None, &[many]).await;
    let app = TestApp::builder(backend).database(database).spawn().await;
    let url = app.database.url.clone();
    let unassigned = "SELECT count(*) FROM tasks WHERE provider = ''";
    let left: i64 = match backend {
        Backend::Postgres => {
            let mut connection = sqlx::PgConnection::connect(&url).await.expect("connect");
            sqlx::query_scalar(unassigned)
                .fetch_one(&mut connection)
                .await
                .expect("count")
        }
        Backend::Sqlite => {
            let mut connection = sqlx::SqliteConnection::connect(&url).await.expect("open");
            sqlx::query_scalar(unassigned)
                .fetch_one(&mut connection)
                .await
                .expect("count")
        }
    };
    // Ready means assigned: nothing is left for nobody.
    assert_eq!(left, 0);
    let page = app.get_json_as("carol", "/api/carol/tasks?limit=100").await;
    assert_eq!(page["tasks"].as_array().map(Vec::len), Some(100));
}
