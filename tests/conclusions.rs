//! Conclusions over real sockets: what supports them (rooms, countries, votes), versions and
//! conflicts, the consolidation view and the per-country overview of the reference workshop.

mod common;
use common::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

// ---- Support ------------------------------------------------------------------------

#[tokio::test]
async fn a_conclusion_shows_the_rooms_countries_and_votes_of_its_cited_cards() {
    let t = TwoRooms::voted().await;
    let mut f = t.server.connect(&t.fac.token).await;
    // Cite room 2's card first: rooms still come in the workshop's room order.
    let id = add(
        &mut f,
        "governance",
        "One agenda, one portal",
        &[&t.b, &t.a],
    )
    .await;

    let snap = snapshot(&t.server, &t.fac.token).await;
    let c = conclusion(&snap, &id);
    assert_eq!(c["theme"], "governance");
    assert_eq!(c["version"], 1);
    assert_eq!(c["status"], "draft");
    assert_eq!(c["cards"], json!([t.b, t.a]));
    assert_eq!(
        c["support"]["rooms"],
        json!([
            {"id": t.w.rooms[0], "name": "Room 1"},
            {"id": t.w.rooms[1], "name": "Room 2"}
        ])
    );
    // Carla (CL) wrote the uncited card: her country and its 3 votes do not count.
    assert_eq!(c["support"]["countries"], json!(["AR", "BR"]));
    assert_eq!(c["support"]["votes"], 4);
    assert_eq!(c["support"]["cards"], 2);
}

#[tokio::test]
async fn conclusions_reach_staff_only() {
    let t = TwoRooms::posted().await;
    let mut ana = t.server.connect(&t.ana.token).await;
    let mut f = t.server.connect(&t.fac.token).await;
    let mut o = t.server.connect(&t.w.organizer_token).await;
    ana.refused(
        json!({"type": "add_conclusion", "theme": "governance", "text": "Mine", "cards": [t.a]}),
        "forbidden",
    )
    .await;

    let id = add(&mut f, "governance", "Staff only", &[&t.a]).await;
    assert_eq!(
        o.event_of_type("conclusion_added").await["event"]["conclusion"],
        id.as_str()
    );
    f.ok(edit_text(&id, 1, "Still staff only")).await;
    f.ok(json!({"type": "move_conclusion", "conclusion": id, "position": 0}))
        .await;
    f.ok(json!({"type": "remove_conclusion", "conclusion": id, "version": 2}))
        .await;
    assert_eq!(
        o.event_of_type("conclusion_removed").await["event"]["conclusion"],
        id.as_str()
    );
    // Ordering barrier: a broadcast after every conclusion command must reach Ana, and
    // nothing about conclusions may come before it.
    let seq = barrier(&mut f).await;
    let heard = ana.until_seq(seq).await;
    assert!(
        heard.iter().all(|v| !v["event"]["type"]
            .as_str()
            .unwrap_or("")
            .starts_with("conclusion")),
        "{heard:#?}"
    );
    let snap = snapshot(&t.server, &t.ana.token).await;
    assert!(snap.get("conclusions").is_none());
    assert!(snap.get("consolidation").is_none());
}

// ---- Versions and conflicts ---------------------------------------------------------

#[tokio::test]
async fn an_edit_based_on_the_current_version_is_acked_and_bumps_it() {
    let t = TwoRooms::posted().await;
    let mut f = t.server.connect(&t.fac.token).await;
    let id = add(&mut f, "governance", "Draft", &[&t.a]).await;

    let mut better = edit_text(&id, 1, "Better");
    better["cards"] = json!([t.a, t.b]);
    let seq = f.ok(better).await;
    let ev = f.event_of_type("conclusion_edited").await;
    assert_eq!(ev["seq"].as_u64(), Some(seq));
    assert_eq!(ev["event"]["version"], 2);
    assert_eq!(ev["event"]["text"], "Better");
    assert_eq!(ev["event"]["cards"], json!([t.a, t.b]));

    let snap = snapshot(&t.server, &t.fac.token).await;
    let c = conclusion(&snap, &id);
    assert_eq!(
        (c["version"].as_u64(), c["text"].as_str()),
        (Some(2), Some("Better"))
    );
    assert_eq!(c["support"]["countries"], json!(["AR", "BR"]));
}

