//! Rooms created, renamed and removed during the session; broadcasts; help requests.

use super::*;

// ---------------------------------------------------------------------------------------
// Rooms during the session
// ---------------------------------------------------------------------------------------

#[test]
fn facilitators_create_rooms_during_the_session() {
    let mut s = Live::new(2);
    let d = s.delegate("AR");
    let create = |room: RoomId, name: &str, capacity| Command::CreateRoom {
        room,
        name: name.into(),
        capacity,
    };
    let new = RoomId(Uuid::from_u128(0x900));
    assert_eq!(
        refused(s.decide(d, create(new, "Late room", None))),
        Refused::Forbidden
    );
    assert_eq!(
        refused(s.decide(s.lead, create(new, "   ", None))),
        Refused::Invalid
    );
    assert_eq!(
        refused(s.decide(s.lead, create(new, "Late room", Some(0)))),
        Refused::Invalid
    );
    assert_eq!(
        refused(s.decide(s.lead, create(s.rooms[0], "Late room", None))),
        Refused::Invalid,
        "ids are unique"
    );
    s.ok(s.helper, create(new, "  Late room ", Some(6)));
    let room = s.w.rooms.last().unwrap();
    assert_eq!((room.id, room.name.as_str()), (new, "Late room"));
    assert!(room.open && !room.removed);
    assert_eq!(room.capacity, Some(6));
    assert_eq!(room.phase, Phase::Brainstorm);
    s.put(d, 0);
    s.ok(
        s.lead,
        Command::MoveParticipant {
            participant: d,
            to: Place::Room(new),
        },
    );
    assert_eq!(s.place(d), Place::Room(new));
}

#[test]
fn facilitators_rename_rooms() {
    let mut s = Live::new(2);
    let d = s.delegate("AR");
    let room = s.rooms[0];
    let rename = |name: &str| Command::RenameRoom {
        room,
        name: name.into(),
    };
    assert_eq!(refused(s.decide(d, rename("Mine"))), Refused::Forbidden);
    assert_eq!(refused(s.decide(s.lead, rename(""))), Refused::Invalid);
    s.ok(s.lead, rename("  Southern Cone and Brazil "));
    assert_eq!(s.room(0).name, "Southern Cone and Brazil");
    assert!(s.ok(s.lead, rename("Southern Cone and Brazil")).is_empty());
}

#[test]
fn room_capacity_limits_delegates_moved_in() {
    let mut s = Live::new(2);
    let ds = s.delegates(3);
    let room = s.rooms[0];
    let set = |capacity| Command::SetRoomCapacity { room, capacity };
    assert_eq!(refused(s.decide(ds[0], set(Some(2)))), Refused::Forbidden);
    assert_eq!(refused(s.decide(s.lead, set(Some(0)))), Refused::Invalid);
    s.ok(s.lead, set(Some(2)));
    assert_eq!(s.room(0).capacity, Some(2));
    assert!(s.ok(s.lead, set(Some(2))).is_empty());
    s.put(ds[0], 0);
    s.put(ds[1], 0);
    let to = Place::Room(s.rooms[0]);
    let r = s.decide(
        s.lead,
        Command::MoveParticipant {
            participant: ds[2],
            to,
        },
    );
    assert_eq!(refused(r), Refused::Invalid);
    s.ok(s.lead, set(None));
    s.put(ds[2], 0);
    assert_eq!(s.sizes(), vec![3, 0]);
}

#[test]
fn removing_a_room_sends_its_members_to_the_lobby_and_keeps_its_cards() {
    let mut s = Live::new(3);
    let ds = s.delegates(3);
    s.put(ds[0], 1);
    s.put(ds[1], 1);
    s.put(ds[2], 2);
    s.put(s.helper, 1);
    let card = s.post(ds[0], 1, "No interoperability framework");
    let room = s.rooms[1];
    assert_eq!(
        refused(s.decide(ds[0], Command::RemoveRoom { room })),
        Refused::Forbidden
    );
    let events = s.ok(s.lead, Command::RemoveRoom { room });
    let [Event::RoomRemoved { moves, .. }] = events.as_slice() else {
        panic!("{events:?}")
    };
    let moved: BTreeSet<_> = moves.iter().map(|m| m.participant).collect();
    assert_eq!(moved, BTreeSet::from([ds[0], ds[1], s.helper]));
    assert!(moves.iter().all(|m| m.room == Place::Lobby));
    assert_eq!(s.place(ds[0]), Place::Lobby);
    assert_eq!(s.place(ds[2]), Place::Room(s.rooms[2]));
    assert!(s.room(1).removed);
    assert_eq!(s.w.cards[&card].room, room, "the card stays in the record");
    let staff_view = view(&s.w, s.me(s.lead));
    assert!(staff_view.cards.iter().any(|c| c.id == card));
    assert!(staff_view
        .rooms
        .iter()
        .any(|r| r.room.id == room && r.room.removed));
    assert_eq!(
        refused(s.decide(s.lead, Command::RemoveRoom { room })),
        Refused::NotFound,
        "already removed"
    );
}

