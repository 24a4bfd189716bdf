//! The roster: the people the organizer expects, registered before the workshop.
//!
//! Each roster person has the id they will have as a participant (chosen when they are
//! added), so "has joined" is simply "is a participant". Their personal link is a secret
//! token kept only as a hash (`link_hash`); joining with it (`JoinFromRoster`, issued by the
//! server after it matched the link) makes them a participant with the roster's name,
//! country and role, and places them in their preferred room. The shared join codes stay
//! for walk-ins unless the organizer turns them off (`SetSharedCodes`).
//!
//! Roster changes are events of the workshop's log, seen by staff only; an import is one
//! event, so a roster is never half imported. Rows are checked one by one and every
//! problem is reported with its row (`RowError`).

mod rows;

pub use rows::{check_row, parse_table, RawRow, RowError};

use super::{DomainError, Event, Participant, ParticipantId, Place, Role, RoomId, Workshop};
use rows::{row_error, too_many};
use serde::{Deserialize, Serialize};

/// Most people a roster holds.
pub const ROSTER_MAX: usize = 1000;
/// Most characters of an e-mail address.
pub const EMAIL_MAX: usize = 254;

/// One person of the roster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterPerson {
    /// The participant id they get when they join with their personal link.
    pub id: ParticipantId,
    pub name: String,
    /// ISO 3166-1 alpha-2; delegates always have one.
    pub country: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// `delegate` or `facilitator`.
    pub role: Role,
    /// Their preferred room: where they are placed when they arrive.
    #[serde(default)]
    pub room: Option<RoomId>,
    /// The head of their country's delegation.
    #[serde(default)]
    pub head: bool,
    /// SHA-256 of the personal link's token (`None`: no link yet, or revoked).
    #[serde(default)]
    pub link_hash: Option<String>,
    /// The last link was revoked (and none issued since).
    #[serde(default)]
    pub link_revoked: bool,
}

/// The roster of a workshop.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    pub people: Vec<RosterPerson>,
    /// The organizer turned the shared join codes off: only personal links let people in.
    pub codes_off: bool,
}

impl Roster {
    pub fn person(&self, id: ParticipantId) -> Result<&RosterPerson, DomainError> {
        self.people
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| DomainError::NotFound(format!("no person {id} on this roster")))
    }

    /// The person a personal link (by its hash) belongs to, revoked links included.
    pub fn by_link(&self, link_hash: &str) -> Option<&RosterPerson> {
        self.people
            .iter()
            .find(|p| p.link_hash.as_deref() == Some(link_hash))
    }
}

/// Two roster entries are the same person when they share an e-mail address, or a name
/// (case and spacing aside) and a country.
fn same_person(a: &RosterPerson, b: &RosterPerson) -> bool {
    let fold = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let email = match (&a.email, &b.email) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        _ => false,
    };
    email || (fold(&a.name) == fold(&b.name) && a.country == b.country)
}

