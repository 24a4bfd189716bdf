//! Grouping cards, and theme tags.

use super::*;

// ---- Grouping -----------------------------------------------------------------------

#[tokio::test]
async fn facilitator_groups_moves_merges_renames_and_ungroups_cards() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    let (_ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let room = &w.rooms[0];
    let c1 = post(&mut f, room, "problems", "Silos").await;
    let c2 = post(&mut f, room, "problems", "No shared registers").await;
    let c3 = post(&mut f, room, "problems", "Every agency its own ID").await;
    let c4 = post(&mut f, room, "problems", "Paper forms").await;
    set_phase(&mut f, room, "vote").await;
    a.ok(vote(&c1)).await;
    a.ok(vote(&c1)).await;
    a.ok(vote(&c3)).await;
    a.ok(vote(&c4)).await;

    // Create: room-mates see it.
    let seq = f.ok(group(&[&c1, &c2], "Interoperability")).await;
    let ev = a.event_of_type("group_created").await;
    assert_eq!(ev["seq"].as_u64(), Some(seq));
    assert_eq!(ev["event"]["name"], "Interoperability");
    assert_eq!(ev["event"]["room"], room.as_str());
    assert_eq!(ev["event"]["cards"], json!([c1, c2]));
    let g1 = ev["event"]["group"].as_str().expect("group").to_string();

    f.ok(json!({"type": "move_card_to_group", "card": c3, "group": g1}))
        .await;
    let ev = a.event_of_type("card_regrouped").await;
    assert_eq!(ev["event"]["card"], c3.as_str());
    assert_eq!(ev["event"]["group"], g1.as_str());
    assert_eq!(
        group_view(&snapshot(&server, &fac.token).await, &g1)["votes"],
        3
    );

    let g2 = group_of(&mut f, &[&c4], "Paper").await;
    f.ok(json!({"type": "merge_groups", "group": g2, "into": g1}))
        .await;
    let ev = a.event_of_type("groups_merged").await;
    assert_eq!(
        (ev["event"]["group"].as_str(), ev["event"]["into"].as_str()),
        (Some(g2.as_str()), Some(g1.as_str()))
    );
    let snap = snapshot(&server, &fac.token).await;
    let groups = snap["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["id"], g1.as_str());
    assert_eq!(groups[0]["votes"], 4);
    for c in [&c1, &c2, &c3, &c4] {
        assert_eq!(card(&snap, c)["group"], g1.as_str());
    }

    // Take one card out: the group's votes follow.
    f.ok(json!({"type": "move_card_to_group", "card": c1, "group": null}))
        .await;
    assert_eq!(
        group_view(&snapshot(&server, &fac.token).await, &g1)["votes"],
        2
    );

    f.ok(json!({"type": "rename_group", "group": g1, "name": "Data silos"}))
        .await;
    assert_eq!(
        a.event_of_type("group_renamed").await["event"]["name"],
        "Data silos"
    );
    assert_eq!(
        group_view(&snapshot(&server, &fac.token).await, &g1)["name"],
        "Data silos"
    );

    f.ok(json!({"type": "ungroup", "group": g1})).await;
    assert_eq!(
        a.event_of_type("group_dissolved").await["event"]["group"],
        g1.as_str()
    );
    let snap = snapshot(&server, &fac.token).await;
    assert!(snap["groups"].as_array().expect("groups").is_empty());
    for c in [&c1, &c2, &c3, &c4] {
        assert_eq!(card(&snap, c)["group"], Value::Null);
    }
}

#[tokio::test]
async fn a_group_never_spans_two_rooms() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let here = post(&mut f, &w.rooms[0], "problems", "Here").await;
    let there = post(&mut f, &w.rooms[1], "problems", "There").await;
    f.refused(group(&[&here, &there], "Both"), "invalid").await;
    let g0 = group_of(&mut f, &[&here], "Room 1").await;
    let g1 = group_of(&mut f, &[&there], "Room 2").await;
    f.refused(
        json!({"type": "move_card_to_group", "card": there, "group": g0}),
        "invalid",
    )
    .await;
    f.refused(
        json!({"type": "merge_groups", "group": g1, "into": g0}),
        "invalid",
    )
    .await;
    f.refused(
        json!({"type": "merge_groups", "group": g0, "into": g0}),
        "invalid",
    )
    .await;
}

