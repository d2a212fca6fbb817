//! The real `backend-api` binary as a child process: started with an explicit environment on a
//! loopback port, waited for, sent SIGTERM, and its exit collected. Its log goes to a file whose
//! tail is shown whenever a wait fails.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use super::identity::Identity;

/// Longest wait for a started service to answer as asked.
const START_LIMIT: Duration = Duration::from_secs(30);

/// A port nothing listens on right now, for a process that must be started on a known port.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// An HTTP client with bounded waits.
pub fn client() -> reqwest::Client {
    client_builder().build().expect("HTTP client")
}

/// The builder behind [`client`], for drills that need another setting.
pub fn client_builder() -> reqwest::ClientBuilder {
    // reqwest is built without a default TLS provider; the drills speak plain HTTP, but the
    // builder still wants one.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder().timeout(Duration::from_secs(15))
}

/// The environment of one service process; nothing is inherited from the test's own.
#[derive(Clone)]
pub struct ServiceEnv(BTreeMap<String, String>);

impl ServiceEnv {
    /// Production settings with the drill's database and identity provider.
    pub fn new(database_url: &str, identity: &Identity) -> ServiceEnv {
        let mut vars = BTreeMap::new();
        let mut set = |k: &str, v: &str| vars.insert(k.to_owned(), v.to_owned());
        set("HOST", "127.0.0.1");
        set("ENVIRONMENT", "production");
        set("LOG_FORMAT", "json");
        set("RUST_LOG", "info");
        set("DATABASE_URL", database_url);
        set("BETTER_AUTH_URL", &identity.jwks.base_url());
        set("BETTER_AUTH_JWKS_URL", &identity.jwks_url());
        set("BETTER_AUTH_ISSUER", identity.issuer());
        set("BETTER_AUTH_AUDIENCE", identity.audience());
        // Short, so a recovery that depends on a request-triggered refresh shows within the drill.
        set("JWKS_REFRESH_COOLDOWN_SECONDS", "1");
        ServiceEnv(vars)
    }

    pub fn set(mut self, name: &str, value: &str) -> ServiceEnv {
        self.0.insert(name.to_owned(), value.to_owned());
        self
    }
}

pub struct Service {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

impl Service {
    /// Spawns `backend-api serve` on `port`; returns at once.
    pub fn spawn(env: &ServiceEnv, port: u16, dir: &Path, name: &str) -> Service {
        let log = dir.join(format!("{name}-{port}.log"));
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("service log file");
        let err = out.try_clone().expect("service log file");
        let child = Command::new(env!("CARGO_BIN_EXE_backend-api"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(&env.0)
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true)
            .spawn()
            .expect("spawn backend-api");
        Service { child, port, log }
    }

    /// Spawns the service and waits until `/ready` answers 200.
    pub async fn start_ready(env: &ServiceEnv, port: u16, dir: &Path, name: &str) -> Service {
        let mut service = Service::spawn(env, port, dir, name);
        service.wait_status("/ready", 200).await;
        service
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Waits until GET `path` answers `status`; fails with the log tail if the process exits or
    /// the wait exceeds [`START_LIMIT`].
    pub async fn wait_status(&mut self, path: &str, status: u16) {
        let http = client();
        let deadline = Instant::now() + START_LIMIT;
        loop {
            if let Ok(response) = http.get(self.url(path)).send().await
                && response.status().as_u16() == status
            {
                return;
            }
            if let Ok(Some(exit)) = self.child.try_wait() {
                panic!(
                    "backend-api exited ({exit}) while waiting for {path} → {status}\n{}",
                    self.log_tail()
                );
            }
            assert!(
                Instant::now() < deadline,
                "backend-api: {path} did not answer {status} within {START_LIMIT:?}\n{}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("service still running")
    }

    /// True while the very process spawned is alive (a recovery without restart keeps it).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends SIGTERM, as the kubelet does.
    pub fn sigterm(&self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Sends SIGKILL at once (no process spawned in between): a crash, nothing flushed.
    pub fn sigkill(&mut self) {
        self.child.start_kill().expect("SIGKILL backend-api");
    }

    /// Waits for the exit; returns its status and how long it took. Fails after `within`.
    pub async fn wait_exit(&mut self, within: Duration) -> (ExitStatus, Duration) {
        let started = Instant::now();
        match tokio::time::timeout(within, self.child.wait()).await {
            Ok(status) => (status.expect("wait for backend-api"), started.elapsed()),
            Err(_) => panic!(
                "backend-api still running {within:?} after SIGTERM\n{}",
                self.log_tail()
            ),
        }
    }

    /// SIGTERM, then the exit, which must be 0 within `within`.
    pub async fn stop(&mut self, within: Duration) {
        self.sigterm();
        let (status, _) = self.wait_exit(within).await;
        assert!(
            status.success(),
            "backend-api exited with {status}\n{}",
            self.log_tail()
        );
    }

    /// The sum over every label set of the samples of `name` on `/metrics` whose labels contain
    /// each of `labels` (`method="GET"`, …); 0 when there is none or `/metrics` does not answer.
    pub async fn metric(&self, name: &str, labels: &[&str]) -> f64 {
        let Ok(response) = client().get(self.url("/metrics")).send().await else {
            return 0.0;
        };
        let text = response.text().await.unwrap_or_default();
        text.lines()
            .filter_map(|line| {
                let rest = line.strip_prefix(name)?;
                let (series, value) = rest.rsplit_once(' ')?;
                let ours = series.is_empty() || series.starts_with('{');
                (ours && labels.iter().all(|label| series.contains(label))).then_some(value)
            })
            .filter_map(|value| value.parse::<f64>().ok())
            .sum()
    }

    /// Waits until the service's log holds a line containing `needle`; fails with the log tail
    /// after `within`.
    pub async fn wait_log(&self, needle: &str, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let text = std::fs::read_to_string(&self.log).unwrap_or_default();
            if text.lines().any(|line| line.contains(needle)) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "backend-api did not log {needle:?} within {within:?}\n{}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The last lines of the service's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let start = lines.len().saturating_sub(40);
        format!(
            "--- {} (last {} lines) ---\n{}",
            self.log.display(),
            lines.len() - start,
            lines[start..].join("\n")
        )
    }
}
