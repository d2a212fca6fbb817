//! Hostile connections against the real binary: slowloris heads, silent connections and a flood
//! of 8,000 of them, while `/health` is polled and normal traffic runs.
//!
//! - Thousands of stalled heads are all closed by the service within the header timeout (2 s
//!   here) plus a margin, counted from when each was opened.
//! - During a flood of 8,000 such connections the service's RSS (`VmRSS` of the process) stays
//!   under 64 MiB, `/health` answers every poll and no normal request is lost.
//!
//! File descriptors: the flood holds thousands of sockets in this process; the soft
//! `RLIMIT_NOFILE` is raised to the hard limit first (the service raises its own at start). If
//! the hard limit is still too low, the flood is sized to it and the drill says so.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::support::bounded;
use crate::support::identity::Identity;
use crate::support::service::{Service, ServiceEnv, client, free_port};
use crate::support::traffic::{Api, Load};
use test_support::temp_dir;

const USER: &str = "drill-user";
const HEADER_TIMEOUT: Duration = Duration::from_secs(2);
/// Time past the header timeout within which a stalled connection must be closed: the
/// service's timer fires at the deadline; the rest is scheduling on a busy CI machine.
const MARGIN: Duration = Duration::from_secs(3);
const STALLED: usize = 3_000;
const FLOOD: usize = 8_000;
/// How long each flood connection is held by this process once open.
const FLOOD_HOLD: Duration = Duration::from_secs(3);
const RSS_LIMIT_KIB: u64 = 64 * 1024;
/// Connections being opened at once by this process, and how many per second.
const OPENING: usize = 256;
const OPENING_PER_SECOND: u32 = 1_000;
/// A stalled connection still open after this long counts as never closed.
const NEVER_CLOSED: Duration = Duration::from_secs(20);
/// Descriptors this process keeps for everything but the hostile sockets.
const SPARE_FDS: u64 = 256;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_and_flooding_connections_are_bounded_while_health_and_traffic_go_on() {
    let fds = raise_fd_limit();
    bounded(async {
        let dir = temp_dir("hostile");
        let identity = Identity::start().await;
        let database = format!("sqlite://{}/tasks.db", dir.path().display());
        let env = ServiceEnv::new(&database, &identity).set(
            "HEADER_READ_TIMEOUT_SECONDS",
            &HEADER_TIMEOUT.as_secs().to_string(),
        );
        let port = free_port();
        let service = Service::start_ready(&env, port, dir.path(), "api").await;
        let idle_rss = rss_kib(service.pid());

        // Stalled heads: every one closed by the service, none lasting past timeout + margin.
        let stalled = STALLED.min(usable(fds, 0));
        let started = Instant::now();
        let lifetimes = open_hostile(port, stalled, Hold::UntilClosed).await;
        eprintln!("hostile: {stalled} stalled heads opened and closed in {:?}", started.elapsed());
        let longest = lifetimes.iter().max().copied().unwrap_or_default();
        assert_eq!(lifetimes.len(), stalled, "every stalled connection got closed");
        assert!(
            longest <= HEADER_TIMEOUT + MARGIN,
            "a stalled connection lived {longest:?}, header timeout {HEADER_TIMEOUT:?}\n{}",
            service.log_tail()
        );

        // The flood, with the probes and normal traffic measured meanwhile.
        let token = identity.token(USER);
        let http = client();
        let api = Api::new(http.clone(), &service.url(""), USER);
        let peak = Arc::new(AtomicU64::new(0));
        let watch = watch_rss(service.pid(), peak.clone());
        let probes = Load::start(1, {
            let (http, url) = (http.clone(), service.url("/health"));
            move |_, _| {
                let (http, url) = (http.clone(), url.clone());
                async move { probe(&http, &url).await }
            }
        });
        let readers = Load::reads(2, &api, std::slice::from_ref(&token));
        let flood = FLOOD.min(usable(fds, 64));
        let started = Instant::now();
        let flooded = open_hostile(port, flood, Hold::Sent).await;
        let flood_took = started.elapsed();
        let probes = probes.finish().await;
        let readers = readers.finish().await;
        watch.abort();
        let peak_rss = peak.load(Ordering::Relaxed).max(rss_kib(service.pid()));
        let metrics = http
            .get(service.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text");
        eprintln!(
            "hostile: idle RSS {} KiB; {stalled} stalled heads all closed, longest {longest:?}; \
             flood of {} connections in {flood_took:?}: peak RSS {peak_rss} KiB, {} probes, {} reads; {}",
            idle_rss,
            flooded.len(),
            probes.ok,
            readers.ok,
            closed_counts(&metrics)
        );
        assert!(
            peak_rss < RSS_LIMIT_KIB,
            "RSS reached {peak_rss} KiB during the flood, limit {RSS_LIMIT_KIB} KiB"
        );
        assert!(probes.ok > 0 && probes.clean(), "/health during the flood: {}", probes.sample());
        assert!(readers.ok > 0 && readers.clean(), "normal traffic during the flood: {}", readers.sample());
        drop(service);
    })
    .await;
}

#[derive(Clone, Copy)]
enum Hold {
    /// Keep each connection until the service closes it; return how long it lived.
    UntilClosed,
    /// Keep each connection for [`FLOOD_HOLD`] after its partial head is sent, whatever the
    /// service does with it; return how long it took to open.
    Sent,
}

/// Opens `count` connections, `OPENING_PER_SECOND` at most, that send an incomplete head
/// (every tenth sends nothing at all). The pace keeps the listen backlog from overflowing on a
/// slow machine: a connection dropped there is never accepted, and would wait here for ever.
async fn open_hostile(port: u16, count: usize, hold: Hold) -> Vec<Duration> {
    let opening = Arc::new(Semaphore::new(OPENING));
    let mut pace = tokio::time::interval(Duration::from_secs(1) / OPENING_PER_SECOND);
    let mut set = JoinSet::new();
    for n in 0..count {
        pace.tick().await;
        let opening = opening.clone();
        set.spawn(async move {
            let permit = opening.acquire_owned().await.expect("semaphore");
            let mut stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
            let opened = Instant::now();
            if n % 10 != 0 {
                stream
                    .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nX-a: ")
                    .await
                    .ok()?;
            }
            drop(permit);
            match hold {
                Hold::UntilClosed => {
                    let mut buffer = [0u8; 256];
                    let closed = tokio::time::timeout(NEVER_CLOSED, async {
                        while matches!(stream.read(&mut buffer).await, Ok(n) if n > 0) {}
                    });
                    Some(closed.await.map_or(NEVER_CLOSED, |()| opened.elapsed()))
                }
                Hold::Sent => {
                    let took = opened.elapsed();
                    tokio::time::sleep(FLOOD_HOLD).await;
                    drop(stream);
                    Some(took)
                }
            }
        });
    }
    let mut lifetimes = Vec::new();
    while let Some(result) = set.join_next().await {
        lifetimes.extend(result.expect("connection task"));
    }
    lifetimes
}

async fn probe(http: &reqwest::Client, url: &str) -> crate::support::traffic::Step {
    use crate::support::traffic::{Failure, Step};
    let result = match http.get(url).send().await {
        Ok(response) if response.status() == 200 => Ok(()),
        Ok(response) => Err(Failure::Answer(format!(
            "GET /health: {}",
            response.status()
        ))),
        Err(error) => Err(Failure::Transport(format!("GET /health: {error}"))),
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    Step {
        title: None,
        result,
    }
}

/// Samples the service's RSS every 20 ms into `peak`.
fn watch_rss(pid: u32, peak: Arc<AtomicU64>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
}

/// `VmRSS` of a process in KiB (0 once it is gone).
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// `http_connections_closed_total` lines of the metrics, joined.
fn closed_counts(metrics: &str) -> String {
    metrics
        .lines()
        .filter(|line| line.starts_with("http_connections_"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Raises this process's soft descriptor limit to its hard limit; returns the soft limit now.
fn raise_fd_limit() -> u64 {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.maximum.is_none_or(|max| Some(max) > limit.current) {
        limit.current = limit.maximum;
        let _ = setrlimit(Resource::Nofile, limit);
    }
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}

/// How many hostile sockets fit this process's descriptors, beside `extra` more.
fn usable(fds: u64, extra: u64) -> usize {
    let usable = fds.saturating_sub(SPARE_FDS + extra) as usize;
    if usable < FLOOD {
        eprintln!("hostile: RLIMIT_NOFILE {fds} allows only {usable} hostile connections at once");
    }
    usable
}
