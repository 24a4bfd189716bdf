//! Server frames: how a command ended (`Outcome`, stored with its id) and the encoding of
//! every frame the server sends (`event`, `ack`, `error`, `welcome`, `snapshot`…). Each frame
//! is encoded once here and shared by all its recipients.

use super::*;
/// How a command ended: stored with its id so a retry gets the very same answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ack {
        seq: u64,
    },
    Error {
        code: ErrorCode,
        message: String,
        /// With `conflict`: the version the thing is at now.
        current_version: Option<u64>,
    },
}

impl Outcome {
    pub fn rejected(e: &DomainError) -> Self {
        Outcome::Error {
            code: e.into(),
            message: e.to_string(),
            current_version: match e {
                DomainError::Conflict { current, .. } => Some(*current),
                _ => None,
            },
        }
    }

    /// The `ack` or `error` frame answering command `id`.
    pub fn frame(&self, id: &str) -> String {
        match self {
            Outcome::Ack { seq } => json(&serde_json::json!({"type": "ack", "id": id, "seq": seq})),
            Outcome::Error {
                code,
                message,
                current_version: Some(v),
            } => json(&serde_json::json!({
                "type": "error", "id": id, "code": code.as_str(), "message": message,
                "current_version": v
            })),
            Outcome::Error { code, message, .. } => error_frame(Some(id), *code, message),
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

/// The `event` frame of an event that moves people, with `participants`: who they are now,
/// for delegates whose snapshots did not name them (see `visibility::knows`).
pub fn moving_event_frame(
    seq: u64,
    at: i64,
    by: Option<ParticipantId>,
    body: &str,
    moved: &[&Participant],
) -> String {
    let mut frame = event_frame(seq, at, by, body);
    if !moved.is_empty() {
        frame.pop();
        frame.push_str(r#","participants":"#);
        frame.push_str(&json(moved));
        frame.push('}');
    }
    frame
}

/// The answer to `card_history`, sent to the asker just before the command's `ack`.
pub fn card_history_frame(id: &str, history: &domain::visibility::CardHistory) -> String {
    json(&serde_json::json!({
        "type": "card_history", "id": id, "card": history.card,
        "history": history.history, "earlier": history.earlier
    }))
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
    /// The room's board changed wholesale for its delegates: hidden cards revealed (or
    /// hidden), secret votes disclosed, a moderated card shown again.
    ViewChanged,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame<'a> {
    /// Answer to `hello`: either a snapshot, or (`resumed: true`) the missed events.
    Welcome {
        seq: u64,
        you: &'a Participant,
        /// Participants online now (presence is live, not part of the event log).
        online: Vec<ParticipantId>,
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
