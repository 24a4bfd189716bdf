//! Moving participants, opening and closing rooms, joining.

use super::*;

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