#[tokio::test]
async fn two_facilitators_editing_the_same_version_one_wins_the_other_gets_conflict() {
    let t = TwoRooms::posted().await;
    let lead = t.server.facilitator(&t.w, "Lead").await;
    let mut f1 = t.server.connect(&t.fac.token).await;
    let mut f2 = t.server.connect(&lead.token).await;
    let id = add(&mut f1, "governance", "Draft", &[&t.a]).await;

    let (id1, id2) = (f1.fresh_id(), f2.fresh_id());
    let mut e1 = edit_text(&id, 1, "From facilitator one");
    e1["id"] = json!(id1);
    let mut e2 = edit_text(&id, 1, "From facilitator two");
    e2["id"] = json!(id2);
    tokio::join!(f1.send(e1.clone()), f2.send(e2.clone()));
    let a1 = f1.answer_to(&json!(id1)).await;
    let a2 = f2.answer_to(&json!(id2)).await;

    let (winner, loser, mut loser_client, loser_frame, loser_token) = if a1["type"] == "ack" {
        (
            "From facilitator one",
            a2.clone(),
            f2,
            e2,
            lead.token.clone(),
        )
    } else {
        (
            "From facilitator two",
            a1.clone(),
            f1,
            e1,
            t.fac.token.clone(),
        )
    };
    assert_eq!(
        [&a1["type"], &a2["type"]]
            .iter()
            .filter(|t| **t == "ack")
            .count(),
        1,
        "{a1} {a2}"
    );
    assert_eq!(loser["code"], "conflict", "{loser}");
    assert_eq!(loser["current_version"], 2, "{loser}");
    let snap = snapshot(&t.server, &t.fac.token).await;
    assert_eq!(conclusion(&snap, &id)["text"], winner);

    // Retrying the stale edit with the same id returns the very same conflict, even after
    // the conclusion moved on, and even after a restart.
    let retry = loser_client.command(loser_frame.clone()).await;
    assert_eq!(retry, loser);
    let mut other = t.server.connect(&lead.token).await;
    other
        .ok(json!({"type": "edit_conclusion", "conclusion": id, "version": 2, "status": "final"}))
        .await;
    assert_eq!(loser_client.command(loser_frame.clone()).await, loser);
    let mut server = t.server;
    server.kill().await;
    server.restart().await;
    let mut again = server.connect(&loser_token).await;
    assert_eq!(again.command(loser_frame).await, loser);
    let snap = snapshot(&server, &t.fac.token).await;
    assert_eq!(conclusion(&snap, &id)["version"], 3);
    assert_eq!(conclusion(&snap, &id)["text"], winner);
}

#[tokio::test]
async fn retrying_add_conclusion_with_the_same_id_adds_it_once() {
    let t = TwoRooms::posted().await;
    let mut f = t.server.connect(&t.fac.token).await;
    let command = json!({
        "type": "add_conclusion", "id": "add-once", "theme": "data", "text": "Once", "cards": [t.a]
    });
    let first = f.command(command.clone()).await;
    assert_eq!(first["type"], "ack", "{first}");
    assert_eq!(f.command(command).await, first);
    let snap = snapshot(&t.server, &t.fac.token).await;
    assert_eq!(
        snap["conclusions"].as_array().expect("conclusions").len(),
        1
    );
}

