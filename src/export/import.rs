//! Reading a JSON record back (`cabildo import`): the events that rebuild the workshop.
//!
//! The events are those a real workshop would have logged, in an order that satisfies
//! every rule: the workshop and its organizer (`Workshop::create`), joins, placements,
//! posts, the moderation audit in its order, groups, tags, votes, conclusions, and last
//! the phases and closed rooms. Wherever a command exists for a step it goes through
//! `decide`, issued by the organizer, and only who-did-it fields the organizer cannot
//! claim (a card's author, an edit's `by`) are set from the record; votes, which only
//! delegates can cast in a vote phase, and empty groups are written as events directly.
//!
//! Then the events are folded into a fresh state and that state's record must equal the
//! file: anything the events cannot reproduce (a derived field edited by hand, an
//! impossible history) is refused rather than imported differently.

use super::history::{self, is_history};
use super::json::{self, Record, SCHEMA_VERSION};
use crate::domain::settings::{clean_text, limits};
use crate::domain::{
    decide, Actor, CardId, Command, ConclusionStatus, Event, GroupId, ParticipantId, Phase, Place,
    RevisionAction, Role, Workshop, WorkshopId,
};
use std::collections::{HashMap, HashSet};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("not a Cabildo workshop record: {0}")]
    Unreadable(String),
    #[error("schema_version {0} is not supported; this version of Cabildo reads {SCHEMA_VERSION}")]
    Version(u64),
    #[error("the record is inconsistent: {0}")]
    Invalid(String),
}

/// What an import produces: the events to store, and the state they fold into.
pub struct Imported {
    pub workshop: WorkshopId,
    pub organizer: ParticipantId,
    pub events: Vec<Event>,
    /// Beside each of `events`: when it happened and who caused it, for the events of the
    /// record's history (`history.rs`); `None` for the events the import itself makes,
    /// which are stored with the import's time and no actor.
    pub logged: Vec<Option<(i64, Option<ParticipantId>)>>,
    pub state: Workshop,
}

/// Parses a record, checking its schema version first so an old or newer file gets a
/// clear answer rather than a field-by-field complaint.
pub fn parse(bytes: &[u8]) -> Result<Record, ImportError> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| ImportError::Unreadable(e.to_string()))?;
    match value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
    {
        Some(v) if v == u64::from(SCHEMA_VERSION) => {}
        Some(v) => return Err(ImportError::Version(v)),
        None => return Err(ImportError::Unreadable("no `schema_version` field".into())),
    }
    serde_json::from_value(value).map_err(|e| ImportError::Unreadable(e.to_string()))
}

fn invalid(what: impl Into<String>) -> ImportError {
    ImportError::Invalid(what.into())
}

/// Folds events into the state as they are produced.
struct Builder {
    state: Workshop,
    events: Vec<Event>,
    logged: Vec<Option<(i64, Option<ParticipantId>)>>,
    organizer: ParticipantId,
    /// The record carries its history: the history's events are written as recorded, and
    /// the events of those kinds that the rebuilding steps would make are left out.
    with_history: bool,
}

impl Builder {
    fn push(&mut self, events: Vec<Event>) {
        for event in events {
            if self.with_history && is_history(&event) {
                continue;
            }
            self.state.apply(self.state.seq + 1, &event);
            self.events.push(event);
            self.logged.push(None);
        }
    }

    /// Decides `command` as the organizer; `what` names the step in errors.
    fn decide(&self, command: &Command, what: &str) -> Result<Vec<Event>, ImportError> {
        decide(&self.state, Actor::Participant(self.organizer), command)
            .map_err(|e| invalid(format!("{what}: {e}")))
    }

    fn participant(&self, id: ParticipantId, what: &str) -> Result<(), ImportError> {
        if self.state.participants.contains_key(&id) {
            Ok(())
        } else {
            Err(invalid(format!("{what}: no participant {id}")))
        }
    }
}

