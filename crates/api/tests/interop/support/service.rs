//! The real `backend-api` binary, started on a free loopback port with a fresh SQLite database and only
//! the environment a test gives it, plus a small HTTP client for its routes.

use std::net::TcpListener;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::process::Command;

use super::http::client;
use super::process::{Running, STARTUP_TIMEOUT};
use test_support::{TempDir, temp_dir};

/// How a test configures the service: environment variables and an optional providers file.
#[derive(Default)]
pub struct Launch {
    env: Vec<(String, String)>,
    providers_toml: Option<String>,
}

impl Launch {
    pub fn new() -> Launch {
        Launch::default()
    }

    pub fn env(mut self, name: &str, value: &str) -> Launch {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Writes `toml` to a file in the test's directory and points `AUTH_PROVIDERS_FILE` at it.
    pub fn providers_file(mut self, toml: &str) -> Launch {
        self.providers_toml = Some(toml.to_owned());
        self
    }

    /// The binary in `dir` with only this configuration: a developer's own BETTER_AUTH_URL or
    /// DATABASE_URL must not leak in.
    fn command(&self, dir: &TempDir) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_backend-api"));
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env(
                "DATABASE_URL",
                format!("sqlite://{}", dir.path().join("backend-api.db").display()),
            )
            .current_dir(dir.path());
        if let Some(toml) = &self.providers_toml {
            let path = dir.path().join("providers.toml");
            std::fs::write(&path, toml).expect("write the providers file");
            command.env("AUTH_PROVIDERS_FILE", &path);
        }
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command
    }

    /// Runs a one-shot command (`doctor`, `config`…) with this configuration; `(exit code, stdout)`.
    pub async fn run(self, args: &[&str]) -> (i32, String) {
        let dir = temp_dir("cli");
        let mut command = self.command(&dir);
        command.args(args).kill_on_drop(true);
        let output = tokio::time::timeout(STARTUP_TIMEOUT, command.output())
            .await
            .unwrap_or_else(|_| {
                panic!("backend-api {args:?} did not finish within {STARTUP_TIMEOUT:?}")
            })
            .expect("run backend-api");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let code = output.status.code().unwrap_or_else(|| {
            panic!(
                "backend-api {args:?} died by a signal:\n{stdout}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
        (code, stdout)
    }

    /// Starts `serve` and waits until `/health` answers.
    pub async fn start(self) -> Service {
        let dir = temp_dir("service");
        let port = free_port();
        let mut command = self.command(&dir);
        command
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .arg("serve");
        let mut process = Running::spawn("backend-api", command);
        let http = client();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = tokio::time::Instant::now() + STARTUP_TIMEOUT;
        loop {
            process.assert_running();
            if let Ok(health) = http.get(format!("{base}/health")).send().await
                && health.status() == StatusCode::OK
            {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "backend-api /health did not answer within {STARTUP_TIMEOUT:?}:\n{}",
                process.dump()
            );
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        Service {
            base,
            http,
            process,
            _dir: dir,
        }
    }
}

/// A port that was free a moment ago; the service binds it itself (it does not report a port-0 choice).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("bound address").port()
}

pub struct Service {
    base: String,
    http: reqwest::Client,
    process: Running,
    _dir: TempDir,
}

/// One response of the service: status, headers and the JSON body (Null when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The reason code of a refusal (`code` of the problem+json body).
    pub fn code(&self) -> Option<&str> {
        self.body["code"].as_str()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Service {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn log_lines(&self) -> Vec<String> {
        self.process.logs().lines()
    }

    /// Waits for a log line matching `matches` (logs are written asynchronously).
    pub async fn wait_for_log(&mut self, what: &str, matches: impl Fn(&str) -> bool) -> String {
        self.process.wait_for_line(what, matches).await
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.http.request(method.clone(), self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}\n{}", self.process.dump()));
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("response body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None).await
    }

    /// After a rotation and a retirement: the new key's token is accepted on its first use and
    /// the retired key's token is refused as `unknown_kid`.
    pub async fn assert_new_key_accepted_and_retired_refused(
        &self,
        path: &str,
        new_token: &str,
        retired_token: &str,
    ) {
        let first_use = self.get(path, new_token).await;
        assert_eq!(first_use.status, StatusCode::OK, "{:?}", first_use.body);
        let retired = self.get(path, retired_token).await;
        assert_eq!(
            retired.status,
            StatusCode::UNAUTHORIZED,
            "{:?}",
            retired.body
        );
        assert_eq!(retired.code(), Some("unknown_kid"));
    }

    /// `/ready` once it reports `ready`, failing with its last body otherwise.
    pub async fn wait_ready(&self) -> Value {
        let mut last = Value::Null;
        let outcome = tokio::time::timeout(STARTUP_TIMEOUT, async {
            loop {
                let reply = self.call(Method::GET, "/ready", None, None).await;
                if reply.status == StatusCode::OK {
                    return reply.body;
                }
                last = reply.body;
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        })
        .await;
        outcome.unwrap_or_else(|_| panic!("/ready never became ready; last body: {last}"))
    }

    /// Sum over the series of metric `name` from `/metrics` whose labels include all of `labels`.
    pub async fn metric(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let text = self
            .http
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("metrics text");
        let wanted: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
        text.lines()
            .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
            .filter(|l| wanted.iter().all(|w| l.contains(w.as_str())))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// Asserts that no log line contains `secret` (a token's signature, a password).
    pub fn assert_logs_never_contain(&self, secret: &str) {
        let leaked: Vec<String> = self
            .log_lines()
            .into_iter()
            .filter(|l| l.contains(secret))
            .collect();
        assert!(leaked.is_empty(), "logs leak a secret: {leaked:#?}");
    }
}
