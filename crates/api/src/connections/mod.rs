//! The connection layer: our own accept loop over hyper's HTTP/1 server, with bounds that keep
//! hostile or broken clients from exhausting memory or file descriptors.
//!
//! - A connection must deliver a request's complete headers within `HEADER_READ_TIMEOUT_SECONDS`
//!   of being accepted, or of the first byte of its next request (slowloris).
//! - A connection between requests is closed after `KEEP_ALIVE_TIMEOUT_SECONDS` of silence.
//!   hyper's own `header_read_timeout` also runs between keep-alive requests, which would close
//!   idle connections after the (short) header timeout, under the feet of a proxy that keeps
//!   them for 60 s; so both timers live here, on the phase of each connection ([`tracker`]).
//! - At most `HTTP_MAX_CONNECTIONS` are open; a new one past the cap evicts the oldest
//!   connection waiting for headers, else the oldest idle one ([`registry`]), so probes and real
//!   clients get in while a flood only evicts itself. A request in progress is never evicted.
//! - Headers are read into a buffer of at most [`MAX_READ_BUFFER`] bytes.
//!
//! Metrics: `http_connections_open` (gauge), `http_connections_accepted_total`,
//! `http_connections_closed_total{reason}` with reason `header_timeout`, `keep_alive_timeout`,
//! `evicted` or `refused` (cap reached and every connection busy).

pub(crate) mod fd_limit;
mod io;
mod registry;
mod serve;
mod tracker;

pub(crate) use serve::serve;

use crate::config::MAX_HEADER_BYTES;

/// Largest read buffer of one connection: twice the header limit, so an oversized head is
/// refused by hyper (431) instead of being buffered up to hyper's default of about 400 KiB.
pub const MAX_READ_BUFFER: usize = 2 * MAX_HEADER_BYTES;

/// Why the service closed a connection on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Closed {
    HeaderTimeout,
    KeepAliveTimeout,
    Evicted,
    Refused,
}

impl Closed {
    fn as_str(self) -> &'static str {
        match self {
            Closed::HeaderTimeout => "header_timeout",
            Closed::KeepAliveTimeout => "keep_alive_timeout",
            Closed::Evicted => "evicted",
            Closed::Refused => "refused",
        }
    }

    fn count(self) {
        metrics::counter!("http_connections_closed_total", "reason" => self.as_str()).increment(1);
    }
}
