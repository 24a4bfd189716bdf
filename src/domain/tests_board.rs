//! Unit tests of the board rules added for consolidation: the phase table, dot voting,
//! grouping, themes and moderation. One rule per test, named like a facilitator's checklist.
//!
//! Every test starts from the session of `tests.rs` (`Session::new` or `Session::with`):
//! four rooms, the organizer, one facilitator, Ana (AR) and Ben (BR) in room 1, Cho (CL) in
//! room 2, Dan (PE) in the lobby; every room in the brainstorm phase.

use super::reports;
use super::tests::{edit, moved, post, reference_settings, refused, Refused, Session};
use super::visibility::{view, Audience, Reshape};
use super::*;
use uuid::Uuid;

const PHASES: [Phase; 5] = [
    Phase::Brainstorm,
    Phase::Reveal,
    Phase::Vote,
    Phase::Consolidate,
    Phase::Closed,
];

fn gid(n: u128) -> GroupId {
    GroupId(Uuid::from_u128(0xD000 + n))
}

fn vote(card: CardId) -> Command {
    Command::Vote { card }
}

fn unvote(card: CardId) -> Command {
    Command::Unvote { card }
}

fn group_cards(group: GroupId, cards: &[CardId], name: &str) -> Command {
    Command::GroupCards {
        group,
        cards: cards.to_vec(),
        name: name.into(),
    }
}

fn tag(card: CardId, theme: Option<&str>) -> Command {
    Command::TagCard {
        card,
        theme: theme.map(Into::into),
    }
}

fn tag_group(group: GroupId, theme: Option<&str>) -> Command {
    Command::TagGroup {
        group,
        theme: theme.map(Into::into),
    }
}

/// Whether a command is accepted (and changes something), or which rule refused it.
#[track_caller]
fn outcome(result: Result<Vec<Event>, DomainError>) -> Result<(), Refused> {
    match result {
        Ok(events) => {
            assert!(!events.is_empty(), "accepted but changed nothing");
            Ok(())
        }
        Err(e) => Err(refused(Err(e))),
    }
}

/// Settings where delegates may group cards.
fn grouping_delegates() -> Settings {
    Settings {
        delegates_can_group: true,
        ..reference_settings()
    }
}

/// A session in the vote phase with a budget of `budget` votes: Ana's and Ben's cards in
/// room 1, Cho's in room 2.
fn ballot(settings: Settings) -> (Session, [CardId; 3]) {
    let mut s = Session::with(settings);
    let cards = [
        s.post(s.ana, 0, "Ana's idea"),
        s.post(s.ben, 0, "Ben's idea"),
        s.post(s.cho, 1, "Cho's idea"),
    ];
    s.phase(None, Phase::Vote, false);
    (s, cards)
}

fn budget(votes: u32) -> Settings {
    Settings {
        votes_per_participant: votes,
        ..reference_settings()
    }
}

fn my_votes(s: &Session, who: ParticipantId, card: CardId) -> u32 {
    s.w.votes
        .get(&card)
        .and_then(|by| by.get(&who))
        .copied()
        .unwrap_or(0)
}

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

// ---------------------------------------------------------------------------------------
// Dot voting
// ---------------------------------------------------------------------------------------

#[test]
fn delegate_spends_the_budget_across_cards() {
    let (mut s, [anas, bens, _]) = ballot(budget(3));
    let events = s.run(s.ana, vote(bens));
    assert_eq!(
        events,
        vec![Event::VoteCast {
            card: bens,
            room: s.rooms[0],
            participant: s.ana,
        }]
    );
    s.run(s.ana, vote(bens));
    s.run(s.ana, vote(anas));
    assert_eq!(my_votes(&s, s.ana, bens), 2);
    assert_eq!(my_votes(&s, s.ana, anas), 1);
    assert_eq!(s.w.votes_on(bens), 2);
    // Ben's budget is his own.
    s.run(s.ben, vote(bens));
    assert_eq!(s.w.votes_on(bens), 3);
}