#[tokio::test]
async fn a_conclusion_is_marked_final() {
    let t = TwoRooms::posted().await;
    let mut f = t.server.connect(&t.fac.token).await;
    let id = add(&mut f, "data", "Share registers", &[&t.a]).await;
    f.ok(json!({"type": "edit_conclusion", "conclusion": id, "version": 1, "status": "final"}))
        .await;
    let ev = f.event_of_type("conclusion_edited").await;
    assert_eq!(ev["event"]["status"], "final");
    assert_eq!(ev["event"]["text"], "Share registers");
    let snap = snapshot(&t.server, &t.fac.token).await;
    assert_eq!(conclusion(&snap, &id)["status"], "final");
    assert_eq!(conclusion(&snap, &id)["version"], 2);
    f.refused(
        json!({"type": "edit_conclusion", "conclusion": id, "version": 2, "status": "done"}),
        "invalid",
    )
    .await;
}

#[tokio::test]
async fn move_conclusion_reorders_within_its_theme() {
    let t = TwoRooms::posted().await;
    let mut f = t.server.connect(&t.fac.token).await;
    let g1 = add(&mut f, "governance", "G1", &[&t.a]).await;
    let d1 = add(&mut f, "data", "D1", &[&t.b]).await;
    let g2 = add(&mut f, "governance", "G2", &[&t.b]).await;

    let seq = f
        .ok(json!({"type": "move_conclusion", "conclusion": g2, "position": 0}))
        .await;
    let ev = f.event_of_type("conclusion_moved").await;
    assert_eq!(ev["seq"].as_u64(), Some(seq));
    assert_eq!(ev["event"]["position"], 0);
    let snap = snapshot(&t.server, &t.fac.token).await;
    assert_eq!(
        conclusion_ids(&snap, "governance"),
        [g2.clone(), g1.clone()]
    );
    assert_eq!(conclusion_ids(&snap, "data"), [d1]);
    f.refused(
        json!({"type": "move_conclusion", "conclusion": g2, "position": 2}),
        "invalid",
    )
    .await;
}

#[tokio::test]
async fn removing_with_a_stale_version_is_a_conflict() {
    let t = TwoRooms::posted().await;
    let mut f = t.server.connect(&t.fac.token).await;
    let id = add(&mut f, "governance", "Draft", &[&t.a]).await;
    f.ok(edit_text(&id, 1, "Edited")).await;
    let err = f
        .refused(
            json!({"type": "remove_conclusion", "conclusion": id, "version": 1}),
            "conflict",
        )
        .await;
    assert_eq!(err["current_version"], 2);
    let snap = snapshot(&t.server, &t.fac.token).await;
    assert_eq!(conclusion(&snap, &id)["text"], "Edited");

    f.ok(json!({"type": "remove_conclusion", "conclusion": id, "version": 2}))
        .await;
    let snap = snapshot(&t.server, &t.fac.token).await;
    assert!(snap["conclusions"]
        .as_array()
        .expect("conclusions")
        .is_empty());
    f.refused(edit_text(&id, 2, "Gone"), "not_found").await;
}

#[tokio::test]
async fn a_cited_card_cannot_be_deleted() {
    let t = TwoRooms::posted().await;
    let mut f = t.server.connect(&t.fac.token).await;
    let mut ana = t.server.connect(&t.ana.token).await;
    add(&mut f, "governance", "Cites Ana", &[&t.a]).await;
    ana.refused(json!({"type": "delete_card", "card": t.a}), "invalid")
        .await;
    f.refused(json!({"type": "delete_card", "card": t.a}), "invalid")
        .await;
    // An uncited card still goes.
    f.ok(json!({"type": "delete_card", "card": t.c})).await;
}

#[tokio::test]
async fn a_conclusion_needs_a_known_theme_and_existing_cards() {
    let t = TwoRooms::posted().await;
    let mut f = t.server.connect(&t.fac.token).await;
    f.refused(
        json!({"type": "add_conclusion", "theme": "astrology", "text": "No", "cards": [t.a]}),
        "invalid",
    )
    .await;
    f.refused(
        json!({"type": "add_conclusion", "theme": "data", "text": "No",
               "cards": ["00000000-0000-4000-8000-000000000000"]}),
        "not_found",
    )
    .await;
    // The organizer cannot drop a theme a conclusion is written under.
    add(&mut f, "data", "Data", &[&t.a]).await;
    let mut o = t.server.connect(&t.w.organizer_token).await;
    o.refused(
        json!({"type": "set_themes", "themes": [{"key": "governance", "title": "Governance"}]}),
        "invalid",
    )
    .await;
}

