//! Rules of joining and of rooms: who may join, who is placed where, which rooms are open.
//!
//! Joiners wait in the lobby; only facilitators (and the organizer) move people and open or
//! close rooms. A participant is always in exactly one place: the lobby or one room.

use super::names::{clean_country, clean_name};
use super::settings::{check_language, clean_text, limits};
use super::{
    require_staff, DomainError, Event, Participant, ParticipantId, Phase, Place, Role, RoomId,
    Workshop,
};

pub(super) fn join(
    state: &Workshop,
    participant: ParticipantId,
    name: &str,
    country: Option<&str>,
    language: &str,
    role: Role,
) -> Result<Vec<Event>, DomainError> {
    let settings = state.settings()?;
    if role == Role::Organizer {
        return Err(DomainError::Invalid(
            "a workshop has one organizer, created with it".into(),
        ));
    }
    if state.session.joining_locked {
        return Err(DomainError::Closed(
            "joining this workshop is locked; ask a facilitator".into(),
        ));
    }
    let name = clean_name(name, role)?;
    let country = match (country.map(str::trim).filter(|c| !c.is_empty()), role) {
        (Some(c), _) => Some(clean_country(c)?),
        (None, Role::Delegate) => {
            return Err(DomainError::Invalid(
                "`country` is required for delegates".into(),
            ))
        }
        (None, _) => None,
    };
    check_language("language", language)?;
    if !settings.languages.iter().any(|l| l == language) {
        return Err(DomainError::Invalid(format!(
            "`language` must be one of this workshop's languages {:?}",
            settings.languages
        )));
    }
    // Removed participants do not count: removing the people a leaked code let in frees
    // their places. The record of everyone who ever joined is bounded apart.
    let active = state.participants.values().filter(|p| !p.removed).count();
    if active >= limits::PARTICIPANTS_MAX {
        return Err(DomainError::TooLarge(format!(
            "a workshop holds at most {} participants",
            limits::PARTICIPANTS_MAX
        )));
    }
    if state.participants.len() >= limits::PARTICIPANTS_EVER_MAX {
        return Err(DomainError::TooLarge(format!(
            "a workshop records at most {} participants, removed ones included",
            limits::PARTICIPANTS_EVER_MAX
        )));
    }
    if state.participants.contains_key(&participant) {
        return Err(DomainError::Invalid(
            "that participant id is already used".into(),
        ));
    }
    let late_room = match role {
        Role::Delegate => super::assignment::place_late_joiner(
            state,
            state.session.late_joiners,
            country.as_deref(),
        ),
        _ => None,
    };
    let mut events = vec![Event::ParticipantJoined {
        participant: Participant {
            id: participant,
            name,
            country,
            language: language.to_string(),
            role,
            room: Place::Lobby,
            removed: false,
        },
    }];
    if let Some(room) = late_room {
        events.push(Event::ParticipantMoved {
            participant,
            from: Place::Lobby,
            room: Place::Room(room),
        });
    }
    Ok(events)
}

pub(super) fn move_participant(
    state: &Workshop,
    me: &Participant,
    participant: ParticipantId,
    to: Place,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "move participants")?;
    let p = state.participant(participant)?;
    if let Place::Room(room) = to {
        let r = state.live_room(room)?;
        let full = r.capacity.is_some_and(|c| {
            state
                .participants
                .values()
                .filter(|q| q.room == to && q.role == Role::Delegate && !q.removed)
                .count()
                >= c as usize
        });
        if full && p.role == Role::Delegate && p.room != to {
            return Err(DomainError::Invalid(format!(
                "room {:?} is full ({} delegates)",
                r.name,
                r.capacity.unwrap_or(0)
            )));
        }
    }
    if p.removed {
        return Err(DomainError::Invalid("that participant was removed".into()));
    }
    if p.role == Role::Organizer {
        return Err(DomainError::Invalid(
            "the organizer oversees every room and is not placed in one".into(),
        ));
    }
    if p.room == to {
        return Ok(vec![]);
    }
    Ok(vec![Event::ParticipantMoved {
        participant,
        from: p.room,
        room: to,
    }])
}

