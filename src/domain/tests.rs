//! Unit tests of the domain rules, one rule per test, named like a facilitator's checklist.
//!
//! Every test starts from the same session (`Session::new`): the reference workshop with
//! four rooms, its organizer, one facilitator and four delegates: Ana and Ben in room 1,
//! Cho in room 2, Dan still waiting in the lobby. Property tests over random command
//! sequences live in `proptests.rs`; the rules of phases, votes, groups, themes and
//! moderation are checked in `tests_board.rs`, those of conclusions, reports and what each
//! participant sees of them in `tests_conclusions.rs`.

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

// ---------------------------------------------------------------------------------------
// Creating a workshop
// ---------------------------------------------------------------------------------------

#[test]
fn a_new_workshop_starts_with_its_rooms_and_organizer() {
    let id = WorkshopId::random();
    let org = ParticipantId::random();
    let events = Workshop::create(
        id,
        reference_settings(),
        default_room_names(),
        (0..4).map(|_| RoomId::random()),
        org,
    )
    .unwrap();
    let mut w = Workshop::empty(id);
    for (i, e) in events.iter().enumerate() {
        w.apply(i as u64 + 1, e);
    }
    assert_eq!(w.rooms.len(), 4);
    assert!(w.rooms.iter().all(|r| r.open));
    assert_eq!(w.participant(org).unwrap().role, Role::Organizer);
    assert_eq!(w.participant(org).unwrap().room, Place::Lobby);
    assert_eq!(w.seq, 2);
}

#[test]
fn a_workshop_needs_at_least_one_named_room() {
    let create = |names: Vec<String>| {
        let ids: Vec<RoomId> = names.iter().map(|_| RoomId::random()).collect();
        Workshop::create(
            WorkshopId::random(),
            reference_settings(),
            names,
            ids,
            ParticipantId::random(),
        )
    };
    assert_eq!(refused(create(vec![])), Refused::Invalid);
    assert_eq!(refused(create(vec!["  ".into()])), Refused::Invalid);
    let too_many = (0..=limits::ROOMS_MAX)
        .map(|n| format!("Room {n}"))
        .collect();
    assert_eq!(refused(create(too_many)), Refused::Invalid);
    let long = "r".repeat(limits::ROOM_NAME_MAX + 1);
    assert_eq!(refused(create(vec![long])), Refused::TooLarge);
}

#[test]
fn room_names_are_trimmed() {
    let events = Workshop::create(
        WorkshopId::random(),
        reference_settings(),
        vec!["  Plenary B  ".into()],
        [RoomId::random()],
        ParticipantId::random(),
    )
    .unwrap();
    let Event::WorkshopCreated { rooms, .. } = &events[0] else {
        panic!("first event is {:?}", events[0]);
    };
    assert_eq!(rooms[0].name, "Plenary B");
}

#[test]
fn nothing_can_happen_in_a_workshop_that_was_never_created() {
    let w = Workshop::empty(WorkshopId::random());
    let room = RoomId::random();
    let command = post(CardId::random(), room, "strengths", "hello");
    let as_someone = decide(&w, Actor::Participant(ParticipantId::random()), &command);
    assert_eq!(refused(as_someone), Refused::NotFound);
    let joining = join(ParticipantId::random(), Some("AR"), "en", Role::Delegate);
    assert_eq!(
        refused(decide(&w, Actor::Server, &joining)),
        Refused::NotFound
    );
}

// ---------------------------------------------------------------------------------------
// Posting cards
// ---------------------------------------------------------------------------------------

#[test]
fn delegate_posts_to_own_room_board() {
    let mut s = Session::new();
    let card = s.fresh_card();
    let events = s.run(
        s.ana,
        post(card, s.rooms[0], "problems", "  Slow procurement  "),
    );
    assert_eq!(
        events,
        vec![Event::CardPosted {
            card,
            room: s.rooms[0],
            column: "problems".into(),
            text: "Slow procurement".into(),
            author: s.ana,
        }]
    );
    let c = s.w.card(card).unwrap();
    assert_eq!((c.author, c.seq, c.edited), (s.ana, s.w.seq, false));
}

#[test]
fn posting_to_an_unknown_room_is_not_found() {
    let s = Session::new();
    let nowhere = RoomId(Uuid::from_u128(0xdead));
    for who in [s.facilitator, s.ana] {
        let r = s.decide(who, post(CardId::random(), nowhere, "strengths", "x"));
        assert_eq!(refused(r), Refused::NotFound);
    }
}

#[test]
fn posting_to_an_unknown_column_is_invalid() {
    let s = Session::new();
    let r = s.decide(s.ana, post(CardId::random(), s.rooms[0], "Strengths", "x"));
    assert_eq!(refused(r), Refused::Invalid);
    let r = s.decide(s.facilitator, post(CardId::random(), s.rooms[0], "", "x"));
    assert_eq!(refused(r), Refused::Invalid);
}

#[test]
fn empty_card_is_invalid() {
    let s = Session::new();
    let r = s.decide(s.ana, post(CardId::random(), s.rooms[0], "strengths", ""));
    assert_eq!(refused(r), Refused::Invalid);
}

#[test]
fn whitespace_only_card_is_invalid() {
    let s = Session::new();
    let r = s.decide(
        s.ana,
        post(CardId::random(), s.rooms[0], "strengths", " \t\n "),
    );
    assert_eq!(refused(r), Refused::Invalid);
}

#[test]
fn card_over_1000_characters_is_too_large() {
    let s = Session::new();
    let text = "a".repeat(limits::CARD_TEXT_MAX + 1);
    let r = s.decide(
        s.ana,
        post(CardId::random(), s.rooms[0], "strengths", &text),
    );
    assert_eq!(refused(r), Refused::TooLarge);
}

