//! Better Auth's own key rotation while authenticated requests keep coming: no request may fail, a token
//! of the new key works on its first use, the old key's tokens work while it is published and get
//! `unknown_kid` once it is retired. Prints how many JWKS fetches backend-api made.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::support::better_auth::{BetterAuth, Options};
use crate::support::jwt;
use crate::support::service::{Launch, Service};

const WORKERS: usize = 8;
/// Requests each worker sends before the rotation starts.
const BEFORE_ROTATION: usize = 25;
/// Requests with the new key's token each worker sends after the rotation, alternating with the old one.
const WITH_NEW_KEY: usize = 60;
/// Hard cap per worker, so a stalled rotation cannot make the load unbounded.
const MAX_PER_WORKER: usize = 1_000;
/// The service's least time between two unknown-kid refreshes (JWKS_REFRESH_COOLDOWN_SECONDS).
const COOLDOWN_SECONDS: u64 = 1;

/// What one worker saw: requests sent, uses of the new token, and every refusal (status, code, which token).
#[derive(Default)]
struct Outcome {
    sent: usize,
    new_key_uses: usize,
    failures: Vec<String>,
}

/// Sends GETs on the user's task list with the tokens currently published on `tokens`, in turn.
async fn worker(
    service: Arc<Service>,
    path: String,
    mut tokens: watch::Receiver<Vec<String>>,
    progress: Arc<AtomicUsize>,
) -> Outcome {
    let mut outcome = Outcome::default();
    while outcome.new_key_uses < WITH_NEW_KEY && outcome.sent < MAX_PER_WORKER {
        let current = tokens.borrow_and_update().clone();
        let index = outcome.sent % current.len();
        let reply = service.get(&path, &current[index]).await;
        outcome.sent += 1;
        if index == 1 {
            outcome.new_key_uses += 1;
        }
        if reply.status != StatusCode::OK {
            let which = if index == 1 { "new" } else { "old" };
            outcome
                .failures
                .push(format!("{which} key: {} {:?}", reply.status, reply.code()));
        }
        progress.fetch_add(1, Ordering::Relaxed);
    }
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn better_auth_rotation_under_load_fails_no_request() {
    let better_auth = BetterAuth::start(Options::default()).await;
    let service = Launch::new()
        .env("BETTER_AUTH_URL", &better_auth.url)
        .env(
            "JWKS_REFRESH_COOLDOWN_SECONDS",
            &COOLDOWN_SECONDS.to_string(),
        )
        .start()
        .await;
    service.wait_ready().await;
    let user = better_auth
        .sign_up_and_in("Grace", "grace@example.com", "rotate-me-please-123")
        .await;
    let old_token = user.token().await;
    let old_kid = jwt::kid(&old_token);
    let path = format!("/api/{}/tasks", user.user_id);
    let fetches_at_start = better_auth.jwks_requests().await;

    // Phase 1: load with the old key's token, rotation in Better Auth, load with both tokens.
    let service = Arc::new(service);
    let (publish, tokens) = watch::channel(vec![old_token.clone()]);
    let progress = Arc::new(AtomicUsize::new(0));
    let mut workers = JoinSet::new();
    for _ in 0..WORKERS {
        workers.spawn(worker(
            service.clone(),
            path.clone(),
            tokens.clone(),
            progress.clone(),
        ));
    }
    while progress.load(Ordering::Relaxed) < WORKERS * BEFORE_ROTATION {
        tokio::task::yield_now().await;
    }
    let new_kid = better_auth.rotate().await;
    let new_token = user.token().await;
    assert_eq!(
        jwt::kid(&new_token),
        new_kid,
        "Better Auth signs with the new key"
    );
    assert!(
        better_auth.jwks().await.1["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .any(|k| k["kid"] == old_kid.as_str()),
        "the old key stays published after the rotation"
    );
    // Every worker gets the new token at once: its first uses are concurrent.
    publish
        .send(vec![old_token.clone(), new_token.clone()])
        .expect("workers listening");
    let mut sent = 0;
    let mut failures = Vec::new();
    while let Some(outcome) = workers.join_next().await {
        let outcome = outcome.expect("worker");
        assert!(
            outcome.new_key_uses >= WITH_NEW_KEY,
            "worker hit the request cap"
        );
        sent += outcome.sent;
        failures.extend(outcome.failures);
    }
    // The test itself fetched the JWKS once above, to look at it.
    let fetches_during_rotation = better_auth.jwks_requests().await - fetches_at_start - 1;

    // Phase 2: Better Auth retires the old key; a further rotation makes the service refresh.
    better_auth.retire(&old_kid).await;
    // Wait out the refresh rate limit the previous unknown kid started (not an expiry test).
    tokio::time::sleep(Duration::from_millis(COOLDOWN_SECONDS * 1000 + 200)).await;
    let third_kid = better_auth.rotate().await;
    let third_token = user.token().await;
    assert_eq!(jwt::kid(&third_token), third_kid);
    service
        .assert_new_key_accepted_and_retired_refused(&path, &third_token, &old_token)
        .await;
    let counted = service
        .metric(
            "auth_failures_total",
            &[("reason", "unknown_kid"), ("provider", "better-auth")],
        )
        .await;
    assert_eq!(
        counted, 1.0,
        "the refusal is counted under its code and provider"
    );
    let still_published = service.get(&path, &new_token).await;
    assert_eq!(
        still_published.status,
        StatusCode::OK,
        "{:?}",
        still_published.body
    );

    let fetches_total = better_auth.jwks_requests().await - 1;
    let fetches_metric = service
        .metric("jwks_fetches_total", &[("provider", "better-auth")])
        .await as u64;
    println!(
        "rotation under load: {sent} requests by {WORKERS} workers, {} failed; JWKS fetches by backend-api: \
         {fetches_total} in total ({fetches_at_start} before the load, {fetches_during_rotation} for the \
         rotation under load, the rest for the retirement); jwks_fetches_total metric: {fetches_metric}",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "failed requests during rotation: {failures:#?}"
    );
    assert_eq!(
        fetches_during_rotation, 1,
        "one JWKS fetch for the new key, however many requests carry it at once"
    );
    assert_eq!(
        fetches_metric, fetches_total,
        "jwks_fetches_total counts what went on the wire"
    );
}
