//! Groups and conclusions: a conclusion citing cards of two rooms, merging, renaming and
//! dissolving groups, reordering and removing conclusions, delegates grouping when the
//! workshop lets them.

use super::*;

#[tokio::test]
async fn the_facilitator_writes_a_conclusion_citing_two_cards_from_two_rooms() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let mut org = server.connect(&w.organizer_token).await;
    let mut cards = Vec::new();
    for (i, (name, country, text)) in [
        ("Ana", "AR", "One national digital ID"),
        ("Bruno", "BR", "Interoperable registries"),
    ]
    .iter()
    .enumerate()
    {
        let d = server.delegate(&w, name, country).await;
        org.ok(move_to(&d.id, &w.rooms[i])).await;
        let mut c = server.connect(&d.token).await;
        c.ok(post_card(&w.rooms[i], "strengths", text)).await;
        let posted = org.event_of_type("card_posted").await;
        cards.push(posted["event"]["card"].as_str().expect("card").to_string());
    }

    let fran = driver.page(LAPTOP.0, LAPTOP.1).await;
    join_by_link(&fran, &server, &w.facilitator_code, "Fran", None, "en").await;
    fran.wait_text("#cons", "Interoperable registries").await;
    for card in &cards {
        fran.click(&format!("#cite-{card}")).await;
    }
    fran.wait_text("#k-cites", "Citing 2 cards from: Room 1, Room 2")
        .await;
    fran.select("#k-theme", "services").await;
    fran.type_into(
        "#k-text",
        "A single digital identity unlocks online services.",
    )
    .await;
    fran.click("#k-form button[type=submit]").await;
    fran.wait_text(
        "#k-list",
        "A single digital identity unlocks online services.",
    )
    .await;
    fran.wait_text("#k-list .muted", "rooms: Room 1, Room 2")
        .await;
    fran.wait_text("#k-list .muted", "countries: AR, BR").await;

    let added = org.event_of_type("conclusion_added").await;
    assert_eq!(added["event"]["cards"], json!(cards));
    assert_eq!(added["event"]["theme"], "services");
    let conclusion = added["event"]["conclusion"]
        .as_str()
        .expect("id")
        .to_string();

    // Two people edit at once: the page's edit is refused and the conflict is shown.
    fran.click(&format!("[data-key='kedit-{conclusion}']"))
        .await;
    org.ok(json!({"type": "edit_conclusion", "conclusion": conclusion, "version": 1, "text": "The organizer's wording."})).await;
    fran.wait_text(
        &format!("[data-conclusion='{conclusion}'] .meta"),
        "version 2",
    )
    .await;
    fran.type_into(&format!("[data-key='ke-{conclusion}']"), "Fran's wording.")
        .await;
    fran.click(&format!("[data-key='ks-{conclusion}']")).await;
    fran.wait_text(".conflict", "now version 2").await;
    fran.wait_text(".conflict blockquote", "The organizer's wording.")
        .await;
    let kept = fran
        .js(
            "return document.querySelector(arguments[0]).value;",
            vec![json!(format!("[data-key='ke-{conclusion}']"))],
        )
        .await;
    assert_eq!(kept, "Fran's wording.");
    fran.screenshot("facilitator-conflict").await;
    // Saving again, now based on version 2, goes through.
    fran.click(&format!("[data-key='ks-{conclusion}']")).await;
    fran.wait_text(
        &format!("[data-conclusion='{conclusion}'] .text"),
        "Fran's wording.",
    )
    .await;
    fran.wait_text(
        &format!("[data-conclusion='{conclusion}'] .meta"),
        "version 3",
    )
    .await;

    // Cards of two rooms make no group: the refusal is shown in words, not as a code.
    // (Cards are selected to group with "Group", apart from "Cite": defect 10 of #17.)
    for card in &cards {
        fran.click(&format!("#pick-{card}")).await;
    }
    fran.wait_text("#g-picked", "2 cards selected to group")
        .await;
    fran.type_into("#g-name", "Identity").await;
    fran.click("#g-form button[type=submit]").await;
    fran.wait_text("#notices", "That was not accepted").await;
    // Moderation: a card hidden from delegates stays listed for staff, marked hidden.
    fran.click(&format!("[data-key='hide-{}']", cards[0])).await;
    fran.wait_text(&format!("#cons [data-card='{}'] .meta", cards[0]), "hidden")
        .await;
    let hidden = org.event_of_type("card_hidden").await;
    assert_eq!(hidden["event"]["card"], cards[0]);
    // A room added live shows up at once.
    fran.type_into("#r-name", "West").await;
    fran.type_into("#r-cap", "6").await;
    fran.click("#room-form button[type=submit]").await;
    fran.wait_text("#room-grid", "West").await;
    let created = org.event_of_type("room_created").await;
    assert_eq!(created["event"]["room"]["name"], "West");
    assert_eq!(created["event"]["room"]["capacity"], 6);
    fran.close().await;
}