/// Checks people about to be added against each other, the roster and its size. `rows`
/// gives each one's row number for the errors.
pub fn check_additions(
    state: &Workshop,
    people: &[(usize, RosterPerson)],
) -> Result<(), Vec<RowError>> {
    if state.roster.people.len() + people.len() > ROSTER_MAX {
        return Err(vec![too_many()]);
    }
    let mut errors = Vec::new();
    for (i, (row, person)) in people.iter().enumerate() {
        let earlier = people[..i].iter().find(|(_, p)| same_person(p, person));
        if let Some((first, _)) = earlier {
            errors.push(row_error(
                *row,
                None,
                "duplicate",
                format!("{} is already on row {first}", person.name),
            ));
        } else if state.roster.people.iter().any(|p| same_person(p, person)) {
            errors.push(row_error(
                *row,
                None,
                "duplicate",
                format!("{} is already on the roster", person.name),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn require_organizer(me: &Participant) -> Result<(), DomainError> {
    if me.role == Role::Organizer {
        Ok(())
    } else {
        Err(DomainError::Forbidden(
            "only the organizer manages the roster".into(),
        ))
    }
}

fn first_error(errors: Vec<RowError>) -> DomainError {
    let message = errors
        .iter()
        .map(|e| format!("row {}: {}", e.row, e.message))
        .collect::<Vec<_>>()
        .join("; ");
    if errors.iter().any(|e| e.error == "too_many_rows") {
        DomainError::TooLarge(message)
    } else {
        DomainError::Invalid(message)
    }
}

/// Adds people (all or none), each with a personal link's hash.
pub(super) fn import(
    state: &Workshop,
    me: &Participant,
    people: &[RosterPerson],
) -> Result<Vec<Event>, DomainError> {
    require_organizer(me)?;
    if people.is_empty() {
        return Err(DomainError::Invalid("the roster has nobody to add".into()));
    }
    let mut checked = Vec::with_capacity(people.len());
    let mut errors = Vec::new();
    for (i, p) in people.iter().enumerate() {
        let raw = RawRow {
            row: i + 1,
            name: p.name.clone(),
            country: p.country.clone().unwrap_or_default(),
            email: p.email.clone().unwrap_or_default(),
            role: match p.role {
                Role::Delegate => "delegate".into(),
                Role::Facilitator => "facilitator".into(),
                Role::Organizer => "organizer".into(),
            },
            room: p.room.map(|r| r.to_string()).unwrap_or_default(),
            head: if p.head { "yes" } else { "no" }.into(),
        };
        match check_row(state, &raw, p.id) {
            Ok(mut person) => {
                person.link_hash.clone_from(&p.link_hash);
                checked.push((i + 1, person));
            }
            Err(e) => errors.extend(e),
        }
        if state.participants.contains_key(&p.id) || state.roster.person(p.id).is_ok() {
            return Err(DomainError::Invalid(
                "that person id is already used".into(),
            ));
        }
        let hex = |h: &str| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit());
        if p.link_hash.as_deref().is_some_and(|h| !hex(h)) {
            return Err(DomainError::Invalid(
                "a link hash is 64 hex characters".into(),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(first_error(errors));
    }
    check_additions(state, &checked).map_err(first_error)?;
    Ok(vec![Event::RosterAdded {
        people: checked.into_iter().map(|(_, p)| p).collect(),
    }])
}

/// A new personal link for `person`: the one before stops working.
pub(super) fn issue_link(
    state: &Workshop,
    me: &Participant,
    person: ParticipantId,
    link_hash: &str,
) -> Result<Vec<Event>, DomainError> {
    require_organizer(me)?;
    state.roster.person(person)?;
    Ok(vec![Event::RosterLinkIssued {
        person,
        link_hash: link_hash.to_string(),
    }])
}

/// Revokes `person`'s personal link. Whoever already joined with it stays (remove them
/// with `remove_participant`); their cards stay either way.
pub(super) fn revoke_link(
    state: &Workshop,
    me: &Participant,
    person: ParticipantId,
) -> Result<Vec<Event>, DomainError> {
    require_organizer(me)?;
    let p = state.roster.person(person)?;
    if p.link_revoked || p.link_hash.is_none() {
        return Ok(vec![]);
    }
    Ok(vec![Event::RosterLinkRevoked { person }])
}

/// Turns the shared join codes on or off (personal links work either way).
pub(super) fn set_shared_codes(
    state: &Workshop,
    me: &Participant,
    open: bool,
) -> Result<Vec<Event>, DomainError> {
    require_organizer(me)?;
    if state.roster.codes_off != open {
        return Ok(vec![]);
    }
    Ok(vec![Event::SharedCodesSet { open }])
}

/// Joining with a shared code: refused when the organizer turned the codes off.
pub(super) fn codes_open(state: &Workshop) -> Result<(), DomainError> {
    if state.roster.codes_off {
        return Err(DomainError::Closed(
            "this workshop admits only the people on its roster, with their personal links".into(),
        ));
    }
    Ok(())
}

/// `person` arrives with their personal link (already matched by the server): they join
/// as the roster says, and go to their preferred room if they have one.
pub(super) fn join(
    state: &Workshop,
    person: ParticipantId,
    language: &str,
) -> Result<Vec<Event>, DomainError> {
    let p = state.roster.person(person)?;
    if p.link_revoked || p.link_hash.is_none() {
        return Err(DomainError::Forbidden(
            "this personal link was revoked; ask the organizer for a new one".into(),
        ));
    }
    let mut events =
        super::rooms::join(state, p.id, &p.name, p.country.as_deref(), language, p.role)?;
    let preferred = p.room.filter(|r| state.live_room(*r).is_ok());
    if let Some(room) = preferred {
        events.retain(|e| !matches!(e, Event::ParticipantMoved { .. }));
        events.push(Event::ParticipantMoved {
            participant: p.id,
            from: Place::Lobby,
            room: Place::Room(room),
        });
    }
    Ok(events)
}

impl Workshop {
    /// Folds a roster event into the state.
    pub(super) fn apply_roster(&mut self, event: &Event) {
        let roster = &mut self.roster;
        match event {
            Event::RosterAdded { people } => roster.people.extend(people.iter().cloned()),
            Event::RosterLinkIssued { person, link_hash } => {
                if let Some(p) = roster.people.iter_mut().find(|p| p.id == *person) {
                    p.link_hash = Some(link_hash.clone());
                    p.link_revoked = false;
                }
            }
            Event::RosterLinkRevoked { person } => {
                if let Some(p) = roster.people.iter_mut().find(|p| p.id == *person) {
                    p.link_revoked = true;
                }
            }
            Event::SharedCodesSet { open } => roster.codes_off = !*open,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
