//! Verifications per second on one core: this crate cold (full pipeline with
//! signature check, token cache off) and warm (verified-token cache hit), next
//! to plain `jsonwebtoken` (aws-lc-rs backend) decoding the very same token
//! with equivalent validation, all in the same run.
//!
//! Run: `cargo bench -p backend-api-auth` (prints a table; asserts nothing).

use std::hint::black_box;
use std::time::{Duration, Instant};

use backend_api_auth::{JwkSet, KeySource, ProviderConfig, Verifier, VerifierConfig};
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::Value;
use test_support::{TestKey, claims, jwks, now};

const ISSUER: &str = "https://id.example.com";
const AUDIENCE: &str = "backend-api";
/// Length of one timed slice.
const SLICE: Duration = Duration::from_millis(300);
/// Slices per contender; contenders alternate so background load hits all alike.
const ROUNDS: usize = 6;

/// Calls `op` for about one slice, returns operations per second.
fn slice(op: &mut dyn FnMut()) -> f64 {
    let start = Instant::now();
    let mut count = 0u64;
    while start.elapsed() < SLICE {
        for _ in 0..20 {
            op();
        }
        count += 20;
    }
    count as f64 / start.elapsed().as_secs_f64()
}

/// Best rate of each contender over interleaved rounds.
fn race(ops: &mut [&mut dyn FnMut()]) -> Vec<f64> {
    let mut best = vec![0f64; ops.len()];
    for _ in 0..ROUNDS {
        for (i, op) in ops.iter_mut().enumerate() {
            best[i] = best[i].max(slice(*op));
        }
    }
    best
}

fn verifier(key: &TestKey, cache: usize) -> Verifier {
    let set = JwkSet::from_json(jwks(&[key]).to_string().as_bytes()).expect("jwks");
    let provider = ProviderConfig {
        audiences: Some(vec![AUDIENCE.into()]),
        ..ProviderConfig::new("bench", ISSUER, KeySource::Static(set))
    };
    let config = VerifierConfig {
        providers: vec![provider],
        token_cache_capacity: cache,
        ..Default::default()
    };
    Verifier::new(config).expect("config")
}

fn jsonwebtoken_key(key: &TestKey) -> (DecodingKey, Validation) {
    let jwk = key.public_jwk();
    let s = |name: &str| jwk[name].as_str().expect("member").to_owned();
    let (decoding, alg) = match key.alg() {
        "EdDSA" => (
            DecodingKey::from_ed_components(&s("x")).expect("ed"),
            jsonwebtoken::Algorithm::EdDSA,
        ),
        "ES256" => (
            DecodingKey::from_ec_components(&s("x"), &s("y")).expect("ec"),
            jsonwebtoken::Algorithm::ES256,
        ),
        _ => (
            DecodingKey::from_rsa_components(&s("n"), &s("e")).expect("rsa"),
            jsonwebtoken::Algorithm::RS256,
        ),
    };
    let mut validation = Validation::new(alg);
    validation.set_audience(&[AUDIENCE]);
    validation.set_issuer(&[ISSUER]);
    validation.leeway = 30;
    (decoding, validation)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "verifications per second, one core, best of {ROUNDS} interleaved slices (higher is better)"
    );
    println!(
        "{:<6} {:>16} {:>16} {:>16}",
        "alg", "auth cold", "auth warm", "jsonwebtoken"
    );
    for alg in ["EdDSA", "ES256", "RS256"] {
        let key = TestKey::generate(alg);
        let token = key.sign(&claims(ISSUER, AUDIENCE, "bench-user", now()));
        let (cold, warm) = (verifier(&key, 0), verifier(&key, 10_000));
        // Same decision from all three before timing anything.
        let check = |v: &Verifier| {
            runtime
                .block_on(v.verify(&token))
                .expect("verifies")
                .user_id
        };
        assert_eq!(check(&cold), "bench-user");
        assert_eq!(check(&warm), "bench-user");
        let (decoding, validation) = jsonwebtoken_key(&key);
        jsonwebtoken::decode::<Value>(&token, &decoding, &validation)
            .expect("jsonwebtoken verifies");

        let mut auth_cold = || {
            black_box(runtime.block_on(cold.verify(black_box(&token))).is_ok());
        };
        let mut auth_warm = || {
            black_box(runtime.block_on(warm.verify(black_box(&token))).is_ok());
        };
        let mut plain = || {
            black_box(
                jsonwebtoken::decode::<Value>(black_box(&token), &decoding, &validation).is_ok(),
            );
        };
        let rates = race(&mut [&mut auth_cold, &mut auth_warm, &mut plain]);
        let (cold_rate, warm_rate, jwt_rate) = (rates[0], rates[1], rates[2]);
        println!("{alg:<6} {cold_rate:>16.0} {warm_rate:>16.0} {jwt_rate:>16.0}");
    }
}
