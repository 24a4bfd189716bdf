//! Conclusions: drafting, editing, linking cards, statuses.

use super::*;

// ---------------------------------------------------------------------------------------
// Conclusions
// ---------------------------------------------------------------------------------------

#[test]
fn facilitator_concludes_citing_cards_from_several_rooms() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "Ana's");
    let c = s.post(s.cho, 1, "Cho's");
    let events = s.run(
        s.facilitator,
        add(kid(1), "governance", "  Laws first  ", &[c, a, c]),
    );
    assert_eq!(
        events,
        vec![Event::ConclusionAdded {
            conclusion: kid(1),
            theme: "governance".into(),
            text: "Laws first".into(),
            cards: vec![c, a],
        }],
        "trimmed, repeats dropped, order kept"
    );
    assert_eq!(
        s.w.conclusion(kid(1)).unwrap(),
        &Conclusion {
            id: kid(1),
            theme: "governance".into(),
            text: "Laws first".into(),
            cards: vec![c, a],
            status: ConclusionStatus::Draft,
            version: 1,
        }
    );
}

#[test]
fn a_conclusion_needs_a_known_theme_existing_cards_and_a_text() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "Ana's");
    let r = s.decide(s.facilitator, add(kid(1), "health", "x", &[a]));
    assert_eq!(refused(r), Refused::Invalid);
    let r = s.decide(
        s.facilitator,
        add(kid(1), "data", "x", &[a, CardId::random()]),
    );
    assert_eq!(refused(r), Refused::NotFound);
    let r = s.decide(s.facilitator, add(kid(1), "data", "  ", &[a]));
    assert_eq!(refused(r), Refused::Invalid);
    let long = "c".repeat(settings::limits::CONCLUSION_TEXT_MAX + 1);
    let r = s.decide(s.facilitator, add(kid(1), "data", &long, &[a]));
    assert_eq!(refused(r), Refused::TooLarge);
    // Citing no card yet is fine.
    s.run(s.facilitator, add(kid(1), "data", "A first idea", &[]));
}

#[test]
fn a_conclusion_id_cannot_be_reused() {
    let mut s = Session::new();
    s.run(s.facilitator, add(kid(1), "data", "One", &[]));
    let r = s.decide(s.organizer, add(kid(1), "divide", "Two", &[]));
    assert_eq!(refused(r), Refused::Invalid);
}

#[test]
fn delegates_do_not_write_conclusions() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "Ana's");
    let r = s.decide(s.ana, add(kid(1), "data", "Mine", &[a]));
    assert_eq!(refused(r), Refused::Forbidden);
    s.run(s.facilitator, add(kid(1), "data", "Theirs", &[a]));
    for command in [
        reword(kid(1), 1, "Mine now"),
        move_to(kid(1), 0),
        Command::RemoveConclusion {
            conclusion: kid(1),
            version: 1,
        },
    ] {
        assert_eq!(refused(s.decide(s.ana, command)), Refused::Forbidden);
    }
}

#[test]
fn a_stale_edit_gets_a_conflict_with_the_current_version() {
    let mut s = Session::new();
    s.run(s.facilitator, add(kid(1), "data", "Draft", &[]));
    // Both facilitators start from version 1; the first edit wins.
    s.run(s.facilitator, reword(kid(1), 1, "Facilitator's words"));
    let r = s.decide(s.organizer, reword(kid(1), 1, "Organizer's words"));
    assert_eq!(refused(r), Refused::Conflict(2));
    assert_eq!(s.w.conclusion(kid(1)).unwrap().text, "Facilitator's words");
    // A version from the future is just as stale.
    let r = s.decide(s.organizer, reword(kid(1), 3, "Organizer's words"));
    assert_eq!(refused(r), Refused::Conflict(2));
    s.run(s.organizer, reword(kid(1), 2, "Organizer's words"));
}

#[test]
fn each_edit_bumps_the_version_by_one() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "Ana's");
    s.run(s.facilitator, add(kid(1), "data", "Draft", &[]));
    let events = s.run(s.facilitator, recite(kid(1), 1, &[a]));
    assert_eq!(
        events,
        vec![Event::ConclusionEdited {
            conclusion: kid(1),
            version: 2,
            theme: "data".into(),
            text: "Draft".into(),
            cards: vec![a],
            status: ConclusionStatus::Draft,
        }],
        "the whole conclusion as it is now"
    );
    let retheme = Command::EditConclusion {
        conclusion: kid(1),
        version: 2,
        text: None,
        cards: None,
        theme: Some("divide".into()),
        status: None,
    };
    s.run(s.facilitator, retheme);
    let c = s.w.conclusion(kid(1)).unwrap();
    assert_eq!((c.version, c.theme.as_str()), (3, "divide"));
}

#[test]
fn an_edit_that_changes_nothing_produces_no_event() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "Ana's");
    s.run(s.facilitator, add(kid(1), "data", "Same", &[a]));
    let unchanged = Command::EditConclusion {
        conclusion: kid(1),
        version: 1,
        text: Some("  Same ".into()),
        cards: Some(vec![a, a]),
        theme: Some("data".into()),
        status: Some(ConclusionStatus::Draft),
    };
    assert_eq!(s.decide(s.facilitator, unchanged), Ok(vec![]));
    assert_eq!(
        s.decide(s.facilitator, reword(kid(1), 1, "Same")),
        Ok(vec![])
    );
}