#[test]
fn card_of_exactly_1000_characters_is_accepted() {
    let mut s = Session::new();
    let text = "a".repeat(limits::CARD_TEXT_MAX);
    let card = s.post(s.ana, 0, &text);
    assert_eq!(s.w.card(card).unwrap().text, text);
}

#[test]
fn card_length_counts_characters_not_bytes() {
    let mut s = Session::new();
    // 1000 characters of 2, 3 and 4 bytes each: far over 1000 bytes, still within the limit.
    for ch in ["ñ", "€", "🌎"] {
        let text = ch.repeat(limits::CARD_TEXT_MAX);
        assert!(text.len() > limits::CARD_TEXT_MAX);
        s.post(s.ana, 0, &text);
        let over = ch.repeat(limits::CARD_TEXT_MAX + 1);
        let r = s.decide(
            s.ana,
            post(CardId::random(), s.rooms[0], "strengths", &over),
        );
        assert_eq!(refused(r), Refused::TooLarge);
    }
}

#[test]
fn surrounding_whitespace_does_not_count_towards_the_limit() {
    let mut s = Session::new();
    let text = format!("   {}   ", "a".repeat(limits::CARD_TEXT_MAX));
    let card = s.post(s.ana, 0, &text);
    assert_eq!(s.w.card(card).unwrap().text.len(), limits::CARD_TEXT_MAX);
}

#[test]
fn posting_to_a_closed_room_is_closed() {
    let mut s = Session::new();
    s.close(0);
    for who in [s.ana, s.facilitator, s.organizer] {
        let r = s.decide(
            who,
            post(CardId::random(), s.rooms[0], "strengths", "late idea"),
        );
        assert_eq!(refused(r), Refused::Closed);
    }
}

#[test]
fn delegate_in_lobby_cannot_post() {
    let s = Session::new();
    let r = s.decide(s.dan, post(CardId::random(), s.rooms[0], "strengths", "hi"));
    assert_eq!(refused(r), Refused::Forbidden);
}

#[test]
fn delegate_cannot_post_to_another_room() {
    let s = Session::new();
    let r = s.decide(s.ana, post(CardId::random(), s.rooms[1], "strengths", "hi"));
    assert_eq!(refused(r), Refused::Forbidden);
}

#[test]
fn facilitator_may_post_in_any_room() {
    let mut s = Session::new();
    assert_eq!(s.who(s.facilitator).room, Place::Lobby);
    for room in 0..4 {
        let card = s.post(s.facilitator, room, "from the facilitator");
        assert_eq!(s.w.card(card).unwrap().room, s.rooms[room]);
    }
}

#[test]
fn organizer_may_post_in_any_room() {
    let mut s = Session::new();
    for room in 0..4 {
        let card = s.post(s.organizer, room, "from the organizer");
        assert_eq!(s.w.card(card).unwrap().author, s.organizer);
    }
}

#[test]
fn card_id_cannot_be_reused() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "first");
    let r = s.decide(s.ben, post(card, s.rooms[0], "strengths", "second"));
    assert_eq!(refused(r), Refused::Invalid);
    let r = s.decide(s.facilitator, post(card, s.rooms[1], "strengths", "second"));
    assert_eq!(refused(r), Refused::Invalid);
}

#[test]
fn a_full_room_board_refuses_more_cards() {
    let mut s = Session::new();
    let events: Vec<Event> = (0..limits::CARDS_PER_ROOM_MAX)
        .map(|n| Event::CardPosted {
            card: CardId(Uuid::from_u128(0xFEED_0000 + n as u128)),
            room: s.rooms[0],
            column: "strengths".into(),
            text: format!("idea {n}"),
            author: s.facilitator,
        })
        .collect();
    s.apply(&events);
    let r = s.decide(
        s.ana,
        post(CardId::random(), s.rooms[0], "strengths", "one more"),
    );
    assert_eq!(refused(r), Refused::TooLarge);
    let r = s.decide(
        s.facilitator,
        post(CardId::random(), s.rooms[0], "strengths", "x"),
    );
    assert_eq!(refused(r), Refused::TooLarge);
    // Other rooms' boards are not affected, and deleting a card makes room again.
    s.post(s.cho, 1, "room 2 still has space");
    let first = CardId(Uuid::from_u128(0xFEED_0000));
    s.run(s.facilitator, Command::DeleteCard { card: first });
    s.post(s.ana, 0, "now it fits");
}

#[test]
fn stranger_cannot_post() {
    let s = Session::new();
    let r = s.decide(
        pid(999),
        post(CardId::random(), s.rooms[0], "strengths", "x"),
    );
    assert_eq!(refused(r), Refused::Forbidden);
}

#[test]
fn the_server_itself_cannot_post_edit_or_facilitate() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "mine");
    let room = s.rooms[0];
    for command in [
        post(CardId::random(), room, "strengths", "x"),
        edit(card, "y"),
        Command::DeleteCard { card },
        moved(s.dan, Place::Room(room)),
        Command::CloseRoom { room },
        Command::OpenRoom { room },
    ] {
        assert_eq!(
            refused(decide(&s.w, Actor::Server, &command)),
            Refused::Forbidden
        );
    }
}

// ---------------------------------------------------------------------------------------
// Editing and deleting cards
// ---------------------------------------------------------------------------------------

#[test]
fn delegate_edits_own_card() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "draft");
    let posted_at = s.w.card(card).unwrap().seq;
    let events = s.run(s.ana, edit(card, " final "));
    assert_eq!(
        events,
        vec![Event::CardEdited {
            card,
            room: s.rooms[0],
            text: "final".into(),
            by: s.ana,
        }]
    );
    let c = s.w.card(card).unwrap();
    assert_eq!(c.text, "final");
    assert!(c.edited);
    assert_eq!(
        c.seq, posted_at,
        "editing keeps the card's place on the board"
    );
}

