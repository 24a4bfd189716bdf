//! Rules of a room's board: who may post, edit and delete cards, and when.
//!
//! A delegate acts only on the board of the room they are in, and only on their own cards,
//! in the phases that allow it (`phase.rs`); facilitators and the organizer act on any board
//! and moderate (edit or hide any card, keeping the audit record). A closed room's board is
//! read-only for everyone.

use super::phase::{self, BoardAction};
use super::settings::{clean_text, limits};
use super::{
    require_staff, Card, CardId, DomainError, Event, Participant, Place, RoomId, Workshop,
};

/// A delegate may touch a room's board only while they are in it.
pub(super) fn require_in_room(me: &Participant, room: RoomId) -> Result<(), DomainError> {
    if me.role.is_staff() || me.room == Place::Room(room) {
        Ok(())
    } else {
        Err(DomainError::Forbidden(
            "you can only act on the board of the room you are in".into(),
        ))
    }
}

/// A card a participant may know of: delegates do not see hidden (moderated) cards, nor
/// other delegates' cards in a hidden brainstorm.
pub(super) fn visible_card<'a>(
    state: &'a Workshop,
    me: &Participant,
    card: CardId,
) -> Result<&'a Card, DomainError> {
    let c = state.card(card)?;
    require_in_room(me, c.room)?;
    let hidden_from_me =
        !me.role.is_staff() && (c.hidden || (state.room(c.room)?.hidden && c.author != me.id));
    if hidden_from_me {
        return Err(DomainError::NotFound(format!(
            "no card {card} in this workshop"
        )));
    }
    Ok(c)
}

pub(super) fn post_card(
    state: &Workshop,
    me: &Participant,
    card: CardId,
    room: RoomId,
    column: &str,
    text: &str,
) -> Result<Vec<Event>, DomainError> {
    state.room(room)?;
    require_in_room(me, room)?;
    let settings = state.settings()?;
    if !settings.columns.iter().any(|c| c.key == column) {
        return Err(DomainError::Invalid(format!(
            "no column {column:?}; this workshop's columns are {:?}",
            settings.columns.iter().map(|c| &c.key).collect::<Vec<_>>()
        )));
    }
    let text = clean_text("text", text, limits::CARD_TEXT_MAX)?;
    phase::check(state.room(room)?, me, BoardAction::Write)?;
    if state.cards.contains_key(&card) {
        return Err(DomainError::Invalid("that card id is already used".into()));
    }
    if state.cards_per_room.get(&room).copied().unwrap_or(0) >= limits::CARDS_PER_ROOM_MAX {
        return Err(DomainError::TooLarge(format!(
            "a room's board holds at most {} cards",
            limits::CARDS_PER_ROOM_MAX
        )));
    }
    Ok(vec![Event::CardPosted {
        card,
        room,
        column: column.to_string(),
        text,
        author: me.id,
    }])
}

/// Finds the card and checks the participant may change it.
fn changeable<'a>(
    state: &'a Workshop,
    me: &Participant,
    card: CardId,
) -> Result<&'a super::Card, DomainError> {
    let c = visible_card(state, me, card)?;
    if !me.role.is_staff() && c.author != me.id {
        return Err(DomainError::Forbidden(
            "delegates can only change their own cards".into(),
        ));
    }
    phase::check(state.room(c.room)?, me, BoardAction::Write)?;
    Ok(c)
}

pub(super) fn edit_card(
    state: &Workshop,
    me: &Participant,
    card: CardId,
    text: &str,
) -> Result<Vec<Event>, DomainError> {
    let c = changeable(state, me, card)?;
    let text = clean_text("text", text, limits::CARD_TEXT_MAX)?;
    if text == c.text {
        return Ok(vec![]);
    }
    Ok(vec![Event::CardEdited {
        card,
        room: c.room,
        text,
        by: me.id,
    }])
}

pub(super) fn delete_card(
    state: &Workshop,
    me: &Participant,
    card: CardId,
) -> Result<Vec<Event>, DomainError> {
    let c = changeable(state, me, card)?;
    if state.conclusions.iter().any(|k| k.cards.contains(&card)) {
        return Err(DomainError::Invalid(
            "a conclusion cites this card: hide it instead of deleting it".into(),
        ));
    }
    Ok(vec![Event::CardDeleted { card, room: c.room }])
}

/// Moderation: a facilitator takes a card off delegates' boards, or puts it back.
pub(super) fn set_hidden(
    state: &Workshop,
    me: &Participant,
    card: CardId,
    hidden: bool,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "hide or show cards")?;
    let c = state.card(card)?;
    phase::check(state.room(c.room)?, me, BoardAction::Curate)?;
    if c.hidden == hidden {
        return Ok(vec![]);
    }
    let (card, room, by) = (c.id, c.room, me.id);
    Ok(vec![if hidden {
        Event::CardHidden { card, room, by }
    } else {
        Event::CardShown { card, room, by }
    }])
}
