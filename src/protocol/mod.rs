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

mod frames;
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

/// A command as a client sends it. Every command also carries `id`, its idempotency key,
/// which `parse_command` takes out before reading the rest.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientCommand {
    PostCard {
        room: RoomId,
        column: String,
        text: String,
    },
    EditCard {
        card: CardId,
        text: String,
    },
    DeleteCard {
        card: CardId,
    },
    HideCard {
        card: CardId,
    },
    ShowCard {
        card: CardId,
    },
    MoveParticipant {
        participant: ParticipantId,
        room: Place,
    },
    OpenRoom {
        room: RoomId,
    },
    CloseRoom {
        room: RoomId,
    },
    SetPhase {
        #[serde(default)]
        room: Option<RoomId>,
        phase: Phase,
        #[serde(default)]
        hidden: bool,
    },
    Vote {
        card: CardId,
    },
    Unvote {
        card: CardId,
    },
    GroupCards {
        cards: Vec<CardId>,
        name: String,
    },
    MoveCardToGroup {
        card: CardId,
        #[serde(default)]
        group: Option<GroupId>,
    },
    MergeGroups {
        group: GroupId,
        into: GroupId,
    },
    Ungroup {
        group: GroupId,
    },
    RenameGroup {
        group: GroupId,
        name: String,
    },
    TagCard {
        card: CardId,
        #[serde(default)]
        theme: Option<String>,
    },
    TagGroup {
        group: GroupId,
        #[serde(default)]
        theme: Option<String>,
    },
    SetThemes {
        themes: Vec<Theme>,
    },
    AddConclusion {
        theme: String,
        text: String,
        #[serde(default)]
        cards: Vec<CardId>,
    },
    EditConclusion {
        conclusion: ConclusionId,
        version: u64,
        #[serde(default)]
        text: Option<String>,
        #[serde(default)]
        cards: Option<Vec<CardId>>,
        #[serde(default)]
        theme: Option<String>,
        #[serde(default)]
        status: Option<ConclusionStatus>,
    },
    MoveConclusion {
        conclusion: ConclusionId,
        position: usize,
    },
    RemoveConclusion {
        conclusion: ConclusionId,
        version: u64,
    },
    CreateRoom {
        name: String,
        #[serde(default)]
        capacity: Option<u32>,
    },
    RenameRoom {
        room: RoomId,
        name: String,
    },
    SetRoomCapacity {
        room: RoomId,
        capacity: Option<u32>,
    },
    RemoveRoom {
        room: RoomId,
    },
    AssignRooms {
        strategy: Strategy,
        #[serde(default)]
        scope: Scope,
        #[serde(default)]
        seed: Option<u64>,
        #[serde(default)]
        plan: BTreeMap<ParticipantId, Place>,
    },
    ChooseRoom {
        room: RoomId,
    },
    SetSelfSelect {
        open: bool,
    },
    SetLateJoiners {
        policy: LateJoiners,
    },
    SetAudio {
        on: bool,
    },
    ReturnToLobby {},
    Broadcast {
        text: String,
        #[serde(default)]
        room: Option<RoomId>,
    },
    StartTimer {
        #[serde(default)]
        room: Option<RoomId>,
        seconds: u32,
        #[serde(default)]
        warnings: Option<Vec<u32>>,
        #[serde(default)]
        close_at_end: bool,
    },
    ExtendTimer {
        #[serde(default)]
        room: Option<RoomId>,
        seconds: u32,
    },
    PauseTimer {
        #[serde(default)]
        room: Option<RoomId>,
    },
    ResumeTimer {
        #[serde(default)]
        room: Option<RoomId>,
    },
    CancelTimer {
        #[serde(default)]
        room: Option<RoomId>,
    },
    RequestHelp {
        #[serde(default)]
        text: Option<String>,
    },
    AcknowledgeHelp {
        request: HelpId,
    },
    ResolveHelp {
        request: HelpId,
    },
    CloseWorkshop {},
    ReopenWorkshop {},
    RemoveParticipant {
        participant: ParticipantId,
    },
    SetLead {
        participant: ParticipantId,
    },
    CardHistory {
        card: CardId,
    },
    LockJoining {
        locked: bool,
    },
    RotateCode {
        role: domain::Role,
    },
    OpenReview {
        /// ms since the Unix epoch.
        deadline: i64,
        #[serde(default)]
        rule: domain::review::AnswerRule,
    },
    AnswerReview {
        conclusion: ConclusionId,
        version: u64,
        answer: domain::review::AnswerKind,
        #[serde(default)]
        text: Option<String>,
    },
    ReplyReview {
        conclusion: ConclusionId,
        country: String,
        text: String,
    },
    ReviseConclusion {
        conclusion: ConclusionId,
        version: u64,
        text: String,
    },
    CloseReview {},
    SetAgenda {
        version: u64,
        segments: Vec<domain::agenda::Plan>,
    },
    NextSegment {
        version: u64,
    },
    SkipSegment {
        version: u64,
    },
    ExtendSegment {
        version: u64,
        minutes: u32,
    },
}

