//! Reports: support, consolidation, country overview.

use super::*;

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
