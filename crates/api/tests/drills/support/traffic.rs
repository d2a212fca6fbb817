//! Load that runs while a fault is injected, and what it saw: every request is a success or a
//! failure described in words, so an assertion can print exactly what went wrong.
//!
//! Every create carries an `Idempotency-Key` (its title, unique per drill), so a client may
//! retry it, and a proxy may pass it to another replica, without ever creating it twice.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::task::JoinSet;

/// Why a request did not succeed.
pub enum Failure {
    /// An HTTP answer other than the expected one: "GET …: 503 keys_unavailable".
    Answer(String),
    /// No HTTP answer (refused, reset, timed out).
    Transport(String),
}

/// One request: the title it tried to create (writes only) and how it went.
pub struct Step {
    pub title: Option<String>,
    pub result: Result<(), Failure>,
}

/// What a group of workers saw.
#[derive(Debug, Default)]
pub struct Tally {
    /// Requests answered as expected.
    pub ok: u64,
    /// Titles of the creates answered 201.
    pub acknowledged: Vec<String>,
    /// Titles of the creates that failed; the task may or may not exist.
    pub unacknowledged: Vec<String>,
    /// One line per request answered, but not as expected.
    pub failures: Vec<String>,
    /// One line per request that got no HTTP answer at all.
    pub transport_errors: Vec<String>,
}

impl Tally {
    fn add(&mut self, step: Step) {
        match (step.result, step.title) {
            (Ok(()), title) => {
                self.ok += 1;
                self.acknowledged.extend(title);
            }
            (Err(failure), title) => {
                self.unacknowledged.extend(title);
                match failure {
                    Failure::Answer(what) => self.failures.push(what),
                    Failure::Transport(what) => self.transport_errors.push(what),
                }
            }
        }
    }

    fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        self.acknowledged.extend(other.acknowledged);
        self.unacknowledged.extend(other.unacknowledged);
        self.failures.extend(other.failures);
        self.transport_errors.extend(other.transport_errors);
    }

    /// True when no request failed in any way.
    pub fn clean(&self) -> bool {
        self.failures.is_empty() && self.transport_errors.is_empty()
    }

    /// The first few failures of both kinds, for an assertion message.
    pub fn sample(&self) -> String {
        let answers: Vec<&String> = self.failures.iter().take(5).collect();
        let transport: Vec<&String> = self.transport_errors.iter().take(5).collect();
        format!(
            "{} answered wrongly {answers:?}; {} without answer {transport:?}",
            self.failures.len(),
            self.transport_errors.len()
        )
    }
}

/// Workers that repeat a step until told to stop.
pub struct Load {
    stop: Arc<AtomicBool>,
    workers: JoinSet<Tally>,
}

impl Load {
    /// Starts `workers` loops of `step(worker, sequence)`.
    pub fn start<F, Fut>(workers: usize, step: F) -> Load
    where
        F: Fn(usize, u64) -> Fut + Clone + Send + 'static,
        Fut: Future<Output = Step> + Send,
    {
        let stop = Arc::new(AtomicBool::new(false));
        let mut set = JoinSet::new();
        for worker in 0..workers {
            let (stop, step) = (stop.clone(), step.clone());
            set.spawn(async move {
                let mut tally = Tally::default();
                let mut sequence = 0;
                while !stop.load(Ordering::Relaxed) {
                    let step = step(worker, sequence).await;
                    if matches!(step.result, Err(Failure::Transport(_))) {
                        // Nothing listens (yet): do not spin on refused connections.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    tally.add(step);
                    sequence += 1;
                }
                tally
            });
        }
        Load { stop, workers: set }
    }

    /// `workers` loops listing the tasks, request after request cycling through `tokens`.
    pub fn reads(workers: usize, api: &Api, tokens: &[String]) -> Load {
        let (api, tokens) = (api.clone(), Arc::new(tokens.to_vec()));
        Load::start(workers, move |worker, sequence| {
            let (api, tokens) = (api.clone(), tokens.clone());
            async move {
                let index = (worker + sequence as usize) % tokens.len();
                api.list(&tokens[index]).await
            }
        })
    }

    /// `workers` loops creating tasks titled `<prefix>-<worker>-<sequence>`: every title once.
    pub fn writes(workers: usize, api: &Api, token: &str, prefix: &str) -> Load {
        let (api, token, prefix) = (
            api.clone(),
            Arc::<str>::from(token),
            Arc::<str>::from(prefix),
        );
        Load::start(workers, move |worker, sequence| {
            let (api, token, prefix) = (api.clone(), token.clone(), prefix.clone());
            async move {
                api.create(&token, &format!("{prefix}-{worker}-{sequence}"))
                    .await
            }
        })
    }

    /// Stops the workers after their current request and merges what they saw.
    pub async fn finish(mut self) -> Tally {
        self.stop.store(true, Ordering::Relaxed);
        let mut total = Tally::default();
        while let Some(tally) = self.workers.join_next().await {
            total.merge(tally.expect("load worker panicked"));
        }
        total
    }
}

/// The tasks API of one user, reached at `base` (a replica or the proxy).
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: Arc<str>,
    user: Arc<str>,
}

