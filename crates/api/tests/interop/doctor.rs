//! `backend-api doctor` pointed at the real providers: what an operator sees for a real Better Auth token
//! and for real provider endpoints, including two common misconfigurations (an issuer split, a missing internal URL).

use serde_json::Value;

use crate::support::better_auth::{BetterAuth, Options};
use crate::support::oidc::{self, OidcProvider};
use crate::support::service::Launch;

const PUBLIC_URL: &str = "https://app.example.com";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_token_explains_a_better_auth_issuer_split() {
    let better_auth = BetterAuth::start(Options {
        base_url: Some(PUBLIC_URL),
        ..Options::default()
    })
    .await;
    let judy = better_auth
        .sign_up_and_in("Judy", "judy@example.com", "doctor-password-12")
        .await;
    let token = judy.token().await;

    let (code, report) = Launch::new()
        .env("BETTER_AUTH_URL", &better_auth.url)
        .run(&["doctor", "token", &token])
        .await;
    assert_eq!(code, 1, "refused:\n{report}");
    assert!(report.contains("issuer_unknown"), "{report}");
    assert!(
        report.contains(&format!("BETTER_AUTH_ISSUER={PUBLIC_URL}")),
        "the fix names the variable and its value:\n{report}"
    );

    let (code, report) = Launch::new()
        .env("BETTER_AUTH_URL", &better_auth.url)
        .env("BETTER_AUTH_ISSUER", PUBLIC_URL)
        .run(&["doctor", "token", &token])
        .await;
    assert_eq!(code, 0, "accepted:\n{report}");
    assert!(report.contains(&judy.user_id), "names the user:\n{report}");
    let signature = token.rsplit('.').next().expect("signature");
    assert!(
        !report.contains(signature),
        "the report never prints the token"
    );
}

fn findings(report: &str) -> Vec<Value> {
    let parsed: Value =
        serde_json::from_str(report).unwrap_or_else(|e| panic!("doctor --json: {e}\n{report}"));
    parsed["findings"].as_array().expect("findings").clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_checks_real_providers_and_names_the_missing_internal_url() {
    const ISSUER: &str = "https://id.example.invalid/realms/app";
    let better_auth = BetterAuth::start(Options::default()).await;
    let provider = OidcProvider::start(oidc::Options {
        issuer: Some(ISSUER),
        advertise_public: true,
        ..oidc::Options::default()
    })
    .await;
    let providers = |internal: &str| {
        format!(
            "[[provider]]\nname = \"keycloak\"\nissuer = \"{ISSUER}\"\ndiscovery = true\n{internal}\
             audiences = [\"backend-api\"]\n"
        )
    };
    let launch = |toml: String| {
        Launch::new()
            .env("BETTER_AUTH_URL", &better_auth.url)
            // Not Better Auth's secret: with JWKS it does not matter, and doctor must not fail on it.
            .env("BETTER_AUTH_SECRET", "not-the-frontend-secret-0123456789")
            .providers_file(&toml)
    };

    let (code, report) = launch(providers("")).run(&["doctor", "--json"]).await;
    assert_eq!(code, 1, "{report}");
    let failed: Vec<Value> = findings(&report)
        .into_iter()
        .filter(|f| f["severity"] == "fail")
        .collect();
    assert!(!failed.is_empty(), "{report}");
    for finding in &failed {
        let text = finding.to_string();
        assert!(
            text.contains("keycloak"),
            "only the OIDC provider fails: {text}"
        );
    }
    let text = Value::Array(failed).to_string();
    assert!(
        text.contains("id.example.invalid"),
        "names the host: {text}"
    );
    assert!(text.contains("internal_url"), "names the setting: {text}");

    let internal = format!("internal_url = \"{}\"\n", provider.url);
    let (code, report) = launch(providers(&internal))
        .run(&["doctor", "--json"])
        .await;
    assert_eq!(code, 0, "{report}");
    assert!(
        !report.contains("not-the-frontend-secret"),
        "the secret is never printed"
    );
}
