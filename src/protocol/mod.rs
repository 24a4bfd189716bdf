//! The WebSocket wire format: messages clients send, frames the server sends, error codes
//! and close codes. Every name here is documented in `docs/PROTOCOL.md`.
//!
//! This module owns the one mapping from domain and hub errors to protocol error codes.
//! It must not decide anything: it only parses and encodes.

use crate::domain::assignment::{Scope, Strategy};
use crate::domain::session::LateJoiners;
use crate::domain::HelpId;
use crate::domain::{
    self, CardId, ConclusionId, ConclusionStatus, DomainError, GroupId, Participant, ParticipantId,
    Phase, Place, RoomId, Theme,
};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::BTreeMap;

mod commands;
mod frames;
pub use commands::ClientCommand;
pub use frames::*;

/// Largest WebSocket message (and frame) the server reads; larger ones close with 1009.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Longest command `id` a client may choose.
pub const MAX_COMMAND_ID: usize = 64;

/// Close codes the server uses. Codes 4000-4999 are Cabildo's own.
pub mod close {
    /// The client sent a message larger than `MAX_MESSAGE_BYTES`.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// The first frame was not a valid `hello`, or none came in time.
    pub const BAD_HELLO: u16 = 4000;
    /// The token is unknown or no longer valid.
    pub const UNAUTHORIZED: u16 = 4001;
    /// The client did not answer pings: the connection is considered dead.
    pub const IDLE: u16 = 4002;
    /// A facilitator removed this participant: the token no longer works.
    pub const REMOVED: u16 = 4003;
    /// The organizer (or the operator) erased the workshop: its data and tokens are gone.
    pub const ERASED: u16 = 4004;
    /// The client read too slowly and its outgoing queue overflowed; reconnect and resume.
    pub const TOO_SLOW: u16 = 4008;
    /// The server is shutting down or restarting; reconnect and resume.
    pub const RESTARTING: u16 = 4012;
    /// The connection kept sending commands after being answered `rate_limited`.
    pub const FLOODING: u16 = 4029;
    /// The participant already holds the maximum number of open connections.
    pub const TOO_MANY_CONNECTIONS: u16 = 4030;
}

/// Stable error codes, shared by WebSocket `error` frames and REST error bodies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Unauthorized,
    Forbidden,
    NotFound,
    Invalid,
    Conflict,
    Closed,
    TooLarge,
    RateLimited,
    Unavailable,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Invalid => "invalid",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Closed => "closed",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unavailable => "unavailable",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }

    /// The HTTP status the REST API answers with for this code.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::Invalid => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict | ErrorCode::Closed => 409,
            ErrorCode::TooLarge => 413,
            ErrorCode::RateLimited => 429,
            ErrorCode::Unavailable => 503,
        }
    }
}

impl From<&DomainError> for ErrorCode {
    fn from(e: &DomainError) -> Self {
        match e {
            DomainError::Invalid(_) => ErrorCode::Invalid,
            DomainError::NotFound(_) => ErrorCode::NotFound,
            DomainError::Forbidden(_) => ErrorCode::Forbidden,
            DomainError::Closed(_) => ErrorCode::Closed,
            DomainError::TooLarge(_) => ErrorCode::TooLarge,
            DomainError::Conflict { .. } => ErrorCode::Conflict,
        }
    }
}

/// The first frame a client sends.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Hello {
    Hello {
        token: String,
        #[serde(default)]
        last_seq: Option<u64>,
    },
}

/// An audio message: live state, not a command of the event log (see `audio`).
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AudioCommand {
    /// Join audio with a complete SDP offer; staff may name the `room` to listen in to.
    AudioJoin {
        sdp: String,
        #[serde(default)]
        room: Option<Place>,
    },
    AudioLeave {},
    /// Mute or unmute oneself; staff may mute another `participant`.
    AudioMute {
        muted: bool,
        #[serde(default)]
        participant: Option<ParticipantId>,
    },
    /// Ask for `audio_roster` frames: who is connected, muted, talking.
    AudioWatch {},
    /// Staff: speak to every room and the lobby at once, or stop.
    AudioAnnounce {
        on: bool,
    },
    /// Ask for the ICE servers (TURN, with fresh credentials) to put in the peer connection.
    AudioConfig {},
}

/// What a client frame after `hello` is.
#[derive(Debug)]
pub enum ClientMessage {
    Command(ClientCommand),
    Audio(AudioCommand),
}

/// Parses a client frame into its `id` and either a command or an audio message.
pub fn parse_message(text: &str) -> Result<(String, ClientMessage), Rejected> {
    let (id, value, readable_id) = split_id(text)?;
    let audio = value["type"]
        .as_str()
        .is_some_and(|t| t.starts_with("audio_"));
    let reject = |e: serde_json::Error| Rejected {
        id: readable_id.clone(),
        code: ErrorCode::Invalid,
        message: e.to_string(),
    };
    let message = if audio {
        ClientMessage::Audio(serde_json::from_value(value).map_err(reject)?)
    } else {
        ClientMessage::Command(serde_json::from_value(value).map_err(reject)?)
    };
    Ok((id, message))
}

/// A client frame that could not be used, with the command id when one could be read.
#[derive(Debug)]
pub struct Rejected {
    pub id: Option<String>,
    pub code: ErrorCode,
    pub message: String,
}

/// Parses one client command frame into its `id` and command; errors name the problem
/// (unknown type, missing field…) and echo the `id` when one could be read.
pub fn parse_command(text: &str) -> Result<(String, ClientCommand), Rejected> {
    let (id, value, readable_id) = split_id(text)?;
    let command = serde_json::from_value(value).map_err(|e| Rejected {
        id: readable_id,
        code: ErrorCode::Invalid,
        message: e.to_string(),
    })?;
    Ok((id, command))
}

/// Takes the `id` out of a client frame: the id, the rest, and the id as far as readable.
fn split_id(text: &str) -> Result<(String, serde_json::Value, Option<String>), Rejected> {
    let mut value: serde_json::Value = serde_json::from_str(text).map_err(|e| Rejected {
        id: None,
        code: ErrorCode::Invalid,
        message: format!("malformed JSON: {e}"),
    })?;
    let Some(object) = value.as_object_mut() else {
        return Err(Rejected {
            id: None,
            code: ErrorCode::Invalid,
            message: "a message must be a JSON object".into(),
        });
    };
    let id = object.remove("id");
    let readable_id = id
        .as_ref()
        .and_then(|v| v.as_str())
        .filter(|i| i.len() <= MAX_COMMAND_ID)
        .map(str::to_string);
    let reject = |message: String| Rejected {
        id: readable_id.clone(),
        code: ErrorCode::Invalid,
        message,
    };
    match object.get("type") {
        Some(serde_json::Value::String(t)) if t == "hello" => {
            return Err(reject("`hello` is only valid as the first message".into()))
        }
        Some(serde_json::Value::String(_)) => {}
        _ => return Err(reject("missing string field `type`".into())),
    }
    let id = match id {
        Some(serde_json::Value::String(id)) if !id.is_empty() && id.len() <= MAX_COMMAND_ID => id,
        Some(serde_json::Value::String(_)) => {
            return Err(reject(format!("`id` must be 1-{MAX_COMMAND_ID} bytes")))
        }
        Some(_) => return Err(reject("`id` must be a string".into())),
        None => return Err(reject("missing field `id`".into())),
    };
    Ok((id, value, readable_id))
}
