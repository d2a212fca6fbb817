//! What the drills share: processes, faults, load and the checks on what was stored.

pub mod identity;
pub mod nginx;
pub mod postgres;
pub mod service;
pub mod traffic;
pub mod upstream;

use std::future::Future;
use std::time::Duration;

/// Longest any single drill may run before it is failed as hung.
pub const DRILL_LIMIT: Duration = Duration::from_secs(80);

/// Runs a drill body under [`DRILL_LIMIT`].
pub async fn bounded<F: Future<Output = ()>>(drill: F) {
    if tokio::time::timeout(DRILL_LIMIT, drill).await.is_err() {
        panic!("drill did not finish within {DRILL_LIMIT:?}");
    }
}

/// Polls `check` every 50 ms until it holds or `within` passes; returns whether it held.
pub async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
