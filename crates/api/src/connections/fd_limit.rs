//! The process's open-files limit: raised from its soft to its hard value at start (as Go and
//! nginx do), since every client connection is a descriptor and the usual soft default (1024)
//! is below `HTTP_MAX_CONNECTIONS` plus the database pool.

use rustix::process::{Resource, getrlimit, setrlimit};

/// Descriptors kept for everything but client connections: database pool, key-set fetches,
/// log and the listener.
const RESERVED: u64 = 64;

/// Raises the soft `RLIMIT_NOFILE` to the hard one and warns when the result cannot hold
/// `max_connections` connections; returns the soft limit now in force (`None`: unlimited).
pub fn raise(max_connections: usize) -> Option<u64> {
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        limit.current = limit.maximum;
        if let Err(error) = setrlimit(Resource::Nofile, limit) {
            tracing::warn!(%error, "cannot raise the open-files limit");
        }
    }
    let current = getrlimit(Resource::Nofile).current;
    if let Some(current) = current
        && current < max_connections as u64 + RESERVED
    {
        tracing::warn!(
            open_files_limit = current,
            max_connections,
            "the open-files limit is below HTTP_MAX_CONNECTIONS + {RESERVED}: past it, new \
             connections wait in the listen backlog; raise the limit (ulimit -n) or lower \
             HTTP_MAX_CONNECTIONS"
        );
    }
    current
}