#[test]
fn an_exhausted_budget_refuses_another_vote() {
    let (mut s, [anas, bens, _]) = ballot(budget(3));
    for card in [anas, bens, bens] {
        s.run(s.ana, vote(card));
    }
    for card in [anas, bens] {
        assert_eq!(refused(s.decide(s.ana, vote(card))), Refused::Forbidden);
    }
    // Withdrawing one vote gives it back.
    s.run(s.ana, unvote(bens));
    s.run(s.ana, vote(anas));
    assert_eq!(refused(s.decide(s.ana, vote(anas))), Refused::Forbidden);
}

#[test]
fn a_delegate_moved_to_another_room_votes_there_afresh() {
    let (mut s, [anas, _, chos]) = ballot(budget(2));
    s.run(s.ana, vote(anas));
    s.run(s.ana, vote(anas));
    s.run(s.facilitator, moved(s.ana, Place::Room(s.rooms[1])));
    s.run(s.ana, vote(chos));
    s.run(s.ana, vote(chos));
    assert_eq!(refused(s.decide(s.ana, vote(chos))), Refused::Forbidden);
    // The votes left behind stay where they were cast, and count there again.
    assert_eq!(my_votes(&s, s.ana, anas), 2);
    s.run(s.facilitator, moved(s.ana, Place::Room(s.rooms[0])));
    assert_eq!(refused(s.decide(s.ana, vote(anas))), Refused::Forbidden);
}

#[test]
fn a_zero_budget_means_no_voting() {
    let (s, [_, bens, _]) = ballot(budget(0));
    assert_eq!(refused(s.decide(s.ana, vote(bens))), Refused::Forbidden);
}

#[test]
fn at_most_max_votes_per_card_of_one_delegate() {
    let settings = Settings {
        max_votes_per_card: Some(2),
        ..budget(5)
    };
    let (mut s, [anas, bens, _]) = ballot(settings);
    s.run(s.ana, vote(bens));
    s.run(s.ana, vote(bens));
    assert_eq!(refused(s.decide(s.ana, vote(bens))), Refused::Forbidden);
    // Other cards, and other delegates on the same card, are not affected.
    s.run(s.ana, vote(anas));
    s.run(s.ben, vote(bens));
    s.run(s.ben, vote(bens));
    assert_eq!(s.w.votes_on(bens), 4);
}

#[test]
fn max_votes_per_card_must_be_at_least_one() {
    let zero = Settings {
        max_votes_per_card: Some(0),
        ..reference_settings()
    };
    assert!(matches!(zero.validated(), Err(DomainError::Invalid(_))));
    let over = Settings {
        max_votes_per_card: Some(settings::limits::VOTES_MAX + 1),
        ..reference_settings()
    };
    assert!(matches!(over.validated(), Err(DomainError::Invalid(_))));
}

#[test]
fn withdrawing_takes_back_one_vote_at_a_time() {
    let (mut s, [_, bens, _]) = ballot(budget(5));
    s.run(s.ana, vote(bens));
    s.run(s.ana, vote(bens));
    let events = s.run(s.ana, unvote(bens));
    assert_eq!(
        events,
        vec![Event::VoteWithdrawn {
            card: bens,
            room: s.rooms[0],
            participant: s.ana,
        }]
    );
    assert_eq!(my_votes(&s, s.ana, bens), 1);
    s.run(s.ana, unvote(bens));
    assert!(s.w.votes.is_empty(), "no empty vote records are kept");
}

#[test]
fn unvote_without_a_vote_is_invalid() {
    let (mut s, [anas, bens, _]) = ballot(budget(5));
    assert_eq!(refused(s.decide(s.ana, unvote(bens))), Refused::Invalid);
    // Someone else's vote on the card is not yours to withdraw.
    s.run(s.ben, vote(bens));
    assert_eq!(refused(s.decide(s.ana, unvote(bens))), Refused::Invalid);
    s.run(s.ana, vote(anas));
    s.run(s.ana, unvote(anas));
    assert_eq!(refused(s.decide(s.ana, unvote(anas))), Refused::Invalid);
}

