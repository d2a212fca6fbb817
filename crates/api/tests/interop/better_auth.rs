//! backend-api configured the way a typical deployment does it (`BETTER_AUTH_URL` only) against real Better Auth:
//! the task API with Better Auth's user ids, every signing algorithm, the issuer split, the secret myth.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::better_auth::{BetterAuth, Options};
use crate::support::jwt;
use crate::support::service::{Launch, Service};

const PASSWORD: &str = "correct-horse-battery-staple";

/// Better Auth with `options` and backend-api pointed at it through `BETTER_AUTH_URL` plus `extra` settings.
async fn start(options: Options<'_>, extra: &[(&str, &str)]) -> (BetterAuth, Service) {
    let better_auth = BetterAuth::start(options).await;
    let mut launch = Launch::new().env("BETTER_AUTH_URL", &better_auth.url);
    for (name, value) in extra {
        launch = launch.env(name, value);
    }
    (better_auth, launch.start().await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeds_configuration_serves_tasks_to_the_better_auth_user() {
    let (better_auth, service) = start(Options::default(), &[]).await;
    service.wait_ready().await;
    let alice = better_auth
        .sign_up_and_in("Alice", "alice@example.com", PASSWORD)
        .await;
    let token = alice.token().await;
    let header_jwt = alice.session_jwt().await;
    let claims = jwt::claims(&token);
    assert_eq!(claims["sub"], alice.user_id.as_str());
    assert_eq!(jwt::header(&token)["alg"], "EdDSA");

    let tasks = format!("/api/{}/tasks", alice.user_id);
    let created = service
        .call(
            Method::POST,
            &tasks,
            Some(&token),
            Some(json!({"title": "Buy milk"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["user_id"], alice.user_id.as_str());
    // The id is printed into the path as it comes, whether the service uses numbers or strings.
    let id = match &created.body["id"] {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let task = format!("{tasks}/{id}");

    // The set-auth-jwt token is just as good as the /api/auth/token one.
    let listed = service.get(&tasks, &header_jwt).await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    assert_eq!(listed.body["tasks"][0]["title"], "Buy milk");

    let updated = service
        .call(
            Method::PATCH,
            &task,
            Some(&token),
            Some(json!({"title": "Buy oat milk"})),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    assert_eq!(updated.body["title"], "Buy oat milk");
    let completed = service
        .call(
            Method::PATCH,
            &format!("{task}/complete"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(completed.status, StatusCode::OK, "{:?}", completed.body);
    assert_eq!(completed.body["completed"], true);

    // Another Better Auth user gets 403 on Alice's path and never sees her task.
    let bob = better_auth
        .sign_up_and_in("Bob", "bob@example.com", PASSWORD)
        .await;
    let bob_token = bob.token().await;
    let refused = service.get(&tasks, &bob_token).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{:?}", refused.body);
    assert_eq!(refused.code(), Some("user_mismatch"));
    let bobs = service
        .get(&format!("/api/{}/tasks", bob.user_id), &bob_token)
        .await;
    assert_eq!(bobs.status, StatusCode::OK);
    assert_eq!(bobs.body["tasks"], json!([]));

    let deleted = service
        .call(Method::DELETE, &task, Some(&token), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{:?}", deleted.body);
    assert_eq!(
        service.get(&task, &token).await.status,
        StatusCode::NOT_FOUND
    );

    let signature = token.rsplit('.').next().expect("signature");
    service.assert_logs_never_contain(signature);
    service.assert_logs_never_contain(PASSWORD);
}

/// Signs a user in at Better Auth configured with `alg` and uses the token on backend-api.
async fn algorithm_is_accepted(alg: &str) {
    let (better_auth, service) = start(
        Options {
            alg: Some(alg),
            ..Options::default()
        },
        &[],
    )
    .await;
    let carol = better_auth
        .sign_up_and_in("Carol", "carol@example.org", PASSWORD)
        .await;
    let token = carol.token().await;
    assert_eq!(
        jwt::header(&token)["alg"],
        alg,
        "Better Auth signed with {alg}"
    );
    let reply = service
        .get(&format!("/api/{}/tasks", carol.user_id), &token)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{alg}: {:?}", reply.body);
}

macro_rules! algorithm_tests {
    ($($name:ident => $alg:literal),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            algorithm_is_accepted($alg).await;
        }
    )*};
}

algorithm_tests! {
    algorithm_eddsa_is_accepted => "EdDSA",
    algorithm_es256_is_accepted => "ES256",
    algorithm_es384_is_accepted => "ES384",
    algorithm_es512_is_accepted => "ES512",
    algorithm_rs256_is_accepted => "RS256",
    algorithm_ps256_is_accepted => "PS256",
}

const PUBLIC_URL: &str = "https://app.example.com";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issuer_split_works_with_better_auth_issuer() {
    let options = Options {
        base_url: Some(PUBLIC_URL),
        ..Options::default()
    };
    let (better_auth, service) = start(options, &[("BETTER_AUTH_ISSUER", PUBLIC_URL)]).await;
    let dave = better_auth
        .sign_up_and_in("Dave", "dave@example.com", PASSWORD)
        .await;
    let token = dave.token().await;
    assert_eq!(jwt::claims(&token)["iss"], PUBLIC_URL);
    let reply = service
        .get(&format!("/api/{}/tasks", dave.user_id), &token)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issuer_split_without_better_auth_issuer_is_refused_with_a_hint() {
    let options = Options {
        base_url: Some(PUBLIC_URL),
        ..Options::default()
    };
    let (better_auth, mut service) = start(options, &[]).await;
    let erin = better_auth
        .sign_up_and_in("Erin", "erin@example.com", PASSWORD)
        .await;
    let token = erin.token().await;
    let reply = service
        .get(&format!("/api/{}/tasks", erin.user_id), &token)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{:?}", reply.body);
    assert_eq!(reply.code(), Some("issuer_unknown"));
    let challenge = reply.header("www-authenticate").expect("WWW-Authenticate");
    assert!(challenge.contains("issuer_unknown"), "{challenge}");
    let hint = service
        .wait_for_log("a log line naming BETTER_AUTH_ISSUER", |l| {
            l.contains("issuer_unknown") && l.contains("BETTER_AUTH_ISSUER")
        })
        .await;
    assert!(
        hint.contains(PUBLIC_URL),
        "the hint shows the issuer seen: {hint}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_different_better_auth_secret_does_not_matter() {
    let options = Options {
        secret: Some("frontend-secret-aaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
        ..Options::default()
    };
    let backend_secret = [(
        "BETTER_AUTH_SECRET",
        "backend-secret-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    )];
    let (better_auth, service) = start(options, &backend_secret).await;
    let frank = better_auth
        .sign_up_and_in("Frank", "frank@example.com", PASSWORD)
        .await;
    let reply = service
        .get(
            &format!("/api/{}/tasks", frank.user_id),
            &frank.token().await,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    service.assert_logs_never_contain("backend-secret-bbbb");
}
