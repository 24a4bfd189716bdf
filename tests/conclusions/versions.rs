//! Versions of a conclusion and conflicting edits.

use super::*;

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
