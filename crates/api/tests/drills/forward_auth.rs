//! Forward authentication behind a real nginx: `infrastructure/nginx/forward-auth.conf`, as
//! documented, in front of a small app, with the real `backend-api` binary answering
//! `auth_request`.
//!
//! A verified caller reaches the app with `X-Auth-User` (a forged one is overwritten), every
//! refusal reaches the client with its status, `WWW-Authenticate` and `x-error-code` (and never
//! reaches the app), and a key rotation under load fails no request.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use test_support::{JwksServer, TestKey, claims, jwks, now};

use crate::support::bounded;
use crate::support::identity::Identity;
use crate::support::nginx::Nginx;
use crate::support::service::{Service, ServiceEnv, client, free_port};
use crate::support::traffic::{Failure, Load, Step};
use crate::support::upstream::Upstream;
use test_support::{TempDir, temp_dir};

/// The host whose policy accepts the drill's audience; every other host needs another one.
const PROTECTED_HOST: &str = "protected.example";
/// How long the load runs before, between and after the rotation steps.
const PHASE: Duration = Duration::from_millis(1200);

/// The documented nginx configuration, pointed at this drill's processes.
fn nginx_config(port: u16, api: u16, app: u16) -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../infrastructure/nginx/forward-auth.conf");
    let text = std::fs::read_to_string(&path).expect("infrastructure/nginx/forward-auth.conf");
    for needle in ["listen 80;", "http://backend-api:8000", "http://app:3000"] {
        assert!(
            text.contains(needle),
            "forward-auth.conf no longer holds {needle:?}"
        );
    }
    text.replace("listen 80;", &format!("listen 127.0.0.1:{port};"))
        .replace(
            "http://backend-api:8000",
            &format!("http://127.0.0.1:{api}"),
        )
        .replace("http://app:3000", &format!("http://127.0.0.1:{app}"))
}

/// Signs tokens for the drill's issuer with the key currently in use (switched on rotation).
struct Signer {
    keys: Vec<TestKey>,
    current: AtomicUsize,
    issuer: &'static str,
    audience: &'static str,
}

impl Signer {
    fn token(&self, user: &str, extra: Value) -> String {
        let mut body = claims(self.issuer, self.audience, user, now());
        for (name, value) in extra.as_object().expect("object") {
            body[name] = value.clone();
        }
        self.keys[self.current.load(Ordering::SeqCst)].sign(&body)
    }
}

/// backend-api (with its own JWKS server and the drill's policy) behind nginx, and the app.
struct Stack {
    _dir: TempDir,
    jwks: JwksServer,
    signer: Arc<Signer>,
    service: Service,
    nginx: Nginx,
    app: Upstream,
}

impl Stack {
    async fn start(label: &str, jwks_up: bool) -> Stack {
        let dir = temp_dir(label);
        let identity = Identity::start().await;
        let keys = vec![TestKey::generate("EdDSA"), TestKey::generate("ES256")];
        let jwks = if jwks_up {
            JwksServer::start(jwks(&[&keys[0]])).await
        } else {
            JwksServer::reserve(jwks(&[&keys[0]])).await
        };
        let policy = dir.path().join("forward-auth.toml");
        std::fs::write(
            &policy,
            format!(
                "[default]\naudiences = [\"some-other-app\"]\n\n[[host]]\nhost = \"{PROTECTED_HOST}\"\naudiences = [\"{}\"]\n",
                identity.audience()
            ),
        )
        .expect("policy file");
        let env = ServiceEnv::new(
            &format!("sqlite://{}/tasks.db", dir.path().display()),
            &identity,
        )
        .set("BETTER_AUTH_JWKS_URL", &jwks.jwks_url())
        .set("FORWARD_AUTH_CLAIM_HEADERS", "email=X-Auth-Email")
        .set("FORWARD_AUTH_POLICY_FILE", &policy.display().to_string());
        let port = free_port();
        let service = if jwks_up {
            Service::start_ready(&env, port, dir.path(), "api").await
        } else {
            let mut service = Service::spawn(&env, port, dir.path(), "api");
            service.wait_status("/health", 200).await;
            service
        };
        let app = Upstream::start().await;
        let nginx = Nginx::start_with(dir.path(), |port| {
            nginx_config(port, service.port, app.port)
        })
        .await;
        let signer = Arc::new(Signer {
            keys,
            current: AtomicUsize::new(0),
            issuer: identity.issuer(),
            audience: identity.audience(),
        });
        Stack {
            _dir: dir,
            jwks,
            signer,
            service,
            nginx,
            app,
        }
    }

