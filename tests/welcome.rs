//! How big a staff welcome is (issue 21, item 6): proportional to what the page shows
//! first (settings, people, cards, groups, conclusions), never to the audit record or to
//! derived views (the consolidation view is a REST report). Figures in
//! docs/RELIABILITY.md ("Limits").

mod common;
use common::*;
use futures_util::future::join_all;
use serde_json::{json, Value};

/// Bytes of JSON a card costs in a staff welcome besides its text: three ids (36 bytes
/// each), its column and theme, numbers and the field names.
const PER_CARD_OVERHEAD: usize = 400;
/// Everything besides the cards: settings, rooms, people, session.
const FIXED: usize = 64 * 1024;
/// A facilitator on 4 Mbit/s reads 500 KB/s; the write timeout is 10 s.
const LINK_BYTES_PER_SECOND: usize = 500_000;

fn welcome_bytes(c: &TestClient) -> usize {
    c.welcome.to_string().len()
}

#[tokio::test]
async fn a_4000_card_staff_welcome_is_proportional_to_its_cards_and_reaches_a_slow_link() {
    let server = TestServer::start_with(&NO_RATE_LIMITS).await;
    let w = server.workshop().await;
    let (_, mut f) = staff(&server, &w).await;
    const PER_ROOM: usize = 10;
    const CARDS_EACH: usize = 100;
    let text = |n: usize| format!("{n:05} {}", "digital public services ".repeat(8));
    let mut text_bytes = 0;
    let mut delegates = Vec::new();
    let mut tokens = Vec::new();
    for (r, room) in w.rooms.iter().enumerate() {
        for d in 0..PER_ROOM {
            let (m, c) = seated(&server, &w, &mut f, &format!("D{r}-{d}"), "AR", room).await;
            tokens.push(m.token);
            delegates.push((room.clone(), r * PER_ROOM + d, c));
        }
    }
    join_all(delegates.iter_mut().map(|(room, i, c)| {
        let room = room.clone();
        let i = *i;
        async move {
            let commands: Vec<Value> = (0..CARDS_EACH)
                .map(|n| {
                    json!({"type": "post_card", "id": format!("c{n}"), "room": room,
                           "column": "strengths", "text": text(i * CARDS_EACH + n)})
                })
                .collect();
            for answer in c.pipeline(&commands).await {
                assert_eq!(answer.expect("answered")["type"], "ack");
            }
        }
    }))
    .await;
    for n in 0..w.rooms.len() * PER_ROOM * CARDS_EACH {
        text_bytes += text(n).len();
    }
    let cards = w.rooms.len() * PER_ROOM * CARDS_EACH;
    assert_eq!(cards, 4000);
    // A facilitator edits a few cards many times: the audit record stays out of the welcome.
    let some_card = f.event_of_type("card_posted").await["event"]["card"].clone();
    for n in 0..200 {
        f.ok(json!({"type": "edit_card", "card": some_card, "text": format!("edit {n}")}))
            .await;
    }
    let staff = server.connect(&w.organizer_token).await;
    let seen = staff.welcome["snapshot"]["cards"]
        .as_array()
        .expect("cards")
        .len();
    assert_eq!(seen, cards);
    let bytes = welcome_bytes(&staff);
    let bound = FIXED + cards * PER_CARD_OVERHEAD + text_bytes;
    eprintln!(
        "staff welcome, {cards} cards of {} bytes of text in all: {bytes} bytes ({} per card, bound {bound}); {:.1} s at 500 KB/s",
        text_bytes,
        bytes / cards,
        bytes as f64 / LINK_BYTES_PER_SECOND as f64
    );
    assert!(bytes <= bound, "{bytes} > {bound}");
    assert!(
        bytes <= 5 * LINK_BYTES_PER_SECOND,
        "a 4 Mbit/s link needs over 5 s for {bytes} bytes"
    );
    // A delegate's welcome carries their room's board only.
    let d = server.connect(&tokens[0]).await;
    let board = d.welcome["snapshot"]["cards"]
        .as_array()
        .expect("cards")
        .len();
    assert_eq!(board, PER_ROOM * CARDS_EACH);
    eprintln!(
        "delegate welcome in that workshop: {} bytes",
        welcome_bytes(&d)
    );
}

