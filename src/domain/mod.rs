//! The pure domain core: what a workshop is and the rules it obeys.
//!
//! `decide(&state, actor, &command)` checks every rule and returns the events a command
//! produces (or a `DomainError`); `Workshop::apply(seq, &event)` folds one event into the
//! state and cannot fail. Replaying the event log through `apply` rebuilds the state exactly.
//!
//! Architecture invariant: this module knows nothing of sockets, JSON wire messages, SQL,
//! clocks or randomness. It never imports `tokio`, `sqlx` or `axum`; ids of new things
//! arrive inside the command, chosen by the caller.

mod access;
pub mod agenda;
mod apply;
pub mod assignment;
mod board;
mod commands;
mod conclusions;
pub mod countries;
mod decide;
mod events;
mod groups;
pub mod ids;
pub mod names;
pub mod phase;
pub mod reports;
pub mod review;
mod rooms;
pub mod roster;
pub mod session;
pub mod settings;
pub mod timers;
pub mod visibility;
mod votes;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use commands::Command;
pub use decide::decide;
use decide::require_staff;
pub use events::Event;
pub use ids::{CardId, ConclusionId, GroupId, HelpId, ParticipantId, Place, RoomId, WorkshopId};
pub use phase::Phase;
pub use session::Session;
pub use settings::{Column, Settings, Theme, VotesVisibility};

/// Why a command was refused. Each variant maps to one protocol error code, in
/// `protocol::ErrorCode::from` and nowhere else.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Closed(String),
    #[error("{0}")]
    TooLarge(String),
    /// A stale edit: `current` is the version the thing is at now.
    #[error("{message}")]
    Conflict { message: String, current: u64 },
}

/// What a participant is allowed to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Organizer,
    Facilitator,
    Delegate,
}

impl Role {
    /// Organizers and facilitators run the workshop and see every room.
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Delegate)
    }
}

/// A breakout room. A closed room's board is read-only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Room {
    pub id: RoomId,
    pub name: String,
    pub open: bool,
    #[serde(default)]
    pub phase: Phase,
    /// In a hidden brainstorm, delegates see only their own cards until the reveal.
    #[serde(default)]
    pub hidden: bool,
    /// Most delegates the room takes (`None`: no limit).
    #[serde(default)]
    pub capacity: Option<u32>,
    /// Removed while the workshop ran: nobody is placed there, its board stays in the record.
    #[serde(default)]
    pub removed: bool,
}

/// Someone who joined the workshop. Tokens are not here: they live, hashed, in the store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub id: ParticipantId,
    pub name: String,
    /// ISO 3166-1 alpha-2 code; delegates always have one, staff may not.
    pub country: Option<String>,
    pub language: String,
    pub role: Role,
    pub room: Place,
    /// Removed by a facilitator: the token no longer works; the cards stay.
    #[serde(default)]
    pub removed: bool,
}

/// A card on a room's board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    pub id: CardId,
    pub room: RoomId,
    pub column: String,
    pub text: String,
    pub author: ParticipantId,
    /// The `seq` of the event that posted it: boards are ordered by it.
    pub seq: u64,
    /// Whether the text was changed after posting.
    pub edited: bool,
    pub group: Option<GroupId>,
    pub theme: Option<String>,
    /// Taken off delegates' boards by a facilitator; kept in the record.
    pub hidden: bool,
    /// The latest changes after posting (at most `Workshop::history_kept`), oldest first:
    /// the live audit record, sent to staff on demand (`card_history`). The whole record
    /// stays in the event log, and the export is rebuilt from it.
    pub history: Vec<Revision>,
    /// How many earlier changes `history` no longer holds.
    #[serde(default)]
    pub earlier_revisions: u64,
}

impl Card {
    /// Records a change, forgetting the oldest one beyond `kept`.
    fn revise(&mut self, revision: Revision, kept: usize) {
        self.history.push(revision);
        if self.history.len() > kept {
            let excess = self.history.len() - kept;
            self.history.drain(..excess);
            self.earlier_revisions += excess as u64;
        }
    }

    /// How many changes the card went through since it was posted.
    pub fn revisions(&self) -> u64 {
        self.earlier_revisions + self.history.len() as u64
    }
}

/// How many changes of one card the live state keeps (`Card::history`).
pub const HISTORY_KEPT: usize = 20;

/// One change to a card, with what it replaced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    pub seq: u64,
    pub by: ParticipantId,
    pub action: RevisionAction,
    /// The text before an edit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_text: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevisionAction {
    Edited,
    Hidden,
    Shown,
}

/// A named group of similar cards within one room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: GroupId,
    pub room: RoomId,
    pub name: String,
    pub theme: Option<String>,
    pub seq: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConclusionStatus {
    #[default]
    Draft,
    Final,
}

/// A workshop-level conclusion under a theme, citing cards of any room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conclusion {
    pub id: ConclusionId,
    pub theme: String,
    pub text: String,
    pub cards: Vec<CardId>,
    pub status: ConclusionStatus,
    /// Starts at 1; every edit bumps it. Edits based on an older version are refused.
    pub version: u64,
}

/// Who issues a command: a participant, or the server itself on behalf of a REST call
/// whose credentials (join code, admin token) it has already checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    Participant(ParticipantId),
    Server,
}

