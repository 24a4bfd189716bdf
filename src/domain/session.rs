//! Running the session: broadcasts, help requests, timers, who leads, whether the workshop
//! is closed, self-selection of rooms and how late joiners are placed.
//!
//! Pure state and rules, like the rest of the domain: time arrives inside commands (`now`,
//! ms since the Unix epoch), chosen by the actor, never read here.

use super::settings::{clean_text, limits};
use super::{
    require_staff, DomainError, Event, HelpId, Participant, ParticipantId, Place, Role, RoomId,
    Workshop,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Broadcasts kept in the history (older ones are dropped from the state, not the log).
pub const BROADCASTS_KEPT: usize = 200;
/// Help requests kept (resolved ones beyond this are dropped from the state).
pub const HELP_KEPT: usize = 500;

/// Session-wide state that is neither a room nor a board.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Closed by the organizer or lead facilitator: everything is read-only.
    pub closed: bool,
    /// The lead facilitator: the first facilitator to join, or whom the organizer named.
    pub lead: Option<ParticipantId>,
    pub broadcasts: Vec<Broadcast>,
    pub help: Vec<HelpRequest>,
    pub timers: BTreeMap<RoomId, Timer>,
    /// Whether delegates may pick their room themselves (`choose_room`).
    pub self_select: bool,
    /// How delegates who join later are placed.
    pub late_joiners: LateJoiners,
    /// Staff closed the door: joining answers `closed`; people already in stay.
    pub joining_locked: bool,
    /// Whether the organizer turned the audio rooms off (`set_audio`).
    #[serde(default)]
    pub audio_off: bool,
}

