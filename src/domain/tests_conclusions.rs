//! Unit tests of conclusions, of the reports derived from them (support, consolidation,
//! country overview) and of what each participant sees of boards in their phases.
//! One rule per test, named like a facilitator's checklist.
//!
//! Every test starts from the session of `tests.rs`: four rooms, the organizer, one
//! facilitator, Ana (AR) and Ben (BR) in room 1, Cho (CL) in room 2, Dan (PE) in the lobby.

use super::reports::{self, UNTAGGED};
use super::tests::{edit, moved, post, reference_settings, refused, Refused, Session};
use super::visibility::{view, Audience, Reshape};
use super::*;
use uuid::Uuid;

fn kid(n: u128) -> ConclusionId {
    ConclusionId(Uuid::from_u128(0xE000 + n))
}

fn gid(n: u128) -> GroupId {
    GroupId(Uuid::from_u128(0xD000 + n))
}

fn add(conclusion: ConclusionId, theme: &str, text: &str, cards: &[CardId]) -> Command {
    Command::AddConclusion {
        conclusion,
        theme: theme.into(),
        text: text.into(),
        cards: cards.to_vec(),
    }
}

/// An edit that changes only the text.
fn reword(conclusion: ConclusionId, version: u64, text: &str) -> Command {
    Command::EditConclusion {
        conclusion,
        version,
        text: Some(text.into()),
        cards: None,
        theme: None,
        status: None,
    }
}

fn recite(conclusion: ConclusionId, version: u64, cards: &[CardId]) -> Command {
    Command::EditConclusion {
        conclusion,
        version,
        text: None,
        cards: Some(cards.to_vec()),
        theme: None,
        status: None,
    }
}

fn move_to(conclusion: ConclusionId, position: usize) -> Command {
    Command::MoveConclusion {
        conclusion,
        position,
    }
}

fn order(s: &Session) -> Vec<ConclusionId> {
    s.w.conclusions.iter().map(|c| c.id).collect()
}

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

// ---------------------------------------------------------------------------------------
// Reports: support, consolidation, country overview
// ---------------------------------------------------------------------------------------

#[test]
fn support_lists_the_rooms_of_the_cited_cards_in_room_order() {
    let mut s = Session::new();
    let d = s.post(s.facilitator, 3, "from room 4");
    let c = s.post(s.cho, 1, "Cho's");
    let a = s.post(s.ana, 0, "Ana's");
    let a2 = s.post(s.ana, 0, "Ana's again");
    s.run(s.facilitator, add(kid(1), "data", "x", &[d, c, a, a2]));
    let support = reports::support(&s.w, s.w.conclusion(kid(1)).unwrap());
    let rooms: Vec<(RoomId, &str)> = support
        .rooms
        .iter()
        .map(|r| (r.id, r.name.as_str()))
        .collect();
    assert_eq!(
        rooms,
        vec![
            (s.rooms[0], "Room 1"),
            (s.rooms[1], "Room 2"),
            (s.rooms[3], "Room 4")
        ]
    );
    assert_eq!(support.cards, 4);
}

#[test]
fn support_lists_each_country_once_sorted() {
    let mut s = Session::new();
    let cards = [
        s.post(s.cho, 1, "CL"),
        s.post(s.ben, 0, "BR"),
        s.post(s.ana, 0, "AR"),
        s.post(s.ana, 0, "AR again"),
        s.post(s.facilitator, 0, "staff have no country"),
    ];
    s.run(s.facilitator, add(kid(1), "data", "x", &cards));
    let support = reports::support(&s.w, s.w.conclusion(kid(1)).unwrap());
    assert_eq!(support.countries, ["AR", "BR", "CL"]);
}

#[test]
fn staff_speak_for_no_country_in_a_conclusions_support() {
    let mut s = Session::new();
    let chilean = super::tests::pid(50);
    let joining = super::tests::join(chilean, Some("CL"), "es", Role::Facilitator);
    s.apply(&s.join(joining).unwrap());
    let prompt = s.post(chilean, 3, "the facilitator's prompt");
    let a = s.post(s.ana, 0, "AR");
    s.run(s.facilitator, add(kid(1), "data", "x", &[prompt, a]));
    let support = reports::support(&s.w, s.w.conclusion(kid(1)).unwrap());
    assert_eq!(support.countries, ["AR"]);
    assert_eq!(support.cards, 2);
    assert_eq!(
        support.rooms.len(),
        2,
        "the room of the prompt still counts"
    );
    // As in the country overview, which has no entry for a country without delegates.
    let overview = reports::country_overview(&s.w);
    assert!(overview
        .iter()
        .all(|o| o.country != "CL" || o.cards.is_empty()));
}