#[tokio::test]
async fn the_facilitator_merges_renames_and_dissolves_groups_and_reorders_and_removes_conclusions()
{
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let mut org = server.connect(&w.organizer_token).await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    org.ok(move_to(&ana.id, &w.rooms[0])).await;
    let room = w.rooms[0].as_str();
    let cards = cards_posted(
        &mut org,
        &[(room, "Civil registry"), (room, "Property registry")],
    )
    .await;
    let groups = groups_made(&mut org, &[(&cards[0], "Civil"), (&cards[1], "Property")]).await;
    let mut conclusions = Vec::new();
    for text in ["First conclusion", "Second conclusion"] {
        org.ok(json!({"type": "add_conclusion", "theme": "data", "text": text}))
            .await;
        let added = org.event_of_type("conclusion_added").await;
        conclusions.push(
            added["event"]["conclusion"]
                .as_str()
                .expect("id")
                .to_string(),
        );
    }

    let fran = driver.page(LAPTOP.0, LAPTOP.1).await;
    join_by_link(&fran, &server, &w.facilitator_code, "Fran", None, "en").await;
    fran.select("#by", "group").await;
    fran.wait_text("#cons", "Property · Room 1").await;

    // Merge "Civil" into "Property": the menu offers only groups of the same room.
    fran.select("#gm-group", &groups[0]).await;
    fran.select("#gm-into", &groups[1]).await;
    fran.click("#gm-merge").await;
    let merged = org.event_of_type("groups_merged").await;
    assert_eq!(merged["event"]["group"], groups[0]);
    assert_eq!(merged["event"]["into"], groups[1]);
    fran.wait_text("#cons", "Property · Room 1 (2)").await;

    // Rename the group that is left; choosing it filled in its name.
    fran.until(
        "the group's name in the form",
        "return document.querySelector('#gm-name').value === 'Property';",
        vec![],
    )
    .await;
    fran.type_into("#gm-name", "Registries").await;
    fran.click("#gm-form button[type=submit]").await;
    fran.wait_text("#cons", "Registries · Room 1 (2)").await;
    let renamed = org.event_of_type("group_renamed").await;
    assert_eq!(renamed["event"]["name"], "Registries");
    // The group's theme, and a card taken out of the group from its own menu.
    fran.select("#gm-theme", "services").await;
    fran.click("#gm-tag").await;
    let tagged = org.event_of_type("group_tagged").await;
    assert_eq!(tagged["event"]["theme"], "services");
    fran.select(&format!("[data-key='grp-{}']", cards[0]), "")
        .await;
    let out = org.event_of_type("card_regrouped").await;
    assert_eq!(out["event"]["card"], cards[0]);
    assert_eq!(out["event"]["group"], Value::Null);
    fran.wait_text("#cons", "Registries · Room 1 (1)").await;
    fran.click("#gm-ungroup").await;
    fran.wait_text("#cons", "Not grouped (2)").await;
    fran.until(
        "the group form hidden (no groups left)",
        "return document.querySelector('#gm-form').hidden;",
        vec![],
    )
    .await;
    assert_eq!(
        server_snapshot(&server, &w).await["groups"],
        json!([]),
        "the group was dissolved"
    );

    // Reordering with the keyboard: Enter on "Move down" of the first conclusion.
    let order_is = "return JSON.stringify([...document.querySelectorAll('#k-list > li')].map((l) => l.dataset.conclusion)) === arguments[0];";
    let in_order = |ids: Vec<&String>| vec![json!(json!(ids).to_string())];
    assert_eq!(
        fran.js(order_is, in_order(conclusions.iter().collect()))
            .await,
        true
    );
    let down = fran
        .element(&format!("[data-key='kdown-{}']", conclusions[0]))
        .await;
    down.send_keys(&fantoccini::key::Key::Enter.to_string())
        .await
        .expect("Enter");
    let moved = org.event_of_type("conclusion_moved").await;
    assert_eq!(moved["event"]["conclusion"], conclusions[0]);
    fran.until(
        "the new order",
        order_is,
        in_order(vec![&conclusions[1], &conclusions[0]]),
    )
    .await;
    // The focus follows the conclusion it moved.
    assert_eq!(focused(&fran).await, format!("kdown-{}", conclusions[0]));
    fran.click(&format!("[data-key='kup-{}']", conclusions[0]))
        .await;
    org.event_of_type("conclusion_moved").await;
    fran.until(
        "the first order again",
        order_is,
        in_order(conclusions.iter().collect()),
    )
    .await;

    // Removing, while someone else edits it: the removal is refused and said clearly.
    let first = &conclusions[0];
    fran.click(&format!("[data-key='kr-{first}']")).await;
    org.ok(json!({"type": "edit_conclusion", "conclusion": first, "version": 1, "text": "First, reworded."}))
        .await;
    fran.wait_text(&format!("[data-conclusion='{first}'] .meta"), "version 2")
        .await;
    fran.click(&format!("[data-key='kr-{first}-yes']")).await;
    fran.wait_text(
        &format!("[data-conclusion='{first}'] .conflict"),
        "(now version 2): it was NOT removed",
    )
    .await;
    fran.screenshot("facilitator-remove-conflict").await;
    fran.click(&format!("[data-key='kr-{first}']")).await;
    fran.click(&format!("[data-key='kr-{first}-yes']")).await;
    fran.until(
        "the conclusion removed",
        "return !document.querySelector(`[data-conclusion='${arguments[0]}']`);",
        vec![json!(first)],
    )
    .await;
    let gone = org.event_of_type("conclusion_removed").await;
    assert_eq!(gone["event"]["conclusion"], *first);
    let left = server_snapshot(&server, &w).await["conclusions"].clone();
    assert_eq!(left.as_array().expect("conclusions").len(), 1);
    assert_eq!(left[0]["id"], conclusions[1]);

    // A facilitator corrects a card, and deletes one (after being asked).
    fran.click(&format!("[data-key='ce-{}']", cards[1])).await;
    fran.type_into(
        &format!("[data-key='ct-{}']", cards[1]),
        "Property registries",
    )
    .await;
    fran.click(&format!("[data-key='cs-{}']", cards[1])).await;
    let edited = org.event_of_type("card_edited").await;
    assert_eq!(edited["event"]["text"], "Property registries");
    fran.wait_text(
        &format!("#cons [data-card='{}'] .text", cards[1]),
        "Property registries",
    )
    .await;
    fran.click(&format!("[data-key='cd-{}']", cards[0])).await;
    fran.click(&format!("[data-key='cd-{}-yes']", cards[0]))
        .await;
    let deleted = org.event_of_type("card_deleted").await;
    assert_eq!(deleted["event"]["card"], cards[0]);
    fran.until(
        "the deleted card gone",
        "return !document.querySelector(`#cons [data-card='${arguments[0]}']`);",
        vec![json!(cards[0])],
    )
    .await;
    fran.close().await;
}

