//! What supports a conclusion (rooms, countries, votes), and the consolidation view.

use super::*;

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
