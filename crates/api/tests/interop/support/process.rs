//! Child processes owned by a test: output captured line by line for assertions, killed when dropped
//! (also when the test panics), so the suite leaves no process behind.

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, ChildStdin, Command};

/// How long a server may take to come up or a log line to appear before the test fails.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
const POLL_INTERVAL: Duration = Duration::from_millis(25);

/// Every line a process wrote on stdout and stderr, in arrival order per stream.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<String>>>);

impl Logs {
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().expect("log buffer").clone()
    }

    fn find(&self, matches: &dyn Fn(&str) -> bool) -> Option<String> {
        self.0
            .lock()
            .expect("log buffer")
            .iter()
            .find(|line| matches(line))
            .cloned()
    }

    fn capture(&self, stream: impl AsyncRead + Unpin + Send + 'static) {
        let sink = self.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                sink.0.lock().expect("log buffer").push(line);
            }
        });
    }
}

pub struct Running {
    name: String,
    child: Child,
    logs: Logs,
    /// Held open for the child's lifetime: the Node servers exit when it closes, even if this process
    /// is killed before `kill_on_drop` can run.
    _stdin: ChildStdin,
}

impl Running {
    /// Starts `command` with piped output; `kill_on_drop` ties the process to this value.
    pub fn spawn(name: &str, mut command: Command) -> Running {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let stdin = child.stdin.take().expect("piped stdin");
        let logs = Logs::default();
        logs.capture(child.stdout.take().expect("piped stdout"));
        logs.capture(child.stderr.take().expect("piped stderr"));
        Running {
            name: name.to_owned(),
            child,
            logs,
            _stdin: stdin,
        }
    }

    pub fn logs(&self) -> &Logs {
        &self.logs
    }

    /// Waits for the first output line matching `matches`; fails early, with the output, if the process exits.
    pub async fn wait_for_line(&mut self, what: &str, matches: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + STARTUP_TIMEOUT;
        loop {
            if let Some(line) = self.logs.find(&matches) {
                return line;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                // Give the readers a moment to drain what the process wrote before dying.
                tokio::time::sleep(Duration::from_millis(100)).await;
                panic!(
                    "{} exited ({status}) before {what}:\n{}",
                    self.name,
                    self.dump()
                );
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} did not show {what} within {STARTUP_TIMEOUT:?}:\n{}",
                self.name,
                self.dump()
            );
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Panics with the output if the process has exited.
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited ({status}):\n{}", self.name, self.dump());
        }
    }

    pub fn dump(&self) -> String {
        self.logs.lines().join("\n")
    }
}

/// Polls `probe` until it yields a value, failing after [`STARTUP_TIMEOUT`].
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + STARTUP_TIMEOUT;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {STARTUP_TIMEOUT:?} waiting for {what}"
        );
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// A `node <script>` command for a server of `interop/`, after making sure its packages are installed.
pub fn node_server(script: &str) -> Command {
    super::npm::ensure_installed();
    let dir = super::npm::interop_dir();
    let mut command = Command::new("node");
    command
        .arg(dir.join(script))
        .current_dir(dir)
        .env("INTEROP_EXIT_WITH_PARENT", "1");
    command
}

/// Parses the `{"event":"listening",...}` line every interop Node server prints once it listens.
pub async fn wait_listening(process: &mut Running) -> serde_json::Value {
    let line = process
        .wait_for_line("its listening line", |l| {
            l.starts_with('{') && l.contains("\"event\":\"listening\"")
        })
        .await;
    serde_json::from_str(&line).expect("listening line is JSON")
}