#[tokio::test]
async fn delegates_group_only_when_the_workshop_allows_it() {
    let server = TestServer::start().await;
    let strict = server.workshop().await;
    let (_fac, mut f) = staff(&server, &strict).await;
    let (_ana, mut a) = seated(&server, &strict, &mut f, "Ana", "AR", &strict.rooms[0]).await;
    let c = post(&mut a, &strict.rooms[0], "strengths", "Mine").await;
    a.refused(group(&[&c], "Mine"), "forbidden").await;

    let open = server
        .create_workshop(json!({"title": "Open", "delegates_can_group": true}))
        .await;
    let (_fac, mut f) = staff(&server, &open).await;
    let (_ana, mut a) = seated(&server, &open, &mut f, "Ana", "AR", &open.rooms[0]).await;
    let (_bob, mut b) = seated(&server, &open, &mut f, "Bob", "BR", &open.rooms[0]).await;
    let c1 = post(&mut a, &open.rooms[0], "strengths", "Ana's").await;
    let c2 = post(&mut b, &open.rooms[0], "strengths", "Bob's").await;
    let elsewhere = post(&mut f, &open.rooms[1], "strengths", "Elsewhere").await;
    let seq = a.ok(group(&[&c1, &c2], "Together")).await;
    assert_eq!(
        b.event_of_type("group_created").await["seq"].as_u64(),
        Some(seq)
    );
    a.refused(group(&[&elsewhere], "Not mine"), "forbidden")
        .await;
    // Delegates still may not tag, and group only while the phase allows it.
    a.refused(tag(&c1, "governance"), "forbidden").await;
    set_phase(&mut f, &open.rooms[0], "vote").await;
    a.refused(group(&[&c1], "Late"), "forbidden").await;
}

// ---- Themes -------------------------------------------------------------------------

#[tokio::test]
async fn facilitator_tags_cards_and_groups_with_known_themes_only() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    let (_ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let c1 = post(&mut a, &w.rooms[0], "strengths", "Agenda").await;
    let c2 = post(&mut a, &w.rooms[0], "problems", "Open data").await;
    let g = group_of(&mut f, &[&c2], "Data").await;

    let seq = f.ok(tag(&c1, "governance")).await;
    let ev = a.event_of_type("card_tagged").await;
    assert_eq!(ev["seq"].as_u64(), Some(seq));
    assert_eq!(ev["event"]["theme"], "governance");
    f.ok(json!({"type": "tag_group", "group": g, "theme": "data"}))
        .await;
    assert_eq!(
        a.event_of_type("group_tagged").await["event"]["theme"],
        "data"
    );

    f.refused(tag(&c1, "astrology"), "invalid").await;
    f.refused(
        json!({"type": "tag_group", "group": g, "theme": "astrology"}),
        "invalid",
    )
    .await;
    a.refused(tag(&c1, "data"), "forbidden").await;
    a.refused(
        json!({"type": "tag_group", "group": g, "theme": "data"}),
        "forbidden",
    )
    .await;

    let snap = snapshot(&server, &fac.token).await;
    assert_eq!(card(&snap, &c1)["theme"], "governance");
    assert_eq!(group_view(&snap, &g)["theme"], "data");
    // Untagging is a tag with no theme.
    f.ok(json!({"type": "tag_card", "card": c1, "theme": null}))
        .await;
    assert_eq!(
        card(&snapshot(&server, &fac.token).await, &c1)["theme"],
        Value::Null
    );
}

#[tokio::test]
async fn only_the_organizer_edits_themes_and_removed_themes_drop_their_tags() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let c1 = post(&mut f, &w.rooms[0], "strengths", "Agenda").await;
    let c2 = post(&mut f, &w.rooms[0], "problems", "Open data").await;
    let g = group_of(&mut f, &[&c2], "Data").await;
    f.ok(tag(&c1, "governance")).await;
    f.ok(tag(&c2, "data")).await;
    f.ok(json!({"type": "tag_group", "group": g, "theme": "governance"}))
        .await;
    let themes = json!([
        {"key": "data", "title": "Data-driven public sector"},
        {"key": "access", "title": "Access"}
    ]);
    f.refused(json!({"type": "set_themes", "themes": themes}), "forbidden")
        .await;
    a.refused(json!({"type": "set_themes", "themes": themes}), "forbidden")
        .await;

    let mut o = server.connect(&w.organizer_token).await;
    let seq = o.ok(json!({"type": "set_themes", "themes": themes})).await;
    let ev = a.event_of_type("themes_set").await;
    assert_eq!(ev["seq"].as_u64(), Some(seq));

    let snap = snapshot(&server, &fac.token).await;
    let keys: Vec<&str> = snap["workshop"]["themes"]
        .as_array()
        .expect("themes")
        .iter()
        .map(|t| t["key"].as_str().expect("key"))
        .collect();
    assert_eq!(keys, ["data", "access"]);
    assert_eq!(card(&snap, &c1)["theme"], Value::Null);
    assert_eq!(card(&snap, &c2)["theme"], "data");
    assert_eq!(group_view(&snap, &g)["theme"], Value::Null);
    assert_eq!(
        snapshot(&server, &ana.token).await["workshop"]["themes"],
        themes
    );
    f.refused(tag(&c1, "governance"), "invalid").await;
    f.ok(tag(&c1, "access")).await;
}