#[test]
fn support_sums_the_votes_of_the_cited_cards() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "a");
    let b = s.post(s.ben, 0, "b");
    let uncited = s.post(s.ben, 0, "not cited");
    let c = s.post(s.cho, 1, "c");
    s.phase(None, Phase::Vote, false);
    for (who, card) in [
        (s.ana, b),
        (s.ana, b),
        (s.ben, a),
        (s.ben, uncited),
        (s.cho, c),
    ] {
        s.run(who, Command::Vote { card });
    }
    s.run(s.facilitator, add(kid(1), "data", "x", &[a, b, c]));
    let support = reports::support(&s.w, s.w.conclusion(kid(1)).unwrap());
    assert_eq!(support.votes, 4);
}

#[test]
fn a_hidden_card_no_longer_supports_a_conclusion() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "a");
    let c = s.post(s.cho, 1, "c");
    s.run(s.facilitator, add(kid(1), "data", "x", &[a, c]));
    s.run(s.facilitator, Command::HideCard { card: c });
    let support = reports::support(&s.w, s.w.conclusion(kid(1)).unwrap());
    assert_eq!(support.cards, 1);
    assert_eq!(support.countries, ["AR"]);
    assert_eq!(support.rooms.len(), 1);
}

/// Finds the consolidation entries of `theme` and `column`.
fn block(c: &reports::Consolidation, theme: &str, column: &str) -> Vec<CardId> {
    let t = c.themes.iter().find(|t| t.theme == theme).unwrap();
    let col = t.columns.iter().find(|col| col.column == column).unwrap();
    col.cards.iter().map(|e| e.id).collect()
}

#[test]
fn consolidation_lists_every_card_by_theme_and_column_with_untagged_last() {
    let mut s = Session::new();
    let tagged = s.post_in(s.ana, 0, "problems", "tagged");
    let grouped = s.post_in(s.ben, 0, "solutions", "in a tagged group");
    let loose = s.post_in(s.cho, 1, "strengths", "untagged");
    let own_tag = s.post_in(s.cho, 1, "problems", "own tag wins");
    s.run(
        s.facilitator,
        Command::TagCard {
            card: tagged,
            theme: Some("data".into()),
        },
    );
    s.run(
        s.facilitator,
        Command::GroupCards {
            group: gid(1),
            cards: vec![grouped],
            name: "Services".into(),
        },
    );
    s.run(
        s.facilitator,
        Command::TagGroup {
            group: gid(1),
            theme: Some("services".into()),
        },
    );
    s.run(
        s.facilitator,
        Command::GroupCards {
            group: gid(2),
            cards: vec![own_tag],
            name: "Tagged group".into(),
        },
    );
    s.run(
        s.facilitator,
        Command::TagGroup {
            group: gid(2),
            theme: Some("services".into()),
        },
    );
    s.run(
        s.facilitator,
        Command::TagCard {
            card: own_tag,
            theme: Some("divide".into()),
        },
    );
    let c = reports::consolidation(&s.w);
    let themes: Vec<&str> = c.themes.iter().map(|t| t.theme.as_str()).collect();
    assert_eq!(
        themes,
        [
            "governance",
            "data",
            "capabilities",
            "innovation",
            "services",
            "divide",
            UNTAGGED
        ]
    );
    assert!(c.themes.iter().all(|t| t.columns.len() == 3));
    assert_eq!(block(&c, "data", "problems"), vec![tagged]);
    assert_eq!(block(&c, "services", "solutions"), vec![grouped]);
    assert_eq!(block(&c, "divide", "problems"), vec![own_tag]);
    assert_eq!(block(&c, UNTAGGED, "strengths"), vec![loose]);
    let total: usize = c
        .themes
        .iter()
        .flat_map(|t| &t.columns)
        .map(|col| col.cards.len())
        .sum();
    assert_eq!(total, 4, "each card once");
    let entry = c.themes[4].columns[2].cards[0].clone();
    assert_eq!(entry.group_name.as_deref(), Some("Services"));
    assert_eq!(entry.room_name, "Room 1");
    assert_eq!(entry.author_country.as_deref(), Some("BR"));
}

