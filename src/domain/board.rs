//! Rules of a room's board: who may post, edit and delete cards, and when.
//!
//! A delegate acts only on the board of the room they are in, and only on their own cards;
//! facilitators and the organizer act on any board. A closed room's board is read-only.

use super::settings::{clean_text, limits};
use super::{CardId, DomainError, Event, Participant, Place, RoomId, Workshop};

/// A delegate may touch a room's board only while they are in it.
fn require_in_room(me: &Participant, room: RoomId) -> Result<(), DomainError> {
    if me.role.is_staff() || me.room == Place::Room(room) {
        Ok(())
    } else {
        Err(DomainError::Forbidden(
            "you can only act on the board of the room you are in".into(),
        ))
    }
}

fn require_open(state: &Workshop, room: RoomId) -> Result<(), DomainError> {
    if state.room(room)?.open {
        Ok(())
    } else {
        Err(DomainError::Closed(
            "this room is closed: its board is read-only".into(),
        ))
    }
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
    require_open(state, room)?;
    if state.cards.contains_key(&card) {
        return Err(DomainError::Invalid("that card id is already used".into()));
    }
    if state.cards.values().filter(|c| c.room == room).count() >= limits::CARDS_PER_ROOM_MAX {
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
    let c = state.card(card)?;
    require_in_room(me, c.room)?;
    if !me.role.is_staff() && c.author != me.id {
        return Err(DomainError::Forbidden(
            "delegates can only change their own cards".into(),
        ));
    }
    require_open(state, c.room)?;
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
    }])
}

pub(super) fn delete_card(
    state: &Workshop,
    me: &Participant,
    card: CardId,
) -> Result<Vec<Event>, DomainError> {
    let c = changeable(state, me, card)?;
    Ok(vec![Event::CardDeleted { card, room: c.room }])
}
