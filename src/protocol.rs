//! The WebSocket wire format: messages clients send, frames the server sends, error codes
//! and close codes. Every name here is documented in `docs/PROTOCOL.md`.
//!
//! This module owns the one mapping from domain and hub errors to protocol error codes.
//! It must not decide anything: it only parses and encodes.

use crate::domain::{self, CardId, DomainError, Participant, ParticipantId, Place, RoomId};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

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
    /// The client read too slowly and its outgoing queue overflowed; reconnect and resume.
    pub const TOO_SLOW: u16 = 4008;
    /// The server is shutting down or restarting; reconnect and resume.
    pub const RESTARTING: u16 = 4012;
}

/// Stable error codes, shared by WebSocket `error` frames and REST error bodies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// A command as a client sends it. Every command carries `id`, its idempotency key.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientCommand {
    PostCard {
        id: String,
        room: RoomId,
        column: String,
        text: String,
    },
    EditCard {
        id: String,
        card: CardId,
        text: String,
    },
    DeleteCard {
        id: String,
        card: CardId,
    },
    MoveParticipant {
        id: String,
        participant: ParticipantId,
        room: Place,
    },
    OpenRoom {
        id: String,
        room: RoomId,
    },
    CloseRoom {
        id: String,
        room: RoomId,
    },
}

impl ClientCommand {
    pub fn id(&self) -> &str {
        match self {
            ClientCommand::PostCard { id, .. }
            | ClientCommand::EditCard { id, .. }
            | ClientCommand::DeleteCard { id, .. }
            | ClientCommand::MoveParticipant { id, .. }
            | ClientCommand::OpenRoom { id, .. }
            | ClientCommand::CloseRoom { id, .. } => id,
        }
    }

    /// The domain command, with a fresh id for anything it creates.
    pub fn into_domain(self) -> (String, domain::Command) {
        match self {
            ClientCommand::PostCard {
                id,
                room,
                column,
                text,
            } => (
                id,
                domain::Command::PostCard {
                    card: CardId::random(),
                    room,
                    column,
                    text,
                },
            ),
            ClientCommand::EditCard { id, card, text } => {
                (id, domain::Command::EditCard { card, text })
            }
            ClientCommand::DeleteCard { id, card } => (id, domain::Command::DeleteCard { card }),
            ClientCommand::MoveParticipant {
                id,
                participant,
                room,
            } => (
                id,
                domain::Command::MoveParticipant {
                    participant,
                    to: room,
                },
            ),
            ClientCommand::OpenRoom { id, room } => (id, domain::Command::OpenRoom { room }),
            ClientCommand::CloseRoom { id, room } => (id, domain::Command::CloseRoom { room }),
        }
    }
}

/// A client frame that could not be used, with the command id when one could be read.
#[derive(Debug)]
pub struct Rejected {
    pub id: Option<String>,
    pub code: ErrorCode,
    pub message: String,
}

/// Parses one client command frame; errors name the problem (unknown type, missing field…).
pub fn parse_command(text: &str) -> Result<ClientCommand, Rejected> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| Rejected {
        id: None,
        code: ErrorCode::Invalid,
        message: format!("malformed JSON: {e}"),
    })?;
    let id = value.get("id").and_then(|v| v.as_str()).map(str::to_string);
    let reject = |code, message: String| Rejected {
        id: id.clone().filter(|i| i.len() <= MAX_COMMAND_ID),
        code,
        message,
    };
    if !value.is_object() {
        return Err(reject(
            ErrorCode::Invalid,
            "a message must be a JSON object".into(),
        ));
    }
    match value.get("type") {
        Some(serde_json::Value::String(t)) if t == "hello" => {
            return Err(reject(
                ErrorCode::Invalid,
                "`hello` is only valid as the first message".into(),
            ))
        }
        Some(serde_json::Value::String(_)) => {}
        _ => {
            return Err(reject(
                ErrorCode::Invalid,
                "missing string field `type`".into(),
            ))
        }
    }
    let command: ClientCommand =
        serde_json::from_value(value).map_err(|e| reject(ErrorCode::Invalid, e.to_string()))?;
    let cid = command.id();
    if cid.is_empty() || cid.len() > MAX_COMMAND_ID {
        return Err(reject(
            ErrorCode::Invalid,
            format!("`id` must be 1-{MAX_COMMAND_ID} bytes"),
        ));
    }
    Ok(command)
}

/// How a command ended: stored with its id so a retry gets the very same answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ack { seq: u64 },
    Error { code: ErrorCode, message: String },
}

impl Outcome {
    pub fn rejected(e: &DomainError) -> Self {
        Outcome::Error {
            code: e.into(),
            message: e.to_string(),
        }
    }

    /// The `ack` or `error` frame answering command `id`.
    pub fn frame(&self, id: &str) -> String {
        match self {
            Outcome::Ack { seq } => json(&serde_json::json!({"type": "ack", "id": id, "seq": seq})),
            Outcome::Error { code, message } => error_frame(Some(id), *code, message),
        }
    }
}

pub fn error_frame(id: Option<&str>, code: ErrorCode, message: &str) -> String {
    json(&serde_json::json!({
        "type": "error", "id": id, "code": code.as_str(), "message": message
    }))
}

/// The `event` frame for one stored event; `body` is the event's JSON as stored.
pub fn event_frame(seq: u64, at: i64, by: Option<ParticipantId>, body: &str) -> String {
    let by = match by {
        Some(p) => format!("\"{p}\""),
        None => "null".into(),
    };
    format!(r#"{{"type":"event","seq":{seq},"at":{at},"by":{by},"event":{body}}}"#)
}

/// Why a client got a snapshot instead of a replay of missed events.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotReason {
    /// No `last_seq` was given: a first connection.
    Initial,
    /// `last_seq` is older than the events the server keeps for replay.
    TooFarBehind,
    /// `last_seq` is newer than anything the server has (e.g. another database).
    Unknown,
    /// The participant was moved to another room meanwhile: their board changed wholesale.
    Moved,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame<'a> {
    /// Answer to `hello`: either a snapshot, or (`resumed: true`) the missed events.
    Welcome {
        seq: u64,
        you: &'a Participant,
        resumed: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<SnapshotReason>,
        #[serde(skip_serializing_if = "Option::is_none")]
        snapshot: Option<domain::visibility::View<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        events: Option<Vec<Box<RawValue>>>,
    },
    /// A fresh snapshot sent unasked, e.g. after the participant was moved to another room.
    Snapshot {
        seq: u64,
        reason: SnapshotReason,
        snapshot: domain::visibility::View<'a>,
    },
}

impl ServerFrame<'_> {
    pub fn encode(&self) -> String {
        json(self)
    }
}

fn json<T: Serialize + ?Sized>(v: &T) -> String {
    // Serialising these plain structs cannot fail: no maps with non-string keys, no
    // non-finite floats. Fall back to an error frame rather than panicking regardless.
    serde_json::to_string(v).unwrap_or_else(|_| {
        r#"{"type":"error","id":null,"code":"unavailable","message":"encoding failed"}"#.into()
    })
}
