//! Replay: a long session folded again from its events rebuilds the live state.

use super::*;

// ---------------------------------------------------------------------------------------
// Replay
// ---------------------------------------------------------------------------------------

/// A facilitator runs the reference workshop's breakout session from start to close.
fn long_session() -> Live {
    let mut s = Live::new(4);
    let delegations = s.reference_delegations();
    let ar = delegations["AR"][0];
    let br = delegations["BR"][0];
    let lead = s.lead;
    s.ok(
        lead,
        Command::SetLateJoiners {
            policy: LateJoiners::ByCountry,
        },
    );
    s.ok(lead, assign(Strategy::ByCountry, Scope::Lobby, 0));
    let late = s.delegate("AR");
    assert_eq!(s.place(late), s.place(ar));
    s.ok(lead, broadcast("Welcome to the breakout rooms", None));
    s.ok(lead, start_timer(None, 1800, None, true, T0));
    let room_of_ar = s.place(ar).room().unwrap();
    let card = s.post(
        ar,
        s.rooms.iter().position(|r| *r == room_of_ar).unwrap(),
        "Weak data governance",
    );
    s.ok(ar, help(HelpId(Uuid::from_u128(0x5000))));
    s.ok(
        s.helper,
        Command::AcknowledgeHelp {
            request: HelpId(Uuid::from_u128(0x5000)),
        },
    );
    s.tick(T0 + 1500 * S);
    s.ok(
        lead,
        Command::PauseTimer {
            room: None,
            now: T0 + 1550 * S,
        },
    );
    s.ok(
        lead,
        Command::ExtendTimer {
            room: None,
            seconds: 300,
            now: T0 + 1600 * S,
        },
    );
    s.ok(
        lead,
        Command::ResumeTimer {
            room: None,
            now: T0 + 1700 * S,
        },
    );
    s.ok(
        s.helper,
        Command::ResolveHelp {
            request: HelpId(Uuid::from_u128(0x5000)),
        },
    );
    let extra = s.create_room(Some(10));
    s.ok(
        lead,
        Command::RenameRoom {
            room: extra,
            name: "Overflow".into(),
        },
    );
    s.ok(
        lead,
        Command::SetRoomCapacity {
            room: extra,
            capacity: Some(12),
        },
    );
    s.ok(lead, Command::SetSelfSelect { open: true });
    s.ok(br, Command::ChooseRoom { room: extra });
    s.ok(lead, broadcast("Overflow room: five minutes", Some(extra)));
    s.ok(
        lead,
        Command::RemoveParticipant {
            participant: delegations["UY"][3],
        },
    );
    s.ok(
        s.organizer,
        Command::SetLead {
            participant: s.helper,
        },
    );
    s.ok(
        lead,
        Command::CancelTimer {
            room: Some(s.rooms[3]),
        },
    );
    s.tick(T0 + 2000 * S);
    s.tick(T0 + 2200 * S);
    s.remove_room(4);
    s.ok(lead, assign(Strategy::Random, Scope::Everyone, 24));
    s.ok(lead, Command::ReturnToLobby);
    s.ok(
        s.organizer,
        Command::SetPhase {
            room: None,
            phase: Phase::Closed,
            hidden: false,
        },
    );
    s.ok(s.helper, Command::CloseWorkshop);
    s.ok(s.organizer, Command::ReopenWorkshop);
    s.ok(s.helper, Command::CloseWorkshop);
    assert!(s.w.cards.contains_key(&card));
    s
}

#[test]
fn replaying_a_long_session_rebuilds_the_live_state() {
    let live = long_session();
    assert!(live.log.len() > 100, "{} events", live.log.len());
    let mut replayed = Workshop::empty(live.w.id);
    for (i, event) in live.log.iter().enumerate() {
        let stored = serde_json::to_string(event).unwrap();
        let event: Event = serde_json::from_str(&stored).unwrap();
        replayed.apply(i as u64 + 1, &event);
    }
    assert_eq!(replayed, live.w);
    assert!(replayed.session.closed);
    assert_eq!(replayed.session.lead, Some(live.helper));
}