/// The state of one workshop, rebuilt by folding its events in order. Serde is for the
/// store's snapshots (`hub/workshop/load.rs`): a field added here needs `#[serde(default)]`,
/// and a bump of `hub::workshop::load::VERSION` if its value derives from events an older
/// snapshot already folded in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workshop {
    pub id: WorkshopId,
    /// `None` until `workshop_created` has been applied.
    pub settings: Option<Settings>,
    pub rooms: Vec<Room>,
    pub participants: BTreeMap<ParticipantId, Participant>,
    pub cards: BTreeMap<CardId, Card>,
    /// How many cards each room's board holds (derived from `cards` by `apply`), so the
    /// per-room limit is checked without scanning every card of the workshop.
    pub cards_per_room: BTreeMap<RoomId, usize>,
    pub groups: BTreeMap<GroupId, Group>,
    /// Votes per card, per participant (dot voting: several on one card are allowed).
    pub votes: BTreeMap<CardId, BTreeMap<ParticipantId, u32>>,
    /// In the organizer's order; the order within a theme is the order here.
    pub conclusions: Vec<Conclusion>,
    pub session: Session,
    /// The people expected, registered before the workshop (`roster.rs`).
    #[serde(default)]
    pub roster: roster::Roster,
    /// The review of the conclusions by delegations, once opened (`review.rs`).
    #[serde(default)]
    pub review: Option<review::Review>,
    /// The planned segments and how the workshop is running through them (`agenda.rs`).
    #[serde(default, with = "agenda::snapshot")]
    pub agenda: agenda::Agenda,
    /// The `seq` of the last applied event.
    pub seq: u64,
    /// How many changes of each card `history` keeps: `HISTORY_KEPT` live, unbounded when
    /// a full record is rebuilt from the log for an export.
    pub history_kept: usize,
}

impl Workshop {
    pub fn empty(id: WorkshopId) -> Self {
        Workshop {
            id,
            settings: None,
            rooms: Vec::new(),
            participants: BTreeMap::new(),
            cards: BTreeMap::new(),
            cards_per_room: BTreeMap::new(),
            groups: BTreeMap::new(),
            votes: BTreeMap::new(),
            conclusions: Vec::new(),
            session: Session::default(),
            roster: roster::Roster::default(),
            review: None,
            agenda: agenda::Agenda::default(),
            seq: 0,
            history_kept: HISTORY_KEPT,
        }
    }

    /// The events that bring a new workshop into being, with its organizer.
    pub fn create(
        id: WorkshopId,
        settings: Settings,
        room_names: Vec<String>,
        room_ids: impl IntoIterator<Item = RoomId>,
        organizer: ParticipantId,
    ) -> Result<Vec<Event>, DomainError> {
        let settings = settings.validated()?;
        let names = settings::validated_room_names(room_names)?;
        let room_ids: Vec<RoomId> = room_ids.into_iter().collect();
        let distinct: std::collections::BTreeSet<_> = room_ids.iter().collect();
        if room_ids.len() != names.len() || distinct.len() != names.len() {
            return Err(DomainError::Invalid(
                "each room needs exactly one distinct id".into(),
            ));
        }
        let rooms = names
            .into_iter()
            .zip(room_ids)
            .map(|(name, id)| Room {
                id,
                name,
                open: true,
                phase: Phase::default(),
                hidden: false,
                capacity: None,
                removed: false,
            })
            .collect();
        let organizer = Participant {
            id: organizer,
            name: "Organizer".into(),
            country: None,
            language: settings.language.clone(),
            role: Role::Organizer,
            room: Place::Lobby,
            removed: false,
        };
        Ok(vec![
            Event::WorkshopCreated {
                workshop: id,
                settings,
                rooms,
            },
            Event::ParticipantJoined {
                participant: organizer,
            },
        ])
    }

    pub fn settings(&self) -> Result<&Settings, DomainError> {
        self.settings
            .as_ref()
            .ok_or_else(|| DomainError::NotFound("this workshop does not exist".into()))
    }

    pub fn room(&self, id: RoomId) -> Result<&Room, DomainError> {
        self.rooms
            .iter()
            .find(|r| r.id == id)
            .ok_or_else(|| DomainError::NotFound(format!("no room {id} in this workshop")))
    }

    /// A room that exists and was not removed.
    pub fn live_room(&self, id: RoomId) -> Result<&Room, DomainError> {
        match self.room(id)? {
            r if r.removed => Err(DomainError::NotFound(format!(
                "room {id} was removed from this workshop"
            ))),
            r => Ok(r),
        }
    }

    pub fn participant(&self, id: ParticipantId) -> Result<&Participant, DomainError> {
        self.participants
            .get(&id)
            .ok_or_else(|| DomainError::NotFound(format!("no participant {id} in this workshop")))
    }

    pub fn card(&self, id: CardId) -> Result<&Card, DomainError> {
        self.cards
            .get(&id)
            .ok_or_else(|| DomainError::NotFound(format!("no card {id} in this workshop")))
    }

    pub fn group(&self, id: GroupId) -> Result<&Group, DomainError> {
        self.groups
            .get(&id)
            .ok_or_else(|| DomainError::NotFound(format!("no group {id} in this workshop")))
    }

    pub fn conclusion(&self, id: ConclusionId) -> Result<&Conclusion, DomainError> {
        self.conclusions
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(|| DomainError::NotFound(format!("no conclusion {id} in this workshop")))
    }

    /// Total votes a card received.
    pub fn votes_on(&self, card: CardId) -> u32 {
        self.votes.get(&card).map_or(0, |v| v.values().sum())
    }
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_board;
#[cfg(test)]
mod tests_conclusions;
#[cfg(test)]
mod tests_joining;
#[cfg(test)]
mod tests_session;