#[test]
fn consolidation_entries_carry_votes_and_citing_conclusions() {
    let mut s = Session::new();
    let a = s.post(s.ana, 0, "a");
    s.phase(Some(0), Phase::Vote, false);
    s.run(s.ben, Command::Vote { card: a });
    s.run(s.facilitator, add(kid(1), "data", "one", &[a]));
    s.run(s.facilitator, add(kid(2), "divide", "two", &[a]));
    let c = reports::consolidation(&s.w);
    let entry = &c
        .themes
        .iter()
        .flat_map(|t| &t.columns)
        .flat_map(|col| &col.cards)
        .find(|e| e.id == a)
        .unwrap();
    assert_eq!(entry.votes, 1);
    assert_eq!(entry.cited_by, vec![kid(1), kid(2)]);
}

#[test]
fn unconsolidated_cards_are_the_visible_ones_no_conclusion_cites() {
    let mut s = Session::new();
    let cited = s.post(s.ana, 0, "cited");
    let hidden = s.post(s.ben, 0, "hidden");
    let first = s.post(s.cho, 1, "waiting 1");
    let second = s.post(s.ana, 0, "waiting 2");
    s.run(s.facilitator, add(kid(1), "data", "x", &[cited]));
    s.run(s.facilitator, Command::HideCard { card: hidden });
    let c = reports::consolidation(&s.w);
    assert_eq!(c.unconsolidated, vec![first, second], "in posting order");
}

#[test]
fn country_overview_counts_cards_by_column_and_theme_and_lists_citing_conclusions() {
    let mut s = Session::new();
    let a1 = s.post_in(s.ana, 0, "problems", "a1");
    let a2 = s.post_in(s.ana, 0, "problems", "a2");
    let a3 = s.post_in(s.ana, 0, "solutions", "a3");
    let hidden = s.post_in(s.ana, 0, "solutions", "hidden");
    let b1 = s.post_in(s.ben, 0, "strengths", "b1");
    let c1 = s.post_in(s.cho, 1, "problems", "c1");
    s.post(s.facilitator, 0, "staff cards belong to no country");
    for (card, theme) in [(a1, "data"), (a3, "data"), (b1, "divide")] {
        s.run(
            s.facilitator,
            Command::TagCard {
                card,
                theme: Some(theme.into()),
            },
        );
    }
    s.run(s.facilitator, Command::HideCard { card: hidden });
    s.run(
        s.facilitator,
        add(kid(1), "data", "AR and CL", &[c1, a3, a1]),
    );
    s.run(s.facilitator, add(kid(2), "divide", "BR only", &[b1]));
    let overview = reports::country_overview(&s.w);
    let countries: Vec<&str> = overview.iter().map(|o| o.country.as_str()).collect();
    assert_eq!(countries, ["AR", "BR", "CL", "PE"]);
    let ar = &overview[0];
    assert_eq!(ar.delegates, 1);
    assert_eq!(
        ar.rooms.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![s.rooms[0]]
    );
    assert_eq!(
        ar.cards.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![a1, a2, a3],
        "visible cards in posting order"
    );
    let by_column: Vec<(&str, usize)> =
        ar.by_column.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(by_column, [("problems", 2), ("solutions", 1)]);
    let by_theme: Vec<(&str, usize)> = ar.by_theme.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(by_theme, [("data", 2), (UNTAGGED, 1)]);
    assert_eq!(ar.conclusions.len(), 1);
    assert_eq!(ar.conclusions[0].id, kid(1));
    assert_eq!(
        ar.conclusions[0].cards,
        vec![a3, a1],
        "only this country's cards"
    );
    let br = &overview[1];
    assert_eq!(
        br.conclusions.iter().map(|k| k.id).collect::<Vec<_>>(),
        vec![kid(2)]
    );
    let cl = &overview[2];
    assert_eq!(cl.conclusions[0].cards, vec![c1]);
    let pe = &overview[3];
    assert!(pe.cards.is_empty() && pe.rooms.is_empty() && pe.conclusions.is_empty());
}

#[test]
fn country_overview_counts_delegates_and_the_rooms_they_are_in() {
    let mut s = Session::new();
    s.apply(
        &s.join(super::tests::join(
            super::tests::pid(50),
            Some("AR"),
            "es",
            Role::Delegate,
        ))
        .unwrap(),
    );
    s.run(
        s.facilitator,
        moved(super::tests::pid(50), Place::Room(s.rooms[2])),
    );
    let overview = reports::country_overview(&s.w);
    let ar = overview.iter().find(|o| o.country == "AR").unwrap();
    assert_eq!(ar.delegates, 2);
    let rooms: Vec<RoomId> = ar.rooms.iter().map(|r| r.id).collect();
    assert_eq!(rooms, vec![s.rooms[0], s.rooms[2]]);
}

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
