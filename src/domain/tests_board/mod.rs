//! Unit tests of the board rules added for consolidation: the phase table, dot voting,
//! grouping, themes and moderation. One rule per test, named like a facilitator's checklist.
//!
//! Every test starts from the session of `tests/mod.rs` (`Session::new` or `Session::with`):
//! four rooms, the organizer, one facilitator, Ana (AR) and Ben (BR) in room 1, Cho (CL) in
//! room 2, Dan (PE) in the lobby; every room in the brainstorm phase.

use super::reports;
use super::tests::{edit, moved, post, reference_settings, refused, Refused, Session};
use super::visibility::{view, Audience, Reshape};
use super::*;
use uuid::Uuid;

const PHASES: [Phase; 5] = [
    Phase::Brainstorm,
    Phase::Reveal,
    Phase::Vote,
    Phase::Consolidate,
    Phase::Closed,
];

fn gid(n: u128) -> GroupId {
    GroupId(Uuid::from_u128(0xD000 + n))
}

fn vote(card: CardId) -> Command {
    Command::Vote { card }
}

fn unvote(card: CardId) -> Command {
    Command::Unvote { card }
}

fn group_cards(group: GroupId, cards: &[CardId], name: &str) -> Command {
    Command::GroupCards {
        group,
        cards: cards.to_vec(),
        name: name.into(),
    }
}

fn tag(card: CardId, theme: Option<&str>) -> Command {
    Command::TagCard {
        card,
        theme: theme.map(Into::into),
    }
}

fn tag_group(group: GroupId, theme: Option<&str>) -> Command {
    Command::TagGroup {
        group,
        theme: theme.map(Into::into),
    }
}

/// Whether a command is accepted (and changes something), or which rule refused it.
#[track_caller]
fn outcome(result: Result<Vec<Event>, DomainError>) -> Result<(), Refused> {
    match result {
        Ok(events) => {
            assert!(!events.is_empty(), "accepted but changed nothing");
            Ok(())
        }
        Err(e) => Err(refused(Err(e))),
    }
}

/// Settings where delegates may group cards.
fn grouping_delegates() -> Settings {
    Settings {
        delegates_can_group: true,
        ..reference_settings()
    }
}

/// A session in the vote phase with a budget of `budget` votes: Ana's and Ben's cards in
/// room 1, Cho's in room 2.
fn ballot(settings: Settings) -> (Session, [CardId; 3]) {
    let mut s = Session::with(settings);
    let cards = [
        s.post(s.ana, 0, "Ana's idea"),
        s.post(s.ben, 0, "Ben's idea"),
        s.post(s.cho, 1, "Cho's idea"),
    ];
    s.phase(None, Phase::Vote, false);
    (s, cards)
}

fn budget(votes: u32) -> Settings {
    Settings {
        votes_per_participant: votes,
        ..reference_settings()
    }
}

fn my_votes(s: &Session, who: ParticipantId, card: CardId) -> u32 {
    s.w.votes
        .get(&card)
        .and_then(|by| by.get(&who))
        .copied()
        .unwrap_or(0)
}

mod phase_table;
mod themes_and_moderation;
mod voting_and_grouping;
