//! Phases of a room's board and what each allows.
//!
//! The table below is the single source of the rules; `docs/PROTOCOL.md` shows it too.
//!
//! | delegate may…              | brainstorm | reveal | vote | consolidate | closed |
//! |----------------------------|------------|--------|------|-------------|--------|
//! | post, edit, delete own card| yes        | yes    | no   | no          | no     |
//! | vote, unvote               | no         | no     | yes  | no          | no     |
//! | group cards (if allowed)   | yes        | yes    | no   | no          | no     |
//!
//! Facilitators and the organizer may change boards in every phase but `closed`, and never
//! vote. In `closed` (as in a room closed with `close_room`) the board is read-only for all.

use super::{DomainError, Participant, Room};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Delegates post cards; with `hidden`, other delegates' cards stay hidden until reveal.
    #[default]
    Brainstorm,
    /// Everyone sees every card; discussion, edits and grouping.
    Reveal,
    /// Posting closed, dot voting open.
    Vote,
    /// The board is read-only for delegates; facilitators group, tag and write conclusions.
    Consolidate,
    /// Read-only for everyone.
    Closed,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Brainstorm => "brainstorm",
            Phase::Reveal => "reveal",
            Phase::Vote => "vote",
            Phase::Consolidate => "consolidate",
            Phase::Closed => "closed",
        }
    }
}

/// The kinds of board action the phase table governs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoardAction {
    /// Post, edit or delete a card.
    Write,
    Vote,
    Group,
    /// Moderate, tag: staff only, any phase but `closed`.
    Curate,
}

/// Checks that `action` by `me` is allowed in `room` now (room open, phase permits it).
pub fn check(room: &Room, me: &Participant, action: BoardAction) -> Result<(), DomainError> {
    if !room.open || room.removed || room.phase == Phase::Closed {
        return Err(DomainError::Closed(
            "this room's board is closed: it is read-only".into(),
        ));
    }
    if me.role.is_staff() {
        return match action {
            BoardAction::Vote => Err(DomainError::Forbidden(
                "facilitators and organizers do not vote".into(),
            )),
            _ => Ok(()),
        };
    }
    let allowed = match action {
        BoardAction::Write | BoardAction::Group => {
            matches!(room.phase, Phase::Brainstorm | Phase::Reveal)
        }
        BoardAction::Vote => room.phase == Phase::Vote,
        BoardAction::Curate => false,
    };
    if allowed {
        Ok(())
    } else {
        let what = match action {
            BoardAction::Write => "changing cards",
            BoardAction::Vote => "voting",
            BoardAction::Group => "grouping cards",
            BoardAction::Curate => "moderating",
        };
        Err(DomainError::Forbidden(format!(
            "{what} is not open to delegates in the {} phase",
            room.phase.as_str()
        )))
    }
}