#[tokio::test]
async fn the_demo_staff_welcome_is_proportional_to_its_cards() {
    let (server, printed) = TestServer::start_demo().await;
    let lead = printed
        .iter()
        .find(|l| l.trim_start().starts_with("Lead facilitator"))
        .and_then(|l| l.split_whitespace().last())
        .expect("the lead facilitator's token");
    let f = server.connect(lead).await;
    let cards = f.welcome["snapshot"]["cards"].as_array().expect("cards");
    let text: usize = cards
        .iter()
        .map(|c| c["text"].as_str().unwrap_or("").len())
        .sum();
    let bytes = welcome_bytes(&f);
    let bound = FIXED + cards.len() * PER_CARD_OVERHEAD + text;
    eprintln!(
        "demo staff welcome: {bytes} bytes for {} cards ({text} bytes of text), bound {bound}",
        cards.len()
    );
    assert!(bytes <= bound, "{bytes} > {bound}");
}

#[tokio::test]
async fn a_delegate_welcome_names_their_room_and_the_staff_and_moves_name_newcomers() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    let (ana, _a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let (bo, _b) = seated(&server, &w, &mut f, "Bo", "BR", &w.rooms[1]).await;
    let cy = server.delegate(&w, "Cy", "CL").await;
    for n in 0..30 {
        server.delegate(&w, &format!("Lobby {n}"), "PE").await;
    }
    let mut a = server.connect(&ana.token).await;
    let ids = |v: &Value| -> Vec<String> {
        let mut ids: Vec<String> = v["snapshot"]["participants"]
            .as_array()
            .expect("participants")
            .iter()
            .map(|p| p["id"].as_str().expect("id").to_string())
            .collect();
        ids.sort();
        ids
    };
    let org_id = f.welcome["snapshot"]["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .find(|p| p["role"] == "organizer")
        .expect("organizer")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let mut expected = vec![ana.id.clone(), fac.id.clone(), org_id];
    expected.sort();
    assert_eq!(
        ids(&a.welcome),
        expected,
        "Ana's room, the staff and herself"
    );
    let rooms = a.welcome["snapshot"]["rooms"].as_array().expect("rooms");
    assert_eq!(rooms[0]["members"], json!([ana.id]));
    assert_eq!(rooms[1]["members"], json!([]), "Bo is not named to Ana");
    assert_eq!(
        a.welcome["snapshot"]["lobby"]
            .as_array()
            .map(|l| l.iter().filter(|x| **x != json!(fac.id)).count()),
        Some(1),
        "only the organizer waits where Ana can see"
    );
    // Staff still see everyone.
    let org = server.connect(&w.organizer_token).await;
    assert_eq!(ids(&org.welcome).len(), 2 + 3 + 30);
    // Cy and Bo enter Ana's room: the events name them.
    f.ok(move_to(&cy.id, &w.rooms[0])).await;
    let ev = a.event_of_type("participant_moved").await;
    assert_eq!(ev["participants"][0]["id"], cy.id.as_str());
    assert_eq!(ev["participants"][0]["name"], "Cy");
    assert_eq!(ev["participants"][0]["room"], w.rooms[0].as_str());
    f.ok(json!({"type": "return_to_lobby"})).await;
    let ev = a.event_of_type("returned_to_lobby").await;
    let named: Vec<&str> = ev["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .map(|p| p["name"].as_str().unwrap_or(""))
        .collect();
    assert!(named.contains(&"Bo") && named.contains(&"Cy"), "{named:?}");
    drop(bo);
}
