//! The plain yardstick: `GET`/`POST /api/{user_id}/tasks` with backend-api's response bodies,
//! written the simplest fast way. A token is checked once (EdDSA, iss, aud, exp) and then found
//! in a token -> (user, exp) map; SQLite goes through one rusqlite connection with a cached
//! prepared statement, PostgreSQL through a few tokio-postgres connections with prepared
//! statements. No logs, no metrics, no limits: what the same design costs with nothing else.
//!
//! Environment: SKETCH_PORT, SKETCH_DB (`sqlite:<path>` or a `postgres://` URL), SKETCH_JWK_X
//! (the Ed25519 public key, base64url), SKETCH_ISSUER, SKETCH_AUDIENCE.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use axum::{Json, Router, routing::get};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};

const LIST: &str = "SELECT id, user_id, title, description, completed, created_at, updated_at FROM tasks \
                    WHERE provider = $1 AND user_id = $2 ORDER BY created_at, id LIMIT 51";
const INSERT: &str = "INSERT INTO tasks (provider, user_id, title, description, completed, created_at, updated_at) \
                      VALUES ($1, $2, $3, $4, false, $5, $5) RETURNING id";
const PROVIDER: &str = "better-auth";

#[derive(Serialize)]
struct Task { id: i64, user_id: String, title: String, description: Option<String>, completed: bool, created_at: String, updated_at: String }
#[derive(Serialize)]
struct TaskList { tasks: Vec<Task>, next_cursor: Option<String> }
#[derive(Deserialize)]
struct NewTask { title: String, description: Option<String> }
#[derive(Deserialize)]
struct Claims { sub: String, exp: u64 }

enum Db { Sqlite(Mutex<rusqlite::Connection>), Postgres(Vec<(tokio_postgres::Client, tokio_postgres::Statement, tokio_postgres::Statement)>, AtomicUsize) }

struct App { db: Db, key: DecodingKey, validation: Validation, tokens: Mutex<HashMap<String, (String, u64)>> }

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn now_stamp() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The user of a valid bearer token: the map first, the signature check on a miss.
fn user(app: &App, headers: &HeaderMap) -> Result<String, StatusCode> {
    let token = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ")).ok_or(StatusCode::UNAUTHORIZED)?;
    let secs = now_secs();
    if let Some((user, exp)) = app.tokens.lock().unwrap().get(token) && *exp > secs {
        return Ok(user.clone());
    }
    let claims = jsonwebtoken::decode::<Claims>(token, &app.key, &app.validation).map_err(|_| StatusCode::UNAUTHORIZED)?.claims;
    let mut tokens = app.tokens.lock().unwrap();
    if tokens.len() >= 16_384 { tokens.clear(); }
    tokens.insert(token.to_owned(), (claims.sub.clone(), claims.exp));
    Ok(claims.sub)
}

fn owner(app: &App, headers: &HeaderMap, path_user: &str) -> Result<String, StatusCode> {
    let user = user(app, headers)?;
    if user == path_user { Ok(user) } else { Err(StatusCode::FORBIDDEN) }
}

async fn list(State(app): State<Arc<App>>, Path(path_user): Path<String>, headers: HeaderMap) -> Response {
    let user = match owner(&app, &headers, &path_user) { Ok(u) => u, Err(s) => return s.into_response() };
    let tasks = match &app.db {
        Db::Sqlite(conn) => {
            let conn = conn.lock().unwrap();
            let mut stmt = conn.prepare_cached(LIST).unwrap();
            stmt.query_map((PROVIDER, &user), |r| Ok(Task { id: r.get(0)?, user_id: r.get(1)?, title: r.get(2)?, description: r.get(3)?,
                completed: r.get(4)?, created_at: r.get(5)?, updated_at: r.get(6)? })).unwrap().collect::<Result<Vec<_>, _>>().unwrap()
        }
        Db::Postgres(clients, next) => {
            let (client, stmt, _) = &clients[next.fetch_add(1, Ordering::Relaxed) % clients.len()];
            let rows = client.query(stmt, &[&PROVIDER, &user]).await.unwrap();
            rows.iter().map(|r| Task { id: r.get(0), user_id: r.get(1), title: r.get(2), description: r.get(3), completed: r.get(4),
                created_at: pg_time(r.get(5)), updated_at: pg_time(r.get(6)) }).collect()
        }
    };
    Json(TaskList { tasks, next_cursor: None }).into_response()
}

