//! Graceful shutdown: `/ready` turns 503 at once, the listener closes after the delay, requests
//! already in flight still complete (none dropped), and a request that never finishes is
//! abandoned after the drain time instead of blocking the exit. Also the request time limit,
//! which ends a request that would otherwise hang.

use std::time::Duration;

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Backend, TestApp};

/// A POST whose body is only partly sent: the server is reading it, so it is in flight.
async fn start_partial_post(app: &TestApp, title: &str) -> (TcpStream, &'static [u8]) {
    let body_start = format!("{{\"title\": \"{title}\"");
    let rest: &'static [u8] = b"}";
    let head = format!(
        "POST /api/alice/tasks HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        app.token("alice"),
        body_start.len() + rest.len()
    );
    let address = app.address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.expect("connect");
    stream.write_all(head.as_bytes()).await.expect("head");
    stream
        .write_all(body_start.as_bytes())
        .await
        .expect("body start");
    stream.flush().await.expect("flush");
    (stream, rest)
}

async fn finish(mut stream: TcpStream, rest: &[u8]) -> String {
    stream.write_all(rest).await.expect("body end");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("response");
    String::from_utf8_lossy(&response).into_owned()
}

/// Polls until new connections are refused: the listener is closed.
async fn wait_until_listener_closed(app: &TestApp) {
    let address = app.address.trim_start_matches("http://").to_owned();
    for _ in 0..400 {
        if TcpStream::connect(&address).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the listener never closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_requests_finish_after_shutdown_begins() {
    let mut app = TestApp::builder(Backend::Sqlite)
        .config(|config| config.http.shutdown_delay = Duration::from_secs(2))
        .spawn()
        .await;
    let mut in_flight = Vec::new();
    for n in 0..5 {
        in_flight.push(start_partial_post(&app, &format!("in flight {n}")).await);
    }

    app.begin_shutdown();
    let ready = app
        .wait_for_ready(|status, _| status == StatusCode::SERVICE_UNAVAILABLE)
        .await;
    assert_eq!(ready["checks"]["shutdown"]["status"], "fail", "{ready}");
    wait_until_listener_closed(&app).await;

    for (stream, rest) in in_flight {
        let response = finish(stream, rest).await;
        assert!(
            response.starts_with("HTTP/1.1 201"),
            "in-flight request dropped: {response}"
        );
    }
    app.stopped().await.expect("clean exit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_never_finishes_is_abandoned_after_the_drain_time() {
    let mut app = TestApp::builder(Backend::Sqlite)
        .config(|config| config.http.shutdown_drain = Duration::from_millis(500))
        .spawn()
        .await;
    let (_stuck, _) = start_partial_post(&app, "never finished").await;
    // The request is in flight once its task exists; a completed list proves the server read our head.
    let listed = app.get_json_as("alice", "/api/alice/tasks").await;
    assert!(listed["tasks"].is_array());
    app.begin_shutdown();
    tokio::time::timeout(Duration::from_secs(10), app.stopped())
        .await
        .expect("shutdown is bounded by the drain time")
        .expect("clean exit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_over_the_time_limit_gets_503_request_timeout() {
    let app = TestApp::builder(Backend::Sqlite)
        .config(|config| config.http.request_timeout = Duration::from_millis(300))
        .spawn()
        .await;
    // The body never completes, so only the timeout can end this request.
    let (stream, _) = start_partial_post(&app, "too slow").await;
    let mut stream = stream;
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response))
        .await
        .expect("the server answers instead of waiting forever")
        .expect("read");
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 503"), "{response}");
    assert!(
        response.contains("\"code\":\"request_timeout\""),
        "{response}"
    );
}
