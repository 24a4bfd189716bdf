//! Who leads, closing and reopening, removing participants; who sees what.

use super::*;

// ---------------------------------------------------------------------------------------
// The session: who leads, closing, removing participants
// ---------------------------------------------------------------------------------------

#[test]
fn the_first_facilitator_to_join_leads() {
    let s = Live::new(1);
    assert_eq!(s.w.session.lead, Some(s.lead));
    assert_ne!(s.lead, s.helper);
}

#[test]
fn only_the_organizer_or_the_lead_close_and_reopen_the_workshop() {
    let mut s = Live::new(1);
    let d = s.delegate("AR");
    for who in [d, s.helper] {
        assert_eq!(
            refused(s.decide(who, Command::CloseWorkshop)),
            Refused::Forbidden
        );
    }
    assert_eq!(
        s.ok(s.lead, Command::CloseWorkshop),
        vec![Event::WorkshopClosed]
    );
    assert!(s.w.session.closed);
    assert!(s.ok(s.organizer, Command::CloseWorkshop).is_empty());
    for who in [d, s.helper] {
        assert_eq!(
            refused(s.decide(who, Command::ReopenWorkshop)),
            Refused::Forbidden
        );
    }
    assert_eq!(
        s.ok(s.organizer, Command::ReopenWorkshop),
        vec![Event::WorkshopReopened]
    );
    assert!(!s.w.session.closed);
    assert!(s.ok(s.lead, Command::ReopenWorkshop).is_empty());
    s.ok(s.organizer, Command::CloseWorkshop);
    s.ok(s.lead, Command::ReopenWorkshop);
    assert!(!s.w.session.closed);
}

#[test]
fn a_closed_workshop_refuses_every_change_but_reopening() {
    let mut s = Live::new(2);
    let d = s.delegate("AR");
    s.put(d, 0);
    s.ok(s.lead, start_timer(None, 600, None, true, T0));
    s.ok(s.lead, Command::CloseWorkshop);
    let room = s.rooms[0];
    let by_delegate = [
        Command::PostCard {
            card: CardId(Uuid::from_u128(0x7000)),
            room,
            column: "problems".into(),
            text: "Late card".into(),
        },
        help(HelpId(Uuid::from_u128(0x5000))),
    ];
    for c in by_delegate {
        assert_eq!(refused(s.decide(d, c.clone())), Refused::Closed, "{c:?}");
    }
    let by_staff = [
        Command::MoveParticipant {
            participant: d,
            to: Place::Lobby,
        },
        assign(Strategy::Even, Scope::Everyone, 0),
        Command::ReturnToLobby,
        broadcast("Still here?", None),
        start_timer(None, 60, None, false, T0),
        Command::CancelTimer { room: None },
        Command::CreateRoom {
            room: RoomId(Uuid::from_u128(0x900)),
            name: "More".into(),
            capacity: None,
        },
        Command::RemoveRoom { room },
        Command::SetLead {
            participant: s.helper,
        },
        Command::RemoveParticipant { participant: d },
        Command::SetPhase {
            room: None,
            phase: Phase::Vote,
            hidden: false,
        },
    ];
    for c in by_staff {
        assert_eq!(
            refused(s.decide(s.organizer, c.clone())),
            Refused::Closed,
            "{c:?}"
        );
    }
    let joining = Command::Join {
        participant: ParticipantId(Uuid::from_u128(0x4444)),
        name: "Latecomer".into(),
        country: Some("PE".into()),
        language: "es".into(),
        role: Role::Delegate,
    };
    assert_eq!(
        refused(decide(&s.w, Actor::Server, &joining)),
        Refused::Closed
    );
    // The server's clock still runs, and the organizer or lead may reopen.
    assert!(decide(&s.w, Actor::Server, &Command::Tick { now: T0 + 300 * S }).is_ok());
    s.ok(s.lead, Command::ReopenWorkshop);
    s.ok(d, help(HelpId(Uuid::from_u128(0x5000))));
}

