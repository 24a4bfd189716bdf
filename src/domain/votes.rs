//! Dot voting: delegates spend a per-person budget of votes on the cards of their room,
//! during the vote phase, with an optional cap of votes per card per person.
//!
//! The budget counts the votes a participant holds on the board of the room they are in
//! (hiding a card gives its votes back). The actor decides
//! commands one at a time, so concurrent votes (two tabs) can never overspend it.

use super::board::visible_card;
use super::phase::{self, BoardAction};
use super::{CardId, DomainError, Event, Participant, Workshop};

pub(super) fn vote(
    state: &Workshop,
    me: &Participant,
    card: CardId,
) -> Result<Vec<Event>, DomainError> {
    let c = visible_card(state, me, card)?;
    phase::check(state.room(c.room)?, me, BoardAction::Vote)?;
    let settings = state.settings()?;
    // The budget is spent on the board of the room the delegate is in: a delegate moved to
    // another room votes there afresh, and the votes left behind stay where they were cast.
    let spent: u32 = state
        .votes
        .iter()
        .filter(|(card, _)| state.cards.get(card).is_some_and(|k| k.room == c.room))
        .filter_map(|(_, by)| by.get(&me.id))
        .sum();
    if spent >= settings.votes_per_participant {
        return Err(DomainError::Forbidden(format!(
            "you have used all {} of your votes; withdraw one to vote again",
            settings.votes_per_participant
        )));
    }
    let on_card = state
        .votes
        .get(&card)
        .and_then(|by| by.get(&me.id))
        .copied()
        .unwrap_or(0);
    if let Some(max) = settings.max_votes_per_card {
        if on_card >= max {
            return Err(DomainError::Forbidden(format!(
                "at most {max} of your votes may go to one card"
            )));
        }
    }
    Ok(vec![Event::VoteCast {
        card,
        room: c.room,
        participant: me.id,
    }])
}

pub(super) fn unvote(
    state: &Workshop,
    me: &Participant,
    card: CardId,
) -> Result<Vec<Event>, DomainError> {
    let c = visible_card(state, me, card)?;
    phase::check(state.room(c.room)?, me, BoardAction::Vote)?;
    let mine = state.votes.get(&card).and_then(|by| by.get(&me.id));
    if mine.is_none_or(|n| *n == 0) {
        return Err(DomainError::Invalid(
            "you have no vote on this card to withdraw".into(),
        ));
    }
    Ok(vec![Event::VoteWithdrawn {
        card,
        room: c.room,
        participant: me.id,
    }])
}