#[test]
fn voting_outside_the_vote_phase_is_forbidden() {
    let (mut s, [_, bens, _]) = ballot(budget(5));
    s.run(s.ana, vote(bens));
    for phase in [Phase::Brainstorm, Phase::Reveal, Phase::Consolidate] {
        s.phase(Some(0), phase, false);
        assert_eq!(refused(s.decide(s.ana, vote(bens))), Refused::Forbidden);
        assert_eq!(refused(s.decide(s.ana, unvote(bens))), Refused::Forbidden);
    }
    s.phase(Some(0), Phase::Closed, false);
    assert_eq!(refused(s.decide(s.ana, vote(bens))), Refused::Closed);
}

#[test]
fn staff_cannot_vote() {
    let (s, [anas, _, chos]) = ballot(budget(5));
    for who in [s.facilitator, s.organizer] {
        for card in [anas, chos] {
            assert_eq!(refused(s.decide(who, vote(card))), Refused::Forbidden);
            assert_eq!(refused(s.decide(who, unvote(card))), Refused::Forbidden);
        }
    }
}

#[test]
fn voting_on_another_rooms_card_is_forbidden() {
    let (s, [_, bens, chos]) = ballot(budget(5));
    assert_eq!(refused(s.decide(s.ana, vote(chos))), Refused::Forbidden);
    assert_eq!(refused(s.decide(s.cho, vote(bens))), Refused::Forbidden);
    assert_eq!(refused(s.decide(s.dan, vote(bens))), Refused::Forbidden);
}

#[test]
fn voting_on_an_unknown_card_is_not_found() {
    let (s, _) = ballot(budget(5));
    let r = s.decide(s.ana, vote(CardId::random()));
    assert_eq!(refused(r), Refused::NotFound);
}

#[test]
fn voting_on_a_hidden_card_is_not_found_for_a_delegate() {
    let (mut s, [_, bens, _]) = ballot(budget(5));
    s.run(s.facilitator, Command::HideCard { card: bens });
    assert_eq!(refused(s.decide(s.ana, vote(bens))), Refused::NotFound);
    assert_eq!(refused(s.decide(s.ben, vote(bens))), Refused::NotFound);
}

#[test]
fn hiding_a_card_gives_its_votes_back() {
    let (mut s, [anas, bens, _]) = ballot(budget(2));
    s.run(s.ana, vote(bens));
    s.run(s.ana, vote(bens));
    s.run(s.facilitator, Command::HideCard { card: bens });
    assert_eq!(s.w.votes_on(bens), 0);
    s.run(s.ana, vote(anas));
    s.run(s.ana, vote(anas));
}

#[test]
fn deleting_a_card_frees_its_votes() {
    let (mut s, [anas, bens, _]) = ballot(budget(2));
    s.run(s.ana, vote(bens));
    s.run(s.ana, vote(bens));
    assert_eq!(refused(s.decide(s.ana, vote(anas))), Refused::Forbidden);
    s.run(s.facilitator, Command::DeleteCard { card: bens });
    assert!(!s.w.votes.contains_key(&bens));
    s.run(s.ana, vote(anas));
    s.run(s.ana, vote(anas));
}

// ---------------------------------------------------------------------------------------
// Grouping
// ---------------------------------------------------------------------------------------

#[test]
fn facilitator_groups_cards_of_a_room() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "a");
    let b = s.post(s.ben, 0, "b");
    let events = s.run(s.facilitator, group_cards(gid(1), &[a, b, a], "  Access  "));
    assert_eq!(
        events,
        vec![Event::GroupCreated {
            group: gid(1),
            room: s.rooms[0],
            name: "Access".into(),
            cards: vec![a, b],
        }],
        "trimmed name, repeats dropped"
    );
    assert_eq!(s.w.card(a).unwrap().group, Some(gid(1)));
    assert_eq!(s.w.card(b).unwrap().group, Some(gid(1)));
    assert_eq!(s.w.group(gid(1)).unwrap().room, s.rooms[0]);
}

#[test]
fn a_group_holds_cards_of_one_room_only() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "a");
    let c = s.post(s.cho, 1, "c");
    let r = s.decide(s.facilitator, group_cards(gid(1), &[a, c], "Mixed"));
    assert_eq!(refused(r), Refused::Invalid);
    assert!(s.w.groups.is_empty());
}