#[test]
fn the_organizer_names_the_lead_facilitator() {
    let mut s = Live::new(1);
    let d = s.delegate("AR");
    let set = |participant| Command::SetLead { participant };
    assert_eq!(refused(s.decide(s.lead, set(s.helper))), Refused::Forbidden);
    assert_eq!(refused(s.decide(s.organizer, set(d))), Refused::Invalid);
    let stranger = ParticipantId(Uuid::from_u128(0xdead));
    assert_eq!(
        refused(s.decide(s.organizer, set(stranger))),
        Refused::NotFound
    );
    assert!(s.ok(s.organizer, set(s.lead)).is_empty(), "already leads");
    assert_eq!(
        s.ok(s.organizer, set(s.helper)),
        vec![Event::LeadSet {
            participant: s.helper
        }]
    );
    assert_eq!(s.w.session.lead, Some(s.helper));
    let old_lead = s.lead;
    assert_eq!(
        refused(s.decide(old_lead, Command::CloseWorkshop)),
        Refused::Forbidden
    );
    s.ok(s.helper, Command::CloseWorkshop);
    s.ok(s.helper, Command::ReopenWorkshop);
    s.ok(
        s.organizer,
        Command::RemoveParticipant {
            participant: old_lead,
        },
    );
    assert_eq!(
        refused(s.decide(s.organizer, set(old_lead))),
        Refused::Invalid
    );
}

#[test]
fn neither_the_organizer_nor_yourself_can_be_removed() {
    let mut s = Live::new(1);
    let d = s.delegate("AR");
    let remove = |participant| Command::RemoveParticipant { participant };
    assert_eq!(
        refused(s.decide(s.lead, remove(s.organizer))),
        Refused::Invalid
    );
    assert_eq!(refused(s.decide(s.lead, remove(s.lead))), Refused::Invalid);
    assert_eq!(
        refused(s.decide(s.helper, remove(s.helper))),
        Refused::Invalid
    );
    assert_eq!(refused(s.decide(d, remove(d))), Refused::Forbidden);
    let other = s.delegate("BR");
    assert_eq!(refused(s.decide(d, remove(other))), Refused::Forbidden);
    assert_eq!(
        refused(s.decide(s.lead, remove(ParticipantId(Uuid::from_u128(0xdead))))),
        Refused::NotFound
    );
}

#[test]
fn facilitators_are_removed_only_by_the_lead_or_the_organizer() {
    let mut s = Live::new(1);
    let third = s.join(Role::Facilitator, None);
    let remove = |participant| Command::RemoveParticipant { participant };
    assert_eq!(
        refused(s.decide(s.helper, remove(third))),
        Refused::Forbidden
    );
    assert_eq!(
        refused(s.decide(s.helper, remove(s.lead))),
        Refused::Forbidden
    );
    let d = s.delegate("AR");
    s.ok(s.helper, remove(d));
    s.ok(s.lead, remove(third));
    assert!(s.me(third).removed);
    s.ok(s.organizer, remove(s.lead));
    assert!(s.me(s.lead).removed);
    assert_eq!(s.w.session.lead, None, "a removed lead leads no more");
}

#[test]
fn a_removed_participant_cannot_act_and_waits_in_the_lobby() {
    let mut s = Live::new(2);
    let d = s.delegate("AR");
    s.put(d, 0);
    let card = s.post(d, 0, "Connectivity gaps in rural areas");
    let events = s.ok(s.helper, Command::RemoveParticipant { participant: d });
    assert_eq!(events, vec![Event::ParticipantRemoved { participant: d }]);
    assert!(s.me(d).removed);
    assert_eq!(s.place(d), Place::Lobby);
    assert!(s.w.cards.contains_key(&card), "their cards stay");
    let their_commands = [
        Command::EditCard {
            card,
            text: "changed".into(),
        },
        help(HelpId(Uuid::from_u128(0x5000))),
        Command::ChooseRoom { room: s.rooms[1] },
    ];
    for c in their_commands {
        assert_eq!(refused(s.decide(d, c.clone())), Refused::Forbidden, "{c:?}");
    }
    let r = s.decide(
        s.lead,
        Command::MoveParticipant {
            participant: d,
            to: Place::Room(s.rooms[1]),
        },
    );
    assert_eq!(refused(r), Refused::Invalid);
    assert!(s
        .ok(s.lead, Command::RemoveParticipant { participant: d })
        .is_empty());
    let others = s.delegates(2);
    s.ok(s.lead, assign(Strategy::Even, Scope::Everyone, 0));
    assert_eq!(s.place(d), Place::Lobby, "assignments skip them");
    assert!(others.iter().all(|o| s.place(*o) != Place::Lobby));
    let lobby = view(&s.w, s.me(s.lead)).lobby;
    assert!(!lobby.contains(&d));
}

