//! Unit tests of the domain rules, one rule per test, named like a facilitator's checklist.
//!
//! Every test starts from the same session (`Session::new`): the reference workshop with
//! four rooms, its organizer, one facilitator and four delegates: Ana and Ben in room 1,
//! Cho in room 2, Dan still waiting in the lobby. Property tests over random command
//! sequences live in `proptests/`; the rules of phases, votes, groups, themes and
//! moderation are checked in `tests_board/`, those of conclusions, reports and what each
//! participant sees of them in `tests_conclusions/`.

use super::settings::{default_columns, default_room_names, default_themes, limits};
use super::visibility::{view, Audience, Reshape};
use super::*;
use uuid::Uuid;

/// The reference workshop's settings: English, Spanish and Portuguese, the three default
/// columns and the six default themes.
pub(super) fn reference_settings() -> Settings {
    Settings {
        title: "Going Digital".into(),
        language: "en".into(),
        languages: vec!["en".into(), "es".into(), "pt".into()],
        columns: default_columns(),
        themes: default_themes(),
        votes_per_participant: 5,
        max_votes_per_card: None,
        votes_visibility: VotesVisibility::Live,
        delegates_can_group: false,
    }
}

/// The kind of a refusal, so a test can say which rule fired without matching messages.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Refused {
    Invalid,
    NotFound,
    Forbidden,
    Closed,
    TooLarge,
    /// A stale edit, with the version the thing is at now.
    Conflict(u64),
}

#[track_caller]
pub(super) fn refused(result: Result<Vec<Event>, DomainError>) -> Refused {
    match result {
        Ok(events) => panic!("expected a refusal, got {events:?}"),
        Err(DomainError::Invalid(_)) => Refused::Invalid,
        Err(DomainError::NotFound(_)) => Refused::NotFound,
        Err(DomainError::Forbidden(_)) => Refused::Forbidden,
        Err(DomainError::Closed(_)) => Refused::Closed,
        Err(DomainError::TooLarge(_)) => Refused::TooLarge,
        Err(DomainError::Conflict { current, .. }) => Refused::Conflict(current),
    }
}

pub(super) fn pid(n: u128) -> ParticipantId {
    ParticipantId(Uuid::from_u128(0x1000 + n))
}

pub(super) fn post(card: CardId, room: RoomId, column: &str, text: &str) -> Command {
    Command::PostCard {
        card,
        room,
        column: column.into(),
        text: text.into(),
    }
}

pub(super) fn edit(card: CardId, text: &str) -> Command {
    Command::EditCard {
        card,
        text: text.into(),
    }
}

pub(super) fn join(
    participant: ParticipantId,
    country: Option<&str>,
    language: &str,
    role: Role,
) -> Command {
    Command::Join {
        participant,
        name: "Someone".into(),
        country: country.map(Into::into),
        language: language.into(),
        role,
    }
}

pub(super) fn moved(participant: ParticipantId, to: Place) -> Command {
    Command::MoveParticipant { participant, to }
}

/// A workshop in session, with the events applied so far.
pub(super) struct Session {
    pub(super) w: Workshop,
    /// Every event applied to `w`, in order (the event log).
    pub(super) log: Vec<Event>,
    pub(super) rooms: Vec<RoomId>,
    pub(super) organizer: ParticipantId,
    pub(super) facilitator: ParticipantId,
    /// Delegate in room 1.
    pub(super) ana: ParticipantId,
    /// Delegate in room 1.
    pub(super) ben: ParticipantId,
    /// Delegate in room 2.
    pub(super) cho: ParticipantId,
    /// Delegate in the lobby.
    pub(super) dan: ParticipantId,
    /// The next fresh card id hands out decreasing UUIDs, so the `BTreeMap` order of cards
    /// is the reverse of their posting order and tests notice any sort by id.
    pub(super) next_card: u128,
}

impl Session {
    pub(super) fn new() -> Self {
        Session::with(reference_settings())
    }