/// The events that rebuild the workshop of `record`, checked to reproduce it exactly.
pub fn events(record: &Record) -> Result<Imported, ImportError> {
    let id = record.workshop.id;
    let organizers: Vec<_> = record
        .participants
        .iter()
        .filter(|p| p.role == Role::Organizer)
        .collect();
    let [organizer] = organizers.as_slice() else {
        return Err(invalid(format!(
            "a workshop has exactly one organizer; this record has {}",
            organizers.len()
        )));
    };
    let created = Workshop::create(
        id,
        record.workshop.settings.clone(),
        record.rooms.iter().map(|r| r.name.clone()).collect(),
        record.rooms.iter().map(|r| r.id),
        organizer.id,
    )
    .map_err(|e| invalid(format!("workshop: {e}")))?;
    let mut b = Builder {
        state: Workshop::empty(id),
        events: Vec::new(),
        logged: Vec::new(),
        organizer: organizer.id,
        with_history: record.history.is_some(),
    };
    b.push(created);
    // The roster first: joined roster people are participants with the roster's ids.
    if !record.roster.people.is_empty() {
        let people = record
            .roster
            .people
            .iter()
            .map(|p| crate::domain::roster::RosterPerson {
                id: p.id,
                name: p.name.clone(),
                country: p.country.clone(),
                email: p.email.clone(),
                role: p.role,
                room: p.room,
                head: p.head,
                link_hash: None,
                link_revoked: false,
            })
            .collect();
        let events = b.decide(&Command::ImportRoster { people }, "roster")?;
        b.push(events);
    }

    for p in record.participants.iter().filter(|p| p.id != organizer.id) {
        let command = Command::Join {
            participant: p.id,
            name: p.name.clone(),
            country: p.country.clone(),
            language: p.language.clone(),
            role: p.role,
        };
        let events = decide(&b.state, Actor::Server, &command)
            .map_err(|e| invalid(format!("participant {}: {e}", p.id)))?;
        b.push(events);
    }
    // Without a history, everyone is placed where they are now, by way of the breakout
    // room they were last in when that is another one (where a `rooms` segment of the
    // agenda sends them back); with a history, its moves do both.
    let last_rooms = last_rooms(record)?;
    let with_history = b.with_history;
    for p in record.participants.iter().filter(|_| !with_history) {
        let mut stops = Vec::new();
        if let Some(room) = last_rooms.get(&p.id).map(|r| Place::Room(*r)) {
            if room != p.room {
                stops.push(room);
            }
        }
        if p.room != Place::Lobby || !stops.is_empty() {
            stops.push(p.room);
        }
        for to in stops {
            let command = Command::MoveParticipant {
                participant: p.id,
                to,
            };
            let events = b.decide(&command, &format!("participant {}", p.id))?;
            b.push(events);
        }
    }

    // Cards, as first posted: the text before the first edit, if any.
    let mut texts: HashMap<CardId, Vec<String>> = HashMap::new();
    for c in &record.cards {
        let what = format!("card {}", c.id);
        b.participant(c.author, &what)?;
        let mut versions = Vec::new();
        for r in c
            .history
            .iter()
            .filter(|r| r.action == RevisionAction::Edited)
        {
            versions.push(
                r.previous_text
                    .clone()
                    .ok_or_else(|| invalid(format!("{what}: an edit without `previous_text`")))?,
            );
        }
        versions.push(c.text.clone());
        let mut events = b.decide(
            &Command::PostCard {
                card: c.id,
                room: c.room,
                column: c.column.clone(),
                text: versions[0].clone(),
            },
            &what,
        )?;
        for e in &mut events {
            if let Event::CardPosted { author, .. } = e {
                *author = c.author;
            }
        }
        b.push(events);
        texts.insert(c.id, versions);
    }

    // The moderation audit, in its order.
    let mut edits: HashMap<CardId, usize> = HashMap::new();
    for (n, m) in record.moderation.iter().enumerate() {
        let what = format!("moderation entry {}", n + 1);
        b.participant(m.by, &what)?;
        let command = match m.action {
            RevisionAction::Edited => {
                let k = edits.entry(m.card).or_insert(0);
                *k += 1;
                let text = texts.get(&m.card).and_then(|v| v.get(*k)).ok_or_else(|| {
                    invalid(format!("{what}: more edits than card {} records", m.card))
                })?;
                Command::EditCard {
                    card: m.card,
                    text: text.clone(),
                }
            }
            RevisionAction::Hidden => Command::HideCard { card: m.card },
            RevisionAction::Shown => Command::ShowCard { card: m.card },
        };
        let mut events = b.decide(&command, &what)?;
        if events.is_empty() {
            return Err(invalid(format!("{what} changes nothing")));
        }
        for e in &mut events {
            match e {
                Event::CardEdited { by, .. }
                | Event::CardHidden { by, .. }
                | Event::CardShown { by, .. } => *by = m.by,
                _ => {}
            }
        }
        b.push(events);
    }

    // Groups (possibly empty, which no command creates), then theme tags.
    let mut group_ids: HashSet<GroupId> = HashSet::new();
    for g in &record.groups {
        let what = format!("group {}", g.id);
        b.state
            .room(g.room)
            .map_err(|e| invalid(format!("{what}: {e}")))?;
        let name = clean_text("name", &g.name, limits::ROOM_NAME_MAX)
            .map_err(|e| invalid(format!("{what}: {e}")))?;
        if !group_ids.insert(g.id) {
            return Err(invalid(format!("{what} appears twice")));
        }
        if b.state.groups.values().filter(|x| x.room == g.room).count()
            >= limits::GROUPS_PER_ROOM_MAX
        {
            return Err(invalid(format!("{what}: too many groups in its room")));
        }
        let cards: Vec<CardId> = record
            .cards
            .iter()
            .filter(|c| c.group == Some(g.id))
            .map(|c| c.id)
            .collect();
        if let Some(c) = record
            .cards
            .iter()
            .find(|c| c.group == Some(g.id) && c.room != g.room)
        {
            return Err(invalid(format!(
                "card {} is in a group of another room",
                c.id
            )));
        }
        b.push(vec![Event::GroupCreated {
            group: g.id,
            room: g.room,
            name,
            cards,
        }]);
        if g.theme.is_some() {
            let events = b.decide(
                &Command::TagGroup {
                    group: g.id,
                    theme: g.theme.clone(),
                },
                &what,
            )?;
            b.push(events);
        }
    }
    if let Some(c) = record
        .cards
        .iter()
        .find(|c| c.group.is_some_and(|g| !group_ids.contains(&g)))
    {
        return Err(invalid(format!(
            "card {} is in a group that does not exist",
            c.id
        )));
    }
    for c in record.cards.iter().filter(|c| c.theme.is_some()) {
        let events = b.decide(
            &Command::TagCard {
                card: c.id,
                theme: c.theme.clone(),
            },
            &format!("card {}", c.id),
        )?;
        b.push(events);
    }

    // Votes: only delegates cast them, during a vote phase; the record says who did.
    for v in &record.votes {
        let what = format!("votes of {} on card {}", v.participant, v.card);
        b.participant(v.participant, &what)?;
        let room = b
            .state
            .card(v.card)
            .map_err(|e| invalid(format!("{what}: {e}")))?
            .room;
        if v.count == 0 || v.count > limits::VOTES_MAX {
            return Err(invalid(format!(
                "{what}: a count must be 1-{}",
                limits::VOTES_MAX
            )));
        }
        let cast = Event::VoteCast {
            card: v.card,
            room,
            participant: v.participant,
        };
        b.push(vec![cast; v.count as usize]);
    }

    for k in &record.conclusions {
        let what = format!("conclusion {}", k.id);
        let events = b.decide(
            &Command::AddConclusion {
                conclusion: k.id,
                theme: k.theme.clone(),
                text: k.text.clone(),
                cards: k.cards.clone(),
            },
            &what,
        )?;
        b.push(events);
        if k.version == 0 {
            return Err(invalid(format!("{what}: versions start at 1")));
        }
        if k.version > 1 || k.status != ConclusionStatus::Draft {
            let added = b
                .state
                .conclusion(k.id)
                .map_err(|e| invalid(e.to_string()))?;
            let edited = Event::ConclusionEdited {
                conclusion: k.id,
                version: k.version,
                theme: added.theme.clone(),
                text: added.text.clone(),
                cards: added.cards.clone(),
                status: k.status,
            };
            b.push(vec![edited]);
        }
    }

    if let Some(review) = &record.review {
        review_events(&mut b, review)?;
    }

    for r in &record.rooms {
        let what = format!("room {}", r.id);
        if r.phase != Phase::default() || r.hidden {
            let events = b.decide(
                &Command::SetPhase {
                    room: Some(r.id),
                    phase: r.phase,
                    hidden: r.hidden,
                },
                &what,
            )?;
            b.push(events);
        }
        if !r.open && !b.with_history {
            let events = b.decide(&Command::CloseRoom { room: r.id }, &what)?;
            b.push(events);
        }
        if r.capacity.is_some() {
            let command = Command::SetRoomCapacity {
                room: r.id,
                capacity: r.capacity,
            };
            let events = b.decide(&command, &what)?;
            b.push(events);
        }
    }
    // The agenda's own events, without the moves, phases, timers and broadcasts its steps
    // made: the rest of the record (or its history) holds what they left.
    b.push(agenda_events(&record.agenda)?);
    if let Some(history) = &record.history {
        // The session as it happened: moves, removals, closing and reopening included.
        if record.roster.shared_codes_off {
            let events = b.decide(&Command::SetSharedCodes { open: false }, "roster")?;
            b.push(events);
        }
        for (n, entry) in history.iter().enumerate() {
            b.history(entry, n)?;
        }
    } else {
        // Removals come last: a removed room's board and a removed participant's cards
        // were written before they went.
        for r in record.rooms.iter().filter(|r| r.removed) {
            let events = b.decide(
                &Command::RemoveRoom { room: r.id },
                &format!("room {}", r.id),
            )?;
            b.push(events);
        }
        for p in record.participants.iter().filter(|p| p.removed) {
            let command = Command::RemoveParticipant { participant: p.id };
            let events = b.decide(&command, &format!("participant {}", p.id))?;
            b.push(events);
        }
        if record.roster.shared_codes_off {
            let events = b.decide(&Command::SetSharedCodes { open: false }, "roster")?;
            b.push(events);
        }
        if record.workshop.status == json::Status::Final {
            let events = b.decide(&Command::CloseWorkshop, "the workshop")?;
            b.push(events);
        }
    }

    let mut rebuilt = json::record(&b.state).map_err(|e| invalid(e.to_string()))?;
    if record.history.is_some() {
        rebuilt.history = Some(history::from_log(
            b.events
                .iter()
                .zip(&b.logged)
                .filter_map(|(event, logged)| logged.map(|(at, by)| (at, by, event))),
        ));
    }
    if let Some(difference) = first_difference(&rebuilt, record) {
        return Err(invalid(format!(
            "{difference} does not match what the rest of the record implies"
        )));
    }
    Ok(Imported {
        workshop: id,
        organizer: organizer.id,
        events: b.events,
        logged: b.logged,
        state: b.state,
    })
}