#[test]
fn delegate_deletes_own_card() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "oops");
    let events = s.run(s.ana, Command::DeleteCard { card });
    assert_eq!(
        events,
        vec![Event::CardDeleted {
            card,
            room: s.rooms[0]
        }]
    );
    assert!(s.w.cards.is_empty());
}

#[test]
fn delegate_cannot_edit_a_roommates_card() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "Ana's idea");
    assert_eq!(
        refused(s.decide(s.ben, edit(card, "Ben's now"))),
        Refused::Forbidden
    );
}

#[test]
fn delegate_cannot_delete_a_roommates_card() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "Ana's idea");
    let r = s.decide(s.ben, Command::DeleteCard { card });
    assert_eq!(refused(r), Refused::Forbidden);
}

#[test]
fn delegate_cannot_touch_a_facilitators_card_in_their_room() {
    let mut s = Session::new();
    let card = s.post(s.facilitator, 0, "prompt");
    assert_eq!(
        refused(s.decide(s.ana, edit(card, "x"))),
        Refused::Forbidden
    );
    let r = s.decide(s.ana, Command::DeleteCard { card });
    assert_eq!(refused(r), Refused::Forbidden);
}

#[test]
fn delegate_cannot_touch_a_card_in_another_room() {
    let mut s = Session::new();
    let card = s.post(s.cho, 1, "Cho's idea");
    assert_eq!(
        refused(s.decide(s.ana, edit(card, "x"))),
        Refused::Forbidden
    );
    let r = s.decide(s.dan, Command::DeleteCard { card });
    assert_eq!(refused(r), Refused::Forbidden);
}

#[test]
fn facilitator_edits_any_card() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "typo here");
    s.run(s.facilitator, edit(card, "no typo here"));
    let c = s.w.card(card).unwrap();
    assert_eq!((c.text.as_str(), c.author), ("no typo here", s.ana));
}

#[test]
fn facilitator_deletes_any_card() {
    let mut s = Session::new();
    let card = s.post(s.cho, 1, "off topic");
    s.run(s.facilitator, Command::DeleteCard { card });
    assert!(s.w.card(card).is_err());
}

#[test]
fn organizer_edits_and_deletes_any_card() {
    let mut s = Session::new();
    let card = s.post(s.cho, 1, "draft");
    s.run(s.organizer, edit(card, "edited by the organizer"));
    s.run(s.organizer, Command::DeleteCard { card });
    assert!(s.w.cards.is_empty());
}

#[test]
fn editing_a_card_in_a_closed_room_is_closed() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "draft");
    s.close(0);
    for who in [s.ana, s.facilitator] {
        assert_eq!(
            refused(s.decide(who, edit(card, "changed"))),
            Refused::Closed
        );
    }
}

#[test]
fn deleting_a_card_in_a_closed_room_is_closed() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "draft");
    s.close(0);
    for who in [s.ana, s.organizer] {
        let r = s.decide(who, Command::DeleteCard { card });
        assert_eq!(refused(r), Refused::Closed);
    }
}

#[test]
fn reopened_room_board_is_writable_again() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "draft");
    s.close(0);
    s.run(s.facilitator, Command::OpenRoom { room: s.rooms[0] });
    s.run(s.ana, edit(card, "final"));
    s.post(s.ana, 0, "another");
}

#[test]
fn editing_an_unknown_card_is_not_found() {
    let s = Session::new();
    for who in [s.ana, s.facilitator] {
        assert_eq!(
            refused(s.decide(who, edit(CardId::random(), "x"))),
            Refused::NotFound
        );
    }
}

#[test]
fn deleting_an_unknown_card_is_not_found() {
    let s = Session::new();
    let r = s.decide(
        s.facilitator,
        Command::DeleteCard {
            card: CardId::random(),
        },
    );
    assert_eq!(refused(r), Refused::NotFound);
}

#[test]
fn deleted_card_cannot_be_deleted_again() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "bye");
    s.run(s.ana, Command::DeleteCard { card });
    let r = s.decide(s.ana, Command::DeleteCard { card });
    assert_eq!(refused(r), Refused::NotFound);
    assert_eq!(refused(s.decide(s.ana, edit(card, "x"))), Refused::NotFound);
}

#[test]
fn delegate_moved_out_can_no_longer_edit_their_old_card() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "from room 1");
    s.run(s.facilitator, moved(s.ana, Place::Room(s.rooms[1])));
    assert_eq!(
        refused(s.decide(s.ana, edit(card, "x"))),
        Refused::Forbidden
    );
    let r = s.decide(s.ana, Command::DeleteCard { card });
    assert_eq!(refused(r), Refused::Forbidden);
}

#[test]
fn delegate_sent_to_lobby_can_no_longer_edit_their_old_card() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "from room 1");
    s.run(s.facilitator, moved(s.ana, Place::Lobby));
    assert_eq!(
        refused(s.decide(s.ana, edit(card, "x"))),
        Refused::Forbidden
    );
}

#[test]
fn delegate_moved_back_can_edit_their_old_card_again() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "from room 1");
    s.run(s.facilitator, moved(s.ana, Place::Room(s.rooms[1])));
    s.run(s.facilitator, moved(s.ana, Place::Room(s.rooms[0])));
    s.run(s.ana, edit(card, "still mine"));
}

#[test]
fn editing_to_the_same_text_produces_no_event() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "same");
    assert_eq!(s.decide(s.ana, edit(card, "same")), Ok(vec![]));
    assert_eq!(s.decide(s.ana, edit(card, "  same\n")), Ok(vec![]));
    assert!(!s.w.card(card).unwrap().edited);
}

#[test]
fn editing_to_empty_text_is_invalid() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "keep me");
    assert_eq!(
        refused(s.decide(s.ana, edit(card, "   "))),
        Refused::Invalid
    );
}

