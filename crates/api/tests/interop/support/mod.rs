//! Harness of the interop suite: owned child processes, temporary directories, the one-time npm install,
//! and a client for each real server (Better Auth, the OIDC provider, backend-api itself).

pub mod better_auth;
pub mod http;
pub mod jwt;
pub mod mcp;
pub mod npm;
pub mod oidc;
pub mod process;
pub mod service;