#[test]
fn a_removed_facilitator_cannot_act() {
    let mut s = Live::new(1);
    s.ok(
        s.lead,
        Command::RemoveParticipant {
            participant: s.helper,
        },
    );
    let r = s.decide(s.helper, broadcast("Still here", None));
    assert_eq!(refused(r), Refused::Forbidden);
}

// ---------------------------------------------------------------------------------------
// Who sees what
// ---------------------------------------------------------------------------------------

#[test]
fn session_events_reach_their_audiences() {
    let mut s = Live::new(2);
    let d = s.delegate("AR");
    let room = s.rooms[0];
    let request = HelpId(Uuid::from_u128(0x5000));
    s.ok(d, help(request));
    let m = Move {
        participant: d,
        from: Place::Lobby,
        room: Place::Room(room),
    };
    let cases = [
        (
            Event::RoomCreated {
                room: s.room(1).clone(),
            },
            Audience::Everyone,
        ),
        (
            Event::RoomRenamed {
                room,
                name: "A".into(),
            },
            Audience::Everyone,
        ),
        (
            Event::RoomCapacitySet {
                room,
                capacity: Some(3),
            },
            Audience::Everyone,
        ),
        (
            Event::RoomRemoved {
                room,
                moves: vec![],
            },
            Audience::Everyone,
        ),
        (
            Event::RoomsAssigned {
                strategy: Strategy::Even,
                seed: 0,
                moves: vec![m.clone()],
            },
            Audience::Everyone,
        ),
        (
            Event::ReturnedToLobby { moves: vec![m] },
            Audience::Everyone,
        ),
        (Event::SelfSelectSet { open: true }, Audience::Everyone),
        (
            Event::LateJoinersSet {
                policy: LateJoiners::Even,
            },
            Audience::Staff,
        ),
        (
            Event::BroadcastSent {
                text: "x".into(),
                room: None,
                by: s.lead,
                at: Some(T0),
            },
            Audience::Everyone,
        ),
        (
            Event::BroadcastSent {
                text: "x".into(),
                room: Some(room),
                by: s.lead,
                at: Some(T0),
            },
            Audience::Room(room),
        ),
        (
            Event::TimerStarted {
                room,
                deadline: T0,
                seconds: 60,
                warnings: vec![],
                close_at_end: false,
            },
            Audience::Room(room),
        ),
        (
            Event::TimerExtended {
                room,
                deadline: None,
                remaining_ms: 1,
                fired: vec![],
            },
            Audience::Room(room),
        ),
        (
            Event::TimerPaused {
                room,
                remaining_ms: 1,
            },
            Audience::Room(room),
        ),
        (
            Event::TimerResumed { room, deadline: T0 },
            Audience::Room(room),
        ),
        (Event::TimerCancelled { room }, Audience::Room(room)),
        (
            Event::TimerWarning {
                room,
                seconds: 60,
                closes: true,
            },
            Audience::Room(room),
        ),
        (Event::TimerEnded { room }, Audience::Room(room)),
        (
            Event::HelpRequested {
                request,
                participant: d,
                room: Place::Lobby,
                text: None,
            },
            Audience::StaffAnd(d),
        ),
        (
            Event::HelpAcknowledged {
                request,
                by: s.lead,
            },
            Audience::StaffAnd(d),
        ),
        (
            Event::HelpResolved {
                request,
                by: s.lead,
            },
            Audience::StaffAnd(d),
        ),
        (Event::WorkshopClosed, Audience::Everyone),
        (Event::WorkshopReopened, Audience::Everyone),
        (
            Event::ParticipantRemoved { participant: d },
            Audience::Everyone,
        ),
        (
            Event::LeadSet {
                participant: s.helper,
            },
            Audience::Everyone,
        ),
    ];
    for (event, audience) in cases {
        assert_eq!(Audience::of(&s.w, &event), audience, "{event:?}");
    }
}