fn pg_time(t: chrono::DateTime<chrono::Utc>) -> String { t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string() }

async fn create(State(app): State<Arc<App>>, Path(path_user): Path<String>, headers: HeaderMap, Json(body): Json<NewTask>) -> Response {
    let user = match owner(&app, &headers, &path_user) { Ok(u) => u, Err(s) => return s.into_response() };
    let title = body.title.trim().to_owned();
    if title.is_empty() || title.chars().count() > 200 { return StatusCode::UNPROCESSABLE_ENTITY.into_response(); }
    let stamp = now_stamp();
    let id: i64 = match &app.db {
        Db::Sqlite(conn) => {
            let conn = conn.lock().unwrap();
            let mut stmt = conn.prepare_cached(INSERT).unwrap();
            stmt.query_row((PROVIDER, &user, &title, &body.description, &stamp), |r| r.get(0)).unwrap()
        }
        Db::Postgres(clients, next) => {
            let (client, _, insert) = &clients[next.fetch_add(1, Ordering::Relaxed) % clients.len()];
            let at = chrono::DateTime::parse_from_rfc3339(&stamp).unwrap().with_timezone(&chrono::Utc);
            client.query_one(insert, &[&PROVIDER, &user, &title, &body.description, &at]).await.unwrap().get(0)
        }
    };
    let task = Task { id, user_id: user, title, description: body.description, completed: false, created_at: stamp.clone(), updated_at: stamp };
    (StatusCode::CREATED, Json(task)).into_response()
}

#[tokio::main]
async fn main() {
    let env = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    let url = env("SKETCH_DB");
    let db = if let Some(path) = url.strip_prefix("sqlite:") {
        let conn = rusqlite::Connection::open(path).unwrap();
        // The same settings as backend-api: WAL, synchronous FULL (SQLite's default).
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE IF NOT EXISTS tasks (id INTEGER PRIMARY KEY AUTOINCREMENT, provider TEXT NOT NULL, \
            user_id TEXT NOT NULL, title TEXT NOT NULL, description TEXT, completed BOOLEAN NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL); \
            CREATE INDEX IF NOT EXISTS tasks_owner_created ON tasks (provider, user_id, created_at, id);").unwrap();
        Db::Sqlite(Mutex::new(conn))
    } else {
        let mut clients = Vec::new();
        for i in 0..4 {
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(connection);
            if i == 0 {
                client.batch_execute("CREATE TABLE IF NOT EXISTS tasks (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, provider TEXT NOT NULL, \
                    user_id TEXT NOT NULL, title TEXT NOT NULL, description TEXT, completed BOOLEAN NOT NULL, created_at TIMESTAMPTZ NOT NULL, \
                    updated_at TIMESTAMPTZ NOT NULL); CREATE INDEX IF NOT EXISTS tasks_owner_created ON tasks (provider, user_id, created_at, id);").await.unwrap();
            }
            let list = client.prepare(LIST).await.unwrap();
            let insert = client.prepare(INSERT).await.unwrap();
            clients.push((client, list, insert));
        }
        Db::Postgres(clients, AtomicUsize::new(0))
    };
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[env("SKETCH_ISSUER")]);
    validation.set_audience(&[env("SKETCH_AUDIENCE")]);
    let key = DecodingKey::from_ed_components(&env("SKETCH_JWK_X")).unwrap();
    let app = Arc::new(App { db, key, validation, tokens: Mutex::new(HashMap::new()) });
    let router = Router::new()
        .route("/api/{user_id}/tasks", get(list).post(create))
        .route("/health", get(|| async { "ok" }))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", env("SKETCH_PORT").parse::<u16>().unwrap())).await.unwrap();
    // TCP_NODELAY as backend-api sets it: without it a response can wait for the client's
    // delayed ACK (40 ms on Linux), which once made this yardstick slower than the service.
    axum::serve(listener.tap_io(|tcp| { let _ = tcp.set_nodelay(true); }), router).await.unwrap();
}
