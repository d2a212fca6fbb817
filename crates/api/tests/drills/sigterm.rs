//! SIGTERM while the service is under load: requests it had accepted are answered, then it exits 0
//! within its drain time.
//!
//! "Accepted" is made certain, not guessed: some requests are sent half (headers and half of the
//! body) before SIGTERM, so the service is reading them when the signal arrives, and their second
//! half goes out after it. Each must still get its 201 and be stored. Meanwhile readers keep the
//! service busy; once it stops listening they are refused, which is fine, but no answer they get
//! may be an error.
//!
//! No step waits a fixed time: each waits, bounded, for what the service shows. The half-sent
//! requests are in flight once `/metrics` counts their tokens as verified (the handler then waits
//! on the body); the readers are under way once it counts a read answered; the signal has
//! arrived once the service logs that shutdown was requested.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::identity::Identity;
use crate::support::service::{Service, ServiceEnv, client, free_port};
use crate::support::traffic::{Api, Load, assert_stored_exactly_once};
use crate::support::{bounded, eventually};
use test_support::temp_dir;

const USER: &str = "drill-user";
const DRAIN_SECONDS: u64 = 10;
const IN_FLIGHT: usize = 8;
/// Longest wait for anything the service is expected to show (it shows it in milliseconds).
const WAIT: Duration = Duration::from_secs(10);
/// Counter of verified tokens, from the verification core.
const AUTH_SUCCESS: &str = backend_api_auth::AUTH_SUCCESS;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_answers_every_accepted_request_and_exits_zero_within_drain_time() {
    bounded(async {
        let dir = temp_dir("sigterm");
        let identity = Identity::start().await;
        let database = format!("sqlite://{}/tasks.db", dir.path().display());
        let env = ServiceEnv::new(&database, &identity)
            .set("SHUTDOWN_DRAIN_SECONDS", &DRAIN_SECONDS.to_string());
        let port = free_port();
        let mut service = Service::start_ready(&env, port, dir.path(), "api").await;
        let token = identity.token(USER);
        let api = Api::new(client(), &service.url(""), USER);

        // Nothing else presents a token until the readers start, so the count of verified
        // tokens grows by exactly one per half-sent request the service is handling.
        let verified_before = service.metric(AUTH_SUCCESS, &[]).await;
        let mut half_sent = Vec::new();
        for i in 0..IN_FLIGHT {
            half_sent.push(HalfSent::open(port, &token, &format!("in-flight-{i}")).await);
        }
        let in_flight = eventually(WAIT, || async {
            service.metric(AUTH_SUCCESS, &[]).await >= verified_before + IN_FLIGHT as f64
        })
        .await;
        assert!(
            in_flight,
            "the service did not take up the {IN_FLIGHT} half-sent requests within {WAIT:?}\n{}",
            service.log_tail()
        );
        let readers = Load::reads(4, &api, std::slice::from_ref(&token));
        let reading = eventually(WAIT, || async {
            service
                .metric("http_requests_total", &[r#"method="GET""#, r#"route="/api/{user_id}/tasks""#, r#"status="200""#])
                .await
                >= 1.0
        })
        .await;
        assert!(reading, "no read answered within {WAIT:?}\n{}", service.log_tail());
        let signalled = Instant::now();
        service.sigterm();
        service.wait_log("shutdown requested", WAIT).await;

        let mut answered = Vec::new();
        for request in half_sent {
            answered.push(tokio::spawn(request.finish()));
        }
        let mut acknowledged = Vec::new();
        for (i, answer) in answered.into_iter().enumerate() {
            let status = answer.await.expect("in-flight request task");
            assert_eq!(status.as_deref(), Ok("201"), "in-flight request {i} accepted before SIGTERM");
            acknowledged.push(format!("in-flight-{i}"));
        }
        let (status, _) = service.wait_exit(Duration::from_secs(DRAIN_SECONDS + 5)).await;
        let took = signalled.elapsed();
        let readers = readers.finish().await;
        assert!(status.success(), "exit status after SIGTERM: {status}\n{}", service.log_tail());
        assert!(took <= Duration::from_secs(DRAIN_SECONDS), "exit {took:?} after SIGTERM, drain time {DRAIN_SECONDS} s");
        assert!(readers.ok > 0, "no load before SIGTERM");
        assert!(readers.failures.is_empty(), "answers other than 200 under shutdown: {:?}", readers.failures);
        eprintln!(
            "sigterm: exit 0 after {took:?}; {} reads answered, {} refused once closed; {IN_FLIGHT} in-flight writes answered",
            readers.ok,
            readers.transport_errors.len()
        );

        // Every answered write is stored: look with a fresh process on the same database.
        let service = Service::start_ready(&env, port, dir.path(), "api-after").await;
        let stored = Api::new(client(), &service.url(""), USER).titles(&token).await;
        assert_stored_exactly_once(&acknowledged, &stored);
    })
    .await;
}

/// A POST whose headers and first half of body are on the wire, the rest held back.
struct HalfSent {
    stream: TcpStream,
    rest: Vec<u8>,
}

impl HalfSent {
    async fn open(port: u16, token: &str, title: &str) -> HalfSent {
        let body = json!({"title": title, "description": "sent across SIGTERM"}).to_string();
        let head = format!(
            "POST /api/{USER}/tasks HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer {token}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        let (first, rest) = body.as_bytes().split_at(body.len() / 2);
        let mut stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        stream
            .write_all(head.as_bytes())
            .await
            .expect("send headers");
        stream.write_all(first).await.expect("send first half");
        HalfSent {
            stream,
            rest: rest.to_vec(),
        }
    }

    /// Sends the rest and returns the status code of the answer, or what went wrong.
    async fn finish(mut self) -> Result<String, String> {
        self.stream
            .write_all(&self.rest)
            .await
            .map_err(|e| format!("send rest: {e}"))?;
        let mut answer = Vec::new();
        tokio::time::timeout(
            Duration::from_secs(DRAIN_SECONDS),
            self.stream.read_to_end(&mut answer),
        )
        .await
        .map_err(|_| "no answer within the drain time".to_owned())?
        .map_err(|e| format!("read: {e}"))?;
        let text = String::from_utf8_lossy(&answer);
        text.split(' ')
            .nth(1)
            .map(str::to_owned)
            .ok_or_else(|| format!("no HTTP answer: {text:?}"))
    }
}
