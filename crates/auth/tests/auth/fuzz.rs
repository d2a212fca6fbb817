//! Property tests over the token parser and pipeline: arbitrary input and
//! mutations of a valid token never panic and are never accepted.

use backend_api_auth::{DevelopmentKey, Verifier, VerifierConfig};
use proptest::prelude::*;
use serde_json::json;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    verifier: Verifier,
    token: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = test_support::temp_dir("auth-fuzz");
        let key = DevelopmentKey::load_or_create(&dir.path().join("k.pem")).expect("key");
        let config = VerifierConfig { providers: vec![key.provider()], token_cache_capacity: 0, ..Default::default() };
        let token = key.sign(&json!({
            "iss": DevelopmentKey::ISSUER, "aud": DevelopmentKey::AUDIENCE, "sub": "fuzz", "exp": 4_000_000_000u64,
        }));
        drop(dir);
        Fixture {
            runtime: tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime"),
            verifier: Verifier::new(config).expect("config"),
            token,
        }
    })
}

fn accepted(token: &str) -> bool {
    let f = fixture();
    f.runtime.block_on(f.verifier.verify(token)).is_ok()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_are_refused(input in ".{0,600}") {
        prop_assert!(!accepted(&input));
    }

    #[test]
    fn base64url_shaped_noise_is_refused(a in "[A-Za-z0-9_-]{0,200}", b in "[A-Za-z0-9_-]{0,200}", c in "[A-Za-z0-9_-]{0,120}") {
        let token = format!("{a}.{b}.{c}");
        prop_assert!(!accepted(&token));
    }

    #[test]
    fn any_single_edit_of_a_valid_token_is_refused(pos in any::<prop::sample::Index>(), byte in 0x20u8..0x7f, kind in 0..3u8) {
        let original = fixture().token.as_bytes().to_vec();
        let i = pos.index(original.len());
        let mut edited = original.clone();
        match kind {
            0 => edited[i] = byte,
            1 => edited.insert(i, byte),
            _ => { edited.remove(i); }
        }
        prop_assume!(edited != original);
        let text = String::from_utf8(edited).expect("ascii");
        prop_assert!(!accepted(&text), "accepted an edited token: {}", text);
    }
}

#[test]
fn the_unedited_fuzz_token_is_accepted() {
    assert!(accepted(&fixture().token));
}