#[test]
fn an_edit_is_checked_like_a_new_conclusion() {
    let mut s = Session::new();
    s.run(s.facilitator, add(kid(1), "data", "Draft", &[]));
    let r = s.decide(s.facilitator, recite(kid(1), 1, &[CardId::random()]));
    assert_eq!(refused(r), Refused::NotFound);
    let retheme = Command::EditConclusion {
        conclusion: kid(1),
        version: 1,
        text: None,
        cards: None,
        theme: Some("health".into()),
        status: None,
    };
    assert_eq!(refused(s.decide(s.facilitator, retheme)), Refused::Invalid);
    let r = s.decide(s.facilitator, reword(kid(1), 1, " "));
    assert_eq!(refused(r), Refused::Invalid);
    let r = s.decide(s.facilitator, reword(kid(2), 1, "No such conclusion"));
    assert_eq!(refused(r), Refused::NotFound);
}

#[test]
fn a_conclusion_is_marked_final() {
    let mut s = Session::new();
    s.run(s.facilitator, add(kid(1), "data", "Done", &[]));
    let finalise = Command::EditConclusion {
        conclusion: kid(1),
        version: 1,
        text: None,
        cards: None,
        theme: None,
        status: Some(ConclusionStatus::Final),
    };
    s.run(s.facilitator, finalise);
    let c = s.w.conclusion(kid(1)).unwrap();
    assert_eq!((c.status, c.version), (ConclusionStatus::Final, 2));
    // Final conclusions can still be reopened, with the current version.
    let reopen = Command::EditConclusion {
        conclusion: kid(1),
        version: 2,
        text: None,
        cards: None,
        theme: None,
        status: Some(ConclusionStatus::Draft),
    };
    s.run(s.organizer, reopen);
}

#[test]
fn conclusions_are_reordered_within_their_theme() {
    let mut s = Session::new();
    s.run(s.facilitator, add(kid(1), "governance", "g1", &[]));
    s.run(s.facilitator, add(kid(9), "data", "d1", &[]));
    s.run(s.facilitator, add(kid(2), "governance", "g2", &[]));
    s.run(s.facilitator, add(kid(3), "governance", "g3", &[]));
    let events = s.run(s.facilitator, move_to(kid(3), 0));
    assert_eq!(
        events,
        vec![Event::ConclusionMoved {
            conclusion: kid(3),
            position: 0,
        }]
    );
    assert_eq!(order(&s), vec![kid(3), kid(1), kid(9), kid(2)]);
    // To the end of its theme, past a conclusion of another theme.
    s.run(s.facilitator, move_to(kid(1), 2));
    assert_eq!(order(&s), vec![kid(3), kid(9), kid(2), kid(1)]);
    s.run(s.facilitator, move_to(kid(1), 1));
    assert_eq!(order(&s), vec![kid(3), kid(9), kid(1), kid(2)]);
    let governance: Vec<&str> =
        s.w.conclusions
            .iter()
            .filter(|c| c.theme == "governance")
            .map(|c| c.text.as_str())
            .collect();
    assert_eq!(governance, ["g3", "g1", "g2"]);
    // Moving never changes a version.
    assert!(s.w.conclusions.iter().all(|c| c.version == 1));
}

#[test]
fn moving_a_conclusion_to_where_it_is_produces_no_event() {
    let mut s = Session::new();
    s.run(s.facilitator, add(kid(1), "governance", "g1", &[]));
    s.run(s.facilitator, add(kid(2), "governance", "g2", &[]));
    assert_eq!(s.decide(s.facilitator, move_to(kid(2), 1)), Ok(vec![]));
}

#[test]
fn moving_a_conclusion_past_the_end_of_its_theme_is_invalid() {
    let mut s = Session::new();
    s.run(s.facilitator, add(kid(1), "governance", "g1", &[]));
    s.run(s.facilitator, add(kid(2), "data", "d1", &[]));
    let r = s.decide(s.facilitator, move_to(kid(1), 1));
    assert_eq!(refused(r), Refused::Invalid);
    let r = s.decide(s.facilitator, move_to(kid(3), 0));
    assert_eq!(refused(r), Refused::NotFound);
}

#[test]
fn removing_a_conclusion_needs_its_current_version() {
    let mut s = Session::new();
    s.run(s.facilitator, add(kid(1), "data", "Draft", &[]));
    s.run(s.facilitator, reword(kid(1), 1, "Better"));
    let remove = |version| Command::RemoveConclusion {
        conclusion: kid(1),
        version,
    };
    assert_eq!(
        refused(s.decide(s.organizer, remove(1))),
        Refused::Conflict(2)
    );
    let events = s.run(s.organizer, remove(2));
    assert_eq!(
        events,
        vec![Event::ConclusionRemoved { conclusion: kid(1) }]
    );
    assert!(s.w.conclusions.is_empty());
    assert_eq!(refused(s.decide(s.organizer, remove(2))), Refused::NotFound);
}

#[test]
fn a_cited_card_cannot_be_deleted() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "Ana's");
    s.run(s.facilitator, add(kid(1), "data", "Cites Ana", &[a]));
    for who in [s.ana, s.facilitator, s.organizer] {
        let r = s.decide(who, Command::DeleteCard { card: a });
        assert_eq!(refused(r), Refused::Invalid);
    }
    // Hiding it is the way to take it off the boards.
    s.run(s.facilitator, Command::HideCard { card: a });
    s.run(s.facilitator, recite(kid(1), 1, &[]));
    s.run(s.facilitator, Command::DeleteCard { card: a });
}