#[test]
fn the_last_room_cannot_be_removed() {
    let mut s = Live::new(2);
    s.remove_room(0);
    let r = s.decide(s.lead, Command::RemoveRoom { room: s.rooms[1] });
    assert_eq!(refused(r), Refused::Invalid);
    assert!(!s.room(1).removed);
}

#[test]
fn a_removed_room_is_no_longer_a_destination() {
    let mut s = Live::new(3);
    let d = s.delegate("AR");
    s.remove_room(0);
    let room = s.rooms[0];
    let to = Place::Room(room);
    let commands = [
        Command::MoveParticipant { participant: d, to },
        Command::RenameRoom {
            room,
            name: "Back".into(),
        },
        Command::SetRoomCapacity {
            room,
            capacity: Some(3),
        },
        Command::OpenRoom { room },
        Command::CloseRoom { room },
        broadcast("Hello", Some(room)),
        start_timer(Some(room), 60, None, false, T0),
    ];
    for c in commands {
        assert_eq!(
            refused(s.decide(s.lead, c.clone())),
            Refused::NotFound,
            "{c:?}"
        );
    }
    s.ok(s.lead, Command::SetSelfSelect { open: true });
    assert_eq!(
        refused(s.decide(d, Command::ChooseRoom { room })),
        Refused::NotFound
    );
}

// ---------------------------------------------------------------------------------------
// Broadcasts
// ---------------------------------------------------------------------------------------

#[test]
fn only_staff_broadcast() {
    let mut s = Live::new(2);
    let d = s.delegate("AR");
    assert_eq!(
        refused(s.decide(d, broadcast("Hi all", None))),
        Refused::Forbidden
    );
    assert_eq!(
        refused(s.decide(s.lead, broadcast("   ", None))),
        Refused::Invalid
    );
    s.ok(s.organizer, broadcast(" Welcome ", None));
    s.ok(s.helper, broadcast("Ten minutes left", Some(s.rooms[1])));
    let kept: Vec<_> =
        s.w.session
            .broadcasts
            .iter()
            .map(|b| (b.text.as_str(), b.room, b.by, b.at))
            .collect();
    assert_eq!(
        kept,
        vec![
            ("Welcome", None, s.organizer, Some(T0)),
            ("Ten minutes left", Some(s.rooms[1]), s.helper, Some(T0))
        ]
    );
}

#[test]
fn a_broadcast_keeps_its_time_and_a_logged_one_without_time_reads_as_none() {
    let mut s = Live::new(1);
    let sent = s
        .decide(
            s.lead,
            Command::Broadcast {
                text: "Coffee".into(),
                room: None,
                now: T0 + 5_000,
            },
        )
        .unwrap();
    s.apply(sent);
    assert_eq!(s.w.session.broadcasts[0].at, Some(T0 + 5_000));
    let old: Event = serde_json::from_str(&format!(
        r#"{{"type":"broadcast_sent","text":"Old","room":null,"by":"{}"}}"#,
        s.lead
    ))
    .unwrap();
    s.apply(vec![old]);
    let last = s.w.session.broadcasts.last().unwrap();
    assert_eq!((last.text.as_str(), last.at), ("Old", None));
}

#[test]
fn the_broadcast_history_keeps_the_latest_ones() {
    let mut s = Live::new(1);
    for n in 0..BROADCASTS_KEPT + 5 {
        s.ok(s.lead, broadcast(&format!("message {n}"), None));
    }
    let history = &s.w.session.broadcasts;
    assert_eq!(history.len(), BROADCASTS_KEPT);
    assert_eq!(history[0].text, "message 5");
    assert_eq!(
        history.last().unwrap().text,
        format!("message {}", BROADCASTS_KEPT + 4)
    );
    assert!(
        history.windows(2).all(|w| w[0].seq < w[1].seq),
        "oldest first"
    );
}

#[test]
fn a_room_broadcast_reaches_only_that_room_and_staff() {
    let mut s = Live::new(2);
    let ds = s.delegates(3);
    s.put(ds[0], 0);
    s.put(ds[1], 1);
    let to_room = &s
        .decide(s.lead, broadcast("Room 1: vote now", Some(s.rooms[0])))
        .unwrap()[0];
    let to_all = &s.decide(s.lead, broadcast("Back in 5", None)).unwrap()[0];
    let audience = Audience::of(&s.w, to_room);
    assert_eq!(audience, Audience::Room(s.rooms[0]));
    assert!(audience.admits(s.me(ds[0])));
    assert!(!audience.admits(s.me(ds[1])));
    assert!(!audience.admits(s.me(ds[2])), "not the lobby");
    assert!(audience.admits(s.me(s.helper)));
    assert_eq!(Audience::of(&s.w, to_all), Audience::Everyone);
}

