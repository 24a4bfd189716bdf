//! The pure domain core: what a workshop is and the rules it obeys.
//!
//! `decide(&state, actor, &command)` checks every rule and returns the events a command
//! produces (or a `DomainError`); `Workshop::apply(seq, &event)` folds one event into the
//! state and cannot fail. Replaying the event log through `apply` rebuilds the state exactly.
//!
//! Architecture invariant: this module knows nothing of sockets, JSON wire messages, SQL,
//! clocks or randomness. It never imports `tokio`, `sqlx` or `axum`; ids of new things
//! arrive inside the command, chosen by the caller.

mod board;
pub mod ids;
mod rooms;
pub mod settings;
pub mod visibility;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use ids::{CardId, ParticipantId, Place, RoomId, WorkshopId};
pub use settings::{Column, Settings, Theme};

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
}

/// What a participant is allowed to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
}

/// Everything that happened in a workshop. Stored in the event log and sent to clients
/// inside `{"type":"event","seq":…,"event":{…}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// Always the first event of a workshop.
    WorkshopCreated {
        workshop: WorkshopId,
        settings: Settings,
        rooms: Vec<Room>,
    },
    /// Someone joined with a code (or was created with the workshop: the organizer).
    /// Joiners wait in the lobby until a facilitator places them.
    ParticipantJoined {
        participant: Participant,
    },
    CardPosted {
        card: CardId,
        room: RoomId,
        column: String,
        text: String,
        author: ParticipantId,
    },
    CardEdited {
        card: CardId,
        room: RoomId,
        text: String,
    },
    CardDeleted {
        card: CardId,
        room: RoomId,
    },
    /// A participant was placed in a room or sent to the lobby (`room: "lobby"`).
    ParticipantMoved {
        participant: ParticipantId,
        from: Place,
        room: Place,
    },
    RoomClosed {
        room: RoomId,
    },
    RoomOpened {
        room: RoomId,
    },
}

/// A request to change the workshop, already parsed and carrying any new ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Join {
        participant: ParticipantId,
        name: String,
        country: Option<String>,
        language: String,
        role: Role,
    },
    PostCard {
        card: CardId,
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
    MoveParticipant {
        participant: ParticipantId,
        to: Place,
    },
    OpenRoom {
        room: RoomId,
    },
    CloseRoom {
        room: RoomId,
    },
}

/// Who issues a command: a participant, or the server itself on behalf of a REST call
/// whose credentials (join code, admin token) it has already checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    Participant(ParticipantId),
    Server,
}

/// The state of one workshop, rebuilt by folding its events in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workshop {
    pub id: WorkshopId,
    /// `None` until `workshop_created` has been applied.
    pub settings: Option<Settings>,
    pub rooms: Vec<Room>,
    pub participants: BTreeMap<ParticipantId, Participant>,
    pub cards: BTreeMap<CardId, Card>,
    /// The `seq` of the last applied event.
    pub seq: u64,
}

impl Workshop {
    pub fn empty(id: WorkshopId) -> Self {
        Workshop {
            id,
            settings: None,
            rooms: Vec::new(),
            participants: BTreeMap::new(),
            cards: BTreeMap::new(),
            seq: 0,
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
            })
            .collect();
        let organizer = Participant {
            id: organizer,
            name: "Organizer".into(),
            country: None,
            language: settings.language.clone(),
            role: Role::Organizer,
            room: Place::Lobby,
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

    fn room_mut(&mut self, id: RoomId) -> Option<&mut Room> {
        self.rooms.iter_mut().find(|r| r.id == id)
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

    /// Folds one event into the state. Never fails: `decide` already checked the rules,
    /// and an event that no longer fits (it cannot, in a log written by `decide`) is ignored.
    pub fn apply(&mut self, seq: u64, event: &Event) {
        self.seq = seq;
        match event {
            Event::WorkshopCreated {
                workshop,
                settings,
                rooms,
            } => {
                self.id = *workshop;
                self.settings = Some(settings.clone());
                self.rooms = rooms.clone();
            }
            Event::ParticipantJoined { participant } => {
                self.participants
                    .insert(participant.id, participant.clone());
            }
            Event::CardPosted {
                card,
                room,
                column,
                text,
                author,
            } => {
                self.cards.insert(
                    *card,
                    Card {
                        id: *card,
                        room: *room,
                        column: column.clone(),
                        text: text.clone(),
                        author: *author,
                        seq,
                        edited: false,
                    },
                );
            }
            Event::CardEdited { card, text, .. } => {
                if let Some(c) = self.cards.get_mut(card) {
                    c.text = text.clone();
                    c.edited = true;
                }
            }
            Event::CardDeleted { card, .. } => {
                self.cards.remove(card);
            }
            Event::ParticipantMoved {
                participant, room, ..
            } => {
                if let Some(p) = self.participants.get_mut(participant) {
                    p.room = *room;
                }
            }
            Event::RoomClosed { room } => {
                if let Some(r) = self.room_mut(*room) {
                    r.open = false;
                }
            }
            Event::RoomOpened { room } => {
                if let Some(r) = self.room_mut(*room) {
                    r.open = true;
                }
            }
        }
    }
}

/// Checks every rule for `command` issued by `actor` and returns the events it produces.
/// An empty list means the command is valid but changes nothing (e.g. closing a closed room).
pub fn decide(
    state: &Workshop,
    actor: Actor,
    command: &Command,
) -> Result<Vec<Event>, DomainError> {
    state.settings()?;
    match command {
        Command::Join {
            participant,
            name,
            country,
            language,
            role,
        } => {
            if actor != Actor::Server {
                return Err(DomainError::Forbidden(
                    "only the join endpoint adds participants".into(),
                ));
            }
            rooms::join(
                state,
                *participant,
                name,
                country.as_deref(),
                language,
                *role,
            )
        }
        Command::PostCard {
            card,
            room,
            column,
            text,
        } => board::post_card(state, issuer(state, actor)?, *card, *room, column, text),
        Command::EditCard { card, text } => {
            board::edit_card(state, issuer(state, actor)?, *card, text)
        }
        Command::DeleteCard { card } => board::delete_card(state, issuer(state, actor)?, *card),
        Command::MoveParticipant { participant, to } => {
            rooms::move_participant(state, issuer(state, actor)?, *participant, *to)
        }
        Command::OpenRoom { room } => {
            rooms::set_room_open(state, issuer(state, actor)?, *room, true)
        }
        Command::CloseRoom { room } => {
            rooms::set_room_open(state, issuer(state, actor)?, *room, false)
        }
    }
}

/// The participant behind a board or facilitation command.
fn issuer(state: &Workshop, actor: Actor) -> Result<&Participant, DomainError> {
    match actor {
        Actor::Participant(who) => state.participants.get(&who).ok_or_else(|| {
            DomainError::Forbidden("you are not a participant of this workshop".into())
        }),
        Actor::Server => Err(DomainError::Forbidden(
            "this command needs a participant".into(),
        )),
    }
}

/// Refuses the command unless the participant runs the workshop.
fn require_staff(me: &Participant, what: &str) -> Result<(), DomainError> {
    if me.role.is_staff() {
        Ok(())
    } else {
        Err(DomainError::Forbidden(format!(
            "only facilitators can {what}"
        )))
    }
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
