//! A small connection pool shared by both engines: a bounded set of connections handed out
//! most-recently-used first, opened on demand within the acquire timeout.
//!
//! It exists because sqlx's pool pings every connection as it comes back (a second network
//! round trip per request on PostgreSQL, during which the connection is not available). Here
//! a connection returns to the pool as it is; one that was dropped in the middle of a query is
//! closed instead, and one idle for [`PING_AFTER_IDLE`] is checked before a request uses it.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A pooled connection idle at least this long is checked ([`Manage::check`]) before use: the
/// server may have restarted or dropped it meanwhile.
pub const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// How one engine opens, checks and closes its connections.
pub trait Manage: Send + Sync + 'static {
    type Conn: Send + 'static;
    fn connect(&self) -> impl Future<Output = Result<Self::Conn, sqlx::Error>> + Send;
    /// Whether a connection idle for a while still works.
    fn check(&self, conn: &mut Self::Conn) -> impl Future<Output = bool> + Send;
    fn close(conn: Self::Conn) -> impl Future<Output = ()> + Send;
}

/// Limits, as `DATABASE_*` configure them.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_connections: u32,
    pub min_connections: u32,
    pub acquire_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_lifetime: Duration,
}

pub struct Pool<M: Manage> {
    shared: Arc<Shared<M>>,
}

impl<M: Manage> Clone for Pool<M> {
    fn clone(&self) -> Self {
        Pool {
            shared: self.shared.clone(),
        }
    }
}

impl<M: Manage> std::fmt::Debug for Pool<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (size, idle) = self.usage();
        f.debug_struct("Pool")
            .field("size", &size)
            .field("idle", &idle)
            .finish()
    }
}

struct Shared<M: Manage> {
    manager: M,
    limits: Limits,
    /// One permit per connection a caller may hold (`max_connections`).
    permits: Arc<Semaphore>,
    /// Idle connections; the last one is the most recently used.
    idle: Mutex<Vec<Idle<M::Conn>>>,
    /// Open connections, idle or in use.
    size: AtomicU32,
}

struct Idle<C> {
    conn: C,
    opened: Instant,
    since: Instant,
}

/// A connection out of the pool; it goes back when dropped, unless [`Pooled::discard`]ed.
pub struct Pooled<M: Manage> {
    conn: Option<M::Conn>,
    opened: Instant,
    /// False while a query runs: a connection dropped then (the request was cancelled) may hold
    /// half a conversation with the server, so it is closed rather than reused.
    reusable: bool,
    shared: Arc<Shared<M>>,
    _permit: OwnedSemaphorePermit,
}

impl<M: Manage> Pool<M> {
    pub fn new(manager: M, limits: Limits) -> Pool<M> {
        let max = usize::try_from(limits.max_connections.max(1)).unwrap_or(usize::MAX);
        Pool {
            shared: Arc::new(Shared {
                manager,
                limits,
                permits: Arc::new(Semaphore::new(max)),
                idle: Mutex::new(Vec::new()),
                size: AtomicU32::new(0),
            }),
        }
    }

    /// Connections (open, idle) for `/metrics`.
    pub fn usage(&self) -> (u32, usize) {
        (self.shared.size.load(Ordering::Relaxed), self.idle().len())
    }

