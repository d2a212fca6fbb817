//! Test harness: [`TestApp`] runs the real service on 127.0.0.1:0 against a fresh database
//! (PostgreSQL or SQLite, see [`Backend`]) and a real JWKS server on loopback that plays the
//! identity provider; [`TestDatabase`] creates and drops that database.
//!
//! PostgreSQL: `TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`) must
//! reach a superuser; each test gets its own role and database, dropped afterwards.
//! Logs are hidden unless `TEST_LOG=1`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use backend_api::config::{DatabaseKind, LogConfig, LogFormat};
use backend_api::{App, AppState, Config};
use backend_api_auth::{Clock, KeySource, ManualClock, ProviderConfig, SystemClock};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use secrecy::SecretString;
use serde_json::{Value, json};
use sqlx::Connection;
use test_support::{JwksServer, TempDir, TestKey, claims, jwks, now, temp_dir};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const ISSUER: &str = "https://idp.test.example";
pub const AUDIENCE: &str = "backend-api";
pub const PROVIDER: &str = "test-idp";

/// Which engine a test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// Runs each listed `async fn name(backend: Backend)` as two tests, `postgres::name` and `sqlite::name`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await;
                }
            )*
        }
    };
}

fn unique_suffix() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// Superuser URL of the PostgreSQL the tests use.
pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Runs statements as the PostgreSQL superuser (outage drills: revoke/restore a login).
pub async fn admin_execute(statements: &[&str]) {
    execute_at(&admin_url(), statements).await;
}

/// Runs statements, in order, on one connection to the PostgreSQL at `url`.
pub async fn execute_at(url: &str, statements: &[&str]) {
    let mut connection = sqlx::PgConnection::connect(url)
        .await
        .unwrap_or_else(|error| panic!("PostgreSQL reachable at {url}: {error}"));
    for statement in statements {
        sqlx::query(statement)
            .execute(&mut connection)
            .await
            .unwrap_or_else(|error| panic!("{statement}: {error}"));
    }
}

/// A fresh, empty database, removed on drop.
pub struct TestDatabase {
    pub url: String,
    pub kind: DatabaseKind,
    /// PostgreSQL: database and role name (identical).
    pub name: String,
    /// SQLite: the directory holding the file, removed with it.
    dir: Option<TempDir>,
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> TestDatabase {
        let name = format!("backend_api_test_{}", unique_suffix());
        match backend {
            Backend::Postgres => {
                admin_execute(&[
                    &format!("CREATE ROLE \"{name}\" LOGIN"),
                    &format!("CREATE DATABASE \"{name}\" OWNER \"{name}\""),
                ])
                .await;
                let mut url = url::Url::parse(&admin_url()).expect("TEST_DATABASE_URL is a URL");
                url.set_username(&name).expect("URL has a host");
                url.set_password(None).expect("URL has a host");
                url.set_path(&format!("/{name}"));
                TestDatabase {
                    url: url.to_string(),
                    kind: DatabaseKind::Postgres,
                    name,
                    dir: None,
                }
            }
            Backend::Sqlite => {
                let dir = temp_dir("sqlite");
                TestDatabase {
                    url: format!("sqlite://{}", dir.path().join("tasks.db").display()),
                    kind: DatabaseKind::Sqlite,
                    name,
                    dir: Some(dir),
                }
            }
        }
    }

