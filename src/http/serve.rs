//! The accept loop: HTTP/1.1 connections with a header-read timeout and a cap on how many
//! are open at once.
//!
//! - A connection must send a complete request head within `header_read_timeout`, the
//!   first one and each next one on a kept-alive connection; else it is closed. Clients
//!   that send nothing, half a request line or a header a second (slowloris) hold a slot
//!   for that long at most.
//! - At most `max_connections` connections are open, WebSockets included: an upgraded
//!   connection keeps its slot (`ConnectionPermit`, moved into the WebSocket's task) until
//!   it closes. One more is answered `503` with `Retry-After` and closed, before the
//!   process runs out of file descriptors. The default is derived from the process's
//!   open-file limit (`default_max_connections`).
//! - Every request carries the peer's address as `ConnectInfo<SocketAddr>` (for the
//!   per-address limits, `address.rs`) and the connection's permit.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;

/// File descriptors kept back from the connection cap for the database, logs, the
/// listener and the short-lived refusals: at least this many…
const MIN_RESERVED_FDS: usize = 256;
/// …or this fraction (1/20) of the open-file limit, whichever is more.
const RESERVED_FDS_DIVISOR: usize = 20;
/// Refusals (503 answers) being written at once; beyond that a connection over the cap
/// is closed without an answer.
const MAX_REFUSALS: usize = 64;
/// How long a refusal may take to write and linger.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(1);

/// Settings of the accept loop (`--max-connections`, `--header-read-timeout`).
#[derive(Clone, Debug)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
}

/// A connection's slot under the cap. Every request of the connection carries a clone; the
/// WebSocket upgrade keeps one for the socket's life.
#[derive(Clone)]
pub struct ConnectionPermit(#[allow(dead_code)] Arc<OwnedSemaphorePermit>);

/// The soft open-file limit of this process (`RLIMIT_NOFILE`), read from
/// `/proc/self/limits`; `None` where that cannot be read.
pub fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line
        .trim_start_matches("Max open files")
        .split_whitespace()
        .next()?;
    match soft {
        "unlimited" => Some(1 << 20),
        n => n.parse().ok(),
    }
}

/// The default connection cap for an open-file limit: the limit less a reserve of
/// `max(256, limit / 20)`; 20,000 gives 19,000, 1,024 gives 768. Without a known limit,
/// 1,024 is assumed.
pub fn default_max_connections(open_file_limit: Option<usize>) -> usize {
    let limit = open_file_limit.unwrap_or(1024);
    let reserve = MIN_RESERVED_FDS.max(limit / RESERVED_FDS_DIVISOR);
    limit.saturating_sub(reserve).max(1)
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting, lets each
/// connection finish its request in flight, and returns once they are closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let refusals = Arc::new(Semaphore::new(MAX_REFUSALS));
    let (closing_tx, closing) = tokio::sync::watch::channel(false);
    let connections = tokio_util::task::TaskTracker::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors or a connection reset before it was accepted:
                    // wait a little rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        let permit = match permits.clone().try_acquire_owned() {
            Ok(permit) => ConnectionPermit(Arc::new(permit)),
            Err(_) => {
                crate::metrics::connection_refused();
                if let Ok(slot) = refusals.clone().try_acquire_owned() {
                    tokio::spawn(async move {
                        let _refused = tokio::time::timeout(REFUSAL_TIMEOUT, refuse(tcp)).await;
                        drop(slot);
                    });
                }
                continue;
            }
        };
        let app = app.clone();
        let held = permit.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(axum::body::Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            request.extensions_mut().insert(permit.clone());
            app.clone().oneshot(request)
        });
        let connection = http
            .serve_connection(TokioIo::new(tcp), service)
            .with_upgrades();
        let mut closing = closing.clone();
        connections.spawn(async move {
            tokio::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                _ = async { closing.wait_for(|c| *c).await.map(|_| ()) } => {
                    // Finish the request in flight, then close (idle ones close now).
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(held);
        });
    }
    drop(listener);
    let _no_connection_left = closing_tx.send(true);
    connections.close();
    connections.wait().await;
}

/// Answers a connection over the cap: `503 unavailable` with `Retry-After`, then closes.
/// The request (if any came) is read briefly and discarded first, so that closing with
/// unread data does not reset the connection before the client reads the answer.
async fn refuse(mut tcp: TcpStream) {
    let body = r#"{"code":"unavailable","message":"the server holds its maximum number of connections; try again shortly"}"#;
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let mut discard = [0u8; 4096];
    let _nothing_may_come =
        tokio::time::timeout(Duration::from_millis(100), tcp.read(&mut discard)).await;
    if tcp.write_all(head.as_bytes()).await.is_err()
        || tcp.write_all(body.as_bytes()).await.is_err()
    {
        return;
    }
    let _peer_may_be_gone = tcp.shutdown().await;
    while let Ok(n) = tcp.read(&mut discard).await {
        if n == 0 {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_cap_leaves_a_reserve_below_the_open_file_limit() {
        assert_eq!(default_max_connections(Some(20_000)), 19_000);
        assert!(default_max_connections(Some(20_000)) >= 18_000);
        assert_eq!(default_max_connections(Some(1024)), 768);
        assert_eq!(default_max_connections(None), 768);
        assert_eq!(default_max_connections(Some(100)), 1);
    }

    #[test]
    fn the_open_file_limit_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(open_file_limit().is_some_and(|n| n > 0));
        }
    }
}