/// The review's events, written directly (like votes): who answered and replied is in the
/// record, and the deadline may be past. Revisions first (each one restarts its
/// conclusion's answers), then the answers with their replies, then the close. The
/// comparison of the rebuilt record with the file checks the rest.
fn review_events(b: &mut Builder, review: &json::ReviewRecord) -> Result<(), ImportError> {
    use crate::domain::review::REVIEW_TEXT_MAX;
    let text = |what: &str, t: &str, max: usize| {
        clean_text("text", t, max).map_err(|e| invalid(format!("{what}: {e}")))
    };
    b.push(vec![Event::ReviewOpened {
        deadline: review.deadline,
        rule: review.rule,
    }]);
    for (n, v) in review.revisions.iter().enumerate() {
        let what = format!("review revision {}", n + 1);
        b.participant(v.by, &what)?;
        b.state
            .conclusion(v.conclusion)
            .map_err(|e| invalid(format!("{what}: {e}")))?;
        b.push(vec![Event::ConclusionRevised {
            conclusion: v.conclusion,
            version: v.version,
            previous_text: text(&what, &v.previous_text, limits::CONCLUSION_TEXT_MAX)?,
            text: text(&what, &v.text, limits::CONCLUSION_TEXT_MAX)?,
            by: v.by,
        }]);
    }
    for (n, a) in review.answers.iter().enumerate() {
        let what = format!("review answer {}", n + 1);
        b.participant(a.by, &what)?;
        b.state
            .conclusion(a.conclusion)
            .map_err(|e| invalid(format!("{what}: {e}")))?;
        let answer_text = match &a.text {
            Some(t) => Some(text(&what, t, REVIEW_TEXT_MAX)?),
            None => None,
        };
        b.push(vec![Event::ReviewAnswered {
            conclusion: a.conclusion,
            version: a.version,
            country: a.country.clone(),
            by: a.by,
            answer: a.answer,
            text: answer_text,
        }]);
        if let Some(reply) = &a.reply {
            b.participant(reply.by, &what)?;
            b.push(vec![Event::ReviewReplied {
                conclusion: a.conclusion,
                country: a.country.clone(),
                text: text(&what, &reply.text, REVIEW_TEXT_MAX)?,
                by: reply.by,
            }]);
        }
    }
    if review.closed {
        b.push(vec![Event::ReviewClosed]);
    }
    Ok(())
}

