//! Moderation and its audit trail.

use super::*;

// ---- Moderation ---------------------------------------------------------------------

#[tokio::test]
async fn facilitator_edits_a_delegates_card_and_the_audit_record_keeps_the_original() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let (_bob, mut b) = seated(&server, &w, &mut f, "Bob", "BR", &w.rooms[0]).await;
    let c = post(&mut a, &w.rooms[0], "problems", "Teh portal is slow").await;
    b.refused(edit(&c, "Bob's take"), "forbidden").await;
    b.refused(json!({"type": "delete_card", "card": c}), "forbidden")
        .await;

    let seq = f.ok(edit(&c, "The portal is slow")).await;
    for client in [&mut a, &mut b] {
        let ev = client.event_of_type("card_edited").await;
        assert_eq!(ev["seq"].as_u64(), Some(seq));
        assert_eq!(ev["event"]["by"], fac.id.as_str());
        assert_eq!(ev["event"]["text"], "The portal is slow");
    }

    let staff = snapshot(&server, &fac.token).await;
    let entry = card(&staff, &c);
    assert_eq!(entry["text"], "The portal is slow");
    assert_eq!(entry["edited"], true);
    assert_eq!(entry["revisions"], 1);
    assert!(
        entry.get("history").is_none(),
        "the record is sent on demand: {entry}"
    );
    assert_eq!(
        history_of(&mut f, &c).await,
        json!([{
            "seq": seq, "by": fac.id, "action": "edited", "previous_text": "Teh portal is slow"
        }])
    );
    let anas = snapshot(&server, &ana.token).await;
    let entry = card(&anas, &c);
    assert_eq!(entry["text"], "The portal is slow");
    assert!(entry.get("revisions").is_none(), "{entry}");
    assert!(entry.get("hidden").is_none(), "{entry}");
}

/// A card's audit record, asked for with `card_history` (answered before the `ack`).
async fn history_of(client: &mut TestClient, card: &str) -> Value {
    let id = client.fresh_id();
    client
        .send(json!({"type": "card_history", "id": id, "card": card}))
        .await;
    loop {
        let v = client.recv().await.expect("card_history");
        if v["id"] == id {
            assert_eq!(v["type"], "card_history", "{v}");
            return v["history"].clone();
        }
    }
}

#[tokio::test]
async fn hidden_cards_leave_delegates_boards_and_come_back_when_shown() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let (_carl, mut c) = seated(&server, &w, &mut f, "Carl", "CL", &w.rooms[1]).await;
    let card_id = post(&mut a, &w.rooms[0], "problems", "Off-topic rant").await;
    let keep = post(&mut a, &w.rooms[0], "problems", "Keep me").await;
    a.refused(json!({"type": "hide_card", "card": keep}), "forbidden")
        .await;

    let hid = f.ok(json!({"type": "hide_card", "card": card_id})).await;
    let ev = a.event_of_type("card_hidden").await;
    assert_eq!(ev["seq"].as_u64(), Some(hid));
    assert_eq!(ev["event"]["card"], card_id.as_str());
    assert_eq!(ev["event"]["by"], fac.id.as_str());
    assert!(ev["event"].get("text").is_none());
    assert_eq!(
        card_texts_of(&snapshot(&server, &ana.token).await),
        ["Keep me"]
    );
    let staff = snapshot(&server, &fac.token).await;
    assert_eq!(card(&staff, &card_id)["hidden"], true);
    let history = history_of(&mut f, &card_id).await;
    assert_eq!(history[0]["action"], "hidden");
    assert_eq!(history[0]["by"], fac.id.as_str());
    // The author cannot touch a hidden card any more.
    a.refused(edit(&card_id, "sneaky"), "not_found").await;
    c.drain().await;

    let shown = f.ok(json!({"type": "show_card", "card": card_id})).await;
    let snap = snapshot_at(&mut a, shown).await;
    assert_eq!(snap["reason"], "view_changed");
    assert_eq!(card_texts(&snap), ["Off-topic rant", "Keep me"]);
    // Nobody outside the room is disturbed.
    let after = barrier(&mut f).await;
    let other_room = c.until_seq(after).await;
    assert!(
        other_room.iter().all(|v| v["type"] != "snapshot"),
        "{other_room:#?}"
    );
    let staff = snapshot(&server, &fac.token).await;
    assert_eq!(card(&staff, &card_id)["hidden"], false);
    assert_eq!(history_of(&mut f, &card_id).await[1]["action"], "shown");
}
