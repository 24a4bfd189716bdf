//! Dot voting; grouping cards.

use super::*;

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
