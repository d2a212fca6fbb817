//! Integration tests of the `backend-api` service: the real app on 127.0.0.1:0 against real
//! PostgreSQL and SQLite and a real JWKS server on loopback.

/// `TestApp`, `TestDatabase`, problem assertions, the two-backend macro.
mod helpers;

/// The task contract (routes, statuses, bodies), once per database engine.
mod tasks;

/// 401/403/503 from the client's side, reason codes, `WWW-Authenticate`, development key.
mod auth;

/// `/mcp` (Model Context Protocol) and its resource metadata, at the protocol's edges.
mod mcp;

/// `/health`, `/ready`, `/metrics`, `/openapi.json`, request ids, CORS, limits.
mod health;

/// PostgreSQL refusing the service, outages and recovery, concurrent migrations.
mod database;

/// Slow, idle and too many connections: header and keep-alive timeouts, the cap, slow bodies.
mod connections;

/// SIGTERM-style shutdown with requests in flight.
mod shutdown;

/// The binary: configuration errors, `config`, `token`, `migrate`, `healthcheck`, `serve`.
mod cli;

/// Users are (provider, user id): separation across providers and the upgrade of older databases.
mod provider_users;

/// One round trip to PostgreSQL per request (no ping on release or before use).
mod round_trips;

/// Database password drift (the secret rotated, the database not) on a private password-authenticated PostgreSQL.
mod password_drift;

/// The OpenAPI document against the service: statuses, responses, refusals.
mod contract;

/// `/docs` rendered by headless Chromium with no network beyond the service.
mod docs_page;
/// `/auth/verify` for reverse proxies: identity headers, refusals, claim headers, host policy.
mod forward_auth;
