//! The phase table: what each phase allows.

use super::*;

// ---------------------------------------------------------------------------------------
// The phase table
// ---------------------------------------------------------------------------------------

#[test]
fn delegate_board_actions_follow_the_phase_table() {
    use Refused::{Closed, Forbidden};
    // post, edit own, delete own, vote, unvote, group
    let table: [(Phase, [Result<(), Refused>; 6]); 5] = [
        (
            Phase::Brainstorm,
            [
                Ok(()),
                Ok(()),
                Ok(()),
                Err(Forbidden),
                Err(Forbidden),
                Ok(()),
            ],
        ),
        (
            Phase::Reveal,
            [
                Ok(()),
                Ok(()),
                Ok(()),
                Err(Forbidden),
                Err(Forbidden),
                Ok(()),
            ],
        ),
        (
            Phase::Vote,
            [
                Err(Forbidden),
                Err(Forbidden),
                Err(Forbidden),
                Ok(()),
                Ok(()),
                Err(Forbidden),
            ],
        ),
        (
            Phase::Consolidate,
            [
                Err(Forbidden),
                Err(Forbidden),
                Err(Forbidden),
                Err(Forbidden),
                Err(Forbidden),
                Err(Forbidden),
            ],
        ),
        (
            Phase::Closed,
            [
                Err(Closed),
                Err(Closed),
                Err(Closed),
                Err(Closed),
                Err(Closed),
                Err(Closed),
            ],
        ),
    ];
    for (phase, expected) in table {
        let mut s = Session::with(grouping_delegates());
        let mine = s.post(s.ana, 0, "mine");
        let spare = s.post(s.ana, 0, "to delete");
        let bens = s.post(s.ben, 0, "Ben's");
        s.phase(Some(0), Phase::Vote, false);
        s.run(s.ana, vote(bens));
        if phase != Phase::Vote {
            s.phase(Some(0), phase, false);
        }
        let actions = [
            post(CardId::random(), s.rooms[0], "strengths", "new"),
            edit(mine, "changed"),
            Command::DeleteCard { card: spare },
            vote(bens),
            unvote(bens),
            group_cards(gid(1), &[mine, bens], "Ours"),
        ];
        for (action, expected) in actions.into_iter().zip(expected) {
            let got = outcome(s.decide(s.ana, action.clone()));
            assert_eq!(got, expected, "{action:?} in the {phase:?} phase");
        }
    }
}

#[test]
fn staff_change_boards_in_every_phase_but_closed_and_never_vote() {
    for phase in PHASES {
        let mut s = Session::new();
        let anas = s.post(s.ana, 0, "Ana's");
        let bens = s.post(s.ben, 0, "Ben's");
        s.phase(Some(0), phase, false);
        for who in [s.facilitator, s.organizer] {
            let actions = [
                post(CardId::random(), s.rooms[0], "strengths", "new"),
                edit(anas, "moderated"),
                Command::DeleteCard { card: bens },
                group_cards(gid(1), &[anas, bens], "Both"),
                tag(anas, Some("data")),
                Command::HideCard { card: anas },
            ];
            for action in actions {
                let got = outcome(s.decide(who, action.clone()));
                let expected = if phase == Phase::Closed {
                    Err(Refused::Closed)
                } else {
                    Ok(())
                };
                assert_eq!(got, expected, "{action:?} in the {phase:?} phase");
            }
            let expected = if phase == Phase::Closed {
                Refused::Closed
            } else {
                Refused::Forbidden
            };
            assert_eq!(refused(s.decide(who, vote(anas))), expected, "{phase:?}");
        }
    }
}

#[test]
fn closed_phase_and_closed_room_are_both_read_only() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "idea");
    // A room closed with `close_room`, whatever its phase.
    s.phase(Some(0), Phase::Reveal, false);
    s.close(0);
    for who in [s.ana, s.facilitator, s.organizer] {
        assert_eq!(refused(s.decide(who, edit(card, "x"))), Refused::Closed);
    }
    s.run(s.facilitator, Command::OpenRoom { room: s.rooms[0] });
    s.run(s.ana, edit(card, "open again"));
    // The closed phase of an open room.
    s.phase(Some(0), Phase::Closed, false);
    assert!(s.w.room(s.rooms[0]).unwrap().open);
    for who in [s.ana, s.facilitator, s.organizer] {
        assert_eq!(refused(s.decide(who, edit(card, "x"))), Refused::Closed);
        let r = s.decide(who, post(CardId::random(), s.rooms[0], "strengths", "x"));
        assert_eq!(refused(r), Refused::Closed);
    }
    // Other rooms are not affected.
    s.post(s.cho, 1, "room 2 is still in brainstorm");
}