    /// The directory beside the SQLite file (or a scratch directory for PostgreSQL).
    pub fn scratch_dir(&self) -> PathBuf {
        self.dir
            .as_ref()
            .map_or_else(std::env::temp_dir, |dir| dir.path().to_owned())
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.dir.is_some() {
            // SQLite: the directory removes itself.
            return;
        }
        let name = self.name.clone();
        // Drop runs inside the test's runtime; a separate thread with its own runtime avoids blocking it.
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if let Ok(mut connection) = sqlx::PgConnection::connect(&admin_url()).await {
                    let _ =
                        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                            .execute(&mut connection)
                            .await;
                    let _ = sqlx::query(&format!("DROP ROLE IF EXISTS \"{name}\""))
                        .execute(&mut connection)
                        .await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// A configuration for tests: loopback, port 0, fast database retries, the test identity provider.
pub fn test_config(database: &TestDatabase, jwks_url: &str) -> Config {
    let mut config = Config::development_defaults();
    config.host = "127.0.0.1".parse().expect("valid IP");
    config.port = 0;
    config.database.url = SecretString::from(database.url.clone());
    config.database.kind = database.kind;
    config.database.acquire_timeout = Duration::from_secs(2);
    config.database.reconnect_max = Duration::from_millis(500);
    config.database.health_interval = Duration::from_millis(200);
    config.auth.dev_key_file = database
        .scratch_dir()
        .join(format!("{}.dev-key", database.name));
    let mut provider = ProviderConfig::new(
        PROVIDER,
        ISSUER,
        KeySource::JwksUrl(jwks_url.parse().expect("JWKS URL")),
    );
    provider.audiences = Some(vec![AUDIENCE.to_owned()]);
    config.auth.providers = vec![provider];
    config.http.shutdown_drain = Duration::from_secs(10);
    config.log = LogConfig {
        format: LogFormat::Pretty,
        filter: "info".to_owned(),
    };
    config
}

/// An HTTP client; installs the TLS crypto provider reqwest needs in this build.
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("HTTP client")
}

/// A change a test makes to the configuration before the app is built.
type ConfigChange = Box<dyn FnOnce(&mut Config) + Send>;

/// Settings of a [`TestApp`] before it starts.
pub struct TestAppBuilder {
    backend: Backend,
    database: Option<TestDatabase>,
    wait_ready: bool,
    manual_clock: bool,
    configure: Vec<ConfigChange>,
    wrap: fn(axum::Router) -> axum::Router,
}

impl TestAppBuilder {
    /// Changes the configuration before the app is built.
    pub fn config(mut self, change: impl FnOnce(&mut Config) + Send + 'static) -> Self {
        self.configure.push(Box::new(change));
        self
    }

    /// Uses this database instead of a fresh one.
    pub fn database(mut self, database: TestDatabase) -> Self {
        self.database = Some(database);
        self
    }

    /// Gives the verifier a clock the test sets (`TestApp::clock`).
    pub fn manual_clock(mut self) -> Self {
        self.manual_clock = true;
        self
    }

    /// Serves the router wrapped in `wrap` ([`App::wrap_router`], the embedding seam).
    pub fn wrap_router(mut self, wrap: fn(axum::Router) -> axum::Router) -> Self {
        self.wrap = wrap;
        self
    }

    /// Returns as soon as the app listens, without waiting for `/ready`.
    pub fn no_wait(mut self) -> Self {
        self.wait_ready = false;
        self
    }

    pub async fn spawn(self) -> TestApp {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter("info")
                .with_test_writer()
                .try_init();
        }
        let database = match self.database {
            Some(database) => database,
            None => TestDatabase::create(self.backend).await,
        };
        let key = TestKey::generate("ES256");
        let jwks_server = JwksServer::start(jwks(&[&key])).await;
        let mut config = test_config(&database, &jwks_server.jwks_url());
        for change in self.configure {
            change(&mut config);
        }
        // A frozen clock only where a test moves it: tokens minted later with `iat = now`
        // would otherwise drift ahead of it.
        let clock = self
            .manual_clock
            .then(|| Arc::new(ManualClock::new(SystemTime::now())));
        let verifier_clock: Arc<dyn Clock> = match &clock {
            Some(clock) => clock.clone(),
            None => Arc::new(SystemClock),
        };
        let app = App::build_with_clock(config, verifier_clock)
            .await
            .expect("app builds")
            .wrap_router(self.wrap);
        let address = format!("http://{}", app.local_addr());
        let state = app.state().clone();
        let (trigger, shutdown) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run(async move {
            let _ = shutdown.await;
        }));
        let app = TestApp {
            address,
            client: client(),
            key,
            jwks: jwks_server,
            clock,
            state,
            database,
            shutdown: Some(trigger),
            server: Some(server),
        };
        if self.wait_ready {
            app.wait_until_ready().await;
        }
        app
    }
}

