//! `cabildo demo` loads the reference workshop and prints tokens that work.

mod common;
use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

fn fixture() -> Value {
    serde_json::from_str(include_str!("../data/going-digital-2020.json")).expect("fixture")
}

fn token_after<'a>(lines: &'a [String], label: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.trim_start().starts_with(label))
        .and_then(|l| l.split_whitespace().last())
        .unwrap_or_else(|| panic!("no {label:?} line in {lines:#?}"))
}

#[tokio::test]
async fn demo_loads_the_reference_workshop_with_working_tokens() {
    let (server, printed) = TestServer::start_demo().await;
    let fx = fixture();

    // The lead facilitator sees every room, every card and every delegate where the
    // fixture put them.
    let lead = token_after(&printed, "Lead facilitator");
    let f = server.connect(lead).await;
    let snap = &f.welcome["snapshot"];
    assert_eq!(snap["workshop"]["title"], fx["workshop"]["title"]);
    let rooms = snap["rooms"].as_array().expect("rooms");
    assert_eq!(rooms.len(), 4);
    let cards = snap["cards"].as_array().expect("cards");
    assert_eq!(cards.len(), fx["cards"].as_array().expect("cards").len());
    let delegates: Vec<&Value> = snap["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .filter(|p| p["role"] == "delegate")
        .collect();
    assert_eq!(delegates.len(), 55);
    let countries: BTreeSet<&str> = delegates
        .iter()
        .map(|p| p["country"].as_str().expect("country"))
        .collect();
    assert_eq!(countries.len(), 15);

    // Cards per room match the fixture, room by room.
    let mut expected: BTreeMap<String, usize> = BTreeMap::new();
    for c in fx["cards"].as_array().expect("cards") {
        let key = c["room"].as_str().expect("room");
        let idx = fx["rooms"]
            .as_array()
            .expect("rooms")
            .iter()
            .position(|r| r["key"] == key)
            .expect("room key");
        *expected
            .entry(rooms[idx]["id"].as_str().expect("id").to_string())
            .or_default() += 1;
    }
    let mut actual: BTreeMap<String, usize> = BTreeMap::new();
    for c in cards {
        *actual
            .entry(c["room"].as_str().expect("room").to_string())
            .or_default() += 1;
    }
    assert_eq!(actual, expected);

    // A printed delegate token opens that delegate's room board and nothing else.
    let delegate_line = printed
        .iter()
        .find(|l| l.trim_start().starts_with("Delegate "))
        .expect("a delegate token is printed");
    let token = delegate_line.split_whitespace().last().expect("token");
    let d = server.connect(token).await;
    let room = d.welcome["you"]["room"].as_str().expect("placed in a room");
    let theirs = d.welcome["snapshot"]["cards"].as_array().expect("cards");
    assert!(!theirs.is_empty());
    assert!(theirs.iter().all(|c| c["room"] == room));
    assert_eq!(theirs.len(), actual[room]);

    // The organizer token printed works too.
    let org = server
        .connect(token_after(&printed, "organizer token:"))
        .await;
    assert_eq!(org.welcome["you"]["role"], "organizer");

    // The roster: everyone joined with their personal link and sits in the room the roster
    // prefers; one head per country; three registered people have not arrived yet.
    let workshop = snap["workshop"]["id"].as_str().expect("workshop id");
    let roster: Value = server
        .http
        .get(server.url(&format!("/api/workshops/{workshop}/roster")))
        .bearer_auth(token_after(&printed, "organizer token:"))
        .send()
        .await
        .expect("roster")
        .json()
        .await
        .expect("roster JSON");
    let people = roster["people"].as_array().expect("people");
    let joined: Vec<&Value> = people.iter().filter(|p| p["joined"] == true).collect();
    let waiting: Vec<&str> = people
        .iter()
        .filter(|p| p["joined"] == false)
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert_eq!(waiting.len(), 3, "{roster}");
    let participants = snap["participants"].as_array().expect("participants");
    assert_eq!(
        joined.len(),
        participants.len() - 1,
        "all but the organizer"
    );
    for person in &joined {
        let p = participants
            .iter()
            .find(|p| p["id"] == person["id"])
            .expect("a joined roster person is a participant");
        assert_eq!(p["name"], person["name"]);
        if !person["room"].is_null() {
            assert_eq!(p["room"], person["room"], "{person}");
        }
        assert_eq!(person["link"], "active");
    }
    let heads: Vec<&str> = people
        .iter()
        .filter(|p| p["head"] == true)
        .map(|p| p["country"].as_str().expect("country"))
        .collect();
    assert_eq!(heads.len(), 15);
    assert_eq!(heads.iter().collect::<BTreeSet<_>>().len(), 15);
}