/// The organizer turns the workshop's audio rooms on or off.
pub(super) fn set_audio(
    state: &Workshop,
    me: &Participant,
    on: bool,
) -> Result<Vec<Event>, DomainError> {
    if me.role != Role::Organizer {
        return Err(DomainError::Forbidden(
            "only the organizer turns audio on or off".into(),
        ));
    }
    if state.session.audio_off != on {
        return Ok(vec![]);
    }
    Ok(vec![Event::AudioSet { on }])
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LateJoiners {
    /// They wait in the lobby until a facilitator places them.
    #[default]
    Lobby,
    /// Placed at once in the smallest open room.
    Even,
    /// Placed with their country's delegation, else in the smallest open room.
    ByCountry,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Broadcast {
    pub seq: u64,
    pub text: String,
    /// `None`: to every room and the lobby.
    pub room: Option<RoomId>,
    pub by: ParticipantId,
    /// When it was sent (ms since the Unix epoch); `None` if its event predates the time.
    pub at: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HelpStatus {
    Open,
    Acknowledged,
    Resolved,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelpRequest {
    pub id: HelpId,
    pub seq: u64,
    pub participant: ParticipantId,
    /// Where the delegate was when asking.
    pub room: Place,
    pub text: Option<String>,
    pub status: HelpStatus,
    pub handled_by: Option<ParticipantId>,
}

/// A room's countdown. Clients render it from `deadline` (server time, ms since the epoch).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timer {
    /// When it ends; `None` while paused.
    pub deadline: Option<i64>,
    /// Time left while paused (ms).
    pub remaining_ms: i64,
    /// Seconds before the end at which a warning is announced, largest first.
    pub warnings: Vec<u32>,
    /// Warnings already announced.
    pub fired: Vec<u32>,
    /// Whether the room closes when the timer ends.
    pub close_at_end: bool,
}

/// Refuses everything but reopening while the workshop is closed.
pub(super) fn require_open_session(state: &Workshop) -> Result<(), DomainError> {
    if state.session.closed {
        Err(DomainError::Closed(
            "the workshop is closed: it is read-only".into(),
        ))
    } else {
        Ok(())
    }
}

/// The organizer, or the lead facilitator.
fn require_lead(state: &Workshop, me: &Participant, what: &str) -> Result<(), DomainError> {
    if me.role == Role::Organizer || state.session.lead == Some(me.id) {
        Ok(())
    } else {
        Err(DomainError::Forbidden(format!(
            "only the organizer or the lead facilitator can {what}"
        )))
    }
}

pub(super) fn close_workshop(
    state: &Workshop,
    me: &Participant,
) -> Result<Vec<Event>, DomainError> {
    require_lead(state, me, "close the workshop")?;
    if state.session.closed {
        return Ok(vec![]);
    }
    Ok(vec![Event::WorkshopClosed])
}

pub(super) fn reopen_workshop(
    state: &Workshop,
    me: &Participant,
) -> Result<Vec<Event>, DomainError> {
    require_lead(state, me, "reopen the workshop")?;
    if !state.session.closed {
        return Ok(vec![]);
    }
    Ok(vec![Event::WorkshopReopened])
}

pub(super) fn set_lead(
    state: &Workshop,
    me: &Participant,
    participant: ParticipantId,
) -> Result<Vec<Event>, DomainError> {
    if me.role != Role::Organizer {
        return Err(DomainError::Forbidden(
            "only the organizer names the lead facilitator".into(),
        ));
    }
    let p = state.participant(participant)?;
    if p.role != Role::Facilitator || p.removed {
        return Err(DomainError::Invalid(
            "the lead must be a facilitator of this workshop".into(),
        ));
    }
    if state.session.lead == Some(participant) {
        return Ok(vec![]);
    }
    Ok(vec![Event::LeadSet { participant }])
}

pub(super) fn remove_participant(
    state: &Workshop,
    me: &Participant,
    participant: ParticipantId,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "remove participants")?;
    let p = state.participant(participant)?;
    if p.role == Role::Organizer || p.id == me.id {
        return Err(DomainError::Invalid(
            "neither the organizer nor yourself can be removed".into(),
        ));
    }
    if p.role == Role::Facilitator {
        require_lead(state, me, "remove a facilitator")?;
    }
    if p.removed {
        return Ok(vec![]);
    }
    Ok(vec![Event::ParticipantRemoved { participant }])
}

pub(super) fn broadcast(
    state: &Workshop,
    me: &Participant,
    text: &str,
    room: Option<RoomId>,
    now: i64,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "broadcast")?;
    let text = clean_text("text", text, limits::CARD_TEXT_MAX)?;
    if let Some(r) = room {
        state.live_room(r)?;
    }
    Ok(vec![Event::BroadcastSent {
        text,
        room,
        by: me.id,
        at: Some(now),
    }])
}

pub(super) fn request_help(
    state: &Workshop,
    me: &Participant,
    request: HelpId,
    text: Option<&str>,
) -> Result<Vec<Event>, DomainError> {
    if me.role.is_staff() {
        return Err(DomainError::Forbidden(
            "help requests come from delegates".into(),
        ));
    }
    let text = text
        .filter(|t| !t.trim().is_empty())
        .map(|t| clean_text("text", t, limits::CARD_TEXT_MAX))
        .transpose()?;
    let open = state
        .session
        .help
        .iter()
        .filter(|h| h.participant == me.id && h.status != HelpStatus::Resolved)
        .count();
    if open >= 3 {
        return Err(DomainError::TooLarge(
            "you already have 3 open help requests".into(),
        ));
    }
    if state.session.help.iter().any(|h| h.id == request) {
        return Err(DomainError::Invalid(
            "that request id is already used".into(),
        ));
    }
    Ok(vec![Event::HelpRequested {
        request,
        participant: me.id,
        room: me.room,
        text,
    }])
}

pub(super) fn handle_help(
    state: &Workshop,
    me: &Participant,
    request: HelpId,
    status: HelpStatus,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "answer help requests")?;
    let h = state
        .session
        .help
        .iter()
        .find(|h| h.id == request)
        .ok_or_else(|| DomainError::NotFound(format!("no help request {request}")))?;
    if h.status == status || h.status == HelpStatus::Resolved {
        return Ok(vec![]);
    }
    Ok(vec![match status {
        HelpStatus::Resolved => Event::HelpResolved { request, by: me.id },
        _ => Event::HelpAcknowledged { request, by: me.id },
    }])
}