// ---------------------------------------------------------------------------------------
// Help requests
// ---------------------------------------------------------------------------------------

#[test]
fn only_delegates_ask_for_help_and_the_room_is_recorded() {
    let mut s = Live::new(2);
    let d = s.delegate("AR");
    s.put(d, 1);
    let request = HelpId(Uuid::from_u128(0x5000));
    assert_eq!(
        refused(s.decide(s.helper, help(request))),
        Refused::Forbidden
    );
    s.ok(d, help(request));
    let h = &s.w.session.help[0];
    assert_eq!(h.id, request);
    assert_eq!(h.participant, d);
    assert_eq!(h.room, Place::Room(s.rooms[1]));
    assert_eq!(h.text.as_deref(), Some("we cannot see the board"));
    assert_eq!(h.status, HelpStatus::Open);
    assert_eq!(h.seq, s.w.seq);
    let blank = Command::RequestHelp {
        request: HelpId(Uuid::from_u128(0x5001)),
        text: Some("  ".into()),
    };
    s.ok(d, blank);
    assert_eq!(s.w.session.help[1].text, None);
    assert_eq!(
        refused(s.decide(d, help(request))),
        Refused::Invalid,
        "id reused"
    );
}

#[test]
fn a_delegate_keeps_at_most_three_requests_open() {
    let mut s = Live::new(1);
    let (d, other) = (s.delegate("AR"), s.delegate("BR"));
    let ids: Vec<HelpId> = (0..5)
        .map(|n| HelpId(Uuid::from_u128(0x5000 + n)))
        .collect();
    for id in &ids[..3] {
        s.ok(d, help(*id));
    }
    assert_eq!(refused(s.decide(d, help(ids[3]))), Refused::TooLarge);
    s.ok(s.lead, Command::AcknowledgeHelp { request: ids[0] });
    assert_eq!(
        refused(s.decide(d, help(ids[3]))),
        Refused::TooLarge,
        "acknowledged is still open"
    );
    s.ok(other, help(ids[4]));
    s.ok(s.lead, Command::ResolveHelp { request: ids[1] });
    s.ok(d, help(ids[3]));
}

#[test]
fn staff_acknowledge_and_resolve_help_requests() {
    let mut s = Live::new(1);
    let d = s.delegate("AR");
    let request = HelpId(Uuid::from_u128(0x5000));
    s.ok(d, help(request));
    let ack = Command::AcknowledgeHelp { request };
    let resolve = Command::ResolveHelp { request };
    assert_eq!(refused(s.decide(d, ack.clone())), Refused::Forbidden);
    assert_eq!(refused(s.decide(d, resolve.clone())), Refused::Forbidden);
    let unknown = Command::ResolveHelp {
        request: HelpId(Uuid::from_u128(0x5999)),
    };
    assert_eq!(refused(s.decide(s.lead, unknown)), Refused::NotFound);
    assert_eq!(
        s.ok(s.helper, ack.clone()),
        vec![Event::HelpAcknowledged {
            request,
            by: s.helper
        }]
    );
    assert_eq!(s.w.session.help[0].status, HelpStatus::Acknowledged);
    assert_eq!(s.w.session.help[0].handled_by, Some(s.helper));
    assert!(s.ok(s.lead, ack.clone()).is_empty());
    s.ok(s.lead, resolve.clone());
    assert_eq!(s.w.session.help[0].status, HelpStatus::Resolved);
    assert_eq!(s.w.session.help[0].handled_by, Some(s.lead));
    assert!(
        s.ok(s.lead, ack).is_empty(),
        "a resolved request stays resolved"
    );
    assert!(s.ok(s.lead, resolve).is_empty());
}

#[test]
fn help_requests_are_seen_by_staff_and_the_requester() {
    let mut s = Live::new(1);
    let (d, other) = (s.delegate("AR"), s.delegate("AR"));
    let request = HelpId(Uuid::from_u128(0x5000));
    let asked = s.decide(d, help(request)).unwrap();
    assert_eq!(Audience::of(&s.w, &asked[0]), Audience::StaffAnd(d));
    s.apply(asked);
    for c in [
        Command::AcknowledgeHelp { request },
        Command::ResolveHelp { request },
    ] {
        let events = s.decide(s.lead, c).unwrap();
        let audience = Audience::of(&s.w, &events[0]);
        assert_eq!(audience, Audience::StaffAnd(d));
        assert!(audience.admits(s.me(d)) && audience.admits(s.me(s.helper)));
        assert!(!audience.admits(s.me(other)));
        s.apply(events);
    }
}