impl ClientCommand {
    /// The domain command, with a fresh id for anything it creates, `now` (ms since the
    /// Unix epoch) for timers, and a fresh seed for a random assignment given none.
    pub fn into_domain(self, now: i64) -> domain::Command {
        use domain::Command as C;
        match self {
            ClientCommand::PostCard { room, column, text } => C::PostCard {
                card: CardId::random(),
                room,
                column,
                text,
            },
            ClientCommand::EditCard { card, text } => C::EditCard { card, text },
            ClientCommand::DeleteCard { card } => C::DeleteCard { card },
            ClientCommand::HideCard { card } => C::HideCard { card },
            ClientCommand::ShowCard { card } => C::ShowCard { card },
            ClientCommand::MoveParticipant { participant, room } => C::MoveParticipant {
                participant,
                to: room,
            },
            ClientCommand::OpenRoom { room } => C::OpenRoom { room },
            ClientCommand::CloseRoom { room } => C::CloseRoom { room },
            ClientCommand::SetPhase {
                room,
                phase,
                hidden,
            } => C::SetPhase {
                room,
                phase,
                hidden,
            },
            ClientCommand::Vote { card } => C::Vote { card },
            ClientCommand::Unvote { card } => C::Unvote { card },
            ClientCommand::GroupCards { cards, name } => C::GroupCards {
                group: GroupId::random(),
                cards,
                name,
            },
            ClientCommand::MoveCardToGroup { card, group } => C::MoveCardToGroup { card, group },
            ClientCommand::MergeGroups { group, into } => C::MergeGroups { group, into },
            ClientCommand::Ungroup { group } => C::Ungroup { group },
            ClientCommand::RenameGroup { group, name } => C::RenameGroup { group, name },
            ClientCommand::TagCard { card, theme } => C::TagCard { card, theme },
            ClientCommand::TagGroup { group, theme } => C::TagGroup { group, theme },
            ClientCommand::SetThemes { themes } => C::SetThemes { themes },
            ClientCommand::AddConclusion { theme, text, cards } => C::AddConclusion {
                conclusion: ConclusionId::random(),
                theme,
                text,
                cards,
            },
            ClientCommand::EditConclusion {
                conclusion,
                version,
                text,
                cards,
                theme,
                status,
            } => C::EditConclusion {
                conclusion,
                version,
                text,
                cards,
                theme,
                status,
            },
            ClientCommand::MoveConclusion {
                conclusion,
                position,
            } => C::MoveConclusion {
                conclusion,
                position,
            },
            ClientCommand::RemoveConclusion {
                conclusion,
                version,
            } => C::RemoveConclusion {
                conclusion,
                version,
            },
            ClientCommand::CreateRoom { name, capacity } => C::CreateRoom {
                room: RoomId::random(),
                name,
                capacity,
            },
            ClientCommand::RenameRoom { room, name } => C::RenameRoom { room, name },
            ClientCommand::SetRoomCapacity { room, capacity } => {
                C::SetRoomCapacity { room, capacity }
            }
            ClientCommand::RemoveRoom { room } => C::RemoveRoom { room },
            ClientCommand::AssignRooms {
                strategy,
                scope,
                seed,
                plan,
            } => C::AssignRooms {
                strategy,
                scope,
                seed: seed.unwrap_or_else(rand::random),
                plan,
            },
            ClientCommand::ChooseRoom { room } => C::ChooseRoom { room },
            ClientCommand::SetSelfSelect { open } => C::SetSelfSelect { open },
            ClientCommand::SetLateJoiners { policy } => C::SetLateJoiners { policy },
            ClientCommand::SetAudio { on } => C::SetAudio { on },
            ClientCommand::ReturnToLobby {} => C::ReturnToLobby,
            ClientCommand::Broadcast { text, room } => C::Broadcast { text, room, now },
            ClientCommand::StartTimer {
                room,
                seconds,
                warnings,
                close_at_end,
            } => C::StartTimer {
                room,
                seconds,
                warnings,
                close_at_end,
                now,
            },
            ClientCommand::ExtendTimer { room, seconds } => C::ExtendTimer { room, seconds, now },
            ClientCommand::PauseTimer { room } => C::PauseTimer { room, now },
            ClientCommand::ResumeTimer { room } => C::ResumeTimer { room, now },
            ClientCommand::CancelTimer { room } => C::CancelTimer { room },
            ClientCommand::RequestHelp { text } => C::RequestHelp {
                request: HelpId::random(),
                text,
            },
            ClientCommand::AcknowledgeHelp { request } => C::AcknowledgeHelp { request },
            ClientCommand::ResolveHelp { request } => C::ResolveHelp { request },
            ClientCommand::CloseWorkshop {} => C::CloseWorkshop,
            ClientCommand::ReopenWorkshop {} => C::ReopenWorkshop,
            ClientCommand::RemoveParticipant { participant } => {
                C::RemoveParticipant { participant }
            }
            ClientCommand::SetLead { participant } => C::SetLead { participant },
            ClientCommand::CardHistory { card } => C::CardHistory { card },
            ClientCommand::LockJoining { locked } => C::LockJoining { locked },
            ClientCommand::RotateCode { role } => C::RotateCode {
                role,
                code: crate::auth::new_code(),
            },
            ClientCommand::OpenReview { deadline, rule } => C::OpenReview {
                deadline,
                rule,
                now,
            },
            ClientCommand::AnswerReview {
                conclusion,
                version,
                answer,
                text,
            } => C::AnswerReview {
                conclusion,
                version,
                answer,
                text,
                now,
            },
            ClientCommand::ReplyReview {
                conclusion,
                country,
                text,
            } => C::ReplyReview {
                conclusion,
                country,
                text,
            },
            ClientCommand::ReviseConclusion {
                conclusion,
                version,
                text,
            } => C::ReviseConclusion {
                conclusion,
                version,
                text,
            },
            ClientCommand::CloseReview {} => C::CloseReview,
            ClientCommand::SetAgenda { version, segments } => C::SetAgenda { version, segments },
            ClientCommand::NextSegment { version } => C::NextSegment { version, now },
            ClientCommand::SkipSegment { version } => C::SkipSegment { version, now },
            ClientCommand::ExtendSegment { version, minutes } => C::ExtendSegment {
                version,
                minutes,
                now,
            },
        }
    }
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