#[test]
fn a_group_needs_cards_a_name_and_a_fresh_id() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "a");
    let r = s.decide(s.facilitator, group_cards(gid(1), &[], "Empty"));
    assert_eq!(refused(r), Refused::Invalid);
    let r = s.decide(s.facilitator, group_cards(gid(1), &[a], "  "));
    assert_eq!(refused(r), Refused::Invalid);
    let r = s.decide(s.facilitator, group_cards(gid(1), &[CardId::random()], "G"));
    assert_eq!(refused(r), Refused::NotFound);
    s.run(s.facilitator, group_cards(gid(1), &[a], "G"));
    let b = s.post(s.ben, 0, "b");
    let r = s.decide(s.facilitator, group_cards(gid(1), &[b], "Again"));
    assert_eq!(refused(r), Refused::Invalid);
}

#[test]
fn staff_group_in_any_phase_but_closed() {
    for phase in PHASES {
        let mut s = Session::new();
        let a = s.post(s.ana, 0, "a");
        s.phase(Some(0), phase, false);
        for who in [s.facilitator, s.organizer] {
            let got = outcome(s.decide(who, group_cards(gid(1), &[a], "G")));
            let expected = if phase == Phase::Closed {
                Err(Refused::Closed)
            } else {
                Ok(())
            };
            assert_eq!(got, expected, "{phase:?}");
        }
    }
}

#[test]
fn delegates_group_only_when_the_workshop_allows_it() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "a");
    let b = s.post(s.ben, 0, "b");
    let r = s.decide(s.ana, group_cards(gid(1), &[a, b], "Ours"));
    assert_eq!(refused(r), Refused::Forbidden);
    s.run(s.facilitator, group_cards(gid(1), &[a], "Theirs"));
    let r = s.decide(
        s.ana,
        Command::MoveCardToGroup {
            card: b,
            group: Some(gid(1)),
        },
    );
    assert_eq!(refused(r), Refused::Forbidden);
    let r = s.decide(s.ana, Command::Ungroup { group: gid(1) });
    assert_eq!(refused(r), Refused::Forbidden);
}

#[test]
fn delegates_allowed_to_group_do_so_in_brainstorm_and_reveal_in_their_room() {
    for (phase, allowed) in [
        (Phase::Brainstorm, true),
        (Phase::Reveal, true),
        (Phase::Vote, false),
        (Phase::Consolidate, false),
    ] {
        let mut s = Session::with(grouping_delegates());
        let a = s.post(s.ana, 0, "a");
        let b = s.post(s.ben, 0, "b");
        let c = s.post(s.cho, 1, "c");
        s.phase(None, phase, false);
        // Any visible card of their room, not only their own.
        let got = outcome(s.decide(s.ana, group_cards(gid(1), &[a, b], "Ours")));
        let expected = if allowed {
            Ok(())
        } else {
            Err(Refused::Forbidden)
        };
        assert_eq!(got, expected, "{phase:?}");
        let r = s.decide(s.ana, group_cards(gid(2), &[c], "Theirs"));
        assert_eq!(refused(r), Refused::Forbidden, "another room, {phase:?}");
    }
}

#[test]
fn in_a_hidden_brainstorm_grouping_waits_for_the_reveal() {
    let mut s = Session::with(grouping_delegates());
    s.phase(Some(0), Phase::Brainstorm, true);
    let a = s.post(s.ana, 0, "a");
    let r = s.decide(s.ana, group_cards(gid(1), &[a], "Mine"));
    assert_eq!(refused(r), Refused::Forbidden);
    s.run(s.facilitator, group_cards(gid(1), &[a], "Staff may"));
}

#[test]
fn a_card_joins_only_a_group_of_its_own_room() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "a");
    let b = s.post(s.ben, 0, "b");
    let c = s.post(s.cho, 1, "c");
    s.run(s.facilitator, group_cards(gid(1), &[a], "Room 1"));
    let into = |card, group| Command::MoveCardToGroup { card, group };
    assert_eq!(
        refused(s.decide(s.facilitator, into(c, Some(gid(1))))),
        Refused::Invalid
    );
    let events = s.run(s.facilitator, into(b, Some(gid(1))));
    assert_eq!(
        events,
        vec![Event::CardRegrouped {
            card: b,
            room: s.rooms[0],
            group: Some(gid(1)),
        }]
    );
    assert_eq!(s.decide(s.facilitator, into(b, Some(gid(1)))), Ok(vec![]));
    s.run(s.facilitator, into(b, None));
    assert_eq!(s.w.card(b).unwrap().group, None);
    assert_eq!(
        refused(s.decide(s.facilitator, into(b, Some(gid(9))))),
        Refused::NotFound
    );
}

