use serde_json::json;
use test_support::{JwksServer, TestKey, claims, jwks, now};

use crate::helpers::Doctor;

/// A Better Auth-like provider on loopback and a key it signs with.
async fn provider() -> (JwksServer, TestKey) {
    let key = TestKey::generate("EdDSA").with_kid("better-auth-key-1");
    let server = JwksServer::start(jwks(&[&key])).await;
    (server, key)
}

fn doctor_token(server: &JwksServer, token: &str) -> Doctor {
    Doctor::new(&["token", token]).env("BETTER_AUTH_URL", server.base_url())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_token_is_accepted_with_exit_0() {
    let (server, key) = provider().await;
    let issuer = server.base_url();
    let token = key.sign(&claims(&issuer, &issuer, "alice", now()));
    let report = doctor_token(&server, &token).json().await;
    let verdict = report.expect("token_accepted", "ok");
    assert!(
        verdict["observed"]
            .as_str()
            .is_some_and(|o| o.contains("alice"))
    );
    assert!(
        report
            .findings()
            .iter()
            .filter(|f| f["code"] == "token_step_ok")
            .count()
            >= 5
    );
    assert_eq!(report.exit(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_token_is_refused_as_expired() {
    // Troubleshooting row "jwt.ExpiredSignatureError: Signature has expired".
    let (server, key) = provider().await;
    let issuer = server.base_url();
    let two_hours_ago = now() - 7200;
    let token = key.sign(&claims(&issuer, &issuer, "alice", two_hours_ago - 3600));
    let report = doctor_token(&server, &token).json().await;
    report.expect("expired", "fail");
    assert!(!report.has("token_accepted"));
    assert_eq!(report.exit(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn algorithm_outside_the_providers_list_is_alg_not_allowed() {
    let key = TestKey::generate("ES256").with_kid("es");
    let server = JwksServer::start(jwks(&[&key])).await;
    let issuer = format!("{}/", server.base_url());
    let doctor = Doctor::new(&["token", "-"]);
    let file = doctor.file(
        "providers.toml",
        &format!(
            "[[provider]]\nname = \"auth0\"\nissuer = \"{issuer}\"\njwks_url = \"{}\"\n\
             audiences = [\"backend-api\"]\nalgorithms = [\"RS256\"]\n",
            server.jwks_url()
        ),
    );
    let token = key.sign(&claims(&issuer, "backend-api", "alice", now()));
    // The token goes through stdin here, the way the help recommends (no shell history).
    let report = doctor
        .env("AUTH_PROVIDERS_FILE", file)
        .stdin(token)
        .json()
        .await;
    let finding = report.expect("alg_not_allowed", "fail");
    assert!(
        finding["fix"].as_str().is_some_and(|f| f.contains("RS256")),
        "{finding:#}"
    );
    assert_eq!(report.exit(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_issuer_against_internal_url_is_issuer_mismatch_naming_the_setting() {
    // Better Auth signs with its public URL; the service reaches it at the in-cluster URL.
    let (server, key) = provider().await;
    let public = "https://app.example.com";
    let token = key.sign(&json!({
        "iss": public, "aud": public, "sub": "alice", "iat": now(), "exp": now() + 600
    }));
    let report = doctor_token(&server, &token).json().await;
    report.expect("issuer_unknown", "fail");
    let finding = report.expect("issuer_mismatch", "fail");
    let fix = finding["fix"].as_str().expect("fix");
    assert!(
        fix.contains(&format!("BETTER_AUTH_ISSUER={public}")),
        "{fix}"
    );
    assert_eq!(report.exit(), 1);

    // The fix it names works.
    let fixed = doctor_token(&server, &token)
        .env("BETTER_AUTH_ISSUER", public)
        .env("BETTER_AUTH_AUDIENCE", public)
        .json()
        .await;
    fixed.expect("token_accepted", "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_is_never_printed_back() {
    let (server, key) = provider().await;
    let issuer = server.base_url();
    let token = key.sign(&claims(&issuer, &issuer, "alice", now() - 7200));
    let signature = token.rsplit('.').next().expect("signature");
    for json in [true, false] {
        let doctor = doctor_token(&server, &token);
        let outcome = if json {
            doctor.json().await.outcome
        } else {
            doctor.run().await
        };
        for output in [&outcome.stdout, &outcome.stderr] {
            assert!(!output.contains(&token));
            assert!(!output.contains(signature));
        }
        assert!(
            outcome.stdout.contains("sha256:"),
            "a fingerprint identifies the token"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_signed_by_another_key_with_the_same_kid_is_bad_signature() {
    // Troubleshooting row "JWT signature invalid": here not a secret mismatch (Better Auth's JWKS mode does not use
    // the secret) but a key the provider does not publish.
    let (server, _published) = provider().await;
    let impostor = TestKey::generate("EdDSA").with_kid("better-auth-key-1");
    let issuer = server.base_url();
    let token = impostor.sign(&claims(&issuer, &issuer, "alice", now()));
    let report = doctor_token(&server, &token).json().await;
    report.expect("bad_signature", "fail");
    assert_eq!(report.exit(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_whose_kid_the_provider_does_not_publish_is_unknown_kid() {
    // Troubleshooting row "Intermittent 401s | key rotation": a kid the key set (even refreshed) does not hold.
    let (server, _published) = provider().await;
    let rotated_away = TestKey::generate("EdDSA").with_kid("retired-key");
    let issuer = server.base_url();
    let token = rotated_away.sign(&claims(&issuer, &issuer, "alice", now()));
    let report = doctor_token(&server, &token).json().await;
    report.expect("unknown_kid", "fail");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_provider_or_development_key_nothing_is_created() {
    let doctor = Doctor::new(&["token", "a.b.c"]);
    let report = doctor.json().await;
    report.expect("development_key", "fail");
    let created: Vec<_> = std::fs::read_dir(doctor.dir()).expect("dir").collect();
    assert!(created.is_empty(), "doctor token created {created:?}");
}