#[test]
fn a_delegate_s_session_view_shows_only_what_concerns_them() {
    let mut s = Live::new(2);
    let (ana, ben) = (s.delegate("AR"), s.delegate("BR"));
    s.put(ana, 0);
    s.put(ben, 1);
    s.ok(s.lead, broadcast("Welcome", None));
    s.ok(s.lead, broadcast("Room 1 only", Some(s.rooms[0])));
    s.ok(s.lead, broadcast("Room 2 only", Some(s.rooms[1])));
    s.ok(ana, help(HelpId(Uuid::from_u128(0x5000))));
    s.ok(ben, help(HelpId(Uuid::from_u128(0x5001))));
    s.ok(s.lead, start_timer(None, 600, None, false, T0));

    let ana_view = view(&s.w, s.me(ana)).session;
    let texts: Vec<_> = ana_view
        .broadcasts
        .iter()
        .map(|b| b.text.as_str())
        .collect();
    assert_eq!(texts, vec!["Welcome", "Room 1 only"]);
    assert_eq!(ana_view.help.len(), 1);
    assert_eq!(ana_view.help[0].participant, ana);
    let timers: Vec<_> = ana_view.timers.iter().map(|t| t.room).collect();
    assert_eq!(timers, vec![s.rooms[0]]);
    assert_eq!(ana_view.late_joiners, None);

    let staff_view = view(&s.w, s.me(s.helper)).session;
    assert_eq!(staff_view.broadcasts.len(), 3);
    assert_eq!(staff_view.help.len(), 2);
    assert_eq!(staff_view.timers.len(), 2);
    assert_eq!(staff_view.late_joiners, Some(LateJoiners::Lobby));
    assert_eq!(staff_view.lead, Some(s.lead));

    // In the lobby: whole-workshop broadcasts only, no room timer.
    s.ok(
        s.lead,
        Command::MoveParticipant {
            participant: ana,
            to: Place::Lobby,
        },
    );
    let lobby_view = view(&s.w, s.me(ana)).session;
    assert_eq!(lobby_view.broadcasts.len(), 1);
    assert!(lobby_view.timers.is_empty());
}

#[test]
fn an_assignment_reshapes_the_view_of_exactly_those_it_moved() {
    let mut s = Live::new(2);
    let ds = s.delegates(4);
    s.put(ds[0], 0);
    s.put(s.helper, 0);
    let events = s
        .decide(s.lead, assign(Strategy::Even, Scope::Lobby, 0))
        .unwrap();
    let moved: Vec<_> = moves_of(&events).iter().map(|m| m.participant).collect();
    assert_eq!(
        moved.iter().copied().collect::<BTreeSet<_>>(),
        ds[1..].iter().copied().collect(),
        "those waiting in the lobby"
    );
    let reshape = Reshape::of(s.w.settings.as_ref(), &events[0]);
    assert_eq!(reshape, Reshape::Participants(moved.clone()));
    s.apply(events);
    for p in s.w.participants.values() {
        assert_eq!(reshape.affects(p), moved.contains(&p.id), "{}", p.name);
    }
    // Everyone back, and a room's removal, likewise.
    let remove = s
        .decide(s.lead, Command::RemoveRoom { room: s.rooms[0] })
        .unwrap();
    let in_room_0: Vec<_> =
        s.w.participants
            .values()
            .filter(|p| p.room == Place::Room(s.rooms[0]))
            .map(|p| p.id)
            .collect();
    assert_eq!(
        Reshape::of(s.w.settings.as_ref(), &remove[0]),
        Reshape::Participants(in_room_0)
    );
    let back = s.decide(s.lead, Command::ReturnToLobby).unwrap();
    let everyone_placed: Vec<_> =
        s.w.participants
            .values()
            .filter(|p| p.room != Place::Lobby)
            .map(|p| p.id)
            .collect();
    assert_eq!(
        Reshape::of(s.w.settings.as_ref(), &back[0]),
        Reshape::Participants(everyone_placed)
    );
}
