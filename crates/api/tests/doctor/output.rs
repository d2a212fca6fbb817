use crate::helpers::Doctor;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_findings_have_the_spec_shape() {
    let report = Doctor::new(&[]).json().await;
    assert!(!report.findings().is_empty());
    for finding in report.findings() {
        for key in ["code", "severity", "check", "observed", "fix"] {
            assert!(finding.get(key).is_some(), "{key} missing in {finding:#}");
        }
        assert!(["ok", "warn", "fail"].contains(&finding["severity"].as_str().expect("severity")));
    }
    // Nothing configured: the development key is trusted, which is a warning, not a failure.
    report.expect("development_key", "warn");
    assert_eq!(report.exit(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_with_the_development_key_fails() {
    let report = Doctor::new(&[])
        .env("ENVIRONMENT", "production")
        .json()
        .await;
    let finding = report.expect("dev_key_in_production", "fail");
    assert!(
        finding["observed"]
            .as_str()
            .is_some_and(|o| o.contains("production"))
    );
    assert_eq!(report.exit(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_variable_is_its_own_config_invalid_finding() {
    let report = Doctor::new(&[])
        .env("PORT", "eighty")
        .env("JWT_LEEWAY_SECONDS", "-3")
        .json()
        .await;
    let bad: Vec<&str> = report
        .findings()
        .iter()
        .filter(|f| f["code"] == "config_invalid")
        .filter_map(|f| f["check"].as_str())
        .collect();
    assert!(bad.iter().any(|c| c.contains("PORT")), "{bad:?}");
    assert!(
        bad.iter().any(|c| c.contains("JWT_LEEWAY_SECONDS")),
        "{bad:?}"
    );
    assert_eq!(report.exit(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn better_auth_secret_appears_only_as_a_fingerprint() {
    let secret = "frontend-and-backend-share-this-32+chars";
    let doctor = Doctor::new(&[]).env("BETTER_AUTH_SECRET", secret);
    let outcome = doctor.run().await;
    assert!(!outcome.stdout.contains(secret) && !outcome.stderr.contains(secret));
    // The fingerprint is what `printf %s "$BETTER_AUTH_SECRET" | sha256sum | cut -c1-8` prints.
    let shell = std::process::Command::new("sh")
        .args(["-c", "printf %s \"$S\" | sha256sum | cut -c1-8"])
        .env("S", secret)
        .output()
        .expect("sh");
    let expected = format!("sha256:{}", String::from_utf8_lossy(&shell.stdout).trim());
    assert!(outcome.stdout.contains(&expected), "{}", outcome.stdout);
    assert!(outcome.stdout.contains("secret_fingerprint"));
    assert!(outcome.stdout.contains("not with this secret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_output_is_plain_when_not_a_terminal() {
    let outcome = Doctor::new(&[]).run().await;
    assert!(
        !outcome.stdout.contains('\x1b'),
        "no colour codes in a pipe"
    );
    assert!(outcome.stdout.contains("development_key"));
    assert!(outcome.stdout.contains("failure(s)"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issuer_derived_from_the_in_cluster_url_is_warned_until_set() {
    // Better Auth signs with its public URL; `http://frontend:3000` is only how this pod reaches it.
    let report = Doctor::new(&[])
        .env("BETTER_AUTH_URL", "http://frontend:3000")
        .json_args(&["--timeout", "2"])
        .await;
    let finding = report.expect("issuer_from_internal_url", "warn");
    assert!(
        finding["fix"]
            .as_str()
            .is_some_and(|f| f.contains("BETTER_AUTH_ISSUER"))
    );

    let report = Doctor::new(&[])
        .env("BETTER_AUTH_URL", "http://frontend:3000")
        .env("BETTER_AUTH_ISSUER", "https://app.example.com")
        .json_args(&["--timeout", "2"])
        .await;
    assert!(!report.has("issuer_from_internal_url"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_hs256_secret_fails_in_every_environment_showing_its_length_only() {
    let short = "only-twenty-bytes-ok";
    assert_eq!(short.len(), 20);
    for environment in ["development", "production"] {
        let doctor = Doctor::new(&[])
            .env("ENVIRONMENT", environment)
            .env("BETTER_AUTH_URL", "http://127.0.0.1:1")
            .env("BETTER_AUTH_ACCEPT_HS256", "true")
            .env("BETTER_AUTH_SECRET", short);
        let outcome = doctor.run().await;
        assert!(
            !outcome.stdout.contains(short) && !outcome.stderr.contains(short),
            "secret leaked ({environment})"
        );
        let report = doctor.json().await;
        let finding = report.expect("hs256_secret_too_short", "fail");
        let observed = finding["observed"].as_str().expect("observed");
        assert!(observed.contains("20 bytes"), "{environment}: {observed}");
        let fix = finding["fix"].as_str().expect("fix");
        assert!(fix.contains("32"), "{environment}: {fix}");
        assert_eq!(report.exit(), 1);
    }

    // A secret of 32 bytes raises no such finding.
    let report = Doctor::new(&[])
        .env("BETTER_AUTH_URL", "http://127.0.0.1:1")
        .env("BETTER_AUTH_ACCEPT_HS256", "true")
        .env("BETTER_AUTH_SECRET", "a-shared-secret-of-32-bytes-long")
        .json()
        .await;
    assert!(!report.has("hs256_secret_too_short"));
}
