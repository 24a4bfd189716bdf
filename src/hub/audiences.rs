//! Who receives a room's board events, kept between events.
//!
//! Most events of a busy workshop are cards posted, edited and deleted and votes, each
//! addressed to one room (`Audience::Room`): staff and the delegates in that room. Judging
//! every subscriber of the workshop for each of them cost one participant look-up per
//! subscriber per event (7% of the server's CPU in the steady fan-out benchmark, where a
//! workshop has 300 subscribers and a room 30). This index groups the connections by
//! room once; the actor drops it whenever a subscriber comes or goes and whenever an event
//! that is not one of those board events is applied (any such event may move people,
//! change roles or remove someone), and rebuilds it on the next board event.

use crate::domain::{Event, Place, RoomId, Workshop};
use std::collections::HashMap;

pub struct RoomAudiences {
    staff: Vec<u64>,
    rooms: HashMap<RoomId, Vec<u64>>,
}

impl RoomAudiences {
    /// Groups `subscribers` (connection, participant) by where their participant is now.
    pub fn build<'a>(
        subscribers: impl Iterator<Item = (u64, &'a crate::domain::ParticipantId)>,
        state: &Workshop,
    ) -> RoomAudiences {
        let mut index = RoomAudiences {
            staff: Vec::new(),
            rooms: HashMap::new(),
        };
        for (conn, participant) in subscribers {
            let Some(viewer) = state.participants.get(participant) else {
                continue;
            };
            if viewer.role.is_staff() {
                index.staff.push(conn);
            } else if let Place::Room(room) = viewer.room {
                index.rooms.entry(room).or_default().push(conn);
            }
        }
        index
    }

    /// The connections `Audience::Room(room)` admits: staff, and the delegates in `room`.
    pub fn of_room(&self, room: RoomId) -> Vec<u64> {
        let members = self.rooms.get(&room).map_or(&[][..], Vec::as_slice);
        let mut to = Vec::with_capacity(self.staff.len() + members.len());
        to.extend_from_slice(&self.staff);
        to.extend_from_slice(members);
        to
    }

    /// Whether applying `event` leaves every participant's place, role and presence in the
    /// workshop as they were, so that an index built before it is still right after it.
    pub fn survives(event: &Event) -> bool {
        matches!(
            event,
            Event::CardPosted { .. }
                | Event::CardEdited { .. }
                | Event::CardDeleted { .. }
                | Event::VoteCast { .. }
                | Event::VoteWithdrawn { .. }
        )
    }
}
