//! Who sees what of boards in their phases.

use super::*;

// ---------------------------------------------------------------------------------------
// Who sees what
// ---------------------------------------------------------------------------------------

fn ids(s: &Session, who: ParticipantId) -> Vec<CardId> {
    view(&s.w, s.who(who)).cards.iter().map(|c| c.id).collect()
}

#[test]
fn in_a_hidden_brainstorm_delegates_see_only_their_own_cards() {
    let mut s = Session::new();
    s.phase(Some(0), Phase::Brainstorm, true);
    let a = s.post(s.ana, 0, "Ana's");
    let b = s.post(s.ben, 0, "Ben's");
    let f = s.post(s.facilitator, 0, "the facilitator's");
    assert_eq!(ids(&s, s.ana), vec![a]);
    assert_eq!(ids(&s, s.ben), vec![b]);
    assert!(ids(&s, s.cho).is_empty());
    for who in [s.facilitator, s.organizer] {
        assert_eq!(ids(&s, who), vec![a, b, f]);
    }
    // Posts and edits reach only their author (and staff).
    let posting = s
        .decide(s.ben, post(CardId::random(), s.rooms[0], "strengths", "x"))
        .unwrap();
    assert_eq!(Audience::of(&s.w, &posting[0]), Audience::StaffAnd(s.ben));
    let editing = s.decide(s.ana, edit(a, "Ana's, revised")).unwrap();
    assert_eq!(Audience::of(&s.w, &editing[0]), Audience::StaffAnd(s.ana));
    // Ana cannot reach Ben's card at all.
    let r = s.decide(s.ana, Command::DeleteCard { card: b });
    assert_eq!(refused(r), Refused::NotFound);
}

#[test]
fn the_reveal_reshapes_the_rooms_delegates_views() {
    let mut s = Session::new();
    let hide = s.phase(Some(0), Phase::Brainstorm, true);
    let reshape = Reshape::of(s.w.settings.as_ref(), &hide[0]);
    assert_eq!(reshape, Reshape::RoomDelegates(s.rooms[0]));
    let a = s.post(s.ana, 0, "Ana's");
    let b = s.post(s.ben, 0, "Ben's");
    let reveal = s.phase(Some(0), Phase::Reveal, false);
    assert_eq!(Audience::of(&s.w, &reveal[0]), Audience::Everyone);
    let reshape = Reshape::of(s.w.settings.as_ref(), &reveal[0]);
    assert_eq!(reshape, Reshape::RoomDelegates(s.rooms[0]));
    assert!(reshape.affects(s.who(s.ana)) && reshape.affects(s.who(s.ben)));
    for other in [s.cho, s.dan, s.facilitator, s.organizer] {
        assert!(!reshape.affects(s.who(other)), "{other}");
    }
    assert_eq!(ids(&s, s.ana), vec![a, b]);
    assert_eq!(ids(&s, s.ben), vec![a, b]);
    // A phase change that reveals nothing reshapes nobody.
    let vote = s.phase(Some(0), Phase::Vote, false);
    assert_eq!(
        Reshape::of(s.w.settings.as_ref(), &vote[0]),
        Reshape::Nobody
    );
}

#[test]
fn in_a_hidden_brainstorm_groups_stay_among_staff() {
    let mut s = Session::new();
    s.phase(Some(0), Phase::Brainstorm, true);
    let a = s.post(s.ana, 0, "Ana's");
    let b = s.post(s.ben, 0, "Ben's");
    let created = s
        .decide(
            s.facilitator,
            Command::GroupCards {
                group: gid(1),
                cards: vec![a, b],
                name: "Both".into(),
            },
        )
        .unwrap();
    assert_eq!(Audience::of(&s.w, &created[0]), Audience::Staff);
    s.apply(&created);
    let regroup = s
        .decide(
            s.facilitator,
            Command::MoveCardToGroup {
                card: a,
                group: None,
            },
        )
        .unwrap();
    assert_eq!(Audience::of(&s.w, &regroup[0]), Audience::Staff);
    let ana = view(&s.w, s.who(s.ana));
    assert!(ana.groups.is_empty());
    assert_eq!(
        ana.cards[0].group, None,
        "not even which group their card is in"
    );
    let staff = view(&s.w, s.who(s.facilitator));
    assert_eq!(staff.groups.len(), 1);
    assert!(staff.cards.iter().all(|c| c.group == Some(gid(1))));
    // After the reveal the room sees the group.
    s.phase(Some(0), Phase::Reveal, false);
    let ana = view(&s.w, s.who(s.ana));
    assert_eq!(ana.groups.len(), 1);
    assert!(ana.cards.iter().all(|c| c.group == Some(gid(1))));
}

#[test]
fn board_events_of_an_open_board_go_to_their_room() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "a");
    s.run(
        s.facilitator,
        Command::GroupCards {
            group: gid(1),
            cards: vec![a],
            name: "G".into(),
        },
    );
    s.phase(Some(0), Phase::Vote, false);
    let room = s.rooms[0];
    let commands = [
        (s.ben, Command::Vote { card: a }),
        (
            s.facilitator,
            Command::TagCard {
                card: a,
                theme: Some("data".into()),
            },
        ),
        (
            s.facilitator,
            Command::TagGroup {
                group: gid(1),
                theme: Some("data".into()),
            },
        ),
        (
            s.facilitator,
            Command::RenameGroup {
                group: gid(1),
                name: "H".into(),
            },
        ),
        (
            s.facilitator,
            Command::MoveCardToGroup {
                card: a,
                group: None,
            },
        ),
        (s.facilitator, Command::Ungroup { group: gid(1) }),
    ];
    for (who, command) in commands {
        let events = s.run(who, command);
        let before = {
            // Judge the audience on the state before the event.
            let mut w = Workshop::empty(s.w.id);
            for (i, e) in s.log[..s.log.len() - 1].iter().enumerate() {
                w.apply(i as u64 + 1, e);
            }
            w
        };
        assert_eq!(
            Audience::of(&before, &events[0]),
            Audience::Room(room),
            "{events:?}"
        );
    }
}

