//! The reference workshop: its conclusions and the per-country overview.

use super::*;

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
