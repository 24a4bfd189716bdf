//! `GET /ws`: upgrades to a WebSocket sized for many small messages.

use super::api::ApiError;
use super::AppState;
use crate::hub::connection;
use crate::hub::HubError;
use crate::protocol::ErrorCode;
use crate::protocol::MAX_MESSAGE_BYTES;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

/// Socket buffer sizes: small, because a workshop sends many small frames to many idle
/// connections (tungstenite's 128 KiB defaults cost ~90 KB per idle connection). Measured
/// with `cabildo-load` on the raw baseline (docs/BENCHMARKS.md): 4 KiB + 8 KiB held
/// 14.5 KB of server RSS per idle connection, 1 KiB + 1 KiB 8.8 KB. Commands are small;
/// a longer one (up to `MAX_MESSAGE_BYTES`) still arrives, the buffer grows for it.
const READ_BUFFER: usize = 1024;
const WRITE_BUFFER: usize = 1024;

/// Upgrades to the WebSocket protocol.
#[utoipa::path(get, path = "/ws", tag = "websocket", operation_id = "websocket",
    description = "Upgrades to a WebSocket carrying JSON text messages. The first message must be `{\"type\":\"hello\",\"token\":\"…\",\"last_seq\":N}` (last_seq optional) within 10 seconds; the server answers `welcome`. Messages are limited to 65,536 bytes (close code 1009). Close codes: 4000 bad hello, 4001 unknown token, 4002 idle, 4003 removed, 4004 workshop erased, 4008 too slow, 4012 restarting. The protocol is in docs/PROTOCOL.md.",
    responses(
        (status = 101, description = "Switching Protocols: the connection is now a WebSocket."),
        (status = 400, description = "`invalid`: not a WebSocket upgrade request.", body = super::api::ErrorBody),
    ))]
pub async fn upgrade(
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    State(state): State<AppState>,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws,
        Err(e) => {
            let message = format!("a WebSocket upgrade request is expected here: {e}");
            return ApiError::from(HubError::new(ErrorCode::Invalid, message)).into_response();
        }
    };
    let hub = state.hub.clone();
    ws.max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .on_upgrade(move |socket| {
            let tasks = hub.tasks.clone();
            tasks.track_future(connection::serve(socket, hub))
        })
}