// ---- Consolidation view -------------------------------------------------------------

#[tokio::test]
async fn consolidation_lists_cards_by_theme_and_column_and_what_is_still_unconsolidated() {
    let t = TwoRooms::voted().await;
    let mut f = t.server.connect(&t.fac.token).await;
    f.ok(json!({"type": "tag_card", "card": t.a, "theme": "governance"}))
        .await;

    let view = consolidation(&t.server, &t.w.id, &t.fac.token).await;
    let themes: Vec<&str> = view["themes"]
        .as_array()
        .expect("themes")
        .iter()
        .map(|b| b["theme"].as_str().expect("theme"))
        .collect();
    assert_eq!(
        themes,
        [
            "governance",
            "data",
            "capabilities",
            "innovation",
            "services",
            "divide",
            "untagged"
        ]
    );
    let governance = cards_at(&view, "governance", "strengths");
    assert_eq!(governance.len(), 1);
    let a = &governance[0];
    assert_eq!(a["id"], t.a.as_str());
    assert_eq!(a["room"], t.w.rooms[0].as_str());
    assert_eq!(a["room_name"], "Room 1");
    assert_eq!(a["author_country"], "AR");
    assert_eq!(a["votes"], 2);
    assert_eq!(a["cited_by"], json!([]));
    let untagged_problems: Vec<&str> = cards_at(&view, "untagged", "problems")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert_eq!(untagged_problems, [t.b.as_str(), t.c.as_str()]);
    assert_eq!(view["unconsolidated"], json!([t.a, t.b, t.c]));

    let id = add(&mut f, "governance", "Agenda", &[&t.a]).await;
    let view = consolidation(&t.server, &t.w.id, &t.fac.token).await;
    assert_eq!(
        cards_at(&view, "governance", "strengths")[0]["cited_by"],
        json!([id])
    );
    assert_eq!(view["unconsolidated"], json!([t.b, t.c]));
    // A hidden card is not waiting to be consolidated.
    f.ok(json!({"type": "hide_card", "card": t.c})).await;
    let view = consolidation(&t.server, &t.w.id, &t.fac.token).await;
    assert_eq!(view["unconsolidated"], json!([t.b]));
    // The view is a report, not part of the snapshot (it would double a staff welcome).
    let snap = snapshot(&t.server, &t.fac.token).await;
    assert!(snap.get("consolidation").is_none());
    // Removing the conclusion puts its card back among the unconsolidated.
    f.ok(json!({"type": "remove_conclusion", "conclusion": id, "version": 1}))
        .await;
    let view = consolidation(&t.server, &t.w.id, &t.fac.token).await;
    assert_eq!(view["unconsolidated"], json!([t.a, t.b]));
}

#[tokio::test]
async fn reports_need_a_staff_token_of_this_workshop() {
    let t = TwoRooms::posted().await;
    let other = t.server.workshop().await;
    let stranger = t.server.facilitator(&other, "Stranger").await;
    for what in ["overview", "consolidation"] {
        let path = format!("/api/workshops/{}/{what}", t.w.id);
        assert_eq!(get(&t.server, &path, None).await.0, 401, "{what}");
        assert_eq!(
            get(&t.server, &path, Some("not-a-token")).await.0,
            401,
            "{what}"
        );
        let (status, body) = get(&t.server, &path, Some(&t.ana.token)).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some("forbidden")),
            "{what}"
        );
        assert_eq!(
            get(&t.server, &path, Some(&stranger.token)).await.0,
            403,
            "{what}"
        );
        assert_eq!(
            get(&t.server, &path, Some(&t.fac.token)).await.0,
            200,
            "{what}"
        );
        assert_eq!(
            get(&t.server, &path, Some(&t.w.organizer_token)).await.0,
            200,
            "{what}"
        );
    }
}

