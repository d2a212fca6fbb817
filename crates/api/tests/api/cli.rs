//! The `backend-api` binary as users run it: configuration errors (all at once, exit 2),
//! redacted `config`, `token` (refused in production), `migrate`, `healthcheck`, and `serve`
//! end to end until SIGTERM (exit 0).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestDatabase, client};

const BIN: &str = env!("CARGO_BIN_EXE_backend-api");

/// The binary with an empty environment plus `vars`: the host's variables never leak in.
fn command(vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BIN);
    command.env_clear();
    for (name, value) in vars {
        command.env(name, value);
    }
    command
}

fn run(vars: &[(&str, &str)], args: &[&str]) -> Output {
    command(vars).args(args).output().expect("binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn configuration_errors_are_reported_together_with_exit_2() {
    let output = run(
        &[
            ("PORT", "eighty"),
            ("ENVIRONMENT", "staging"),
            ("DATABASE_URL", "mysql://app:hunter2@db/tasks"),
            ("BETTER_AUTH_URL", "frontend:3000"),
            ("JWT_LEEWAY_SECONDS", "-5"),
            ("AUTH_PROVIDERS_FILE", "/nonexistent/providers.toml"),
        ],
        &["serve"],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    for name in [
        "PORT",
        "ENVIRONMENT",
        "DATABASE_URL",
        "BETTER_AUTH_URL",
        "JWT_LEEWAY_SECONDS",
        "AUTH_PROVIDERS_FILE",
    ] {
        assert!(stderr.contains(name), "{name} not reported:\n{stderr}");
    }
    assert!(stderr.contains("6 problems"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "password leaked:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn production_without_a_provider_refuses_to_start_naming_the_variable() {
    let output = run(&[("ENVIRONMENT", "production")], &["serve"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("BETTER_AUTH_URL") && stderr.contains("AUTH_PROVIDERS_FILE"),
        "{stderr}"
    );
}

/// Waits for `child` at most `limit`, killing it then; returns what it printed.
fn wait_bounded(mut child: Child, limit: Duration) -> Output {
    let deadline = std::time::Instant::now() + limit;
    while child.try_wait().expect("wait").is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    child.wait_with_output().expect("output")
}

#[test]
fn production_refuses_a_short_hs256_secret_naming_the_variable_not_the_value() {
    let base = [
        ("ENVIRONMENT", "production"),
        ("BETTER_AUTH_URL", "http://frontend:3000"),
        ("BETTER_AUTH_ACCEPT_HS256", "true"),
    ];
    // 31 bytes: one short of the minimum.
    let short = "short-secret-never-printed-31by";
    assert_eq!(short.len(), 31);
    let mut vars = base.to_vec();
    vars.push(("BETTER_AUTH_SECRET", short));
    vars.push(("PORT", "0"));
    // Bounded: a binary that wrongly starts serving is stopped instead of holding the test.
    let child = command(&vars)
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let output = wait_bounded(child, Duration::from_secs(20));
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("BETTER_AUTH_SECRET"), "{stderr}");
    assert!(stderr.contains("32"), "{stderr}");
    assert!(!stderr.contains(short), "secret leaked:\n{stderr}");
    assert!(output.stdout.is_empty() || !text(&output.stdout).contains(short));

    // 32 bytes pass this check: `config` parses the same variables and exits 0.
    let long = "a-shared-secret-of-32-bytes-long";
    assert_eq!(long.len(), 32);
    let mut vars = base.to_vec();
    vars.push(("BETTER_AUTH_SECRET", long));
    let output = run(&vars, &["config"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

#[test]
fn token_is_refused_in_production() {
    let output = run(
        &[
            ("ENVIRONMENT", "production"),
            ("BETTER_AUTH_URL", "http://frontend:3000"),
        ],
        &["token", "--sub", "alice"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(text(&output.stderr).contains("production"));
}

#[test]
fn config_prints_fingerprints_instead_of_secrets() {
    let output = run(
        &[
            (
                "DATABASE_URL",
                "postgres://app:hunter2@db.internal:5432/tasks",
            ),
            ("BETTER_AUTH_URL", "http://frontend:3000"),
            ("BETTER_AUTH_SECRET", "shared-secret-value"),
            ("OPENAI_API_KEY", "sk-not-for-logs"),
        ],
        &["config", "--json"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    for secret in ["hunter2", "shared-secret-value", "sk-not-for-logs"] {
        assert!(!stdout.contains(secret), "{secret} leaked:\n{stdout}");
    }
    let config: Value = serde_json::from_str(&stdout).expect("JSON");
    let variables = &config["variables"];
    assert!(
        variables["BETTER_AUTH_SECRET"]
            .as_str()
            .is_some_and(|v| v.starts_with("sha256:") && v.len() == 15)
    );
    assert!(
        variables["DATABASE_URL"]
            .as_str()
            .is_some_and(|v| v.contains("app:sha256:") && v.contains("db.internal"))
    );
    assert_eq!(config["providers"][0]["name"], "better-auth");
    assert_eq!(
        config["providers"][0]["keys"],
        json!({"jwks_url": "http://frontend:3000/api/auth/jwks"})
    );
}

#[test]
fn help_never_shows_secret_values() {
    let output = run(
        &[
            ("BETTER_AUTH_SECRET", "shared-secret-value"),
            ("DATABASE_URL", "postgres://u:pw-in-url@h/d"),
        ],
        &["--help"],
    );
    assert_eq!(output.status.code(), Some(0));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("BETTER_AUTH_SECRET"));
    assert!(
        !stdout.contains("shared-secret-value") && !stdout.contains("pw-in-url"),
        "{stdout}"
    );
}

#[tokio::test]
async fn migrate_applies_migrations_or_explains_why_not() {
    let database = TestDatabase::create(Backend::Sqlite).await;
    let ok = run(&[("DATABASE_URL", &database.url)], &["migrate"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let unreachable = run(
        &[("DATABASE_URL", "postgres://app:pw@127.0.0.1:1/tasks")],
        &["migrate"],
    );
    assert_eq!(unreachable.status.code(), Some(1));
    let stderr = text(&unreachable.stderr);
    assert!(
        stderr.contains("cannot connect") && stderr.contains("fix:"),
        "{stderr}"
    );
    assert!(!stderr.contains(":pw@"), "{stderr}");
}

#[test]
fn healthcheck_fails_when_nothing_answers() {
    let output = run(
        &[],
        &[
            "healthcheck",
            "--url",
            "http://127.0.0.1:1/health",
            "--timeout",
            "1",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
}

/// `serve` on the database at `url`, on an ephemeral loopback port, logging JSON.
fn served_vars(url: &str) -> [(&'static str, &str); 4] {
    [
        ("DATABASE_URL", url),
        ("HOST", "127.0.0.1"),
        ("PORT", "0"),
        ("LOG_FORMAT", "json"),
    ]
}

/// A running `backend-api serve` child and the lines it logs.
struct Served {
    child: Child,
    lines: mpsc::Receiver<String>,
    log: Vec<String>,
}

impl Served {
    fn start(vars: &[(&str, &str)]) -> Served {
        let mut child = command(vars)
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let stderr = child.stderr.take().expect("piped");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Served {
            child,
            lines,
            log: Vec::new(),
        }
    }

    /// The address it listens on, from its "listening" log line.
    fn address(&mut self) -> String {
        let listening = self.wait_for("listening");
        listening["address"].as_str().expect("address").to_owned()
    }

    /// The next JSON log line whose message is `message`.
    fn wait_for(&mut self, message: &str) -> Value {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| {
                    panic!(
                        "no {message:?} log line; log so far:\n{}",
                        self.log.join("\n")
                    )
                });
            self.log.push(line.clone());
            if let Ok(entry) = serde_json::from_str::<Value>(&line)
                && entry["message"] == message
            {
                return entry;
            }
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_token_and_sigterm_end_to_end() {
    let database = TestDatabase::create(Backend::Sqlite).await;
    let vars = served_vars(&database.url);
    let mut served = Served::start(&vars);
    let address = served.address();
    served.wait_for("database ready, migrations applied");

    let token = run(&vars, &["token", "--sub", "alice", "--ttl", "5m"]);
    assert_eq!(token.status.code(), Some(0), "{}", text(&token.stderr));
    let token = text(&token.stdout).trim().to_owned();

    let client = client();
    let created = client
        .post(format!("http://{address}/api/alice/tasks"))
        .bearer_auth(&token)
        .json(&json!({"title": "from the CLI test"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(created.status(), StatusCode::CREATED);

    let port = address.rsplit(':').next().expect("port");
    let probe = run(&[("PORT", port)], &["healthcheck"]);
    assert_eq!(probe.status.code(), Some(0), "{}", text(&probe.stderr));

    let kill = Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    served.wait_for("all requests finished; stopped");
    let status = served.child.wait().expect("exits");
    assert_eq!(status.code(), Some(0));
    let log = served.log.join("\n");
    assert!(!log.contains(&token), "the token reached the log");
    assert!(
        log.contains("DEVELOPMENT KEY"),
        "the development-key warning is missing"
    );
}

/// Log lines are written by a background thread in batches; after SIGTERM every request's
/// access line is still on stderr before the process exits, the shutdown lines after them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_access_line_is_written_before_exit_after_sigterm() {
    const REQUESTS: usize = 300;
    let database = TestDatabase::create(Backend::Sqlite).await;
    let vars = served_vars(&database.url);
    let mut served = Served::start(&vars);
    let address = served.address();
    let client = client();
    let requests: Vec<_> = (0..REQUESTS)
        .map(|_| {
            let client = client.clone();
            let url = format!("http://{address}/health");
            tokio::spawn(async move { client.get(url).send().await.expect("sent").status() })
        })
        .collect();
    for request in requests {
        assert_eq!(request.await.expect("request task"), StatusCode::OK);
    }
    // At once: the last lines are still pending in the writer.
    let kill = Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let status = served.child.wait().expect("exits");
    assert_eq!(status.code(), Some(0));
    // The reader thread ends at end of file: everything the process wrote.
    let lines: Vec<Value> =
        std::iter::from_fn(|| served.lines.recv_timeout(Duration::from_secs(5)).ok())
            .filter_map(|line| serde_json::from_str(&line).ok())
            .collect();
    let done = lines
        .iter()
        .filter(|line| line["message"] == "request done" && line["span"]["route"] == "/health")
        .count();
    assert_eq!(done, REQUESTS, "access lines written before exit");
    assert_eq!(
        lines.last().map(|line| line["message"].clone()),
        Some(json!("all requests finished; stopped"))
    );
}

/// A password inside a provider's `jwks_url` (or `BETTER_AUTH_URL`) never shows in `config`,
/// `doctor`, configuration errors or the log lines of `serve`; the URL appears as `user:***@`.
#[tokio::test]
async fn url_password_never_shows_in_config_doctor_errors_or_logs() {
    const PASSWORD: &str = "s3cret-in-url";
    let dir = test_support::temp_dir("url-password");
    let providers = dir.path().join("providers.toml");
    std::fs::write(
        &providers,
        format!(
            "[[provider]]\nname = \"kc\"\nissuer = \"https://id.example.com\"\n\
             jwks_url = \"http://user:{PASSWORD}@127.0.0.1:1/jwks.json\"\n"
        ),
    )
    .expect("providers file");
    let database = format!("sqlite://{}", dir.path().join("tasks.db").display());
    let providers = providers.display().to_string();
    let vars = [
        ("AUTH_PROVIDERS_FILE", providers.as_str()),
        ("DATABASE_URL", database.as_str()),
        ("HOST", "127.0.0.1"),
        ("PORT", "0"),
        ("LOG_FORMAT", "json"),
    ];
    let assert_hidden = |surface: &str, text: &str| {
        assert!(
            !text.contains(PASSWORD),
            "{surface} leaks the password:\n{text}"
        );
    };
    for args in [&["config"][..], &["config", "--json"]] {
        let output = run(&vars, args);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        let stdout = text(&output.stdout);
        assert_hidden("config", &stdout);
        assert!(stdout.contains("user:***@127.0.0.1:1"), "{stdout}");
    }
    let doctor = run(&vars, &["doctor", "--json", "--timeout", "5"]);
    assert_eq!(doctor.status.code(), Some(1), "the key set is unreachable");
    let report = text(&doctor.stdout);
    assert_hidden("doctor", &format!("{report}{}", text(&doctor.stderr)));
    assert!(report.contains("127.0.0.1"), "{report}");

    let refused = run(
        &[(
            "BETTER_AUTH_URL",
            &format!("http://user:{PASSWORD}@frontend:3000"),
        )],
        &["serve"],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert_hidden("configuration error", &text(&refused.stderr));

    let mut served = Served::start(&vars);
    let failed = served.wait_for("key set fetch failed");
    assert!(failed.to_string().contains("user:***@"), "{failed}");
    assert_hidden("serve log", &served.log.join("\n"));
}
