//! `GET /ws`: upgrades to a WebSocket sized for many small messages.
//!
//! The upgrade is done here rather than with axum's `WebSocketUpgrade` so that the
//! connection gets tokio-tungstenite's own stream: its writer can then send a large frame
//! (the `welcome` or a `snapshot`) as a fragmented message, which keeps every idle
//! connection's write buffer small (see `hub::connection`).

use super::api::ApiError;
use super::AppState;
use crate::hub::connection;
use crate::hub::HubError;
use crate::protocol::ErrorCode;
use crate::protocol::MAX_MESSAGE_BYTES;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;

/// Socket buffer sizes: small, because a workshop sends many small frames to many idle
/// connections (tungstenite's 128 KiB defaults cost ~90 KB per idle connection). Measured
/// with `cabildo-load` on the raw baseline (docs/BENCHMARKS.md): 4 KiB + 8 KiB held
/// 14.5 KB of server RSS per idle connection, 1 KiB + 1 KiB 8.8 KB. Commands are small;
/// a longer one (up to `MAX_MESSAGE_BYTES`) still arrives, the buffer grows for it.
const READ_BUFFER: usize = 1024;
const WRITE_BUFFER: usize = 1024;

fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES))
}

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
    let hub = state.hub.clone();
    // The connection's slot under `--max-connections` stays taken while the WebSocket
    // lives, the wait for `hello` included.
    let permit = request
        .extensions()
        .get::<super::serve::ConnectionPermit>()
        .cloned();
    tokio::spawn(async move {
        let _slot = permit;
        let Ok(upgraded) = on_upgrade.await else {
            return;
        };
        let socket =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config()))
                .await;
        let tasks = hub.tasks.clone();
        tasks.track_future(connection::serve(socket, hub)).await;
    });
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    response
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