// ---- The reference workshop ---------------------------------------------------------

#[tokio::test]
async fn reference_overview_matches_the_fixture_country_by_country() {
    let (server, printed) = TestServer::start_demo().await;
    let fx = Fixture::load();
    let id = after(&printed, "workshop id:");
    let lead = after(&printed, "Lead facilitator");
    let (status, overview) = get(
        &server,
        &format!("/api/workshops/{id}/overview"),
        Some(lead),
    )
    .await;
    assert_eq!(status, 200, "{overview}");
    let overview = overview.as_array().expect("an array of countries");

    let codes: BTreeSet<&str> = overview
        .iter()
        .map(|c| c["country"].as_str().expect("country"))
        .collect();
    assert_eq!(codes, fx.delegates.keys().map(String::as_str).collect());
    assert_eq!(overview.len(), 15);
    for country in overview {
        let code = country["country"].as_str().expect("country");
        assert_eq!(
            country["delegates"].as_u64(),
            Some(fx.delegates[code]),
            "{code}"
        );
        let cards: Vec<&FixtureCard> = fx.cards.iter().filter(|c| c.country == code).collect();
        let texts: Vec<&str> = country["cards"]
            .as_array()
            .expect("cards")
            .iter()
            .map(|c| c["text"].as_str().expect("text"))
            .collect();
        assert_eq!(
            texts,
            cards.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(),
            "{code}"
        );
        assert_eq!(
            country["by_column"],
            counts(cards.iter().map(|c| &c.column)),
            "{code}"
        );
        assert_eq!(
            country["by_theme"],
            counts(cards.iter().map(|c| &c.theme)),
            "{code}"
        );
        // The conclusions citing this country's cards, with how many of them each cites.
        let expected: Vec<(&str, usize)> = fx
            .conclusions
            .iter()
            .map(|k| {
                let n = k
                    .cards
                    .iter()
                    .filter(|c| fx.card(c).country == code)
                    .count();
                (k.text.as_str(), n)
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        let actual: Vec<(&str, usize)> = country["conclusions"]
            .as_array()
            .expect("conclusions")
            .iter()
            .map(|k| {
                let n = k["cards"].as_array().expect("cards").len();
                (k["text"].as_str().expect("text"), n)
            })
            .collect();
        assert_eq!(actual, expected, "{code}");
        let rooms: Vec<&str> = country["rooms"]
            .as_array()
            .expect("rooms")
            .iter()
            .map(|r| r["name"].as_str().expect("name"))
            .collect();
        assert_eq!(rooms, [fx.room_of_country(code)], "{code}");
    }
}

#[tokio::test]
async fn reference_conclusions_trace_back_to_rooms_and_countries() {
    let (server, printed) = TestServer::start_demo().await;
    let fx = Fixture::load();
    let lead = after(&printed, "Lead facilitator");
    let snap = snapshot(&server, lead).await;
    let conclusions = snap["conclusions"].as_array().expect("conclusions");
    assert_eq!(conclusions.len(), 6);
    let room_ids: Vec<&str> = snap["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    for (c, k) in conclusions.iter().zip(&fx.conclusions) {
        assert_eq!(c["text"], k.text.as_str());
        assert_eq!(c["theme"], k.theme.as_str());
        let cited: Vec<&FixtureCard> = k.cards.iter().map(|key| fx.card(key)).collect();
        let rooms: Vec<Value> = fx
            .rooms
            .iter()
            .enumerate()
            .filter(|(_, (key, _))| cited.iter().any(|c| &c.room == key))
            .map(|(i, (_, name))| json!({"id": room_ids[i], "name": name}))
            .collect();
        let countries: BTreeSet<&str> = cited.iter().map(|c| c.country.as_str()).collect();
        assert_eq!(c["support"]["rooms"], json!(rooms), "{}", k.text);
        assert_eq!(c["support"]["countries"], json!(countries), "{}", k.text);
        assert_eq!(c["support"]["cards"], k.cards.len(), "{}", k.text);
        assert_eq!(c["support"]["votes"], 0, "{}", k.text);
        // Cited card ids are the snapshot's cards with the fixture's texts.
        let texts: Vec<&str> = c["cards"]
            .as_array()
            .expect("cards")
            .iter()
            .map(|id| {
                snap["cards"]
                    .as_array()
                    .expect("cards")
                    .iter()
                    .find(|card| card["id"] == *id)
                    .expect("cited card")["text"]
                    .as_str()
                    .expect("text")
            })
            .collect();
        assert_eq!(
            texts,
            cited.iter().map(|c| c.text.as_str()).collect::<Vec<_>>()
        );
    }
    // Everything in the reference workshop is cited by some conclusion, or listed as not.
    let cited: usize = fx.conclusions.iter().map(|k| k.cards.len()).sum();
    let workshop = snap["workshop"]["id"].as_str().expect("workshop id");
    let unconsolidated = consolidation(&server, workshop, lead).await["unconsolidated"]
        .as_array()
        .expect("unconsolidated")
        .len();
    let distinct: BTreeSet<&String> = fx.conclusions.iter().flat_map(|k| &k.cards).collect();
    assert_eq!(cited, distinct.len(), "the fixture cites each card once");
    assert_eq!(unconsolidated, fx.cards.len() - distinct.len());
}

#[tokio::test]
async fn reference_votes_flow_into_conclusion_support() {
    let (server, printed) = TestServer::start_demo().await;
    let fx = Fixture::load();
    let lead = after(&printed, "Lead facilitator");
    let mut f = server.connect(lead).await;
    f.ok(json!({"type": "set_phase", "phase": "vote"})).await;

    // Delegate AR-1 (room 1) votes twice for card-06, which the governance conclusion cites.
    let mut d = server.connect(after(&printed, "Delegate AR-1")).await;
    let text = &fx.card("card-06").text;
    let card = d.welcome["snapshot"]["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .find(|c| c["text"] == text.as_str())
        .expect("card-06 on AR-1's board")["id"]
        .clone();
    d.ok(json!({"type": "vote", "card": card})).await;
    d.ok(json!({"type": "vote", "card": card})).await;

    let snap = snapshot(&server, lead).await;
    let votes: Vec<u64> = snap["conclusions"]
        .as_array()
        .expect("conclusions")
        .iter()
        .map(|c| c["support"]["votes"].as_u64().expect("votes"))
        .collect();
    assert_eq!(votes, [2, 0, 0, 0, 0, 0]);
}

// ---- Helpers ------------------------------------------------------------------------

/// A workshop with Ana (AR) in room 1 and Bia (BR) and Carla (CL) in room 2, each having
/// posted one card: `a` (strengths), `b` and `c` (problems).
struct TwoRooms {
    server: TestServer,
    w: Workshop,
    fac: Member,
    ana: Member,
    bia: Member,
    carla: Member,
    a: String,
    b: String,
    c: String,
}

impl TwoRooms {
    async fn posted() -> TwoRooms {
        let server = TestServer::start().await;
        let w = server.workshop().await;
        let fac = server.facilitator(&w, "Facilitator").await;
        let mut f = server.connect(&fac.token).await;
        let ana = server.delegate(&w, "Ana", "AR").await;
        let bia = server.delegate(&w, "Bia", "BR").await;
        let carla = server.delegate(&w, "Carla", "CL").await;
        f.ok(move_to(&ana.id, &w.rooms[0])).await;
        f.ok(move_to(&bia.id, &w.rooms[1])).await;
        f.ok(move_to(&carla.id, &w.rooms[1])).await;
        let a = post_as(&server, &ana, &w.rooms[0], "strengths", "National agenda").await;
        let b = post_as(&server, &bia, &w.rooms[1], "problems", "No broadband").await;
        let c = post_as(&server, &carla, &w.rooms[1], "problems", "Paper forms").await;
        TwoRooms {
            server,
            w,
            fac,
            ana,
            bia,
            carla,
            a,
            b,
            c,
        }
    }

    /// As `posted`, then in the vote phase: Ana votes `a` twice, Bia votes `b`, Carla votes
    /// `b` once and `c` three times.
    async fn voted() -> TwoRooms {
        let t = TwoRooms::posted().await;
        let mut f = t.server.connect(&t.fac.token).await;
        f.ok(json!({"type": "set_phase", "phase": "vote"})).await;
        vote_as(&t.server, &t.ana, &[&t.a, &t.a]).await;
        vote_as(&t.server, &t.bia, &[&t.b]).await;
        vote_as(&t.server, &t.carla, &[&t.b, &t.c, &t.c, &t.c]).await;
        t
    }
}

/// Votes for each card in turn as `who`, over a fresh connection.
async fn vote_as(server: &TestServer, who: &Member, cards: &[&str]) {
    let mut c = server.connect(&who.token).await;
    for card in cards {
        c.ok(json!({"type": "vote", "card": card})).await;
    }
    c.close().await;
}

/// Posts a card as `who` over a fresh connection; returns its id.
async fn post_as(
    server: &TestServer,
    who: &Member,
    room: &str,
    column: &str,
    text: &str,
) -> String {
    let mut c = server.connect(&who.token).await;
    let seq = c.ok(post_card(room, column, text)).await;
    let id = created(&mut c, "card_posted", "card", seq).await;
    c.close().await;
    id
}

/// Adds a conclusion; returns its id.
async fn add(f: &mut TestClient, theme: &str, text: &str, cards: &[&str]) -> String {
    let seq = f
        .ok(json!({"type": "add_conclusion", "theme": theme, "text": text, "cards": cards}))
        .await;
    created(f, "conclusion_added", "conclusion", seq).await
}

fn edit_text(conclusion: &str, version: u64, text: &str) -> Value {
    json!({"type": "edit_conclusion", "conclusion": conclusion, "version": version, "text": text})
}

/// The id in field `field` of the `ty` event with this `seq`.
async fn created(c: &mut TestClient, ty: &str, field: &str, seq: u64) -> String {
    loop {
        let ev = c.event_of_type(ty).await;
        if ev["seq"].as_u64() == Some(seq) {
            return ev["event"][field].as_str().expect("id").to_string();
        }
    }
}

async fn snapshot(server: &TestServer, token: &str) -> Value {
    let c = server.connect(token).await;
    let snap = c.welcome["snapshot"].clone();
    c.close().await;
    snap
}

fn conclusion<'a>(snapshot: &'a Value, id: &str) -> &'a Value {
    snapshot["conclusions"]
        .as_array()
        .expect("conclusions")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("conclusion {id} not in {snapshot}"))
}

