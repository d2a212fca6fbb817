use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::Uri;
use axum::response::Response;
use serde_json::Value;
use test_support::{TempDir, temp_dir};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One run of `backend-api doctor …`.
pub struct Doctor {
    env: Vec<(String, String)>,
    args: Vec<String>,
    stdin: Option<String>,
    /// The binary's working directory, one per run, removed with the `Doctor`.
    dir: TempDir,
}

/// What one run printed and how it exited.
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Doctor {
    /// `backend-api doctor <args> --json`, with a clean environment in a scratch directory (so the
    /// default SQLite database and development key land there).
    pub fn new(args: &[&str]) -> Doctor {
        let mut all = vec!["doctor".to_owned()];
        all.extend(args.iter().map(|a| (*a).to_owned()));
        Doctor {
            env: Vec::new(),
            args: all,
            stdin: None,
            dir: temp_dir("doctor"),
        }
    }

    pub fn env(mut self, name: &str, value: impl Into<String>) -> Doctor {
        self.env.push((name.to_owned(), value.into()));
        self
    }

    pub fn stdin(mut self, text: impl Into<String>) -> Doctor {
        self.stdin = Some(text.into());
        self
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `text` into the scratch directory and returns its path.
    pub fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write file");
        path.display().to_string()
    }

    pub async fn run(&self) -> Outcome {
        self.run_with(&[]).await
    }

    async fn run_with(&self, extra: &[&str]) -> Outcome {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_backend-api"));
        command
            .args(&self.args)
            .args(extra)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let started = Instant::now();
        let mut child = command.spawn().expect("spawn backend-api");
        let mut stdin = child.stdin.take().expect("stdin");
        if let Some(text) = &self.stdin {
            stdin.write_all(text.as_bytes()).await.expect("write stdin");
        }
        drop(stdin);
        let output = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
            .await
            .expect("doctor finishes within 30 s")
            .expect("doctor output");
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            elapsed: started.elapsed(),
        }
    }

    /// Runs with `--json` and parses the report.
    pub async fn json(&self) -> Report {
        self.json_args(&[]).await
    }

    /// Runs with `--json` plus `extra` arguments and parses the report.
    pub async fn json_args(&self, extra: &[&str]) -> Report {
        let mut extra = extra.to_vec();
        extra.push("--json");
        let outcome = self.run_with(&extra).await;
        let value: Value = serde_json::from_str(&outcome.stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}):\n{}\nstderr:\n{}",
                outcome.stdout, outcome.stderr
            )
        });
        Report { value, outcome }
    }
}

/// A parsed `--json` report.
pub struct Report {
    pub value: Value,
    pub outcome: Outcome,
}

impl Report {
    pub fn findings(&self) -> &[Value] {
        self.value["findings"].as_array().expect("findings array")
    }

    pub fn codes(&self) -> Vec<&str> {
        self.findings()
            .iter()
            .filter_map(|f| f["code"].as_str())
            .collect()
    }

    /// The first finding with `code`; panics with the whole report when there is none.
    pub fn finding(&self, code: &str) -> &Value {
        self.findings()
            .iter()
            .find(|f| f["code"] == code)
            .unwrap_or_else(|| panic!("no {code} finding in:\n{:#}", self.value))
    }

    /// Asserts the finding exists with this severity, and returns it.
    pub fn expect(&self, code: &str, severity: &str) -> &Value {
        let finding = self.finding(code);
        assert_eq!(finding["severity"], severity, "{finding:#}");
        finding
    }

    pub fn has(&self, code: &str) -> bool {
        self.codes().contains(&code)
    }

    pub fn exit(&self) -> i32 {
        self.outcome.code
    }
}

/// A tiny HTTP server on 127.0.0.1:0 answering every request with `respond(path)`: for the failure
/// modes the shared JWKS server does not play (redirects, a wrong `Date` header).
pub struct FixedServer {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl FixedServer {
    pub async fn start(respond: fn(&Uri) -> Response) -> FixedServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = Router::new().fallback(move |uri: Uri| async move { respond(&uri) });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FixedServer { addr, task }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for FixedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("addr").port()
}

/// An address on 127.0.0.1 that drops connection attempts the way a NetworkPolicy does: a listener
/// whose accept queue is full (Linux drops the SYNs it cannot queue). Holds the queued connections.
pub struct BlackHole {
    pub addr: SocketAddr,
    _listener: TcpListener,
    _queued: Vec<tokio::net::TcpStream>,
}

impl BlackHole {
    pub async fn open() -> BlackHole {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind("127.0.0.1:0".parse().expect("addr"))
            .expect("bind");
        let listener = socket.listen(0).expect("listen");
        let addr = listener.local_addr().expect("addr");
        let mut queued = Vec::new();
        // Connect until one attempt hangs: from then on the queue is full.
        for _ in 0..4 {
            match tokio::time::timeout(Duration::from_secs(1), tokio::net::TcpStream::connect(addr))
                .await
            {
                Ok(Ok(stream)) => queued.push(stream),
                Ok(Err(error)) => panic!("connect: {error}"),
                Err(_) => {
                    return BlackHole {
                        addr,
                        _listener: listener,
                        _queued: queued,
                    };
                }
            }
        }
        panic!("the accept queue never filled");
    }
}