    /// GET through nginx as a client of the protected host.
    fn get(&self, http: &reqwest::Client, path: &str) -> reqwest::RequestBuilder {
        self.get_from(http, PROTECTED_HOST, path)
    }

    /// GET through nginx as a client of `host`.
    fn get_from(&self, http: &reqwest::Client, host: &str, path: &str) -> reqwest::RequestBuilder {
        http.get(format!("{}{path}", self.nginx.url()))
            .header("host", host)
    }
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap_or("?").to_owned())
        .collect::<Vec<_>>()
        .join(" | ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_passes_the_verified_user_to_the_app_and_overwrites_forged_identity_headers() {
    bounded(async {
        let stack = Stack::start("forward-auth-user", true).await;
        let http = client();
        let token = stack
            .signer
            .token("alice", json!({"email": "alice@example.com"}));
        let response = stack
            .get(&http, "/private/page?token=hunter2")
            .bearer_auth(&token)
            .header("x-auth-user", "mallory")
            .header("x-auth-provider", "forged")
            .send()
            .await
            .expect("sent");
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{}",
            stack.nginx.error_log()
        );
        let seen: Value = response.json().await.expect("echo");
        assert_eq!(seen["path"], "/private/page");
        assert_eq!(seen["headers"]["x-auth-user"], json!(["alice"]));
        assert_eq!(seen["headers"]["x-auth-provider"], json!(["better-auth"]));
        assert_eq!(
            seen["headers"]["x-auth-email"],
            json!(["alice@example.com"])
        );

        // No email claim: a client-sent X-Auth-Email must not reach the app either.
        let response = stack
            .get(&http, "/")
            .bearer_auth(stack.signer.token("bob", json!({})))
            .header("x-auth-email", "ceo@example.com")
            .send()
            .await
            .expect("sent");
        let seen: Value = response.json().await.expect("echo");
        assert_eq!(seen["headers"]["x-auth-user"], json!(["bob"]));
        assert!(seen["headers"].get("x-auth-email").is_none(), "{seen}");

        // The log line names the original request without its query string.
        let log = stack.service.log_tail();
        assert!(log.contains("\"original_uri\":\"/private/page\""), "{log}");
        assert!(log.contains("\"original_method\":\"GET\""), "{log}");
        assert!(!log.contains("hunter2"), "query string logged:\n{log}");
        assert_eq!(stack.app.requests(), 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_reaches_the_client_with_status_challenge_and_code_and_never_the_app() {
    bounded(async {
        let stack = Stack::start("forward-auth-refusals", true).await;
        let http = client();
        let stranger = TestKey::generate("EdDSA").with_kid(stack.signer.keys[0].kid().to_owned());
        let mut expired = claims(
            stack.signer.issuer,
            stack.signer.audience,
            "alice",
            now() - 7200,
        );
        expired["exp"] = json!(now() - 3600);
        let valid = stack.signer.token("alice", json!({}));
        let cases: Vec<(Option<String>, Option<&str>, &str)> = vec![
            (None, None, "token_missing"),
            (Some("not.a.jwt".into()), None, "token_malformed"),
            (Some(stack.signer.keys[0].sign(&expired)), None, "expired"),
            (
                Some(stranger.sign(&claims(
                    stack.signer.issuer,
                    stack.signer.audience,
                    "alice",
                    now(),
                ))),
                None,
                "bad_signature",
            ),
            // Another host's policy wants another audience; a client-sent X-Forwarded-Host
            // naming the protected host does not help, nginx sets it from Host.
            (
                Some(valid.clone()),
                Some("other.example"),
                "audience_mismatch",
            ),
        ];
        for (token, host, code) in cases {
            let mut request = stack.get_from(&http, host.unwrap_or(PROTECTED_HOST), "/private");
            if host.is_some() {
                request = request.header("x-forwarded-host", PROTECTED_HOST);
            }
            if let Some(token) = &token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.expect("sent");
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{code}");
            assert_eq!(header(&response, "x-error-code"), code);
            let challenge = header(&response, "www-authenticate");
            if code == "token_missing" {
                assert_eq!(challenge, "Bearer");
            } else {
                assert_eq!(
                    challenge,
                    format!("Bearer error=\"invalid_token\", error_description=\"{code}\"")
                );
            }
            assert_eq!(
                header(&response, "content-type"),
                "application/problem+json"
            );
            let body: Value = response.json().await.expect("problem+json");
            assert_eq!(body["code"], code);
            assert_eq!(body["status"], 401);
        }
        assert_eq!(stack.app.requests(), 0, "a refused request reached the app");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_unavailable_reaches_the_client_as_503_with_retry_after() {
    bounded(async {
        let stack = Stack::start("forward-auth-503", false).await;
        let response = stack
            .get(&client(), "/private")
            .bearer_auth(stack.signer.token("alice", json!({})))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(header(&response, "x-error-code"), "keys_unavailable");
        let retry: u64 = header(&response, "retry-after")
            .parse()
            .expect("Retry-After seconds");
        assert!(retry >= 1);
        assert_eq!(stack.app.requests(), 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_rotation_under_load_through_nginx_fails_no_request() {
    bounded(async {
        let stack = Stack::start("forward-auth-rotation", true).await;
        let http = client();
        let (base, signer) = (stack.nginx.url(), stack.signer.clone());
        let load = Load::start(4, move |worker, sequence| {
            let (http, base, signer) = (http.clone(), base.clone(), signer.clone());
            async move {
                // A fresh token every time, signed by the key in use at that moment.
                let user = format!("user-{worker}");
                let token = signer.token(&user, json!({"jti": format!("{worker}-{sequence}")}));
                let sent = http
                    .get(format!("{base}/rotation"))
                    .header("host", PROTECTED_HOST)
                    .bearer_auth(token)
                    .send()
                    .await;
                let result = match sent {
                    Err(error) => Err(Failure::Transport(error.to_string())),
                    Ok(response) if response.status() != StatusCode::OK => {
                        Err(Failure::Answer(format!(
                            "{} {}",
                            response.status(),
                            header(&response, "x-error-code")
                        )))
                    }
                    Ok(response) => match response.json::<Value>().await {
                        Ok(seen) if seen["headers"]["x-auth-user"] == json!([user]) => Ok(()),
                        other => Err(Failure::Answer(format!("app saw {other:?}"))),
                    },
                };
                Step {
                    title: None,
                    result,
                }
            }
        });
        let keys = &stack.signer.keys;
        tokio::time::sleep(PHASE).await;
        // Rotation as an identity provider does it: publish the new key, sign with it, and
        // retire the old one once no token signed by it is in use.
        stack.jwks.set_jwks(jwks(&[&keys[0], &keys[1]]));
        stack.signer.current.store(1, Ordering::SeqCst);
        tokio::time::sleep(PHASE).await;
        stack.jwks.set_jwks(jwks(&[&keys[1]]));
        tokio::time::sleep(PHASE).await;
        let tally = load.finish().await;
        assert!(
            tally.clean(),
            "{}\n{}",
            tally.sample(),
            stack.service.log_tail()
        );
        assert!(
            tally.ok >= 20,
            "too little load to mean anything: {}",
            tally.ok
        );
        assert_eq!(stack.app.requests(), tally.ok);
    })
    .await;
}