/// The real service, serving on 127.0.0.1.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`
    pub address: String,
    pub client: reqwest::Client,
    /// The identity provider's signing key (published by `jwks`).
    pub key: TestKey,
    pub jwks: JwksServer,
    /// The verifier's clock, when built with [`TestAppBuilder::manual_clock`]: set it instead
    /// of sleeping.
    pub clock: Option<Arc<ManualClock>>,
    pub state: AppState,
    pub database: TestDatabase,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    pub fn builder(backend: Backend) -> TestAppBuilder {
        TestAppBuilder {
            backend,
            database: None,
            wait_ready: true,
            manual_clock: false,
            configure: Vec::new(),
            wrap: std::convert::identity,
        }
    }

    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::builder(backend).spawn().await
    }

    /// An app whose identity provider has its port reserved but refuses connections, so its
    /// keys can never be fetched. The returned server holds the port: keep it alive with the app.
    pub async fn spawn_with_unreachable_keys(backend: Backend) -> (TestApp, JwksServer) {
        let dead = JwksServer::reserve(json!({"keys": []})).await;
        let url = dead.jwks_url();
        let app = TestApp::builder(backend)
            .no_wait()
            .config(move |config| {
                config.auth.providers[0].keys = KeySource::JwksUrl(url.parse().expect("url"));
            })
            .spawn()
            .await;
        (app, dead)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A valid token of the test identity provider for `user`.
    pub fn token(&self, user: &str) -> String {
        self.key.sign(&claims(ISSUER, AUDIENCE, user, now()))
    }

    /// A request carrying a valid token for `user`.
    pub fn as_user(&self, user: &str, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(self.token(user))
    }

    /// GET `path` without a token.
    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("sent")
    }

    /// GET `path` without a token; the body as JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        self.get(path).await.json().await.expect("json")
    }

    /// GET `path` with `token` as the bearer token.
    pub async fn get_with_token(&self, path: &str, token: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("sent")
    }

    /// GET `path` with a valid token for `user`.
    pub async fn get_as(&self, user: &str, path: &str) -> Response {
        self.as_user(user, Method::GET, path)
            .send()
            .await
            .expect("sent")
    }

    /// GET `path` with a valid token for `user`; the body as JSON.
    pub async fn get_json_as(&self, user: &str, path: &str) -> Value {
        self.get_as(user, path).await.json().await.expect("json")
    }

    /// Asserts `/health` answers 200: liveness never depends on the database.
    pub async fn assert_live(&self) {
        assert_eq!(
            self.get("/health").await.status(),
            StatusCode::OK,
            "liveness must not depend on the database"
        );
    }

    /// Polls `/ready` until it is 503 with a database reason containing `needle`; returns the body.
    pub async fn wait_for_database_reason(&self, needle: &str) -> Value {
        self.wait_for_ready(|status, body| {
            status == StatusCode::SERVICE_UNAVAILABLE
                && body["checks"]["database"]["reason"]
                    .as_str()
                    .is_some_and(|reason| reason.contains(needle))
        })
        .await
    }

    /// Creates a task for `user` and returns its JSON.
    pub async fn create_task(&self, user: &str, title: &str) -> Value {
        let response = self
            .as_user(user, Method::POST, &format!("/api/{user}/tasks"))
            .json(&json!({ "title": title }))
            .send()
            .await
            .expect("request sent");
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.expect("task JSON")
    }

    /// Polls `/ready` until it answers 200.
    pub async fn wait_until_ready(&self) {
        self.wait_for_ready(|status, _| status == StatusCode::OK)
            .await;
    }

    /// Polls `/ready` until `accept(status, body)` holds, returning that body (panics after 20 s).
    pub async fn wait_for_ready(&self, accept: impl Fn(StatusCode, &Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut last = Value::Null;
        while Instant::now() < deadline {
            if let Ok(response) = self.client.get(self.url("/ready")).send().await {
                let status = response.status();
                last = response.json().await.unwrap_or(Value::Null);
                if accept(status, &last) {
                    return last;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("/ready never reached the expected state; last body: {last}");
    }

    /// Triggers shutdown (as SIGTERM would) without waiting.
    pub fn begin_shutdown(&mut self) {
        if let Some(trigger) = self.shutdown.take() {
            let _ = trigger.send(());
        }
    }

    /// Waits for the server to finish after [`TestApp::begin_shutdown`].
    pub async fn stopped(&mut self) -> std::io::Result<()> {
        let server = self.server.take().expect("server still running");
        server.await.expect("server task did not panic")
    }
}

/// Checks the problem+json shape and status/code; returns the body.
pub async fn assert_problem(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.expect("problem JSON");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status.as_u16(), "{body}");
    assert_eq!(
        body["type"],
        format!("urn:backend-api:error:{code}"),
        "{body}"
    );
    assert!(
        body["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    assert!(
        body["detail"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    body
}

/// Checks a 503 `database_unavailable` problem; returns the body.
pub async fn assert_database_unavailable(response: Response) -> Value {
    assert_problem(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "database_unavailable",
    )
    .await
}

/// Checks a 422 `validation_failed` problem; returns the `field` names it lists, in order.
pub async fn assert_validation_failed(response: Response) -> Vec<String> {
    let body = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    invalid_fields(&body)
}

/// The value of header `name`, which must be present and ASCII.
pub fn header(response: &Response, name: &str) -> String {
    response.headers()[name].to_str().expect("ascii").to_owned()
}

/// The `field` names of a 422 body.
fn invalid_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
