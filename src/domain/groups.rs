//! Grouping similar cards within a room, tagging cards and groups with themes, and the
//! organizer's list of themes.
//!
//! Facilitators group in any phase but `closed`; delegates only when the workshop allows it
//! (`delegates_can_group`), on their own room, in the phases `phase.rs` allows. Tagging is a
//! facilitator's job. A group's votes are the sum of its cards' votes, derived, never stored.

use super::board::visible_card;
use super::phase::{self, BoardAction};
use super::settings::{clean_text, limits, validated_themes};
use super::{
    require_staff, CardId, DomainError, Event, Group, GroupId, Participant, Role, RoomId, Theme,
    Workshop,
};

/// Checks `me` may regroup cards in `room`.
fn may_group(state: &Workshop, me: &Participant, room: RoomId) -> Result<(), DomainError> {
    if !me.role.is_staff() && !state.settings()?.delegates_can_group {
        return Err(DomainError::Forbidden(
            "only facilitators group cards in this workshop".into(),
        ));
    }
    super::board::require_in_room(me, room)?;
    let r = state.room(room)?;
    phase::check(r, me, BoardAction::Group)?;
    if r.hidden && !me.role.is_staff() {
        return Err(DomainError::Forbidden(
            "in a hidden brainstorm, grouping waits for the reveal".into(),
        ));
    }
    Ok(())
}

fn group_in<'a>(
    state: &'a Workshop,
    me: &Participant,
    group: GroupId,
) -> Result<&'a Group, DomainError> {
    let g = state.group(group)?;
    may_group(state, me, g.room)?;
    Ok(g)
}

fn check_theme(state: &Workshop, theme: Option<&str>) -> Result<(), DomainError> {
    match theme {
        None => Ok(()),
        Some(t) if state.settings()?.themes.iter().any(|k| k.key == t) => Ok(()),
        Some(t) => Err(DomainError::Invalid(format!(
            "no theme {t:?} in this workshop"
        ))),
    }
}

pub(super) fn group_cards(
    state: &Workshop,
    me: &Participant,
    group: GroupId,
    cards: &[CardId],
    name: &str,
) -> Result<Vec<Event>, DomainError> {
    let name = clean_text("name", name, limits::ROOM_NAME_MAX)?;
    let Some(first) = cards.first() else {
        return Err(DomainError::Invalid(
            "`cards` must name at least one card".into(),
        ));
    };
    if cards.len() > limits::CARDS_PER_COMMAND_MAX {
        return Err(DomainError::TooLarge(format!(
            "a group is made of at most {} cards at once",
            limits::CARDS_PER_COMMAND_MAX
        )));
    }
    let room = visible_card(state, me, *first)?.room;
    may_group(state, me, room)?;
    let mut unique = Vec::with_capacity(cards.len());
    for card in cards {
        if visible_card(state, me, *card)?.room != room {
            return Err(DomainError::Invalid(
                "a group holds cards of one room only".into(),
            ));
        }
        if !unique.contains(card) {
            unique.push(*card);
        }
    }
    if state.groups.contains_key(&group) {
        return Err(DomainError::Invalid("that group id is already used".into()));
    }
    if state.groups.values().filter(|g| g.room == room).count() >= limits::GROUPS_PER_ROOM_MAX {
        return Err(DomainError::TooLarge(format!(
            "a room holds at most {} groups",
            limits::GROUPS_PER_ROOM_MAX
        )));
    }
    Ok(vec![Event::GroupCreated {
        group,
        room,
        name,
        cards: unique,
    }])
}

pub(super) fn move_card(
    state: &Workshop,
    me: &Participant,
    card: CardId,
    group: Option<GroupId>,
) -> Result<Vec<Event>, DomainError> {
    let c = visible_card(state, me, card)?;
    may_group(state, me, c.room)?;
    if let Some(g) = group {
        if state.group(g)?.room != c.room {
            return Err(DomainError::Invalid(
                "a card joins only a group of its own room".into(),
            ));
        }
    }
    if c.group == group {
        return Ok(vec![]);
    }
    Ok(vec![Event::CardRegrouped {
        card,
        room: c.room,
        group,
    }])
}

pub(super) fn merge(
    state: &Workshop,
    me: &Participant,
    group: GroupId,
    into: GroupId,
) -> Result<Vec<Event>, DomainError> {
    let from = group_in(state, me, group)?;
    let target = state.group(into)?;
    if from.id == target.id {
        return Err(DomainError::Invalid(
            "a group cannot merge into itself".into(),
        ));
    }
    if from.room != target.room {
        return Err(DomainError::Invalid(
            "only groups of the same room can merge".into(),
        ));
    }
    Ok(vec![Event::GroupsMerged {
        room: from.room,
        group,
        into,
    }])
}

pub(super) fn ungroup(
    state: &Workshop,
    me: &Participant,
    group: GroupId,
) -> Result<Vec<Event>, DomainError> {
    let g = group_in(state, me, group)?;
    Ok(vec![Event::GroupDissolved {
        room: g.room,
        group,
    }])
}

pub(super) fn rename(
    state: &Workshop,
    me: &Participant,
    group: GroupId,
    name: &str,
) -> Result<Vec<Event>, DomainError> {
    let g = group_in(state, me, group)?;
    let name = clean_text("name", name, limits::ROOM_NAME_MAX)?;
    if name == g.name {
        return Ok(vec![]);
    }
    Ok(vec![Event::GroupRenamed {
        room: g.room,
        group,
        name,
    }])
}

pub(super) fn tag_card(
    state: &Workshop,
    me: &Participant,
    card: CardId,
    theme: Option<&str>,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "tag cards with themes")?;
    let c = state.card(card)?;
    phase::check(state.room(c.room)?, me, BoardAction::Curate)?;
    check_theme(state, theme)?;
    if c.theme.as_deref() == theme {
        return Ok(vec![]);
    }
    Ok(vec![Event::CardTagged {
        card,
        room: c.room,
        theme: theme.map(str::to_string),
    }])
}

pub(super) fn tag_group(
    state: &Workshop,
    me: &Participant,
    group: GroupId,
    theme: Option<&str>,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "tag groups with themes")?;
    let g = state.group(group)?;
    phase::check(state.room(g.room)?, me, BoardAction::Curate)?;
    check_theme(state, theme)?;
    if g.theme.as_deref() == theme {
        return Ok(vec![]);
    }
    Ok(vec![Event::GroupTagged {
        group,
        room: g.room,
        theme: theme.map(str::to_string),
    }])
}

pub(super) fn set_themes(
    state: &Workshop,
    me: &Participant,
    themes: &[Theme],
) -> Result<Vec<Event>, DomainError> {
    if me.role != Role::Organizer {
        return Err(DomainError::Forbidden(
            "only the organizer edits the list of themes".into(),
        ));
    }
    let themes = validated_themes(themes.to_vec())?;
    if let Some(c) = state
        .conclusions
        .iter()
        .find(|c| !themes.iter().any(|t| t.key == c.theme))
    {
        return Err(DomainError::Invalid(format!(
            "conclusions are written under theme {:?}: move or remove them first",
            c.theme
        )));
    }
    Ok(vec![Event::ThemesSet { themes }])
}
