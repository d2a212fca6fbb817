//! [`Registry`]: the open connections of this process and the cap on their number.
//!
//! Past the cap, a new connection evicts the connection that has waited longest for a request
//! head, or failing that the one idle longest; a connection serving a request is never chosen.
//! Refusing new connections instead would let a flood of stalled ones lock out the kubelet's
//! probes (each probe opens a new connection) and real clients until the header timeout; with
//! eviction a flood can only push out itself and idle keep-alive connections, which clients and
//! proxies reopen. Only when every connection is busy is the new one refused (closed at once).
//! The scan for a victim is linear, but happens only at the cap, over at most a few thousand
//! entries, under a lock held for microseconds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::time::Instant;

use super::tracker::{Phase, Tracker};

pub(crate) struct Registry {
    max: usize,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    next_id: u64,
    connections: HashMap<u64, Arc<Tracker>>,
}

/// A connection's place in the registry; dropping it frees the place.
pub(crate) struct Admission {
    id: u64,
    tracker: Arc<Tracker>,
    registry: Arc<Registry>,
}

/// What happened to a connection that arrived.
pub(crate) enum Admitted {
    /// A free place.
    Free(Admission),
    /// Another connection was evicted to make room.
    Evicting(Admission),
    /// Every place is taken by a busy connection.
    Refused,
}

impl Registry {
    pub(crate) fn new(max: usize) -> Arc<Registry> {
        Arc::new(Registry {
            max,
            open: Mutex::new(Open::default()),
        })
    }

    pub(crate) fn admit(self: &Arc<Self>) -> Admitted {
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut evicted = false;
        if open.connections.len() >= self.max {
            let Some(victim) = victim(&open.connections) else {
                return Admitted::Refused;
            };
            if let Some(tracker) = open.connections.remove(&victim) {
                tracker.evict();
            }
            evicted = true;
        }
        let id = open.next_id;
        open.next_id += 1;
        let tracker = Arc::new(Tracker::new());
        open.connections.insert(id, tracker.clone());
        let admission = Admission {
            id,
            tracker,
            registry: self.clone(),
        };
        if evicted {
            Admitted::Evicting(admission)
        } else {
            Admitted::Free(admission)
        }
    }

    /// Connections currently holding a place (tests and logs).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.open
            .lock()
            .map(|open| open.connections.len())
            .unwrap_or(0)
    }
}

/// The connection waiting longest for a head, else the one idle longest.
fn victim(connections: &HashMap<u64, Arc<Tracker>>) -> Option<u64> {
    let mut head: Option<(Instant, u64)> = None;
    let mut idle: Option<(Instant, u64)> = None;
    for (&id, tracker) in connections {
        let (phase, since) = tracker.phase();
        let slot = match phase {
            Phase::Head => &mut head,
            Phase::Idle => &mut idle,
            Phase::Busy => continue,
        };
        if slot.is_none_or(|(oldest, _)| since < oldest) {
            *slot = Some((since, id));
        }
    }
    head.or(idle).map(|(_, id)| id)
}

impl Admission {
    pub(crate) fn tracker(&self) -> &Arc<Tracker> {
        &self.tracker
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        let mut open = self
            .registry
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // An evicted connection was removed already; its id is never reused.
        open.connections.remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admission(admitted: Admitted) -> Admission {
        match admitted {
            Admitted::Free(a) | Admitted::Evicting(a) => a,
            Admitted::Refused => panic!("refused"),
        }
    }

    #[test]
    fn past_the_cap_the_oldest_waiting_connection_is_evicted_and_busy_ones_never() {
        let registry = Registry::new(3);
        let busy = admission(registry.admit());
        let _request = busy.tracker().request_started();
        let oldest_head = admission(registry.admit());
        let newer_head = admission(registry.admit());
        assert_eq!(registry.len(), 3);

        let Admitted::Evicting(fourth) = registry.admit() else {
            panic!("expected an eviction");
        };
        assert_eq!(registry.len(), 3);
        assert!(
            !registry
                .open
                .lock()
                .expect("lock")
                .connections
                .contains_key(&oldest_head.id)
        );
        assert!(
            registry
                .open
                .lock()
                .expect("lock")
                .connections
                .contains_key(&busy.id)
        );
        drop((newer_head, fourth));
        assert_eq!(registry.len(), 1);
    }

    #[test]
    fn when_every_connection_is_busy_a_new_one_is_refused() {
        let registry = Registry::new(2);
        let first = admission(registry.admit());
        let second = admission(registry.admit());
        let _a = first.tracker().request_started();
        let _b = second.tracker().request_started();
        assert!(matches!(registry.admit(), Admitted::Refused));
        drop(_a);
        assert!(matches!(registry.admit(), Admitted::Evicting(_)));
    }
}
