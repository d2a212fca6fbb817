//! Shared set-up: a verifier on a manual clock fed by a real JWKS server.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use backend_api_auth::{
    AuthError, FetchSettings, KeySetState, KeySource, ManualClock, ProviderConfig, Reason,
    Verifier, VerifierConfig,
};
use serde_json::Value;
use test_support::{JwksServer, TestKey, jwks};
use url::Url;

pub const ISSUER: &str = "https://id.example.com";
pub const AUDIENCE: &str = "backend-api";

/// Fetch settings for tests: short timeouts and cool-down so failures show fast.
pub fn test_fetch() -> FetchSettings {
    FetchSettings {
        connect_timeout: Duration::from_millis(500),
        total_timeout: Duration::from_secs(1),
        refresh_cooldown: Duration::from_millis(100),
        ..FetchSettings::default()
    }
}

/// A provider for `ISSUER` reading keys from `url`, audience `AUDIENCE`.
pub fn provider(name: &str, url: &str) -> ProviderConfig {
    ProviderConfig {
        audiences: Some(vec![AUDIENCE.into()]),
        ..ProviderConfig::new(
            name,
            ISSUER,
            KeySource::JwksUrl(Url::parse(url).expect("url")),
        )
    }
}

/// A manual clock at the real current time (test tokens carry real timestamps).
pub fn clock() -> Arc<ManualClock> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    Arc::new(ManualClock::at_unix(now))
}

pub fn verifier(providers: Vec<ProviderConfig>, clock: Arc<ManualClock>) -> Verifier {
    verifier_with(providers, clock, test_fetch())
}

pub fn verifier_with(
    providers: Vec<ProviderConfig>,
    clock: Arc<ManualClock>,
    fetch: FetchSettings,
) -> Verifier {
    let config = VerifierConfig {
        providers,
        fetch,
        ..VerifierConfig::default()
    };
    Verifier::with_clock(config, clock).expect("valid config")
}

/// A running JWKS server with `keys`, a started verifier using it, and its clock.
pub struct Setup {
    pub server: JwksServer,
    pub verifier: Verifier,
    pub clock: Arc<ManualClock>,
}

impl Setup {
    pub async fn new(keys: &[&TestKey]) -> Setup {
        Self::with_fetch(keys, test_fetch()).await
    }

    pub async fn with_fetch(keys: &[&TestKey], fetch: FetchSettings) -> Setup {
        let server = JwksServer::start(jwks(keys)).await;
        let clock = clock();
        let verifier = verifier_with(
            vec![provider("idp", &server.jwks_url())],
            clock.clone(),
            fetch,
        );
        verifier.start();
        wait_for_state(&verifier, KeySetState::Fresh).await;
        Setup {
            server,
            verifier,
            clock,
        }
    }

    pub fn now(&self) -> i64 {
        use backend_api_auth::Clock;
        self.clock.unix_seconds()
    }

    /// Standard valid claims for this set-up.
    pub fn claims(&self, sub: &str) -> Value {
        test_support::claims(ISSUER, AUDIENCE, sub, self.now())
    }

    /// Moves the clock past the refresh cool-down.
    pub fn pass_cooldown(&self) {
        self.clock.advance(Duration::from_secs(1));
    }
}

/// Polls (real time, bounded) until the first provider reaches `state`.
pub async fn wait_for_state(verifier: &Verifier, state: KeySetState) {
    for _ in 0..200 {
        if verifier.status()[0].state == state {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "provider never reached {state:?}: {:?}",
        verifier.status()[0]
    );
}

/// The refusal reason, failing the test if the token was accepted.
pub fn reason(result: Result<backend_api_auth::VerifiedToken, AuthError>) -> Reason {
    match result {
        Ok(t) => panic!("token was accepted for user {}", t.user_id),
        Err(e) => e.reason(),
    }
}

/// Flips one bit of the token's signature (last part).
pub fn flip_signature_bit(token: &str, bit: usize) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (input, sig) = token.rsplit_once('.').expect("three parts");
    let mut bytes = URL_SAFE_NO_PAD.decode(sig).expect("base64url signature");
    let index = bit / 8 % bytes.len();
    bytes[index] ^= 1 << (bit % 8);
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(bytes))
}