#[test]
fn merging_moves_every_card_into_the_other_group() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "a");
    let b = s.post(s.ben, 0, "b");
    let c = s.post(s.ben, 0, "c");
    s.run(s.facilitator, group_cards(gid(1), &[a, b], "One"));
    s.run(s.facilitator, group_cards(gid(2), &[c], "Two"));
    let events = s.run(
        s.facilitator,
        Command::MergeGroups {
            group: gid(1),
            into: gid(2),
        },
    );
    assert_eq!(
        events,
        vec![Event::GroupsMerged {
            room: s.rooms[0],
            group: gid(1),
            into: gid(2),
        }]
    );
    assert!(s.w.group(gid(1)).is_err());
    for card in [a, b, c] {
        assert_eq!(s.w.card(card).unwrap().group, Some(gid(2)));
    }
}

#[test]
fn groups_merge_only_within_a_room() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "a");
    let c = s.post(s.cho, 1, "c");
    s.run(s.facilitator, group_cards(gid(1), &[a], "Room 1"));
    s.run(s.facilitator, group_cards(gid(2), &[c], "Room 2"));
    let r = s.decide(
        s.facilitator,
        Command::MergeGroups {
            group: gid(1),
            into: gid(2),
        },
    );
    assert_eq!(refused(r), Refused::Invalid);
}

#[test]
fn a_group_cannot_merge_into_itself() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "a");
    s.run(s.facilitator, group_cards(gid(1), &[a], "G"));
    let r = s.decide(
        s.facilitator,
        Command::MergeGroups {
            group: gid(1),
            into: gid(1),
        },
    );
    assert_eq!(refused(r), Refused::Invalid);
}

#[test]
fn ungrouping_frees_the_cards_and_removes_the_group() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "a");
    let b = s.post(s.ben, 0, "b");
    s.run(s.facilitator, group_cards(gid(1), &[a, b], "G"));
    let events = s.run(s.facilitator, Command::Ungroup { group: gid(1) });
    assert_eq!(
        events,
        vec![Event::GroupDissolved {
            room: s.rooms[0],
            group: gid(1),
        }]
    );
    assert!(s.w.groups.is_empty());
    assert!(s.w.cards.values().all(|c| c.group.is_none()));
    let r = s.decide(s.facilitator, Command::Ungroup { group: gid(1) });
    assert_eq!(refused(r), Refused::NotFound);
}

#[test]
fn renaming_a_group() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "a");
    s.run(s.facilitator, group_cards(gid(1), &[a], "Old"));
    let rename = |name: &str| Command::RenameGroup {
        group: gid(1),
        name: name.into(),
    };
    let events = s.run(s.facilitator, rename(" New "));
    assert_eq!(
        events,
        vec![Event::GroupRenamed {
            room: s.rooms[0],
            group: gid(1),
            name: "New".into(),
        }]
    );
    assert_eq!(s.w.group(gid(1)).unwrap().name, "New");
    assert_eq!(s.decide(s.facilitator, rename("New")), Ok(vec![]));
    assert_eq!(
        refused(s.decide(s.facilitator, rename(" "))),
        Refused::Invalid
    );
}

#[test]
fn a_groups_votes_are_the_sum_of_its_cards_votes() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "a");
    let b = s.post(s.ben, 0, "b");
    let c = s.post(s.ben, 0, "not grouped");
    s.run(s.facilitator, group_cards(gid(1), &[a, b], "G"));
    s.phase(Some(0), Phase::Vote, false);
    for (who, card) in [(s.ana, a), (s.ana, b), (s.ben, b), (s.ben, c)] {
        s.run(who, vote(card));
    }
    assert_eq!(reports::group_votes(&s.w, gid(1)), 3);
    for who in [s.ana, s.facilitator] {
        let v = view(&s.w, s.who(who));
        assert_eq!(v.groups.len(), 1);
        assert_eq!(v.groups[0].votes, Some(3));
    }
}