    /// The same session in a workshop with other settings.
    pub(super) fn with(settings: Settings) -> Self {
        let id = WorkshopId(Uuid::from_u128(1));
        let rooms: Vec<RoomId> = (0..4).map(|n| RoomId(Uuid::from_u128(0x100 + n))).collect();
        let organizer = pid(0);
        let events =
            Workshop::create(id, settings, default_room_names(), rooms.clone(), organizer).unwrap();
        let mut s = Session {
            w: Workshop::empty(id),
            log: Vec::new(),
            rooms,
            organizer,
            facilitator: pid(1),
            ana: pid(2),
            ben: pid(3),
            cho: pid(4),
            dan: pid(5),
            next_card: u128::from(u64::MAX),
        };
        s.apply(&events);
        let staff = join(s.facilitator, None, "es", Role::Facilitator);
        s.apply(&decide(&s.w, Actor::Server, &staff).unwrap());
        for (who, country) in [(s.ana, "AR"), (s.ben, "BR"), (s.cho, "CL"), (s.dan, "PE")] {
            let delegate = join(who, Some(country), "es", Role::Delegate);
            s.apply(&decide(&s.w, Actor::Server, &delegate).unwrap());
        }
        let (fac, room1, room2) = (s.facilitator, s.rooms[0], s.rooms[1]);
        s.run(fac, moved(s.ana, Place::Room(room1)));
        s.run(fac, moved(s.ben, Place::Room(room1)));
        s.run(fac, moved(s.cho, Place::Room(room2)));
        s
    }

    pub(super) fn apply(&mut self, events: &[Event]) {
        for e in events {
            let seq = self.w.seq + 1;
            self.w.apply(seq, e);
            self.log.push(e.clone());
        }
    }

    pub(super) fn decide(
        &self,
        who: ParticipantId,
        command: Command,
    ) -> Result<Vec<Event>, DomainError> {
        decide(&self.w, Actor::Participant(who), &command)
    }

    pub(super) fn join(&self, command: Command) -> Result<Vec<Event>, DomainError> {
        decide(&self.w, Actor::Server, &command)
    }

    /// Decides a command that must succeed, applies its events and returns them.
    #[track_caller]
    pub(super) fn run(&mut self, who: ParticipantId, command: Command) -> Vec<Event> {
        let events = self
            .decide(who, command)
            .unwrap_or_else(|e| panic!("command refused: {e:?}"));
        self.apply(&events);
        events
    }

    pub(super) fn fresh_card(&mut self) -> CardId {
        self.next_card -= 1;
        CardId(Uuid::from_u128(self.next_card))
    }

    /// Posts a card (which must succeed) to room `room` (0-based) and returns its id.
    #[track_caller]
    pub(super) fn post(&mut self, who: ParticipantId, room: usize, text: &str) -> CardId {
        self.post_in(who, room, "strengths", text)
    }

    /// Posts a card (which must succeed) in `column` of room `room` (0-based).
    #[track_caller]
    pub(super) fn post_in(
        &mut self,
        who: ParticipantId,
        room: usize,
        column: &str,
        text: &str,
    ) -> CardId {
        let card = self.fresh_card();
        self.run(who, post(card, self.rooms[room], column, text));
        card
    }

    #[track_caller]
    pub(super) fn close(&mut self, room: usize) {
        self.run(
            self.facilitator,
            Command::CloseRoom {
                room: self.rooms[room],
            },
        );
    }

    pub(super) fn who(&self, id: ParticipantId) -> &Participant {
        self.w.participant(id).unwrap()
    }

    /// Sets the phase of room `room` (0-based), or of every room, as the facilitator.
    #[track_caller]
    pub(super) fn phase(&mut self, room: Option<usize>, phase: Phase, hidden: bool) -> Vec<Event> {
        let room = room.map(|r| self.rooms[r]);
        let command = Command::SetPhase {
            room,
            phase,
            hidden,
        };
        self.run(self.facilitator, command)
    }
}

mod event_log;
mod rooms_and_joining;
mod settings_and_visibility;
mod workshop_and_cards;