/// Names the first part of `record` that differs from `rebuilt`, if any.
fn first_difference(rebuilt: &Record, record: &Record) -> Option<String> {
    fn list<T: PartialEq>(name: &str, a: &[T], b: &[T]) -> Option<String> {
        if a.len() != b.len() {
            return Some(format!("the number of {name}"));
        }
        let i = a.iter().zip(b).position(|(x, y)| x != y)?;
        Some(format!("{name}[{i}]"))
    }
    if rebuilt.workshop != record.workshop {
        return Some("`workshop`".into());
    }
    list("rooms", &rebuilt.rooms, &record.rooms)
        .or_else(|| list("participants", &rebuilt.participants, &record.participants))
        .or_else(|| list("cards", &rebuilt.cards, &record.cards))
        .or_else(|| list("groups", &rebuilt.groups, &record.groups))
        .or_else(|| list("votes", &rebuilt.votes, &record.votes))
        .or_else(|| list("conclusions", &rebuilt.conclusions, &record.conclusions))
        .or_else(|| list("moderation", &rebuilt.moderation, &record.moderation))
        .or_else(|| list("roster", &rebuilt.roster.people, &record.roster.people))
        .or_else(|| list("agenda", &rebuilt.agenda, &record.agenda))
        // A record from before `agenda_last_rooms` (none listed): what was rebuilt stands.
        .or_else(|| {
            let (a, b) = (&rebuilt.agenda_last_rooms, &record.agenda_last_rooms);
            if b.is_empty() {
                None
            } else {
                list("agenda_last_rooms", a, b)
            }
        })
        .or_else(|| {
            (rebuilt.roster.shared_codes_off != record.roster.shared_codes_off)
                .then(|| "`roster.shared_codes_off`".into())
        })
        .or_else(|| match (&rebuilt.history, &record.history) {
            (Some(a), Some(b)) => list("history", a, b),
            _ => None,
        })
        .or_else(|| (rebuilt.review != record.review).then(|| "`review`".into()))
}

#[path = "import/agenda.rs"]
mod agenda;
use agenda::{agenda_events, last_rooms};

#[path = "import/history.rs"]
mod replay;

#[cfg(test)]
mod tests;