#[test]
fn phases_themes_and_conclusions_reach_their_audience() {
    let mut s = Session::new();
    let phase = s.phase(Some(1), Phase::Reveal, false);
    assert_eq!(Audience::of(&s.w, &phase[0]), Audience::Everyone);
    let themes = s
        .decide(
            s.organizer,
            Command::SetThemes {
                themes: settings::default_themes(),
            },
        )
        .unwrap();
    assert_eq!(Audience::of(&s.w, &themes[0]), Audience::Everyone);
    let added = s.run(s.facilitator, add(kid(1), "data", "x", &[]));
    let edited = s.run(s.facilitator, reword(kid(1), 1, "y"));
    let removed = s.run(
        s.facilitator,
        Command::RemoveConclusion {
            conclusion: kid(1),
            version: 2,
        },
    );
    for e in added.iter().chain(&edited).chain(&removed) {
        assert_eq!(Audience::of(&s.w, e), Audience::Staff, "{e:?}");
        assert_eq!(Reshape::of(s.w.settings.as_ref(), e), Reshape::Nobody);
    }
}

#[test]
fn conclusions_are_shown_to_staff_only_and_consolidation_is_a_report() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "a");
    let c = s.post(s.cho, 1, "c");
    s.run(s.facilitator, add(kid(1), "data", "x", &[a, c]));
    for who in [s.facilitator, s.organizer] {
        let v = view(&s.w, s.who(who));
        let json = serde_json::to_value(&v).unwrap();
        assert!(
            json.get("consolidation").is_none(),
            "a report, never in a snapshot"
        );
        let conclusions = v.conclusions.expect("staff see conclusions");
        assert_eq!(conclusions.len(), 1);
        assert_eq!(conclusions[0].conclusion.id, kid(1));
        assert_eq!(conclusions[0].support.countries, ["AR", "CL"]);
    }
    for who in [s.ana, s.cho, s.dan] {
        let v = view(&s.w, s.who(who));
        assert!(v.conclusions.is_none());
        let json = serde_json::to_value(&v).unwrap();
        assert!(json.get("conclusions").is_none() && json.get("consolidation").is_none());
    }
}

fn secret_votes() -> Settings {
    Settings {
        votes_visibility: VotesVisibility::AfterVote,
        ..reference_settings()
    }
}

/// `(votes, my_votes)` of `card` as `who` sees them.
fn votes_seen(s: &Session, who: ParticipantId, card: CardId) -> (Option<u32>, u32) {
    let v = view(&s.w, s.who(who));
    let c = v.cards.iter().find(|c| c.id == card).unwrap();
    (c.votes, c.my_votes)
}

#[test]
fn with_secret_votes_delegates_see_only_their_own_until_the_vote_ends() {
    let mut s = Session::with(secret_votes());
    let b = s.post(s.ben, 0, "Ben's");
    s.run(
        s.facilitator,
        Command::GroupCards {
            group: gid(1),
            cards: vec![b],
            name: "G".into(),
        },
    );
    let opening = s.phase(Some(0), Phase::Vote, false);
    let reshape = Reshape::of(s.w.settings.as_ref(), &opening[0]);
    assert_eq!(reshape, Reshape::RoomDelegates(s.rooms[0]));
    let cast = s.decide(s.ana, Command::Vote { card: b }).unwrap();
    assert_eq!(Audience::of(&s.w, &cast[0]), Audience::StaffAnd(s.ana));
    s.apply(&cast);
    assert_eq!(votes_seen(&s, s.ana, b), (None, 1));
    assert_eq!(votes_seen(&s, s.ben, b), (None, 0));
    assert_eq!(votes_seen(&s, s.facilitator, b), (Some(1), 0));
    assert_eq!(view(&s.w, s.who(s.ben)).groups[0].votes, None);
    // The vote ends: the room's delegates get a fresh view, with totals.
    let closing = s.phase(Some(0), Phase::Consolidate, false);
    let reshape = Reshape::of(s.w.settings.as_ref(), &closing[0]);
    assert_eq!(reshape, Reshape::RoomDelegates(s.rooms[0]));
    assert!(reshape.affects(s.who(s.ben)));
    assert_eq!(votes_seen(&s, s.ben, b), (Some(1), 0));
    assert_eq!(view(&s.w, s.who(s.ben)).groups[0].votes, Some(1));
}

#[test]
fn with_live_votes_everyone_in_the_room_sees_them_as_they_come() {
    let mut s = Session::new();
    let b = s.post(s.ben, 0, "Ben's");
    let opening = s.phase(Some(0), Phase::Vote, false);
    assert_eq!(
        Reshape::of(s.w.settings.as_ref(), &opening[0]),
        Reshape::Nobody
    );
    let cast = s.decide(s.ana, Command::Vote { card: b }).unwrap();
    assert_eq!(Audience::of(&s.w, &cast[0]), Audience::Room(s.rooms[0]));
    s.apply(&cast);
    assert_eq!(votes_seen(&s, s.ben, b), (Some(1), 0));
    assert_eq!(votes_seen(&s, s.ana, b), (Some(1), 1));
}