fn conclusion_ids(snapshot: &Value, theme: &str) -> Vec<String> {
    snapshot["conclusions"]
        .as_array()
        .expect("conclusions")
        .iter()
        .filter(|c| c["theme"] == theme)
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect()
}

/// `GET path` with an optional bearer token; status and JSON body.
async fn get(server: &TestServer, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = server.http.get(server.url(path));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let r = request.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn consolidation(server: &TestServer, workshop: &str, token: &str) -> Value {
    let (status, body) = get(
        server,
        &format!("/api/workshops/{workshop}/consolidation"),
        Some(token),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The cards of one theme block's column in a consolidation view.
fn cards_at<'a>(view: &'a Value, theme: &str, column: &str) -> &'a Vec<Value> {
    let block = view["themes"]
        .as_array()
        .expect("themes")
        .iter()
        .find(|b| b["theme"] == theme)
        .unwrap_or_else(|| panic!("no theme {theme}"));
    block["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .find(|c| c["column"] == column)
        .unwrap_or_else(|| panic!("no column {column}"))["cards"]
        .as_array()
        .expect("cards")
}

/// The last word of the first printed line starting with `label`.
fn after<'a>(lines: &'a [String], label: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.trim_start().starts_with(label))
        .and_then(|l| l.split_whitespace().last())
        .unwrap_or_else(|| panic!("no {label:?} line in {lines:#?}"))
}

