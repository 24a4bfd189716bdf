//! Themes; moderation (hiding and showing cards).

use super::*;

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