#[tokio::test]
async fn delegates_group_cards_from_their_board_when_the_workshop_lets_them() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let (w, mut org, ana, ana_id) = grouping_delegate(&driver, &server, PHONE, "pt").await;
    let room = w.rooms[0].as_str();
    let cards = cards_posted(
        &mut org,
        &[(room, "Civil registry"), (room, "Property registry")],
    )
    .await;
    ana.wait_text("#board", "Property registry").await;

    // A new group from the first card's menu, named in place.
    ana.select(&format!("[data-key='g-{}']", cards[0]), "+")
        .await;
    ana.type_into(&format!("[data-key='gn-{}']", cards[0]), "Registros")
        .await;
    ana.click(&format!("[data-key='gc-{}']", cards[0])).await;
    let created = org.event_of_type("group_created").await;
    assert_eq!(created["event"]["cards"], json!([cards[0]]));
    assert_eq!(created["event"]["name"], "Registros");
    assert_eq!(created["by"], ana_id);
    let group = created["event"]["group"]
        .as_str()
        .expect("group")
        .to_string();
    // The second card joins it from its own menu.
    ana.select(&format!("[data-key='g-{}']", cards[1]), &group)
        .await;
    let joined = org.event_of_type("card_regrouped").await;
    assert_eq!(joined["event"]["card"], cards[1]);
    assert_eq!(joined["event"]["group"], group);
    ana.wait_text(&format!("[data-card='{}'] .tag", cards[1]), "Registros")
        .await;
    ana.screenshot("delegate-groups-pt").await;

    // Voting is no time for regrouping: the menus are gone.
    org.ok(json!({"type": "set_phase", "room": w.rooms[0], "phase": "vote"}))
        .await;
    ana.until(
        "no group menus while voting",
        "return document.querySelector('#budget').textContent && !document.querySelector('[data-key^=\"g-\"]');",
        vec![],
    )
    .await;
    ana.close().await;
}