#[test]
fn editing_past_1000_characters_is_too_large() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "short");
    let long = "é".repeat(limits::CARD_TEXT_MAX + 1);
    assert_eq!(
        refused(s.decide(s.ana, edit(card, &long))),
        Refused::TooLarge
    );
    s.run(s.ana, edit(card, &"é".repeat(limits::CARD_TEXT_MAX)));
}

// ---------------------------------------------------------------------------------------
// Moving participants
// ---------------------------------------------------------------------------------------

#[test]
fn facilitator_places_a_lobby_delegate_in_a_room() {
    let mut s = Session::new();
    let room = Place::Room(s.rooms[2]);
    let events = s.run(s.facilitator, moved(s.dan, room));
    assert_eq!(
        events,
        vec![Event::ParticipantMoved {
            participant: s.dan,
            from: Place::Lobby,
            room,
        }]
    );
    assert_eq!(s.who(s.dan).room, room);
}

#[test]
fn facilitator_moves_a_delegate_between_rooms() {
    let mut s = Session::new();
    let events = s.run(s.facilitator, moved(s.ana, Place::Room(s.rooms[3])));
    assert_eq!(
        events,
        vec![Event::ParticipantMoved {
            participant: s.ana,
            from: Place::Room(s.rooms[0]),
            room: Place::Room(s.rooms[3]),
        }]
    );
}

#[test]
fn facilitator_sends_a_delegate_back_to_the_lobby() {
    let mut s = Session::new();
    s.run(s.facilitator, moved(s.cho, Place::Lobby));
    assert_eq!(s.who(s.cho).room, Place::Lobby);
}

#[test]
fn organizer_moves_participants() {
    let mut s = Session::new();
    s.run(s.organizer, moved(s.dan, Place::Room(s.rooms[0])));
    s.run(s.organizer, moved(s.facilitator, Place::Room(s.rooms[1])));
    assert_eq!(s.who(s.facilitator).room, Place::Room(s.rooms[1]));
}

#[test]
fn delegate_cannot_move_anyone() {
    let s = Session::new();
    for (who, to) in [(s.dan, Place::Room(s.rooms[0])), (s.ana, Place::Lobby)] {
        assert_eq!(refused(s.decide(s.ana, moved(who, to))), Refused::Forbidden);
    }
}

#[test]
fn moving_an_unknown_participant_is_not_found() {
    let s = Session::new();
    let r = s.decide(s.facilitator, moved(pid(999), Place::Room(s.rooms[0])));
    assert_eq!(refused(r), Refused::NotFound);
}

#[test]
fn moving_to_an_unknown_room_is_not_found() {
    let s = Session::new();
    let nowhere = Place::Room(RoomId(Uuid::from_u128(0xdead)));
    assert_eq!(
        refused(s.decide(s.facilitator, moved(s.dan, nowhere))),
        Refused::NotFound
    );
}

#[test]
fn organizer_cannot_be_moved() {
    let s = Session::new();
    for who in [s.facilitator, s.organizer] {
        let r = s.decide(who, moved(s.organizer, Place::Room(s.rooms[0])));
        assert_eq!(refused(r), Refused::Invalid);
    }
}

#[test]
fn moving_to_the_same_place_produces_no_events() {
    let s = Session::new();
    assert_eq!(
        s.decide(s.facilitator, moved(s.ana, Place::Room(s.rooms[0]))),
        Ok(vec![])
    );
    assert_eq!(
        s.decide(s.facilitator, moved(s.dan, Place::Lobby)),
        Ok(vec![])
    );
}

// ---------------------------------------------------------------------------------------
// Opening and closing rooms
// ---------------------------------------------------------------------------------------

#[test]
fn facilitator_closes_a_room() {
    let mut s = Session::new();
    let room = s.rooms[0];
    let events = s.run(s.facilitator, Command::CloseRoom { room });
    assert_eq!(events, vec![Event::RoomClosed { room }]);
    assert!(!s.w.room(room).unwrap().open);
}

#[test]
fn organizer_closes_and_reopens_a_room() {
    let mut s = Session::new();
    let room = s.rooms[2];
    s.run(s.organizer, Command::CloseRoom { room });
    let events = s.run(s.organizer, Command::OpenRoom { room });
    assert_eq!(events, vec![Event::RoomOpened { room }]);
    assert!(s.w.room(room).unwrap().open);
}

#[test]
fn delegate_cannot_close_a_room() {
    let s = Session::new();
    let r = s.decide(s.ana, Command::CloseRoom { room: s.rooms[0] });
    assert_eq!(refused(r), Refused::Forbidden);
}

#[test]
fn delegate_cannot_open_a_room() {
    let mut s = Session::new();
    s.close(0);
    let r = s.decide(s.ana, Command::OpenRoom { room: s.rooms[0] });
    assert_eq!(refused(r), Refused::Forbidden);
}

#[test]
fn closing_a_closed_room_produces_no_events() {
    let mut s = Session::new();
    s.close(1);
    let r = s.decide(s.facilitator, Command::CloseRoom { room: s.rooms[1] });
    assert_eq!(r, Ok(vec![]));
}

#[test]
fn opening_an_open_room_produces_no_events() {
    let s = Session::new();
    let r = s.decide(s.facilitator, Command::OpenRoom { room: s.rooms[1] });
    assert_eq!(r, Ok(vec![]));
}

#[test]
fn opening_or_closing_an_unknown_room_is_not_found() {
    let s = Session::new();
    let room = RoomId(Uuid::from_u128(0xdead));
    let r = s.decide(s.facilitator, Command::CloseRoom { room });
    assert_eq!(refused(r), Refused::NotFound);
    let r = s.decide(s.facilitator, Command::OpenRoom { room });
    assert_eq!(refused(r), Refused::NotFound);
}

#[test]
fn closing_a_room_keeps_its_cards_and_members() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "keep me");
    s.close(0);
    assert!(s.w.card(card).is_ok());
    assert_eq!(s.who(s.ana).room, Place::Room(s.rooms[0]));
    let v = view(&s.w, s.who(s.ana));
    assert_eq!(v.cards.len(), 1, "a closed board stays readable");
}

