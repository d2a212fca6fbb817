//! [`Tracker`]: the phase of one connection (reading a head, serving a request, idle between
//! requests) and the watchdog that closes it when the phase has lasted too long.
//!
//! The phase changes from three places inside the connection's own task: the socket wrapper
//! (first byte of a head), the service (request started) and the response body (request
//! finished). The watchdog sleeps until the current phase's deadline and is woken on each
//! change, so one connection costs one timer, not a poll per second.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::Closed;
use crate::config::ConnectionLimits;

const HEAD: u8 = 0;
const BUSY: u8 = 1;
const IDLE: u8 = 2;

/// What a connection is doing now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Waiting for (the rest of) a request head: since accept, or since the first byte of the
    /// next request on a kept-alive connection.
    Head,
    /// A request is being served; only `REQUEST_TIMEOUT_SECONDS` bounds it.
    Busy,
    /// Between requests, no byte of the next one yet.
    Idle,
}

/// Shared by the connection's socket wrapper, service, response bodies and the registry.
pub(crate) struct Tracker {
    accepted: Instant,
    phase: AtomicU8,
    /// Milliseconds from `accepted` to the start of the current phase.
    since_ms: AtomicU64,
    evicted: AtomicBool,
    changed: Notify,
}

impl Tracker {
    pub(crate) fn new() -> Tracker {
        Tracker {
            accepted: Instant::now(),
            phase: AtomicU8::new(HEAD),
            since_ms: AtomicU64::new(0),
            evicted: AtomicBool::new(false),
            changed: Notify::new(),
        }
    }

    pub(crate) fn phase(&self) -> (Phase, Instant) {
        let phase = match self.phase.load(Ordering::Acquire) {
            HEAD => Phase::Head,
            BUSY => Phase::Busy,
            _ => Phase::Idle,
        };
        let since = self.accepted + Duration::from_millis(self.since_ms.load(Ordering::Acquire));
        (phase, since)
    }

    fn enter(&self, phase: u8) {
        let elapsed = self.accepted.elapsed().as_millis() as u64;
        self.since_ms.store(elapsed, Ordering::Release);
        self.phase.store(phase, Ordering::Release);
        self.changed.notify_one();
    }

    /// Bytes arrived: on an idle connection they start the next head, and its timer.
    pub(crate) fn bytes_read(&self) {
        if self.phase.load(Ordering::Acquire) == IDLE {
            self.enter(HEAD);
        }
    }

    /// hyper parsed a head and called the service; the guard ends the request when dropped
    /// (hyper drops the response body once it is written, or the request is abandoned).
    pub(crate) fn request_started(self: &std::sync::Arc<Self>) -> RequestGuard {
        self.enter(BUSY);
        RequestGuard(self.clone())
    }

    /// Asks the connection to close unless a request has started meanwhile.
    pub(crate) fn evict(&self) {
        self.evicted.store(true, Ordering::Release);
        self.changed.notify_one();
    }

    /// Completes when the connection must be closed, with the reason.
    pub(crate) async fn expired(&self, limits: &ConnectionLimits) -> Closed {
        loop {
            // A change between this check and the wait leaves a permit in `changed`.
            let (phase, since) = self.phase();
            if self.evicted.swap(false, Ordering::AcqRel) && phase != Phase::Busy {
                return Closed::Evicted;
            }
            let deadline = match phase {
                Phase::Head => Some((since + limits.header_read_timeout, Closed::HeaderTimeout)),
                Phase::Idle => Some((since + limits.keep_alive_timeout, Closed::KeepAliveTimeout)),
                Phase::Busy => None,
            };
            match deadline {
                Some((at, reason)) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {
                            if self.phase() == (phase, since) {
                                return reason;
                            }
                        }
                        () = self.changed.notified() => {}
                    }
                }
                None => self.changed.notified().await,
            }
        }
    }
}

/// Marks the connection idle when the request's response is done.
pub(crate) struct RequestGuard(std::sync::Arc<Tracker>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.enter(IDLE);
    }
}