impl Api {
    pub fn new(http: reqwest::Client, base: &str, user: &str) -> Api {
        Api {
            http,
            base: base.into(),
            user: user.into(),
        }
    }

    fn tasks_url(&self) -> String {
        format!("{}/api/{}/tasks", self.base, self.user)
    }

    /// GET the user's tasks; anything but 200 is a failure.
    pub async fn list(&self, token: &str) -> Step {
        let url = self.tasks_url();
        let result = match self.http.get(&url).bearer_auth(token).send().await {
            Ok(response) if response.status() == StatusCode::OK => Ok(()),
            Ok(response) => Err(Failure::Answer(format!(
                "GET {url}: {}",
                describe(response).await
            ))),
            Err(error) => Err(Failure::Transport(format!("GET {url}: {error:?}"))),
        };
        Step {
            title: None,
            result,
        }
    }

    /// POST a task titled `title`, with the title as `Idempotency-Key`; a 201 naming that
    /// title is an acknowledged write.
    pub async fn create(&self, token: &str, title: &str) -> Step {
        let sent = self
            .http
            .post(self.tasks_url())
            .bearer_auth(token)
            .header("idempotency-key", title)
            .json(&json!({"title": title, "description": "fault drill"}))
            .send()
            .await;
        let result = match sent {
            Ok(response) if response.status() == StatusCode::CREATED => {
                match response.json::<Value>().await {
                    Ok(task) if task["title"] == title => Ok(()),
                    Ok(task) => Err(Failure::Answer(format!(
                        "POST {title}: 201 with another task: {task}"
                    ))),
                    Err(e) => Err(Failure::Transport(format!(
                        "POST {title}: 201 body cut: {e}"
                    ))),
                }
            }
            Ok(response) => Err(Failure::Answer(format!(
                "POST {title}: {}",
                describe(response).await
            ))),
            Err(error) => Err(Failure::Transport(format!("POST {title}: {error:?}"))),
        };
        Step {
            title: Some(title.to_owned()),
            result,
        }
    }

    /// Retries the create of `title` (same key, same body) until it is acknowledged, as a
    /// client with a retry queue does; false if `within` passes first.
    pub async fn create_until_acknowledged(
        &self,
        token: &str,
        title: &str,
        within: Duration,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        while tokio::time::Instant::now() < deadline {
            if self.create(token, title).await.result.is_ok() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// Every task title of the user, with how many tasks carry it, read page by page.
    pub async fn titles(&self, token: &str) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut request = self
                .http
                .get(self.tasks_url())
                .bearer_auth(token)
                .query(&[("limit", "100")]);
            if let Some(cursor) = &cursor {
                request = request.query(&[("cursor", cursor.as_str())]);
            }
            let response = request.send().await.expect("list tasks");
            assert_eq!(response.status(), StatusCode::OK, "listing tasks");
            let page: Value = response.json().await.expect("task list body");
            for task in page["tasks"].as_array().expect("tasks array") {
                let title = task["title"].as_str().expect("task title").to_owned();
                *counts.entry(title).or_insert(0) += 1;
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return counts,
            }
        }
    }
}

/// "503 keys_unavailable" style summary of an unexpected response.
async fn describe(response: reqwest::Response) -> String {
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    format!(
        "{} {}",
        status.as_u16(),
        body["code"].as_str().unwrap_or("")
    )
}

/// Asserts that the stored tasks are exactly the acknowledged writes, each stored once.
pub fn assert_stored_exactly_once(acknowledged: &[String], stored: &HashMap<String, usize>) {
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|t| !stored.contains_key(*t))
        .collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged writes are lost: {missing:?}",
        missing.len()
    );
    let twice: Vec<(&String, &usize)> = stored.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "writes applied more than once: {twice:?}");
    let unknown: Vec<&String> = stored
        .keys()
        .filter(|t| !acknowledged.contains(t))
        .collect();
    assert!(
        unknown.is_empty(),
        "tasks stored that no acknowledged write created: {unknown:?}"
    );
}
