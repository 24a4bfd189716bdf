//! Writing a record's session history back (`history.rs`): each entry becomes its event,
//! with its time and actor, after checking that what it names exists at that point and
//! that its texts are within the limits a command would have enforced.
//!
//! The events are written as recorded rather than decided again: they carry the times
//! and the facilitators' choices of the original session (a timer's deadline, who was
//! moved where), which no command issued now could reproduce. What they do to the
//! workshop is then checked with the rest of the record (where everyone is, which rooms
//! are open, whether the workshop is closed).

use super::{invalid, Builder, ImportError};
use crate::domain::settings::{clean_text, limits};
use crate::domain::{Event, ParticipantId, Place, RoomId};
use crate::export::history::{is_history, HistoryEntry};

impl Builder {
    /// Writes history entry number `n` (0-based).
    pub(super) fn history(&mut self, entry: &HistoryEntry, n: usize) -> Result<(), ImportError> {
        let what = format!("history[{n}]");
        if !is_history(&entry.event) {
            return Err(invalid(format!(
                "{what}: this kind of event is not part of the history"
            )));
        }
        if let Some(by) = entry.by {
            self.participant(by, &what)?;
        }
        let mut people: Vec<ParticipantId> = Vec::new();
        let mut rooms: Vec<RoomId> = Vec::new();
        let place = |p: &Place, rooms: &mut Vec<RoomId>| {
            if let Place::Room(r) = p {
                rooms.push(*r);
            }
        };
        match &entry.event {
            Event::BroadcastSent { text, room, by, .. } => {
                self.text(text, &what)?;
                people.push(*by);
                rooms.extend(room);
            }
            Event::HelpRequested {
                request,
                participant,
                room,
                text,
            } => {
                if self.state.session.help.iter().any(|h| h.id == *request) {
                    return Err(invalid(format!("{what}: help request {request} twice")));
                }
                if let Some(t) = text {
                    self.text(t, &what)?;
                }
                people.push(*participant);
                place(room, &mut rooms);
            }
            Event::HelpAcknowledged { request, by } | Event::HelpResolved { request, by } => {
                if !self.state.session.help.iter().any(|h| h.id == *request) {
                    return Err(invalid(format!("{what}: no help request {request}")));
                }
                people.push(*by);
            }
            Event::TimerStarted { room, .. }
            | Event::TimerExtended { room, .. }
            | Event::TimerPaused { room, .. }
            | Event::TimerResumed { room, .. }
            | Event::TimerCancelled { room }
            | Event::TimerWarning { room, .. }
            | Event::TimerEnded { room }
            | Event::RoomClosed { room }
            | Event::RoomOpened { room } => rooms.push(*room),
            Event::ParticipantMoved {
                participant,
                from,
                room,
            } => {
                people.push(*participant);
                place(from, &mut rooms);
                place(room, &mut rooms);
            }
            Event::RoomsAssigned { moves, .. }
            | Event::ReturnedToLobby { moves }
            | Event::RoomRemoved { moves, .. } => {
                if let Event::RoomRemoved { room, .. } = &entry.event {
                    rooms.push(*room);
                }
                for m in moves {
                    people.push(m.participant);
                    place(&m.from, &mut rooms);
                    place(&m.room, &mut rooms);
                }
            }
            Event::ParticipantRemoved { participant } => people.push(*participant),
            _ => {}
        }
        for p in people {
            self.participant(p, &what)?;
        }
        for r in rooms {
            self.state
                .room(r)
                .map_err(|e| invalid(format!("{what}: {e}")))?;
        }
        self.state.apply(self.state.seq + 1, &entry.event);
        self.events.push(entry.event.clone());
        self.logged.push(Some((entry.at, entry.by)));
        Ok(())
    }

    /// A typed text of the history, held to the limit its command enforces.
    fn text(&self, text: &str, what: &str) -> Result<(), ImportError> {
        let clean = clean_text("text", text, limits::CARD_TEXT_MAX)
            .map_err(|e| invalid(format!("{what}: {e}")))?;
        if clean != text {
            return Err(invalid(format!("{what}: a text as no command writes it")));
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "history_tests.rs"]
mod tests;
