//! The facilitator page: a card posted into a room reaches its delegate live; rooms drawn
//! at random with a seed.

use super::*;

#[tokio::test]
async fn the_facilitator_posts_a_card_into_a_room_and_its_delegate_sees_it_live() {
    let Some((driver, server, w, mut org)) = started().await else {
        return;
    };
    let ana = driver.page(PHONE.0, PHONE.1).await;
    join_by_link(&ana, &server, &w.delegate_code, "Ana", Some("AR"), "en").await;
    let ana_id = participant_id(&mut org, "Ana").await;
    org.ok(move_to(&ana_id, &w.rooms[1])).await;
    ana.wait_text("#room-name", "Room 2").await;

    let fran = driver.page(NARROW.0, NARROW.1).await;
    join_by_link(&fran, &server, &w.facilitator_code, "Fran", None, "en").await;
    let fran_id = participant_id(&mut org, "Fran").await;
    // A closed room's board takes no cards: the form does not offer it.
    org.ok(json!({"type": "close_room", "room": w.rooms[0]}))
        .await;
    fran.until(
        "the open rooms offered, not the closed one",
        "const v = [...document.querySelectorAll('#pc-room option')].map((o) => o.value); \
         return v.length === 3 && !v.includes(arguments[0]);",
        vec![json!(w.rooms[0])],
    )
    .await;
    assert_eq!(
        offered(&fran, "#pc-column").await,
        json!(["strengths", "problems", "solutions"])
    );

    fran.select("#pc-room", &w.rooms[1]).await;
    fran.select("#pc-column", "solutions").await;
    fran.type_into("#pc-text", "One shared civil registry")
        .await;
    fran.click("#pc-form button[type=submit]").await;
    let posted = org.event_of_type("card_posted").await;
    assert_eq!(posted["by"], fran_id);
    assert_eq!(posted["event"]["room"], w.rooms[1]);
    assert_eq!(posted["event"]["column"], "solutions");
    assert_eq!(posted["event"]["text"], "One shared civil registry");
    // The delegate of that room sees it arrive in that column, without a reload.
    ana.wait_text(
        "[aria-labelledby=col-solutions] .cards",
        "One shared civil registry",
    )
    .await;
    fran.wait_text("#cons", "One shared civil registry").await;
    assert_eq!(
        fran.js("return document.querySelector('#pc-text').value;", vec![])
            .await,
        json!("")
    );
    fran.fits_the_width().await;
    fran.screenshot("facilitator-post-card").await;
    fran.close().await;
    ana.close().await;
}

#[tokio::test]
async fn the_facilitator_draws_rooms_at_random_with_a_seed_for_everyone() {
    let Some((driver, server, w, mut org)) = started().await else {
        return;
    };
    let mut ids = Vec::new();
    for (name, country) in [
        ("Ana", "AR"),
        ("Bea", "BR"),
        ("Carla", "CL"),
        ("Dani", "UY"),
        ("Eva", "PY"),
        ("Flor", "PE"),
    ] {
        ids.push(server.delegate(&w, name, country).await.id);
    }
    // Two already sit in Room 1; the others wait in the lobby.
    org.ok(move_to(&ids[0], &w.rooms[0])).await;
    org.ok(move_to(&ids[1], &w.rooms[0])).await;

    let fran = driver.page(NARROW.0, NARROW.1).await;
    join_by_link(&fran, &server, &w.facilitator_code, "Fran", None, "en").await;
    let fran_id = participant_id(&mut org, "Fran").await;
    // The seed is asked only for a random draw, the scope not when delegates choose.
    fran.select("#a-strategy", "self_select").await;
    fran.until(
        "no scope or seed when delegates choose",
        "return document.querySelector('#a-scope-box').hidden && document.querySelector('#a-seed-box').hidden;",
        vec![],
    )
    .await;
    fran.select("#a-strategy", "random").await;
    fran.until(
        "scope and seed for a random draw",
        "return !document.querySelector('#a-scope-box').hidden && !document.querySelector('#a-seed-box').hidden;",
        vec![],
    )
    .await;
    assert_eq!(
        offered(&fran, "#a-scope").await,
        json!(["lobby", "everyone"])
    );
    fran.select("#a-scope", "everyone").await;
    fran.type_into("#a-seed", "42").await;
    fran.fits_the_width().await;
    fran.click("#assign-form button[type=submit]").await;
    let assigned = org.event_of_type("rooms_assigned").await;
    assert_eq!(assigned["by"], fran_id);
    assert_eq!(assigned["event"]["strategy"], "random");
    assert_eq!(assigned["event"]["seed"], 42);
    fran.wait_text("#a-drawn", "Drawn with seed 42").await;

    // The page shows every delegate where the server holds them, nobody left in the lobby.
    let held = server_snapshot(&server, &w).await;
    for id in &ids {
        let p = held["participants"]
            .as_array()
            .expect("participants")
            .iter()
            .find(|p| p["id"] == *id)
            .expect("delegate");
        let room = p["room"].as_str().expect("room").to_string();
        assert_ne!(room, "lobby");
        fran.until(
            &format!("{id} shown in {room}"),
            "return !!document.querySelector(`[data-room=\"${arguments[0]}\"] li[data-person=\"${arguments[1]}\"]`);",
            vec![json!(room), json!(id)],
        )
        .await;
    }
    // Everyone was placed anew with seed 42: the same draw from the server's side moves
    // nobody (a draw of the lobby only would have kept Ana and Bea in Room 1).
    org.ok(json!({"type": "assign_rooms", "strategy": "random", "seed": 42, "scope": "everyone"}))
        .await;
    let again = org.event_of_type("rooms_assigned").await;
    assert_eq!(again["event"]["moves"], json!([]));
    fran.screenshot("facilitator-assign-seed").await;
    fran.close().await;
}