// ---------------------------------------------------------------------------------------
// Themes
// ---------------------------------------------------------------------------------------

#[test]
fn facilitator_tags_cards_and_groups_with_a_theme() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "a");
    let events = s.run(s.facilitator, tag(a, Some("data")));
    assert_eq!(
        events,
        vec![Event::CardTagged {
            card: a,
            room: s.rooms[0],
            theme: Some("data".into()),
        }]
    );
    s.run(s.facilitator, group_cards(gid(1), &[a], "G"));
    s.run(s.organizer, tag_group(gid(1), Some("divide")));
    assert_eq!(s.w.group(gid(1)).unwrap().theme.as_deref(), Some("divide"));
    assert_eq!(s.decide(s.facilitator, tag(a, Some("data"))), Ok(vec![]));
}

#[test]
fn tagging_with_an_unknown_theme_is_invalid() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "a");
    s.run(s.facilitator, group_cards(gid(1), &[a], "G"));
    for theme in ["Data", "nope", ""] {
        let r = s.decide(s.facilitator, tag(a, Some(theme)));
        assert_eq!(refused(r), Refused::Invalid, "{theme:?}");
        let r = s.decide(s.facilitator, tag_group(gid(1), Some(theme)));
        assert_eq!(refused(r), Refused::Invalid, "{theme:?}");
    }
}

#[test]
fn tagging_with_no_theme_untags() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "a");
    s.run(s.facilitator, tag(a, Some("data")));
    s.run(s.facilitator, tag(a, None));
    assert_eq!(s.w.card(a).unwrap().theme, None);
    assert_eq!(s.decide(s.facilitator, tag(a, None)), Ok(vec![]));
}

#[test]
fn delegates_do_not_tag() {
    let mut s = Session::with(grouping_delegates());
    let a = s.post(s.ana, 0, "a");
    s.run(s.ana, group_cards(gid(1), &[a], "Mine"));
    assert_eq!(
        refused(s.decide(s.ana, tag(a, Some("data")))),
        Refused::Forbidden
    );
    let r = s.decide(s.ana, tag_group(gid(1), Some("data")));
    assert_eq!(refused(r), Refused::Forbidden);
}

fn set_themes(keys: &[&str]) -> Command {
    Command::SetThemes {
        themes: keys
            .iter()
            .map(|k| Theme {
                key: (*k).into(),
                title: format!("Theme {k}"),
                hint: None,
            })
            .collect(),
    }
}

#[test]
fn only_the_organizer_sets_the_themes() {
    let mut s = Session::new();
    for who in [s.facilitator, s.ana] {
        let r = s.decide(who, set_themes(&["data"]));
        assert_eq!(refused(r), Refused::Forbidden);
    }
    let events = s.run(s.organizer, set_themes(&["data", "health"]));
    assert!(matches!(&events[..], [Event::ThemesSet { .. }]));
    let keys: Vec<&str> =
        s.w.settings()
            .unwrap()
            .themes
            .iter()
            .map(|t| t.key.as_str())
            .collect();
    assert_eq!(keys, ["data", "health"]);
    s.post(s.ana, 0, "a");
}

#[test]
fn new_themes_are_validated() {
    let s = Session::new();
    for bad in [&["Data"][..], &["data", "data"], &[""]] {
        let r = s.decide(s.organizer, set_themes(bad));
        assert_eq!(refused(r), Refused::Invalid, "{bad:?}");
    }
}

#[test]
fn removing_a_theme_drops_its_tags() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "a");
    let b = s.post(s.ben, 0, "b");
    s.run(s.facilitator, tag(a, Some("governance")));
    s.run(s.facilitator, tag(b, Some("data")));
    s.run(s.facilitator, group_cards(gid(1), &[a], "G"));
    s.run(s.facilitator, tag_group(gid(1), Some("governance")));
    s.run(s.organizer, set_themes(&["data", "health"]));
    assert_eq!(s.w.card(a).unwrap().theme, None);
    assert_eq!(s.w.group(gid(1)).unwrap().theme, None);
    assert_eq!(s.w.card(b).unwrap().theme.as_deref(), Some("data"));
    let r = s.decide(s.facilitator, tag(a, Some("governance")));
    assert_eq!(refused(r), Refused::Invalid);
}