/// Counts per key, as the JSON object the overview answers with.
fn counts<'a>(keys: impl Iterator<Item = &'a String>) -> Value {
    let mut m: BTreeMap<&str, u64> = BTreeMap::new();
    for k in keys {
        *m.entry(k).or_default() += 1;
    }
    json!(m)
}

/// The reference workshop as the fixture describes it.
struct Fixture {
    /// Delegates per country code.
    delegates: BTreeMap<String, u64>,
    /// (key, name) in room order.
    rooms: Vec<(String, String)>,
    /// Countries of each room key.
    room_countries: Vec<Vec<String>>,
    cards: Vec<FixtureCard>,
    conclusions: Vec<FixtureConclusion>,
}

struct FixtureCard {
    key: String,
    room: String,
    column: String,
    theme: String,
    text: String,
    /// The author's country.
    country: String,
}

struct FixtureConclusion {
    theme: String,
    text: String,
    cards: Vec<String>,
}

impl Fixture {
    fn load() -> Fixture {
        let fx: Value =
            serde_json::from_str(include_str!("../data/going-digital-2020.json")).expect("fixture");
        let s = |v: &Value| v.as_str().expect("string").to_string();
        let country_of: BTreeMap<String, String> = fx["participants"]
            .as_array()
            .expect("participants")
            .iter()
            .filter(|p| p["country"].is_string())
            .map(|p| (s(&p["key"]), s(&p["country"])))
            .collect();
        Fixture {
            delegates: fx["countries"]
                .as_array()
                .expect("countries")
                .iter()
                .map(|c| (s(&c["code"]), c["delegates"].as_u64().expect("delegates")))
                .collect(),
            rooms: fx["rooms"]
                .as_array()
                .expect("rooms")
                .iter()
                .map(|r| (s(&r["key"]), s(&r["name"])))
                .collect(),
            room_countries: fx["rooms"]
                .as_array()
                .expect("rooms")
                .iter()
                .map(|r| {
                    r["countries"]
                        .as_array()
                        .expect("countries")
                        .iter()
                        .map(s)
                        .collect()
                })
                .collect(),
            cards: fx["cards"]
                .as_array()
                .expect("cards")
                .iter()
                .map(|c| FixtureCard {
                    key: s(&c["key"]),
                    room: s(&c["room"]),
                    column: s(&c["column"]),
                    theme: c["theme"].as_str().unwrap_or("untagged").to_string(),
                    text: s(&c["text"]),
                    country: country_of[&s(&c["author"])].clone(),
                })
                .collect(),
            conclusions: fx["conclusions"]
                .as_array()
                .expect("conclusions")
                .iter()
                .map(|k| FixtureConclusion {
                    theme: s(&k["theme"]),
                    text: s(&k["text"]),
                    cards: k["cards"]
                        .as_array()
                        .expect("cards")
                        .iter()
                        .map(s)
                        .collect(),
                })
                .collect(),
        }
    }

    fn card(&self, key: &str) -> &FixtureCard {
        self.cards
            .iter()
            .find(|c| c.key == key)
            .unwrap_or_else(|| panic!("no card {key} in the fixture"))
    }

    /// The name of the room the fixture puts a country's delegation in.
    fn room_of_country(&self, code: &str) -> &str {
        let i = self
            .room_countries
            .iter()
            .position(|cs| cs.iter().any(|c| c == code))
            .unwrap_or_else(|| panic!("no room for {code}"));
        &self.rooms[i].1
    }
}