#[test]
fn hidden_goes_only_with_the_brainstorm_phase() {
    let mut s = Session::new();
    for phase in [
        Phase::Reveal,
        Phase::Vote,
        Phase::Consolidate,
        Phase::Closed,
    ] {
        for room in [None, Some(s.rooms[0])] {
            let command = Command::SetPhase {
                room,
                phase,
                hidden: true,
            };
            assert_eq!(
                refused(s.decide(s.facilitator, command)),
                Refused::Invalid,
                "{phase:?}"
            );
        }
    }
    s.phase(Some(0), Phase::Brainstorm, true);
    assert!(s.w.room(s.rooms[0]).unwrap().hidden);
}

#[test]
fn only_staff_set_phases() {
    let s = Session::new();
    let command = Command::SetPhase {
        room: Some(s.rooms[0]),
        phase: Phase::Vote,
        hidden: false,
    };
    assert_eq!(
        refused(s.decide(s.ana, command.clone())),
        Refused::Forbidden
    );
    assert!(s.decide(s.organizer, command).is_ok());
}

#[test]
fn setting_the_phase_of_an_unknown_room_is_not_found() {
    let s = Session::new();
    let command = Command::SetPhase {
        room: Some(RoomId(Uuid::from_u128(0xdead))),
        phase: Phase::Vote,
        hidden: false,
    };
    assert_eq!(refused(s.decide(s.facilitator, command)), Refused::NotFound);
}

#[test]
fn setting_the_phase_for_all_rooms_changes_each_room_that_differs() {
    let mut s = Session::new();
    s.phase(Some(2), Phase::Vote, false);
    let events = s.phase(None, Phase::Vote, false);
    let expected: Vec<Event> = [0, 1, 3]
        .into_iter()
        .map(|n| Event::PhaseSet {
            room: s.rooms[n],
            phase: Phase::Vote,
            hidden: false,
            from: Phase::Brainstorm,
            was_hidden: false,
        })
        .collect();
    assert_eq!(
        events, expected,
        "one event per room that changes, in room order"
    );
    assert!(s.w.rooms.iter().all(|r| r.phase == Phase::Vote));
}

#[test]
fn setting_the_phase_of_one_room_leaves_the_others() {
    let mut s = Session::new();
    s.phase(Some(0), Phase::Brainstorm, true);
    let events = s.phase(Some(0), Phase::Reveal, false);
    assert_eq!(
        events,
        vec![Event::PhaseSet {
            room: s.rooms[0],
            phase: Phase::Reveal,
            hidden: false,
            from: Phase::Brainstorm,
            was_hidden: true,
        }]
    );
    let rooms: Vec<(Phase, bool)> = s.w.rooms.iter().map(|r| (r.phase, r.hidden)).collect();
    assert_eq!(
        rooms,
        vec![
            (Phase::Reveal, false),
            (Phase::Brainstorm, false),
            (Phase::Brainstorm, false),
            (Phase::Brainstorm, false),
        ]
    );
}

#[test]
fn setting_the_same_phase_again_produces_no_event() {
    let mut s = Session::new();
    for room in [None, Some(s.rooms[1])] {
        let command = Command::SetPhase {
            room,
            phase: Phase::Brainstorm,
            hidden: false,
        };
        assert_eq!(s.decide(s.facilitator, command), Ok(vec![]));
    }
    s.phase(None, Phase::Consolidate, false);
    let again = Command::SetPhase {
        room: None,
        phase: Phase::Consolidate,
        hidden: false,
    };
    assert_eq!(s.decide(s.facilitator, again), Ok(vec![]));
    // Hiding changes the phase state even in the same phase.
    let hide = Command::SetPhase {
        room: Some(s.rooms[0]),
        phase: Phase::Brainstorm,
        hidden: true,
    };
    s.phase(Some(0), Phase::Brainstorm, false);
    assert_eq!(s.decide(s.facilitator, hide).map(|e| e.len()), Ok(1));
}