#[test]
fn a_theme_with_conclusions_cannot_be_removed() {
    let mut s = Session::new();
    s.run(
        s.facilitator,
        Command::AddConclusion {
            conclusion: ConclusionId(Uuid::from_u128(0xE000)),
            theme: "governance".into(),
            text: "Laws first".into(),
            cards: vec![],
        },
    );
    let r = s.decide(s.organizer, set_themes(&["data"]));
    assert_eq!(refused(r), Refused::Invalid);
    s.run(s.organizer, set_themes(&["governance"]));
}

// ---------------------------------------------------------------------------------------
// Moderation
// ---------------------------------------------------------------------------------------

#[test]
fn facilitator_edit_of_anothers_card_keeps_the_original_and_who_changed_it() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "original words");
    let events = s.run(s.facilitator, edit(card, "moderated words"));
    assert_eq!(
        events,
        vec![Event::CardEdited {
            card,
            room: s.rooms[0],
            text: "moderated words".into(),
            by: s.facilitator,
        }]
    );
    let c = s.w.card(card).unwrap();
    assert_eq!((c.text.as_str(), c.author), ("moderated words", s.ana));
    assert_eq!(
        c.history,
        vec![Revision {
            seq: s.w.seq,
            by: s.facilitator,
            action: RevisionAction::Edited,
            previous_text: Some("original words".into()),
        }]
    );
}

#[test]
fn every_edit_is_kept_in_the_audit_record_oldest_first() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "v1");
    s.run(s.ana, edit(card, "v2"));
    s.run(s.organizer, edit(card, "v3"));
    let history = &s.w.card(card).unwrap().history;
    let record: Vec<(ParticipantId, Option<&str>)> = history
        .iter()
        .map(|r| (r.by, r.previous_text.as_deref()))
        .collect();
    assert_eq!(record, vec![(s.ana, Some("v1")), (s.organizer, Some("v2"))]);
}

#[test]
fn facilitator_hides_and_shows_a_card() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "off topic");
    let room = s.rooms[0];
    let hidden = s.run(s.facilitator, Command::HideCard { card });
    assert_eq!(
        hidden,
        vec![Event::CardHidden {
            card,
            room,
            by: s.facilitator
        }]
    );
    assert!(s.w.card(card).unwrap().hidden);
    assert_eq!(
        s.decide(s.facilitator, Command::HideCard { card }),
        Ok(vec![])
    );
    let shown = s.run(s.organizer, Command::ShowCard { card });
    assert_eq!(
        shown,
        vec![Event::CardShown {
            card,
            room,
            by: s.organizer
        }]
    );
    let c = s.w.card(card).unwrap();
    assert!(!c.hidden);
    let actions: Vec<(RevisionAction, ParticipantId)> =
        c.history.iter().map(|r| (r.action, r.by)).collect();
    assert_eq!(
        actions,
        vec![
            (RevisionAction::Hidden, s.facilitator),
            (RevisionAction::Shown, s.organizer)
        ]
    );
    assert_eq!(
        s.decide(s.facilitator, Command::ShowCard { card }),
        Ok(vec![])
    );
}

#[test]
fn delegates_cannot_hide_or_show_cards() {
    let mut s = Session::new();
    let own = s.post(s.ana, 0, "mine");
    let other = s.post(s.ben, 0, "Ben's");
    for card in [own, other] {
        let r = s.decide(s.ana, Command::HideCard { card });
        assert_eq!(refused(r), Refused::Forbidden);
    }
    s.run(s.facilitator, Command::HideCard { card: own });
    let r = s.decide(s.ana, Command::ShowCard { card: own });
    assert_eq!(refused(r), Refused::Forbidden);
}

