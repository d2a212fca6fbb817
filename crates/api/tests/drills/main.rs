//! Fault drills: the real `backend-api` binary under the faults a Kubernetes deployment meets,
//! each drill asserting that nothing is lost.
//!
//! Every drill starts its own processes on loopback (the service binary, the `test-support`
//! JWKS server with its faults, nginx from Debian's packages) and, where it needs
//! PostgreSQL, its own database on the shared server, so drills run in parallel with every other
//! test. Each is bounded in time by [`support::DRILL_LIMIT`].

/// PostgreSQL connections killed and refused while writes run.
mod database_outage;
/// nginx `auth_request` to `/auth/verify` in front of an app: identity, refusals, rotation.
mod forward_auth;
/// Slowloris heads and a flood of 8,000 connections: bounded memory, probes and traffic go on.
mod hostile_connections;
/// JWKS endpoint down, slow or returning garbage during authenticated traffic.
mod jwks_outage;
/// Replicas behind nginx restarted one at a time under load.
mod rolling_update;
/// SIGTERM while requests are in flight.
mod sigterm;
mod support;