// ---------------------------------------------------------------------------------------
// Joining
// ---------------------------------------------------------------------------------------

#[test]
fn joiner_waits_in_the_lobby() {
    let mut s = Session::new();
    let who = pid(50);
    let events = s.join(join(who, Some("UY"), "pt", Role::Delegate)).unwrap();
    s.apply(&events);
    let p = s.who(who);
    assert_eq!(p.room, Place::Lobby);
    assert_eq!(p.role, Role::Delegate);
    assert_eq!(p.language, "pt");
}

#[test]
fn only_the_server_adds_participants() {
    let s = Session::new();
    for who in [s.organizer, s.facilitator, s.ana] {
        let command = join(pid(50), Some("AR"), "en", Role::Delegate);
        let r = decide(&s.w, Actor::Participant(who), &command);
        assert_eq!(refused(r), Refused::Forbidden);
    }
}

#[test]
fn delegate_must_give_a_country() {
    let s = Session::new();
    for country in [None, Some(""), Some("   ")] {
        let r = s.join(join(pid(50), country, "en", Role::Delegate));
        assert_eq!(refused(r), Refused::Invalid, "country {country:?}");
    }
}

#[test]
fn delegate_country_is_normalised_to_upper_case() {
    let s = Session::new();
    let events = s
        .join(join(pid(50), Some(" ar "), "en", Role::Delegate))
        .unwrap();
    let [Event::ParticipantJoined { participant }] = events.as_slice() else {
        panic!("unexpected {events:?}");
    };
    assert_eq!(participant.country.as_deref(), Some("AR"));
}

#[test]
fn country_must_be_two_letters() {
    let s = Session::new();
    for bad in ["A", "ARG", "A1", "1A", "Ñ", "ÑA", "A-"] {
        let r = s.join(join(pid(50), Some(bad), "en", Role::Delegate));
        assert_eq!(refused(r), Refused::Invalid, "country {bad:?}");
    }
}

#[test]
fn staff_may_join_without_a_country() {
    let s = Session::new();
    let events = s
        .join(join(pid(50), None, "en", Role::Facilitator))
        .unwrap();
    let [Event::ParticipantJoined { participant }] = events.as_slice() else {
        panic!("unexpected {events:?}");
    };
    assert_eq!(participant.country, None);
}

#[test]
fn staff_country_is_checked_when_given() {
    let s = Session::new();
    let r = s.join(join(pid(50), Some("ARG"), "en", Role::Facilitator));
    assert_eq!(refused(r), Refused::Invalid);
    let events = s
        .join(join(pid(50), Some("es"), "en", Role::Facilitator))
        .unwrap();
    let [Event::ParticipantJoined { participant }] = events.as_slice() else {
        panic!("unexpected {events:?}");
    };
    assert_eq!(participant.country.as_deref(), Some("ES"));
}

#[test]
fn language_must_be_one_of_the_workshops_languages() {
    let mut settings = reference_settings();
    settings.languages = vec!["en".into(), "es".into()];
    let id = WorkshopId::random();
    let events = Workshop::create(
        id,
        settings,
        default_room_names(),
        (0..4).map(|_| RoomId::random()),
        ParticipantId::random(),
    )
    .unwrap();
    let mut w = Workshop::empty(id);
    for (i, e) in events.iter().enumerate() {
        w.apply(i as u64 + 1, e);
    }
    // Portuguese is a supported language, but not one this workshop offers.
    for language in ["pt", "fr", "EN", ""] {
        let command = join(pid(50), Some("AR"), language, Role::Delegate);
        let r = decide(&w, Actor::Server, &command);
        assert_eq!(refused(r), Refused::Invalid, "language {language:?}");
    }
    let command = join(pid(50), Some("AR"), "es", Role::Delegate);
    assert!(decide(&w, Actor::Server, &command).is_ok());
}

#[test]
fn name_is_trimmed() {
    let s = Session::new();
    let command = Command::Join {
        participant: pid(50),
        name: "  María José \n".into(),
        country: Some("AR".into()),
        language: "es".into(),
        role: Role::Delegate,
    };
    let events = s.join(command).unwrap();
    let [Event::ParticipantJoined { participant }] = events.as_slice() else {
        panic!("unexpected {events:?}");
    };
    assert_eq!(participant.name, "María José");
}

#[test]
fn name_must_not_be_blank() {
    let s = Session::new();
    for name in ["", "   "] {
        let command = Command::Join {
            participant: pid(50),
            name: name.into(),
            country: Some("AR".into()),
            language: "es".into(),
            role: Role::Delegate,
        };
        assert_eq!(refused(s.join(command)), Refused::Invalid);
    }
}

#[test]
fn name_is_bounded_in_characters() {
    let s = Session::new();
    let named = |name: String| Command::Join {
        participant: pid(50),
        name,
        country: Some("AR".into()),
        language: "es".into(),
        role: Role::Delegate,
    };
    assert!(s.join(named("ñ".repeat(limits::NAME_MAX))).is_ok());
    let r = s.join(named("ñ".repeat(limits::NAME_MAX + 1)));
    assert_eq!(refused(r), Refused::TooLarge);
}

#[test]
fn participant_id_cannot_join_twice() {
    let s = Session::new();
    for taken in [s.ana, s.facilitator, s.organizer] {
        let r = s.join(join(taken, Some("AR"), "en", Role::Delegate));
        assert_eq!(refused(r), Refused::Invalid);
    }
}