    pub fn manager(&self) -> &M {
        &self.shared.manager
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Idle<M::Conn>>> {
        self.shared
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A connection within the acquire timeout: an idle one, else a new one.
    pub async fn acquire(&self) -> Result<Pooled<M>, sqlx::Error> {
        let deadline = tokio::time::Instant::now() + self.shared.limits.acquire_timeout;
        let permit = match self.shared.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(tokio::sync::TryAcquireError::Closed) => return Err(sqlx::Error::PoolClosed),
            Err(tokio::sync::TryAcquireError::NoPermits) => {
                match tokio::time::timeout_at(deadline, self.shared.permits.clone().acquire_owned())
                    .await
                {
                    Ok(Ok(permit)) => permit,
                    Ok(Err(_)) => return Err(sqlx::Error::PoolClosed),
                    Err(_) => return Err(sqlx::Error::PoolTimedOut),
                }
            }
        };
        loop {
            let idle = self.idle().pop();
            let Some(idle) = idle else { break };
            if self.expired(&idle) {
                self.forget(idle.conn);
                continue;
            }
            let mut conn = idle.conn;
            if idle.since.elapsed() >= PING_AFTER_IDLE {
                let checked =
                    tokio::time::timeout_at(deadline, self.shared.manager.check(&mut conn)).await;
                if !matches!(checked, Ok(true)) {
                    self.forget(conn);
                    continue;
                }
            }
            return Ok(self.pooled(conn, idle.opened, permit));
        }
        let conn = tokio::time::timeout_at(deadline, self.shared.manager.connect())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)??;
        self.shared.size.fetch_add(1, Ordering::Relaxed);
        Ok(self.pooled(conn, Instant::now(), permit))
    }

    fn pooled(&self, conn: M::Conn, opened: Instant, permit: OwnedSemaphorePermit) -> Pooled<M> {
        Pooled {
            conn: Some(conn),
            opened,
            reusable: true,
            shared: self.shared.clone(),
            _permit: permit,
        }
    }

    fn expired(&self, idle: &Idle<M::Conn>) -> bool {
        idle.opened.elapsed() >= self.shared.limits.max_lifetime
            || idle.since.elapsed() >= self.shared.limits.idle_timeout
    }

    fn forget(&self, conn: M::Conn) {
        self.shared.size.fetch_sub(1, Ordering::Relaxed);
        drop(conn);
    }

    /// Closes connections idle past the idle timeout or older than the lifetime, then opens
    /// connections up to `min_connections` (the supervisor calls this at each check).
    pub async fn maintain(&self) -> Result<(), sqlx::Error> {
        let stale: Vec<_> = {
            let mut idle = self.idle();
            let keep = |idle: &Idle<M::Conn>| !self.expired(idle);
            let (fresh, stale): (Vec<_>, Vec<_>) = idle.drain(..).partition(keep);
            *idle = fresh;
            stale
        };
        for idle in stale {
            self.shared.size.fetch_sub(1, Ordering::Relaxed);
            M::close(idle.conn).await;
        }
        while self.shared.size.load(Ordering::Relaxed) < self.shared.limits.min_connections {
            let Ok(permit) = self.shared.permits.clone().try_acquire_owned() else {
                break;
            };
            let conn = self.shared.manager.connect().await?;
            self.shared.size.fetch_add(1, Ordering::Relaxed);
            drop(self.pooled(conn, Instant::now(), permit));
        }
        Ok(())
    }

    /// Refuses new acquires and closes the idle connections; those in use close when returned.
    pub async fn close(&self) {
        self.shared.permits.close();
        let idle: Vec<_> = self.idle().drain(..).collect();
        for idle in idle {
            self.shared.size.fetch_sub(1, Ordering::Relaxed);
            M::close(idle.conn).await;
        }
    }
}

impl<M: Manage> Pooled<M> {
    /// The connection, marked busy until [`Pooled::done`]: if the guard is dropped before
    /// (a cancelled request), the connection is closed instead of returned.
    pub fn start(&mut self) -> &mut M::Conn {
        self.reusable = false;
        self.conn.as_mut().expect("present until dropped")
    }

    /// The query finished (successfully or with the server's error): the connection is reusable.
    pub fn done(&mut self) {
        self.reusable = true;
    }

    /// The connection without marking it busy (a call that cannot be interrupted midway).
    pub fn get(&mut self) -> &mut M::Conn {
        self.conn.as_mut().expect("present until dropped")
    }
}

impl<M: Manage> Drop for Pooled<M> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if !self.reusable || self.shared.permits.is_closed() {
            self.shared.size.fetch_sub(1, Ordering::Relaxed);
            return;
        }
        // Back before the permit is released (fields drop after this), so the next caller
        // finds it.
        self.shared
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Idle {
                conn,
                opened: self.opened,
                since: Instant::now(),
            });
    }
}
