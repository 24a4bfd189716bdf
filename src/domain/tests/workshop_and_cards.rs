//! Creating a workshop; posting, editing and deleting cards.

use super::*;

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