pub(super) fn set_room_open(
    state: &Workshop,
    me: &Participant,
    room: RoomId,
    open: bool,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, if open { "open rooms" } else { "close rooms" })?;
    if state.live_room(room)?.open == open {
        return Ok(vec![]);
    }
    Ok(vec![if open {
        Event::RoomOpened { room }
    } else {
        Event::RoomClosed { room }
    }])
}

/// Sets the phase of one room, or of every room (`room: None`).
pub(super) fn set_phase(
    state: &Workshop,
    me: &Participant,
    room: Option<RoomId>,
    phase: Phase,
    hidden: bool,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "set phases")?;
    if hidden && phase != Phase::Brainstorm {
        return Err(DomainError::Invalid(
            "`hidden` goes only with the brainstorm phase".into(),
        ));
    }
    let targets: Vec<&super::Room> = match room {
        Some(id) => vec![state.live_room(id)?],
        None => state.rooms.iter().filter(|r| !r.removed).collect(),
    };
    Ok(targets
        .into_iter()
        .filter(|r| r.phase != phase || r.hidden != hidden)
        .map(|r| Event::PhaseSet {
            room: r.id,
            phase,
            hidden,
            from: r.phase,
            was_hidden: r.hidden,
        })
        .collect())
}

pub(super) fn create_room(
    state: &Workshop,
    me: &Participant,
    room: RoomId,
    name: &str,
    capacity: Option<u32>,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "create rooms")?;
    let name = clean_text("name", name, limits::ROOM_NAME_MAX)?;
    check_capacity(capacity)?;
    if state.rooms.len() >= limits::ROOMS_MAX {
        return Err(DomainError::TooLarge(format!(
            "a workshop has at most {} rooms",
            limits::ROOMS_MAX
        )));
    }
    if state.rooms.iter().any(|r| r.id == room) {
        return Err(DomainError::Invalid("that room id is already used".into()));
    }
    Ok(vec![Event::RoomCreated {
        room: super::Room {
            id: room,
            name,
            open: true,
            phase: Phase::default(),
            hidden: false,
            capacity,
            removed: false,
        },
    }])
}

fn check_capacity(capacity: Option<u32>) -> Result<(), DomainError> {
    if capacity.is_some_and(|c| c == 0 || c as usize > limits::PARTICIPANTS_MAX) {
        return Err(DomainError::Invalid(format!(
            "`capacity` must be 1-{}",
            limits::PARTICIPANTS_MAX
        )));
    }
    Ok(())
}

pub(super) fn rename_room(
    state: &Workshop,
    me: &Participant,
    room: RoomId,
    name: &str,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "rename rooms")?;
    let r = state.live_room(room)?;
    let name = clean_text("name", name, limits::ROOM_NAME_MAX)?;
    if r.name == name {
        return Ok(vec![]);
    }
    Ok(vec![Event::RoomRenamed { room, name }])
}

pub(super) fn set_capacity(
    state: &Workshop,
    me: &Participant,
    room: RoomId,
    capacity: Option<u32>,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "set room capacities")?;
    let r = state.live_room(room)?;
    check_capacity(capacity)?;
    if r.capacity == capacity {
        return Ok(vec![]);
    }
    Ok(vec![Event::RoomCapacitySet { room, capacity }])
}

/// Removes a room from use: its members go to the lobby; its board stays in the record.
pub(super) fn remove_room(
    state: &Workshop,
    me: &Participant,
    room: RoomId,
) -> Result<Vec<Event>, DomainError> {
    require_staff(me, "remove rooms")?;
    state.live_room(room)?;
    if state.rooms.iter().filter(|r| !r.removed).count() == 1 {
        return Err(DomainError::Invalid(
            "a workshop keeps at least one room".into(),
        ));
    }
    let moves = state
        .participants
        .values()
        .filter(|p| p.room == Place::Room(room))
        .map(|p| super::assignment::Move {
            participant: p.id,
            from: p.room,
            room: Place::Lobby,
        })
        .collect();
    Ok(vec![Event::RoomRemoved { room, moves }])
}