#[test]
fn a_hidden_card_leaves_delegates_boards_but_not_staffs() {
    let mut s = Session::new();
    let kept = s.post(s.ana, 0, "kept");
    let hidden = s.post(s.ana, 0, "hidden");
    s.run(s.facilitator, Command::HideCard { card: hidden });
    for who in [s.ana, s.ben] {
        let ids: Vec<CardId> = view(&s.w, s.who(who)).cards.iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![kept], "even its author no longer sees it");
    }
    let staff = view(&s.w, s.who(s.facilitator));
    let seen: Vec<(CardId, Option<bool>)> = staff.cards.iter().map(|c| (c.id, c.hidden)).collect();
    assert_eq!(seen, vec![(kept, Some(false)), (hidden, Some(true))]);
    assert_eq!(staff.cards[1].revisions, Some(1));
    // Delegates are not told about moderation at all.
    let ana = view(&s.w, s.who(s.ana));
    assert!(ana
        .cards
        .iter()
        .all(|c| c.hidden.is_none() && c.revisions.is_none()));
}

#[test]
fn a_hidden_card_is_not_found_for_its_author() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "mine");
    s.run(s.facilitator, Command::HideCard { card });
    assert_eq!(refused(s.decide(s.ana, edit(card, "x"))), Refused::NotFound);
    let r = s.decide(s.ana, Command::DeleteCard { card });
    assert_eq!(refused(r), Refused::NotFound);
    // Staff still moderate it.
    s.run(s.facilitator, edit(card, "cleaned up"));
}

#[test]
fn events_about_a_hidden_card_reach_staff_only() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "mine");
    s.run(s.facilitator, Command::HideCard { card });
    let room = s.rooms[0];
    let events = [
        Event::CardEdited {
            card,
            room,
            text: "x".into(),
            by: s.facilitator,
        },
        Event::CardDeleted { card, room },
        Event::CardTagged {
            card,
            room,
            theme: Some("data".into()),
        },
        Event::CardRegrouped {
            card,
            room,
            group: None,
        },
    ];
    for e in &events {
        assert_eq!(Audience::of(&s.w, e), Audience::Staff, "{e:?}");
    }
    // Decided against the state, the facilitator's edit has the same audience.
    let edited = s.decide(s.facilitator, edit(card, "y")).unwrap();
    assert_eq!(Audience::of(&s.w, &edited[0]), Audience::Staff);
}

#[test]
fn hiding_tells_the_room_and_showing_reshapes_its_delegates_views() {
    let mut s = Session::new();
    let card = s.post(s.ana, 0, "mine");
    let hidden = s.decide(s.facilitator, Command::HideCard { card }).unwrap();
    assert_eq!(Audience::of(&s.w, &hidden[0]), Audience::Room(s.rooms[0]));
    assert_eq!(
        Reshape::of(s.w.settings.as_ref(), &hidden[0]),
        Reshape::Nobody
    );
    s.apply(&hidden);
    let shown = s.decide(s.facilitator, Command::ShowCard { card }).unwrap();
    assert_eq!(Audience::of(&s.w, &shown[0]), Audience::Staff);
    let reshape = Reshape::of(s.w.settings.as_ref(), &shown[0]);
    assert_eq!(reshape, Reshape::RoomDelegates(s.rooms[0]));
    assert!(reshape.affects(s.who(s.ana)) && reshape.affects(s.who(s.ben)));
    for other in [s.cho, s.dan, s.facilitator, s.organizer] {
        assert!(!reshape.affects(s.who(other)));
    }
    s.apply(&shown);
    assert_eq!(view(&s.w, s.who(s.ben)).cards.len(), 1);
}

#[test]
fn the_server_itself_cannot_run_the_boards() {
    let (s, [anas, _, _]) = ballot(budget(5));
    for command in [
        Command::SetPhase {
            room: None,
            phase: Phase::Reveal,
            hidden: false,
        },
        vote(anas),
        Command::HideCard { card: anas },
        group_cards(gid(1), &[anas], "G"),
        tag(anas, Some("data")),
        Command::SetThemes { themes: vec![] },
        Command::AddConclusion {
            conclusion: ConclusionId::random(),
            theme: "data".into(),
            text: "x".into(),
            cards: vec![anas],
        },
    ] {
        let r = decide(&s.w, Actor::Server, &command);
        assert_eq!(refused(r), Refused::Forbidden, "{command:?}");
    }
}
