//! `GET /ws`: upgrades to a WebSocket sized for many small messages.
//!
//! The upgrade is done here rather than with axum's `WebSocketUpgrade` so that the
//! connection gets the raw `TcpStream` (and the bytes hyper read past the request) and
//! speaks RFC 6455 over it itself, holding no read or write buffer while idle (see
//! `hub::connection`).

use super::api::ApiError;
use super::AppState;
use crate::hub::connection;
use crate::hub::HubError;
use crate::protocol::ErrorCode;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper::body::Bytes;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

/// Upgrades to the WebSocket protocol.
#[utoipa::path(get, path = "/ws", tag = "websocket", operation_id = "websocket",
    description = "Upgrades to a WebSocket carrying JSON text messages. The first message must be `{\"type\":\"hello\",\"token\":\"…\",\"last_seq\":N}` (last_seq optional) within 10 seconds (--hello-timeout); the server answers `welcome`. Messages are limited to 65,536 bytes (close code 1009). Close codes: 1002 protocol error, 1007 text that is not UTF-8, 4000 bad hello, 4001 unknown token, 4002 idle, 4003 removed, 4004 workshop erased, 4008 too slow, 4012 restarting, 4029 flooding, 4030 too many connections. The protocol is in docs/PROTOCOL.md.",
    responses(
        (status = 101, description = "Switching Protocols: the connection is now a WebSocket."),
        (status = 400, description = "`invalid`: not a WebSocket upgrade request.", body = super::api::ErrorBody),
        (status = 403, description = "`forbidden`: the upgrade came from a foreign `Origin` (a browser page of another site; see --allowed-origins), or under a host name that is not a public origin (see --public-origin); it never becomes a WebSocket.", body = super::api::ErrorBody),
    ))]
pub async fn upgrade(State(state): State<AppState>, mut request: Request) -> Response {
    let accept = match accept_key(request.headers()) {
        Ok(accept) => accept,
        Err(reason) => return not_an_upgrade(reason),
    };
    let Some(on_upgrade) = request
        .extensions_mut()
        .remove::<hyper::upgrade::OnUpgrade>()
    else {
        return not_an_upgrade("this connection cannot be upgraded");
    };
    // The connection's slot under `--max-connections` stays taken while the WebSocket
    // lives, the wait for `hello` included.
    let permit = request
        .extensions()
        .get::<super::serve::ConnectionPermit>()
        .cloned();
    tokio::spawn(hand_over(on_upgrade, permit, state.hub.clone()));
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    response
}

/// The connection's task, for the WebSocket's life: waits for hyper to hand the socket
/// over, then serves it. Only the socket, the bytes read past the request and the slot
/// are kept: nothing of the request (its headers, its extensions) stays in the task.
async fn hand_over(
    on_upgrade: OnUpgrade,
    permit: Option<super::serve::ConnectionPermit>,
    hub: Arc<crate::hub::Hub>,
) {
    let _slot = permit;
    let Some((tcp, read_ahead)) = socket(on_upgrade).await else {
        return;
    };
    let serving = hub
        .tasks
        .track_future(connection::serve(tcp, read_ahead, hub.clone()));
    drop(hub);
    serving.await;
}

/// The upgraded socket and what hyper read past the request.
async fn socket(on_upgrade: OnUpgrade) -> Option<(TcpStream, Bytes)> {
    let upgraded = on_upgrade.await.ok()?;
    // The server accepts plain TCP (`serve.rs`): the connection speaks WebSocket over the
    // socket itself, with what hyper read past the request.
    match upgraded.downcast::<TokioIo<TcpStream>>() {
        Ok(parts) => Some((parts.io.into_inner(), parts.read_buf)),
        Err(_) => {
            tracing::error!("an upgraded connection is not a TCP socket");
            None
        }
    }
}

fn not_an_upgrade(reason: &str) -> Response {
    let message = format!("a WebSocket upgrade request is expected here: {reason}");
    ApiError::from(HubError::new(ErrorCode::Invalid, message)).into_response()
}

/// Checks the handshake headers of RFC 6455 §4.2.1 and answers the key.
fn accept_key(headers: &HeaderMap) -> Result<HeaderValue, &'static str> {
    let has_token = |name, token| super::origin::has_token(headers, name, token);
    if !has_token(header::CONNECTION, "upgrade") {
        return Err("`Connection` header did not include 'upgrade'");
    }
    if !has_token(header::UPGRADE, "websocket") {
        return Err("`Upgrade` header did not include 'websocket'");
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .map(|v| v.as_bytes())
        != Some(b"13")
    {
        return Err("`Sec-WebSocket-Version` header did not include '13'");
    }
    let key = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .ok_or("`Sec-WebSocket-Key` header missing")?;
    HeaderValue::from_str(&derive_accept_key(key.as_bytes()))
        .map_err(|_| "`Sec-WebSocket-Key` header is not valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole task tokio allocates for each connection: `connection::serve`'s future
    /// (bounded in `hub::connection`) and little more.
    #[test]
    fn the_spawned_task_is_the_connection_and_little_more() {
        fn size<A, B, C, F: std::future::Future>(_: fn(A, B, C) -> F) -> usize {
            std::mem::size_of::<F>()
        }
        let task = size(hand_over);
        let serve = size(connection::serve);
        println!("connection task: {task} bytes (serve: {serve} bytes)");
        assert!(task <= serve + 64, "{task} bytes, serve {serve}");
    }
}
