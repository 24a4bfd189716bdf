//! Who may see what: the audience of each event and the snapshot a participant receives.
//!
//! Architecture invariant: a delegate sees the board of the room they are in and nothing of
//! any other board; facilitators and the organizer see every room. Room membership, room
//! state and the list of participants are workshop-wide. The server applies these functions
//! before anything leaves it; the page never filters.

use super::{Card, Participant, ParticipantId, Place, Room, RoomId, Settings, Workshop};
use super::{Event, WorkshopId};
use serde::Serialize;

/// The set of participants an event is delivered to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Everyone,
    /// Staff, and the delegates who are in this room when the event happens.
    Room(RoomId),
}

impl Audience {
    pub fn of(event: &Event) -> Audience {
        match event {
            Event::CardPosted { room, .. }
            | Event::CardEdited { room, .. }
            | Event::CardDeleted { room, .. } => Audience::Room(*room),
            Event::WorkshopCreated { .. }
            | Event::ParticipantJoined { .. }
            | Event::ParticipantMoved { .. }
            | Event::RoomClosed { .. }
            | Event::RoomOpened { .. } => Audience::Everyone,
        }
    }

    pub fn admits(self, viewer: &Participant) -> bool {
        match self {
            Audience::Everyone => true,
            Audience::Room(room) => viewer.role.is_staff() || viewer.room == Place::Room(room),
        }
    }
}

/// Whether `event` changes wholesale what `viewer` can see, so that a client must be sent a
/// fresh snapshot rather than the event alone (a delegate moved to another room).
pub fn reshapes_view_of(event: &Event, viewer: ParticipantId) -> bool {
    matches!(event, Event::ParticipantMoved { participant, .. } if *participant == viewer)
}

/// The workshop's settings as participants see them.
#[derive(Serialize)]
pub struct WorkshopInfo<'a> {
    pub id: WorkshopId,
    #[serde(flatten)]
    pub settings: &'a Settings,
}

#[derive(Serialize)]
pub struct RoomView<'a> {
    #[serde(flatten)]
    pub room: &'a Room,
    pub members: Vec<ParticipantId>,
}

/// Everything one participant may see, at `seq`.
#[derive(Serialize)]
pub struct View<'a> {
    pub workshop: Option<WorkshopInfo<'a>>,
    pub rooms: Vec<RoomView<'a>>,
    pub lobby: Vec<ParticipantId>,
    pub participants: Vec<&'a Participant>,
    /// The cards this participant may see, in posting order: their room's board for a
    /// delegate (none in the lobby), every board for staff.
    pub cards: Vec<&'a Card>,
}

pub fn view<'a>(state: &'a Workshop, viewer: &Participant) -> View<'a> {
    let members = |place: Place| {
        state
            .participants
            .values()
            .filter(|p| p.room == place)
            .map(|p| p.id)
            .collect::<Vec<_>>()
    };
    let mut cards: Vec<&Card> = state
        .cards
        .values()
        .filter(|c| Audience::Room(c.room).admits(viewer))
        .collect();
    cards.sort_by_key(|c| c.seq);
    View {
        workshop: state.settings.as_ref().map(|settings| WorkshopInfo {
            id: state.id,
            settings,
        }),
        rooms: state
            .rooms
            .iter()
            .map(|room| RoomView {
                room,
                members: members(Place::Room(room.id)),
            })
            .collect(),
        lobby: members(Place::Lobby),
        participants: state.participants.values().collect(),
        cards,
    }
}
