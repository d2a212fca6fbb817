//! Interoperability suite: the real `backend-api` binary against the identity providers our users run.
//!
//! Each test starts its own processes on loopback with free ports — Better Auth (npm `better-auth` with its
//! `jwt` plugin) and/or an OpenID Connect provider (npm `oidc-provider`), both from `interop/` — plus the
//! service binary on a fresh SQLite database, and kills them all when it ends, so tests run in parallel.
//! The npm packages come from `interop/package-lock.json`; a missing `interop/node_modules` is installed
//! once with `npm ci` (see `support::npm`).

mod better_auth;
mod doctor;
mod facts;
mod mcp;
mod oidc;
mod rotation;
mod support;
mod two_providers;
