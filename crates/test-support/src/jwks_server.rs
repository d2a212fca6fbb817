//! A real HTTP JWKS server on 127.0.0.1 (axum) for tests: its key set can be
//! swapped at runtime, it counts requests, can be stopped (connection refused)
//! and restarted on the same port, and can misbehave in the ways identity
//! providers do (slow, HTML, 404, not JSON, empty set, garbage, oversized).
//! It also serves an OpenID discovery document for discovery tests, and can redirect.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How the server answers key-set requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behaviour {
    /// The current key set as JSON.
    Serve,
    /// A 200 HTML page.
    Html,
    /// 404 Not Found.
    NotFound,
    /// Another HTTP status.
    Status(u16),
    /// 200 `application/json` that is not JSON.
    NotJson,
    /// `{"keys":[]}`.
    EmptyKeys,
    /// 200 random binary bytes.
    Garbage,
    /// The key set, after this delay.
    Slow(Duration),
    /// More than 256 KiB of JSON.
    Huge,
    /// 302 Found to this location (absolute or relative).
    RedirectTo(String),
}

struct Shared {
    jwks: Mutex<Value>,
    behaviour: Mutex<Behaviour>,
    cache_control: Mutex<Option<String>>,
    discovery: Mutex<Option<Value>>,
    jwks_requests: AtomicU64,
    discovery_requests: AtomicU64,
}

struct Running {
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

/// The test JWKS server. Dropping it stops it.
pub struct JwksServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    running: Mutex<Option<Running>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl JwksServer {
    /// Starts serving `jwks` on 127.0.0.1 with a free port.
    pub async fn start(jwks: Value) -> JwksServer {
        let server = Self::reserve(jwks).await;
        server.resume().await;
        server
    }

    /// Picks a free port but does not listen yet: connections are refused
    /// until [`JwksServer::resume`] (an identity provider that is down at start).
    pub async fn reserve(jwks: Value) -> JwksServer {
        let probe = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = probe.local_addr().expect("local addr");
        drop(probe);
        JwksServer {
            addr,
            shared: Arc::new(Shared {
                jwks: Mutex::new(jwks),
                behaviour: Mutex::new(Behaviour::Serve),
                cache_control: Mutex::new(None),
                discovery: Mutex::new(None),
                jwks_requests: AtomicU64::new(0),
                discovery_requests: AtomicU64::new(0),
            }),
            running: Mutex::new(None),
        }
    }

    /// Listens again on the same port.
    pub async fn resume(&self) {
        if lock(&self.running).is_some() {
            return;
        }
        let listener = bind_retrying(self.addr).await;
        let app = Router::new()
            .fallback(handle)
            .with_state(self.shared.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        *lock(&self.running) = Some(Running { shutdown: tx, task });
    }

    /// Stops listening; open connections are closed. New connections are refused.
    pub async fn stop(&self) {
        let running = lock(&self.running).take();
        if let Some(Running { shutdown, task }) = running {
            let _ = shutdown.send(());
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }

    /// The server address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/jwks`. Any path not ending in
    /// `/.well-known/openid-configuration` serves the key set.
    pub fn jwks_url(&self) -> String {
        format!("{}/jwks", self.base_url())
    }

    /// Replaces the key set (rotation, retirement).
    pub fn set_jwks(&self, jwks: Value) {
        *lock(&self.shared.jwks) = jwks;
    }

    /// Changes how key-set requests are answered.
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        *lock(&self.shared.behaviour) = behaviour;
    }

    /// Sends this `Cache-Control` value with the key set.
    pub fn set_cache_control(&self, value: Option<&str>) {
        *lock(&self.shared.cache_control) = value.map(str::to_owned);
    }

    /// Serves this document at any `…/.well-known/openid-configuration` path.
    pub fn set_discovery(&self, document: Value) {
        *lock(&self.shared.discovery) = Some(document);
    }

    /// Key-set requests received so far (whatever the behaviour).
    pub fn jwks_requests(&self) -> u64 {
        self.shared.jwks_requests.load(Ordering::SeqCst)
    }

    /// Discovery requests received so far.
    pub fn discovery_requests(&self) -> u64 {
        self.shared.discovery_requests.load(Ordering::SeqCst)
    }
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        if let Some(Running { shutdown, task }) = lock(&self.running).take() {
            let _ = shutdown.send(());
            task.abort();
        }
    }
}

/// Rebinding right after a stop can briefly fail; retry for up to a second.
async fn bind_retrying(addr: SocketAddr) -> TcpListener {
    for _ in 0..50 {
        if let Ok(listener) = TcpListener::bind(addr).await {
            return listener;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    TcpListener::bind(addr)
        .await
        .expect("rebind the JWKS server port")
}

fn response(status: StatusCode, content_type: &'static str, body: impl Into<Body>) -> Response {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

async fn handle(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    if uri.path().ends_with("/.well-known/openid-configuration") {
        shared.discovery_requests.fetch_add(1, Ordering::SeqCst);
        let doc = lock(&shared.discovery).clone();
        return match doc {
            Some(doc) => response(StatusCode::OK, "application/json", doc.to_string()),
            None => response(StatusCode::NOT_FOUND, "text/plain", "no discovery document"),
        };
    }
    shared.jwks_requests.fetch_add(1, Ordering::SeqCst);
    let behaviour = lock(&shared.behaviour).clone();
    let json = |body: String| response(StatusCode::OK, "application/json", body);
    match behaviour {
        Behaviour::Serve => serve_keys(&shared),
        Behaviour::Slow(delay) => {
            // What the provider held when asked, delivered late: a key added
            // meanwhile is not in this answer, as with a real slow provider.
            let answer = serve_keys(&shared);
            tokio::time::sleep(delay).await;
            answer
        }
        Behaviour::Html => response(
            StatusCode::OK,
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><body>Sign in</body></html>",
        ),
        Behaviour::NotFound => response(StatusCode::NOT_FOUND, "text/plain", "Not Found"),
        Behaviour::Status(code) => response(
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "text/plain",
            "error",
        ),
        Behaviour::NotJson => json("this is not json".into()),
        Behaviour::EmptyKeys => json(json!({"keys": []}).to_string()),
        Behaviour::Garbage => response(
            StatusCode::OK,
            "application/octet-stream",
            vec![0xffu8, 0x00, 0x9c, 0x13, 0x37],
        ),
        Behaviour::RedirectTo(location) => {
            let mut answer = response(StatusCode::FOUND, "text/plain", "moved");
            if let Ok(value) = HeaderValue::from_str(&location) {
                answer.headers_mut().insert(header::LOCATION, value);
            }
            answer
        }
        Behaviour::Huge => json(format!(
            r#"{{"keys":[],"pad":"{}"}}"#,
            "x".repeat(300 * 1024)
        )),
    }
}

fn serve_keys(shared: &Shared) -> Response {
    let body = lock(&shared.jwks).to_string();
    let mut response = response(StatusCode::OK, "application/json", body);
    if let Some(value) = lock(&shared.cache_control).as_deref()
        && let Ok(value) = HeaderValue::from_str(value)
    {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}
