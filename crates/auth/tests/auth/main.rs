//! Integration tests of backend-api-auth: one binary, one module per concern.

mod helpers;

/// Round trips through a real JWKS server for every algorithm.
mod algorithms;
/// One test per attack of the issue, each asserting the exact reason code.
mod attacks;
/// Credentials inside configured URLs never show in status, errors or hints.
mod credentials;
/// OpenID discovery and the internal_url back channel.
mod discovery;
mod fetch;
/// Tokens minted by Python `cryptography` for every algorithm (fixtures/).
mod fixtures;
/// Property test over the token parser: no panic, no accept.
mod fuzz;
/// The verifier configuration of the independent fixtures (shared with the fuzz target).
mod independent;
/// Unusable keys (small-order Ed25519, bad RSA exponents) are never counted nor used.
mod key_hygiene;
/// Key-set lifecycle against a real JWKS server: rotation, outages, bad answers, single-flight.
mod key_sets;
/// RFC 8037 §A.4, RFC 7515 §A.2 and §A.3 examples.
mod known_answers;
/// explain(), status(), hints and configuration errors.
mod operators;
/// The verified-token cache.
mod token_cache;