#[test]
fn a_full_workshop_refuses_more_participants() {
    let mut s = Session::new();
    let joined: Vec<Event> = (s.w.participants.len()..limits::PARTICIPANTS_MAX)
        .map(|n| Event::ParticipantJoined {
            participant: Participant {
                id: pid(10_000 + n as u128),
                name: format!("Delegate {n}"),
                country: Some("AR".into()),
                language: "es".into(),
                role: Role::Delegate,
                room: Place::Lobby,
                removed: false,
            },
        })
        .collect();
    s.apply(&joined);
    assert_eq!(s.w.participants.len(), limits::PARTICIPANTS_MAX);
    let r = s.join(join(pid(50), Some("AR"), "en", Role::Delegate));
    assert_eq!(refused(r), Refused::TooLarge);
}

// ---------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------

#[track_caller]
fn settings_refused(change: impl FnOnce(&mut Settings)) -> Refused {
    let mut s = reference_settings();
    change(&mut s);
    match s.validated() {
        Ok(s) => panic!("expected a refusal, got {s:?}"),
        Err(e) => refused(Err(e)),
    }
}

#[test]
fn reference_settings_are_valid() {
    assert_eq!(reference_settings().validated(), Ok(reference_settings()));
}

#[test]
fn settings_are_trimmed() {
    let mut s = reference_settings();
    s.title = "  Going Digital  ".into();
    s.columns[0].title = " Strengths ".into();
    s.themes[0].hint = Some("  think of laws ".into());
    let v = s.validated().unwrap();
    assert_eq!(v.title, "Going Digital");
    assert_eq!(v.columns[0].title, "Strengths");
    assert_eq!(v.themes[0].hint.as_deref(), Some("think of laws"));
}

#[test]
fn title_must_not_be_blank_or_too_long() {
    assert_eq!(settings_refused(|s| s.title = " ".into()), Refused::Invalid);
    let long = "t".repeat(limits::TITLE_MAX + 1);
    assert_eq!(settings_refused(|s| s.title = long), Refused::TooLarge);
}

#[test]
fn column_keys_are_short_lowercase_words() {
    for bad in [
        "",
        "Strengths",
        "two words",
        "ñandú",
        "a.b",
        &"k".repeat(limits::KEY_MAX + 1),
    ] {
        let bad = bad.to_string();
        assert_eq!(
            settings_refused(|s| s.columns[0].key = bad.clone()),
            Refused::Invalid,
            "key {bad:?}"
        );
    }
    let mut s = reference_settings();
    s.columns[0].key = format!("a-1_{}", "k".repeat(limits::KEY_MAX - 4));
    assert!(s.validated().is_ok());
}

#[test]
fn theme_keys_are_short_lowercase_words() {
    assert_eq!(
        settings_refused(|s| s.themes[0].key = "Data".into()),
        Refused::Invalid
    );
    assert_eq!(
        settings_refused(|s| s.themes[0].key = String::new()),
        Refused::Invalid
    );
}

#[test]
fn column_keys_must_be_unique() {
    let r = settings_refused(|s| {
        let dup = s.columns[0].clone();
        s.columns.push(dup);
    });
    assert_eq!(r, Refused::Invalid);
}

#[test]
fn theme_keys_must_be_unique() {
    let r = settings_refused(|s| {
        let dup = s.themes[1].clone();
        s.themes.push(dup);
    });
    assert_eq!(r, Refused::Invalid);
}

#[test]
fn a_board_needs_one_to_ten_columns() {
    assert_eq!(settings_refused(|s| s.columns.clear()), Refused::Invalid);
    let r = settings_refused(|s| {
        s.columns = (0..=limits::COLUMNS_MAX)
            .map(|n| Column {
                key: format!("c{n}"),
                title: format!("Column {n}"),
            })
            .collect();
    });
    assert_eq!(r, Refused::Invalid);
}

#[test]
fn themes_may_be_empty_but_bounded() {
    let mut s = reference_settings();
    s.themes.clear();
    assert!(s.validated().is_ok());
    let r = settings_refused(|s| {
        s.themes = (0..=limits::THEMES_MAX)
            .map(|n| Theme {
                key: format!("t{n}"),
                title: format!("Theme {n}"),
                hint: None,
            })
            .collect();
    });
    assert_eq!(r, Refused::Invalid);
}

#[test]
fn column_and_theme_titles_must_not_be_blank() {
    assert_eq!(
        settings_refused(|s| s.columns[1].title = "".into()),
        Refused::Invalid
    );
    assert_eq!(
        settings_refused(|s| s.themes[1].title = " ".into()),
        Refused::Invalid
    );
    assert_eq!(
        settings_refused(|s| s.themes[1].hint = Some(" ".into())),
        Refused::Invalid
    );
}

#[test]
fn workshop_language_must_be_supported() {
    assert_eq!(
        settings_refused(|s| s.language = "fr".into()),
        Refused::Invalid
    );
    assert_eq!(
        settings_refused(|s| s.language = "EN".into()),
        Refused::Invalid
    );
}

#[test]
fn offered_languages_must_be_supported_and_unique() {
    assert_eq!(
        settings_refused(|s| s.languages.push("de".into())),
        Refused::Invalid
    );
    assert_eq!(
        settings_refused(|s| s.languages.push("es".into())),
        Refused::Invalid
    );
}

#[test]
fn offered_languages_must_include_the_workshop_language() {
    let r = settings_refused(|s| s.languages = vec!["es".into(), "pt".into()]);
    assert_eq!(r, Refused::Invalid);
}

#[test]
fn no_offered_languages_means_just_the_workshop_language() {
    let mut s = reference_settings();
    s.language = "pt".into();
    s.languages.clear();
    assert_eq!(s.validated().unwrap().languages, vec!["pt".to_string()]);
}

#[test]
fn vote_budget_is_bounded() {
    let r = settings_refused(|s| s.votes_per_participant = limits::VOTES_MAX + 1);
    assert_eq!(r, Refused::Invalid);
    let mut s = reference_settings();
    s.votes_per_participant = limits::VOTES_MAX;
    assert!(s.validated().is_ok());
}

