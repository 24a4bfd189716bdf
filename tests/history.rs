//! A card's edit history (issue 21, item 5): the live state keeps each card's latest
//! changes only, no welcome carries them, staff ask for them (`card_history`, answered to
//! the asker only), and the export still holds every change, from the log.

mod common;
use common::*;
use serde_json::{json, Value};

/// Sends `card_history` and returns (the `card_history` frame or `None`, the answer).
async fn card_history(c: &mut TestClient, card: &Value) -> (Option<Value>, Value) {
    let id = c.fresh_id();
    c.send(json!({"type": "card_history", "id": id, "card": card}))
        .await;
    let mut frame = None;
    loop {
        let v = c.recv().await.expect("an answer");
        if v["id"] != id {
            continue;
        }
        match v["type"].as_str() {
            Some("card_history") => frame = Some(v),
            Some("ack") | Some("error") => return (frame, v),
            other => panic!("unexpected {other:?}: {v}"),
        }
    }
}

#[tokio::test]
async fn edits_are_kept_live_up_to_a_cap_sent_on_demand_and_exported_whole() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_, mut f) = staff(&server, &w).await;
    let (_, mut ana) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    ana.ok(post_card(&w.rooms[0], "strengths", "v0")).await;
    let card = ana.event_of_type("card_posted").await["event"]["card"].clone();
    const EDITS: usize = 30;
    for n in 1..=EDITS {
        ana.ok(json!({"type": "edit_card", "card": card, "text": format!("v{n}")}))
            .await;
    }

    // No welcome carries the record: staff see how many changes there are.
    let f2 = server.connect(&w.organizer_token).await;
    let welcome = f2.welcome.to_string();
    assert!(!welcome.contains("\"history\""), "{welcome}");
    assert!(!welcome.contains("previous_text"), "{welcome}");
    let seen = &f2.welcome["snapshot"]["cards"][0];
    assert_eq!(seen["revisions"], EDITS, "{seen}");

    // Staff ask for it: the latest 20, and how many earlier ones the export holds.
    let (frame, answer) = card_history(&mut f, &card).await;
    assert_eq!(answer["type"], "ack", "{answer}");
    let frame = frame.expect("a card_history frame before the ack");
    let history = frame["history"].as_array().expect("history");
    assert_eq!(history.len(), 20);
    assert_eq!(frame["earlier"], EDITS - 20);
    assert_eq!(history[0]["previous_text"], format!("v{}", EDITS - 20));
    assert_eq!(history[19]["previous_text"], format!("v{}", EDITS - 1));

    // A delegate is refused (even for their own card) and told nothing.
    let (frame, answer) = card_history(&mut ana, &card).await;
    assert!(frame.is_none());
    assert_eq!(answer["code"], "forbidden", "{answer}");
    let (_, answer) = card_history(&mut f, &json!("00000000-0000-0000-0000-000000000000")).await;
    assert_eq!(answer["code"], "not_found", "{answer}");

    // The export holds every change, from the first.
    for _ in 0..2 {
        let r = server
            .http
            .get(server.url(&format!("/api/workshops/{}/export?format=json", w.id)))
            .bearer_auth(&w.organizer_token)
            .send()
            .await
            .expect("request");
        assert_eq!(r.status(), 200);
        let record: Value = r.json().await.expect("json");
        let exported = record["cards"][0]["history"].as_array().expect("history");
        assert_eq!(exported.len(), EDITS);
        assert_eq!(exported[0]["previous_text"], "v0");
    }
}

#[tokio::test]
async fn a_history_answer_goes_to_the_asker_only() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_, mut f) = staff(&server, &w).await;
    let mut org = server.connect(&w.organizer_token).await;
    f.ok(post_card(&w.rooms[0], "strengths", "a card")).await;
    let card = f.event_of_type("card_posted").await["event"]["card"].clone();
    org.event_of_type("card_posted").await;
    let (frame, _) = card_history(&mut f, &card).await;
    assert!(frame.is_some());
    // An ordering barrier: the organizer's own command's answer comes after anything the
    // facilitator's query could have sent it.
    let id = org.fresh_id();
    org.send(json!({"type": "broadcast", "id": id, "text": "barrier"}))
        .await;
    loop {
        let v = org.recv().await.expect("the barrier");
        assert_ne!(v["type"], "card_history", "{v}");
        if v["id"] == id {
            break;
        }
    }
}
