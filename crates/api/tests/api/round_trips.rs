//! A request is one round trip to PostgreSQL: the service talks to the server through a proxy
//! on loopback that counts the protocol's Sync messages (each one ends a round trip the client
//! waits for). A ping when a connection returns to the pool, or before each use, would be a
//! second Sync per request.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::{Backend, TestApp, TestDatabase};

/// Frontend message type of Sync.
const SYNC: u8 = b'S';
/// Untyped requests that may precede the startup message (SSL, GSS encryption).
const NEGOTIATION_CODES: [u32; 2] = [80_877_103, 80_877_104];

/// Forwards connections to `upstream`, counting the Sync messages clients send.
async fn counting_proxy(upstream: String) -> (u16, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let syncs = Arc::new(AtomicU64::new(0));
    let counter = syncs.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = TcpStream::connect(&upstream).await.expect("PostgreSQL");
            tokio::spawn(relay(client, server, counter.clone()));
        }
    });
    (port, syncs)
}

async fn relay(client: TcpStream, server: TcpStream, syncs: Arc<AtomicU64>) {
    let (mut from_client, mut to_server) = (client, server);
    let (mut server_read, mut server_write) = to_server.split();
    let (mut client_read, mut client_write) = from_client.split();
    let upstream = async {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        let mut started = false;
        loop {
            let read = client_read.read(&mut chunk).await.unwrap_or(0);
            if read == 0 {
                break;
            }
            if server_write.write_all(&chunk[..read]).await.is_err() {
                break;
            }
            buffer.extend_from_slice(&chunk[..read]);
            // Whole messages only: an untyped one (length, code…) until the startup message,
            // then typed ones (type byte, length).
            loop {
                let header = if started { 5 } else { 4 };
                if buffer.len() < header {
                    break;
                }
                let at = header - 4;
                let length = u32::from_be_bytes(buffer[at..at + 4].try_into().expect("4 bytes"));
                let total = at + length as usize;
                if buffer.len() < total {
                    break;
                }
                if started {
                    if buffer[0] == SYNC {
                        syncs.fetch_add(1, Ordering::SeqCst);
                    }
                } else {
                    let code = u32::from_be_bytes(buffer[4..8].try_into().expect("4 bytes"));
                    started = !NEGOTIATION_CODES.contains(&code);
                }
                buffer.drain(..total);
            }
        }
        let _ = server_write.shutdown().await;
    };
    let downstream = async {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    };
    tokio::join!(upstream, downstream);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_is_one_round_trip_to_postgresql() {
    let database = TestDatabase::create(Backend::Postgres).await;
    let mut url = url::Url::parse(&database.url).expect("URL");
    let upstream = format!(
        "{}:{}",
        url.host_str().expect("host"),
        url.port().unwrap_or(5432)
    );
    let (port, syncs) = counting_proxy(upstream).await;
    url.set_port(Some(port)).expect("port");
    // Plain text so the proxy can read the messages.
    url.set_query(Some("sslmode=disable"));
    let proxied = url.to_string();
    let app = TestApp::builder(Backend::Postgres)
        .database(database)
        .config(move |config| {
            config.database.url = secrecy::SecretString::from(proxied);
            // No health check during the measurement.
            config.database.health_interval = Duration::from_secs(600);
        })
        .spawn()
        .await;
    app.create_task("alice", "counted").await;
    // The first use of a statement on a connection prepares it (its own round trip).
    for _ in 0..2 {
        let warm = app.get_as("alice", "/api/alice/tasks").await;
        assert_eq!(warm.status(), StatusCode::OK);
    }

    let requests = 20;
    let before = syncs.load(Ordering::SeqCst);
    for _ in 0..requests {
        let listed = app.get_as("alice", "/api/alice/tasks").await;
        assert_eq!(listed.status(), StatusCode::OK);
    }
    let round_trips = syncs.load(Ordering::SeqCst) - before;
    assert_eq!(
        round_trips, requests,
        "round trips to PostgreSQL for {requests} list requests"
    );
}
