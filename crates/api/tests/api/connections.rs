//! Hostile and broken connections: a head that never completes is closed after the header
//! timeout (also when it trickles in byte by byte), an idle kept-alive connection lives past the
//! header timeout and is closed after the keep-alive timeout, a connection past the cap evicts
//! stalled ones (never a request in progress) so `/health` still answers, a body trickling in is
//! cut by the request time limit, and the metrics count each of these closes.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Backend, TestApp};

/// Every wait here is bounded by this; the limits under test are far shorter.
const BOUND: Duration = Duration::from_secs(15);

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .expect("connect")
}

/// Reads until the server closes the connection (EOF or reset); fails after [`BOUND`].
async fn closed_by_server(stream: &mut TcpStream) -> Vec<u8> {
    let mut seen = Vec::new();
    let read = tokio::time::timeout(BOUND, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the server kept the connection open for {BOUND:?}"
    );
    seen
}

/// Reads one response with a `content-length`, leaving the connection open.
async fn read_response(stream: &mut (impl AsyncRead + Unpin)) -> String {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(BOUND, stream.read(&mut buffer))
            .await
            .expect("an answer in time")
            .expect("read");
        assert!(n > 0, "closed before the response was complete: {seen:?}");
        seen.extend_from_slice(&buffer[..n]);
        let text = String::from_utf8_lossy(&seen);
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text[..end]
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .expect("content-length");
            if seen.len() >= end + 4 + length {
                return text.into_owned();
            }
        }
    }
}

async fn metric(app: &TestApp, line_start: &str) -> f64 {
    let text = app.get("/metrics").await.text().await.expect("metrics");
    text.lines()
        .find_map(|line| line.strip_prefix(line_start)?.trim().parse().ok())
        .unwrap_or(0.0)
}

const GET_HEALTH: &[u8] = b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_that_never_completes_is_closed_after_the_header_timeout_even_when_it_trickles() {
    let app = TestApp::builder(Backend::Sqlite)
        .config(|config| config.http.connections.header_read_timeout = Duration::from_millis(500))
        .spawn()
        .await;
    let mut silent = connect(&app).await;
    let mut stalled = connect(&app).await;
    stalled
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nX-a: ")
        .await
        .expect("partial head");
    let mut trickling = connect(&app).await;
    let trickle = tokio::spawn(async move {
        // One byte every 100 ms never completes the head, so it must not extend the deadline.
        for byte in
            b"GET /health HTTP/1.1\r\nX-slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        {
            if trickling.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        closed_by_server(&mut trickling).await
    });

    assert_eq!(
        closed_by_server(&mut silent).await,
        b"",
        "nothing is answered"
    );
    assert_eq!(
        closed_by_server(&mut stalled).await,
        b"",
        "nothing is answered"
    );
    assert_eq!(
        trickle.await.expect("trickle task"),
        b"",
        "nothing is answered"
    );
    assert_eq!(
        metric(
            &app,
            "http_connections_closed_total{reason=\"header_timeout\"}"
        )
        .await,
        3.0
    );
    app.assert_live().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_kept_alive_connection_outlives_the_header_timeout_then_closes_after_the_keep_alive_timeout()
 {
    let app = TestApp::builder(Backend::Sqlite)
        .config(|config| {
            config.http.connections.header_read_timeout = Duration::from_millis(300);
            config.http.connections.keep_alive_timeout = Duration::from_millis(1500);
        })
        .spawn()
        .await;
    let mut stream = connect(&app).await;
    stream.write_all(GET_HEALTH).await.expect("request");
    assert!(read_response(&mut stream).await.starts_with("HTTP/1.1 200"));
    // Idle for longer than the header timeout: a proxy's pooled connection must still work.
    tokio::time::sleep(Duration::from_millis(900)).await;
    stream.write_all(GET_HEALTH).await.expect("second request");
    assert!(read_response(&mut stream).await.starts_with("HTTP/1.1 200"));

    assert_eq!(closed_by_server(&mut stream).await, b"");
    // The harness's own pooled connections may have timed out too.
    let closed = metric(
        &app,
        "http_connections_closed_total{reason=\"keep_alive_timeout\"}",
    )
    .await;
    assert!(closed >= 1.0, "{closed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_cap_stalled_connections_are_evicted_never_a_request_in_progress() {
    const CAP: usize = 8;
    let app = TestApp::builder(Backend::Sqlite)
        .config(|config| config.http.connections.max_connections = CAP)
        .spawn()
        .await;
    // A create that waits for `100 Continue` before its body: once that arrives the service
    // is reading the body, so the request is in progress and must never be evicted.
    let body = r#"{"title": "survives the flood"}"#;
    let mut busy = connect(&app).await;
    let head = format!(
        "POST /api/alice/tasks HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\
         Connection: close\r\n\r\n",
        app.token("alice"),
        body.len()
    );
    busy.write_all(head.as_bytes()).await.expect("head");
    let mut continued = [0u8; 25];
    tokio::time::timeout(BOUND, busy.read_exact(&mut continued))
        .await
        .expect("100 Continue in time")
        .expect("read 100 Continue");
    assert_eq!(&continued, b"HTTP/1.1 100 Continue\r\n\r\n");

    let mut flood = Vec::new();
    for _ in 0..4 * CAP {
        let mut stream = connect(&app).await;
        stream
            .write_all(b"GET /health HTTP/1.1\r\n")
            .await
            .expect("partial head");
        flood.push(stream);
    }
    for _ in 0..5 {
        app.assert_live().await;
    }
    busy.write_all(body.as_bytes()).await.expect("body");
    let answer = closed_by_server(&mut busy).await;
    assert!(
        answer.starts_with(b"HTTP/1.1 201"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let evicted = metric(&app, "http_connections_closed_total{reason=\"evicted\"}").await;
    assert!(evicted >= (3 * CAP) as f64, "evicted {evicted}");
    let open = metric(&app, "http_connections_open").await;
    assert!(open <= CAP as f64, "{open} connections open, cap {CAP}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_trickling_in_is_cut_by_the_request_time_limit() {
    let app = TestApp::builder(Backend::Sqlite)
        .config(|config| config.http.request_timeout = Duration::from_millis(500))
        .spawn()
        .await;
    let body = format!(r#"{{"title": "{}"}}"#, "x".repeat(200));
    let mut stream = connect(&app).await;
    let head = format!(
        "POST /api/alice/tasks HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        app.token("alice"),
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    let (mut reader, mut writer) = stream.into_split();
    let trickle = tokio::spawn(async move {
        // Bytes keep coming, so only the request time limit can end this request.
        for byte in body.bytes() {
            if writer.write_all(&[byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let answer = read_response(&mut reader).await;
    trickle.abort();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("\"code\":\"request_timeout\""), "{answer}");
}