#[test]
fn invalid_settings_refuse_to_create_a_workshop() {
    let mut settings = reference_settings();
    settings.columns.clear();
    let r = Workshop::create(
        WorkshopId::random(),
        settings,
        default_room_names(),
        (0..4).map(|_| RoomId::random()),
        ParticipantId::random(),
    );
    assert_eq!(refused(r), Refused::Invalid);
}

// ---------------------------------------------------------------------------------------
// Visibility
// ---------------------------------------------------------------------------------------

#[test]
fn board_events_go_to_their_room_and_everything_else_to_everyone() {
    let s = Session::new();
    let (room, card, who) = (s.rooms[0], CardId::random(), s.ana);
    let everyone = [
        Event::WorkshopCreated {
            workshop: s.w.id,
            settings: reference_settings(),
            rooms: s.w.rooms.clone(),
        },
        Event::ParticipantJoined {
            participant: s.who(who).clone(),
        },
        Event::ParticipantMoved {
            participant: who,
            from: Place::Lobby,
            room: Place::Room(room),
        },
        Event::RoomClosed { room },
        Event::RoomOpened { room },
    ];
    for e in &everyone {
        assert_eq!(Audience::of(&s.w, e), Audience::Everyone, "{e:?}");
    }
    let board = [
        Event::CardPosted {
            card,
            room,
            column: "strengths".into(),
            text: "x".into(),
            author: who,
        },
        Event::CardEdited {
            card,
            room,
            text: "y".into(),
            by: who,
        },
        Event::CardDeleted { card, room },
    ];
    for e in &board {
        assert_eq!(Audience::of(&s.w, e), Audience::Room(room), "{e:?}");
    }
}

#[test]
fn workshop_wide_events_reach_everyone_even_in_the_lobby() {
    let s = Session::new();
    for who in [s.organizer, s.facilitator, s.ana, s.cho, s.dan] {
        assert!(Audience::Everyone.admits(s.who(who)));
    }
}

#[test]
fn staff_receive_every_rooms_board_events() {
    let mut s = Session::new();
    s.run(s.organizer, moved(s.facilitator, Place::Room(s.rooms[3])));
    for room in &s.rooms {
        assert!(Audience::Room(*room).admits(s.who(s.organizer)));
        assert!(Audience::Room(*room).admits(s.who(s.facilitator)));
    }
}

#[test]
fn delegate_receives_own_rooms_board_events() {
    let s = Session::new();
    assert!(Audience::Room(s.rooms[0]).admits(s.who(s.ana)));
    assert!(Audience::Room(s.rooms[1]).admits(s.who(s.cho)));
}

#[test]
fn delegate_does_not_receive_another_rooms_board_events() {
    let s = Session::new();
    assert!(!Audience::Room(s.rooms[1]).admits(s.who(s.ana)));
    assert!(!Audience::Room(s.rooms[0]).admits(s.who(s.cho)));
}

#[test]
fn lobby_delegate_receives_no_board_events() {
    let s = Session::new();
    for room in &s.rooms {
        assert!(!Audience::Room(*room).admits(s.who(s.dan)));
    }
}

/// Ana and Cho post in their rooms, interleaved, and the facilitator posts in rooms 1 and 4.
fn busy_boards(s: &mut Session) -> Vec<CardId> {
    vec![
        s.post(s.ana, 0, "a1"),
        s.post(s.cho, 1, "c1"),
        s.post(s.facilitator, 0, "f1"),
        s.post(s.ana, 0, "a2"),
        s.post(s.facilitator, 3, "f4"),
        s.post(s.cho, 1, "c2"),
    ]
}

fn card_ids(v: &visibility::View<'_>) -> Vec<CardId> {
    v.cards.iter().map(|c| c.id).collect()
}

#[test]
fn delegate_sees_only_own_rooms_cards_in_posting_order() {
    let mut s = Session::new();
    let cards = busy_boards(&mut s);
    let ana = view(&s.w, s.who(s.ana));
    assert_eq!(card_ids(&ana), vec![cards[0], cards[2], cards[3]]);
    let cho = view(&s.w, s.who(s.cho));
    assert_eq!(card_ids(&cho), vec![cards[1], cards[5]]);
}

#[test]
fn edited_card_keeps_its_place_on_the_board() {
    let mut s = Session::new();
    let cards = busy_boards(&mut s);
    s.run(s.ana, edit(cards[0], "a1, revised"));
    let ana = view(&s.w, s.who(s.ana));
    assert_eq!(card_ids(&ana), vec![cards[0], cards[2], cards[3]]);
}

#[test]
fn lobby_delegate_sees_no_cards() {
    let mut s = Session::new();
    busy_boards(&mut s);
    assert!(view(&s.w, s.who(s.dan)).cards.is_empty());
}

#[test]
fn staff_see_every_card_in_posting_order() {
    let mut s = Session::new();
    let cards = busy_boards(&mut s);
    for who in [s.facilitator, s.organizer] {
        assert_eq!(card_ids(&view(&s.w, s.who(who))), cards);
    }
}

#[test]
fn delegate_moved_mid_session_sees_new_rooms_board() {
    let mut s = Session::new();
    let cards = busy_boards(&mut s);
    s.run(s.facilitator, moved(s.ana, Place::Room(s.rooms[1])));
    assert_eq!(
        card_ids(&view(&s.w, s.who(s.ana))),
        vec![cards[1], cards[5]]
    );
}

