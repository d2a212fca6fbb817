//! [`serve`]: accepts connections until the shutdown signal, serves each with hyper's HTTP/1
//! server under the limits of this module, then lets open connections finish.
//!
//! Shutdown keeps what `axum::serve` did: when `signal` completes the listener is closed (new
//! connections are refused), every connection is asked to finish its request in progress and
//! close (idle ones close at once), and the returned future completes when all have closed.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

use super::io::Watched;
use super::registry::{Admission, Admitted, Registry};
use super::tracker::RequestGuard;
use super::{Closed, MAX_READ_BUFFER};
use crate::config::ConnectionLimits;

/// Serves `router` on `listener` until `signal` completes and every connection has closed.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    signal: impl Future<Output = ()>,
) {
    let registry = Registry::new(limits.max_connections);
    // Each connection holds a receiver: `closed()` completes when the last one is gone.
    let (close_tx, close_rx) = watch::channel(false);
    let mut signal = std::pin::pin!(signal);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
            () = &mut signal => break,
        };
        metrics::counter!("http_connections_accepted_total").increment(1);
        let admission = match registry.admit() {
            Admitted::Free(admission) => admission,
            Admitted::Evicting(admission) => {
                Closed::Evicted.count();
                admission
            }
            Admitted::Refused => {
                Closed::Refused.count();
                drop(stream);
                continue;
            }
        };
        tokio::spawn(connection(
            stream,
            router.clone(),
            admission,
            limits,
            close_rx.clone(),
        ));
    }
    drop(listener);
    close_tx.send_replace(true);
    drop(close_rx);
    close_tx.closed().await;
}

/// An accept error is about one connection (reset before accept) or about the process (out
/// of file descriptors): either way keep serving, after a pause in the second case so the
/// loop does not spin while connections close and free descriptors.
async fn accept_failed(error: io::Error) {
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::warn!(%error, "cannot accept a connection; retrying in 50 ms");
    tokio::time::sleep(Duration::from_millis(50)).await;
}

async fn connection(
    stream: TcpStream,
    router: Router,
    admission: Admission,
    limits: ConnectionLimits,
    mut close: watch::Receiver<bool>,
) {
    let open = metrics::gauge!("http_connections_open");
    open.increment(1.0);
    // Responses are written whole; do not let Nagle hold back their last segment.
    let _ = stream.set_nodelay(true);
    let tracker = admission.tracker().clone();
    let service_tracker = tracker.clone();
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let guard = service_tracker.request_started();
        let router = router.clone();
        async move {
            let response = router
                .oneshot(request.map(Body::new))
                .await
                .unwrap_or_else(|never| match never {});
            Ok::<_, Infallible>(response.map(|body| Guarded {
                body,
                _guard: guard,
            }))
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .max_buf_size(MAX_READ_BUFFER)
        // Our own timers replace hyper's (see the module docs of `connections`).
        .header_read_timeout(None);
    let io = TokioIo::new(Watched::new(stream, tracker.clone()));
    let mut conn = std::pin::pin!(builder.serve_connection(io, service));
    let mut draining = *close.borrow();
    if draining {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
                break;
            }
            changed = close.changed(), if !draining => {
                // A dropped sender also means the server is gone: drain either way.
                let _ = changed;
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
            reason = tracker.expired(&limits) => {
                // Dropping the connection closes the socket; nothing is in progress on it.
                if reason != Closed::Evicted {
                    reason.count();
                }
                break;
            }
        }
    }
    open.decrement(1.0);
    drop(admission);
}

/// A response body that marks its connection idle when hyper is done with it.
struct Guarded {
    body: Body,
    _guard: RequestGuard,
}

impl http_body::Body for Guarded {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
