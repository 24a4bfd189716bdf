//! Unit tests of conclusions, of the reports derived from them (support, consolidation,
//! country overview) and of what each participant sees of boards in their phases.
//! One rule per test, named like a facilitator's checklist.
//!
//! Every test starts from the session of `tests/mod.rs`: four rooms, the organizer, one
//! facilitator, Ana (AR) and Ben (BR) in room 1, Cho (CL) in room 2, Dan (PE) in the lobby.

use super::reports::{self, UNTAGGED};
use super::tests::{edit, moved, post, reference_settings, refused, Refused, Session};
use super::visibility::{view, Audience, Reshape};
use super::*;
use uuid::Uuid;

fn kid(n: u128) -> ConclusionId {
    ConclusionId(Uuid::from_u128(0xE000 + n))
}

fn gid(n: u128) -> GroupId {
    GroupId(Uuid::from_u128(0xD000 + n))
}

fn add(conclusion: ConclusionId, theme: &str, text: &str, cards: &[CardId]) -> Command {
    Command::AddConclusion {
        conclusion,
        theme: theme.into(),
        text: text.into(),
        cards: cards.to_vec(),
    }
}

/// An edit that changes only the text.
fn reword(conclusion: ConclusionId, version: u64, text: &str) -> Command {
    Command::EditConclusion {
        conclusion,
        version,
        text: Some(text.into()),
        cards: None,
        theme: None,
        status: None,
    }
}

fn recite(conclusion: ConclusionId, version: u64, cards: &[CardId]) -> Command {
    Command::EditConclusion {
        conclusion,
        version,
        text: None,
        cards: Some(cards.to_vec()),
        theme: None,
        status: None,
    }
}

fn move_to(conclusion: ConclusionId, position: usize) -> Command {
    Command::MoveConclusion {
        conclusion,
        position,
    }
}

fn order(s: &Session) -> Vec<ConclusionId> {
    s.w.conclusions.iter().map(|c| c.id).collect()
}

mod conclusions;
mod support_and_consolidation;
mod views;