#[test]
fn staff_see_every_member_and_a_delegate_their_place_and_the_staff() {
    let s = Session::new();
    for who in [s.organizer, s.facilitator] {
        let v = view(&s.w, s.who(who));
        assert_eq!(v.rooms.len(), 4);
        assert_eq!(v.rooms[0].members, vec![s.ana, s.ben]);
        assert_eq!(v.rooms[1].members, vec![s.cho]);
        assert!(v.rooms[2].members.is_empty());
        assert_eq!(v.lobby, vec![s.organizer, s.facilitator, s.dan]);
        assert_eq!(v.participants.len(), 6);
        assert!(v.workshop.is_some());
    }
    // Ana (room 1): her room, the staff, nobody of room 2 or of the lobby.
    let v = view(&s.w, s.who(s.ana));
    assert_eq!(v.rooms.len(), 4);
    assert_eq!(v.rooms[0].members, vec![s.ana, s.ben]);
    assert!(v.rooms[1].members.is_empty());
    assert_eq!(v.lobby, vec![s.organizer, s.facilitator]);
    let mut named: Vec<ParticipantId> = v.participants.iter().map(|p| p.id).collect();
    named.sort();
    let mut expected = vec![s.organizer, s.facilitator, s.ana, s.ben];
    expected.sort();
    assert_eq!(named, expected);
    // Dan (lobby): the lobby, which holds the staff too.
    let v = view(&s.w, s.who(s.dan));
    assert!(v.rooms.iter().all(|r| r.members.is_empty()));
    assert_eq!(v.lobby, vec![s.organizer, s.facilitator, s.dan]);
    assert_eq!(v.participants.len(), 3);
}

#[test]
fn only_the_moved_participants_view_is_reshaped() {
    let mut s = Session::new();
    let events = s.run(s.facilitator, moved(s.dan, Place::Room(s.rooms[0])));
    let reshape = Reshape::of(s.w.settings.as_ref(), &events[0]);
    assert_eq!(reshape, Reshape::Participant(s.dan));
    assert!(reshape.affects(s.who(s.dan)));
    for other in [s.ana, s.facilitator, s.organizer] {
        assert!(!reshape.affects(s.who(other)));
    }
    let card = s.fresh_card();
    let posted = s.run(s.dan, post(card, s.rooms[0], "strengths", "x"));
    let closed = s.run(s.facilitator, Command::CloseRoom { room: s.rooms[0] });
    for e in posted.iter().chain(&closed) {
        let reshape = Reshape::of(s.w.settings.as_ref(), e);
        assert_eq!(reshape, Reshape::Nobody, "{e:?}");
        assert!(!reshape.affects(s.who(s.dan)), "{e:?}");
    }
}

// ---------------------------------------------------------------------------------------
// The event log
// ---------------------------------------------------------------------------------------

#[test]
fn replaying_the_log_rebuilds_the_session() {
    let mut s = Session::new();
    let cards = busy_boards(&mut s);
    s.run(s.ana, edit(cards[0], "edited"));
    s.run(s.facilitator, Command::DeleteCard { card: cards[1] });
    s.run(s.facilitator, moved(s.cho, Place::Lobby));
    s.close(2);
    let mut replayed = Workshop::empty(WorkshopId::random());
    for (i, e) in s.log.iter().enumerate() {
        replayed.apply(i as u64 + 1, e);
    }
    assert_eq!(replayed, s.w);
}

#[test]
fn events_round_trip_through_json_with_a_snake_case_type() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "hola");
    let mut events = s.run(s.ana, edit(card, "hola, mundo"));
    events.extend(s.run(s.facilitator, moved(s.ana, Place::Lobby)));
    events.extend(s.run(s.facilitator, Command::DeleteCard { card }));
    let json = serde_json::to_value(&events[1]).unwrap();
    assert_eq!(json["type"], "participant_moved");
    assert_eq!(json["room"], "lobby");
    for e in &events {
        let text = serde_json::to_string(e).unwrap();
        assert_eq!(&serde_json::from_str::<Event>(&text).unwrap(), e);
    }
}

#[test]
fn each_room_needs_exactly_one_distinct_id() {
    let settings = Settings {
        title: "Going Digital".into(),
        language: "en".into(),
        languages: vec!["en".into()],
        columns: settings::default_columns(),
        themes: settings::default_themes(),
        votes_per_participant: 5,
        max_votes_per_card: None,
        votes_visibility: VotesVisibility::Live,
        delegates_can_group: false,
    };
    let names = settings::default_room_names();
    let one = RoomId::random();
    let fewer = Workshop::create(
        WorkshopId::random(),
        settings.clone(),
        names.clone(),
        (0..3).map(|_| RoomId::random()),
        ParticipantId::random(),
    );
    assert!(matches!(fewer, Err(DomainError::Invalid(_))), "{fewer:?}");
    let repeated = Workshop::create(
        WorkshopId::random(),
        settings,
        names,
        [one, one, RoomId::random(), RoomId::random()],
        ParticipantId::random(),
    );
    assert!(
        matches!(repeated, Err(DomainError::Invalid(_))),
        "{repeated:?}"
    );
}

#[test]
fn nobody_joins_as_a_second_organizer() {
    let (w, _) = {
        let id = WorkshopId::random();
        let org = ParticipantId::random();
        let settings = Settings {
            title: "Going Digital".into(),
            language: "en".into(),
            languages: vec!["en".into()],
            columns: settings::default_columns(),
            themes: settings::default_themes(),
            votes_per_participant: 5,
            max_votes_per_card: None,
            votes_visibility: VotesVisibility::Live,
            delegates_can_group: false,
        };
        let events = Workshop::create(
            id,
            settings,
            settings::default_room_names(),
            (0..4).map(|_| RoomId::random()),
            org,
        )
        .unwrap();
        let mut w = Workshop::empty(id);
        for (i, e) in events.iter().enumerate() {
            w.apply(i as u64 + 1, e);
        }
        (w, org)
    };
    let second = decide(
        &w,
        Actor::Server,
        &Command::Join {
            participant: ParticipantId::random(),
            name: "Another organizer".into(),
            country: None,
            language: "en".into(),
            role: Role::Organizer,
        },
    );
    assert!(matches!(second, Err(DomainError::Invalid(_))), "{second:?}");
}
