//! Integration tests of `backend-api doctor`: the real binary, run with environment variables
//! against real servers on loopback (a JWKS server, small HTTP servers that misbehave, a private
//! PostgreSQL), asserting the finding codes of `--json` and the exit code. One test per failure
//! mode of the common troubleshooting tables (DNS, refused, timeout, empty keys, expiry, ...).

/// Database: wrong password, down, migrations pending.
mod database;
/// Running the binary, loopback servers, a private PostgreSQL with password authentication.
mod helpers;
/// `doctor manifests`: NetworkPolicy, probes, secrets.
mod manifests;
/// The MCP endpoint's resource metadata and its production warnings.
mod mcp;
/// Output contract: JSON shape, text, secrets shown only as fingerprints.
mod output;
/// Identity providers: DNS, refused, 404, HTML, empty, slow, redirect, clock skew, discovery.
mod providers;
/// `doctor token`: expired, algorithm not allowed, issuer mismatch, accepted.
mod token;
