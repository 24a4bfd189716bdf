//! The narrowest phones: a round with its timer, votes and help; the facilitator managing
//! rooms and people; a delegate grouping cards.

use super::*;

#[tokio::test]
async fn a_round_timer_votes_within_the_budget_and_help_on_the_narrowest_phone() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let room = &w.rooms[0];
    // The facilitator's side is played by a staff connection (the facilitator page has
    // its own tests in tests/browser_cockpit/).
    let mut staff = server.connect(&w.organizer_token).await;

    // The narrowest phone the pages support.
    let ana = driver.page(320, 700).await;
    join_by_link(&ana, &server, &w.delegate_code, "Ana", Some("AR"), "en").await;
    let ana_id = participant_id(&mut staff, "Ana").await;
    staff.ok(move_to(&ana_id, room)).await;
    ana.wait_text("#room-name", "Room 1").await;
    for text in ["Digital ID", "Open data"] {
        ana.type_into("#new-strengths", text).await;
        ana.click("[data-key=add-strengths]").await;
        ana.wait_text("#board", text).await;
        saved(&ana).await;
    }

    // A timer started by the facilitator counts down on the delegate's page.
    staff
        .ok(json!({"type": "start_timer", "room": room, "seconds": 600}))
        .await;
    ana.until(
        "the timer",
        "return /^(10:00|9:[0-5][0-9]) left$/.test(document.querySelector('#timer').textContent);",
        vec![],
    )
    .await;

    // The vote phase: the budget is shown and spent one vote at a time.
    staff
        .ok(json!({"type": "set_phase", "room": room, "phase": "vote"}))
        .await;
    ana.wait_text("#budget", "Votes left: 5 of 5").await;
    let card = ana
        .until(
            "a card to vote on",
            "const c = document.querySelector('.note[data-card]'); return c && c.dataset.card;",
            vec![],
        )
        .await;
    let card = card.as_str().expect("card id").to_string();
    ana.click(&format!("[data-key='v-{card}']")).await;
    ana.wait_text("#budget", "Votes left: 4 of 5").await;
    ana.wait_text(&format!("[data-card='{card}']"), "1 mine")
        .await;
    ana.click(&format!("[data-key='v-{card}']")).await;
    ana.wait_text("#budget", "Votes left: 3 of 5").await;
    ana.click(&format!("[data-key='u-{card}']")).await;
    ana.wait_text("#budget", "Votes left: 4 of 5").await;

    // Help: asked on the phone, acknowledged by the facilitator.
    ana.type_into("#help-text", "Which column for open data?")
        .await;
    ana.click("#help-form button[type=submit]").await;
    let asked = staff.event_of_type("help_requested").await;
    assert_eq!(asked["event"]["text"], "Which column for open data?");
    staff
        .ok(json!({"type": "acknowledge_help", "request": asked["event"]["request"]}))
        .await;
    ana.wait_text("#help-list", "a facilitator is on the way")
        .await;

    // The language can change at any time.
    ana.select("#lang", "pt").await;
    ana.wait_text("#phase", "Votação").await;
    ana.wait_text("#budget", "Votos restantes: 4 de 5").await;
    ana.wait_text("#notices", "Agora você está em: Room 1")
        .await;
    ana.wait_text("#status", "Salvo").await;
    ana.fits_the_width().await;
    ana.screenshot("delegate-320px-pt").await;
    ana.accessible("the delegate voting on a phone, in Portuguese")
        .await;

    // Back to the lobby: the page follows.
    staff.ok(move_to(&ana_id, "lobby")).await;
    ana.wait_text("#room-name", "Saguão").await;
    ana.wait_text("#notices", "Agora você está em: Saguão")
        .await;
    ana.close().await;
}

#[tokio::test]
async fn on_a_phone_the_facilitator_renames_limits_and_removes_rooms_and_removes_a_delegate() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let w = server
        .create_workshop(json!({"title": "Going Digital", "votes_visibility": "live"}))
        .await;
    let mut org = server.connect(&w.organizer_token).await;
    // The narrowest phone the pages support.
    const SMALL: (u32, u32) = (320, 740);

    let fran = driver.page(SMALL.0, SMALL.1).await;
    join_by_link(&fran, &server, &w.facilitator_code, "Fran", None, "en").await;
    let ana = driver.page(SMALL.0, SMALL.1).await;
    join_by_link(&ana, &server, &w.delegate_code, "Ana", Some("AR"), "es").await;
    let ana_id = in_lobby(&fran, "Ana").await;
    org.ok(move_to(&ana_id, &w.rooms[0])).await;
    ana.wait_text("#room-name", "Room 1").await;

    // Renaming: choosing the room fills in its name; the delegate's page shows the new one.
    fran.select("#re-room", &w.rooms[0]).await;
    fran.until(
        "the room's name in the form",
        "return document.querySelector('#re-name').value === 'Room 1';",
        vec![],
    )
    .await;
    fran.type_into("#re-name", "Andes").await;
    fran.click("#re-form button[type=submit]").await;
    ana.wait_text("#room-name", "Andes").await;
    fran.wait_text(&format!("[data-room='{}'] h3", w.rooms[0]), "Andes")
        .await;

    // A limit of one delegate, shown on the room; then no limit again.
    fran.type_into("#re-cap", "1").await;
    fran.click("#re-cap-set").await;
    fran.wait_text(&format!("[data-room='{}'] .meta", w.rooms[0]), "max. 1")
        .await;
    assert_eq!(
        server_snapshot(&server, &w).await["rooms"][0]["capacity"],
        1
    );
    let bruno = server.delegate(&w, "Bruno", "BR").await;
    let full = org.command(move_to(&bruno.id, &w.rooms[0])).await;
    assert_eq!(full["code"], "invalid", "{full}");
    fran.type_into("#re-cap", "").await;
    fran.click("#re-cap-set").await;
    fran.until(
        "the limit lifted",
        "return !document.querySelector(arguments[0]).textContent.includes('max.');",
        vec![json!(format!("[data-room='{}'] .meta", w.rooms[0]))],
    )
    .await;
    assert_eq!(
        server_snapshot(&server, &w).await["rooms"][0]["capacity"],
        Value::Null
    );

    // Removing a room asks first, with the focus on "no".
    fran.select("#re-room", &w.rooms[3]).await;
    fran.click("[data-key=rm-room]").await;
    fran.wait_text("#re-remove", "Remove Room 4?").await;
    assert_eq!(focused(&fran).await, "rm-room-no");
    fran.click("[data-key=rm-room-no]").await;
    assert_eq!(focused(&fran).await, "rm-room");
    fran.click("[data-key=rm-room]").await;
    fran.click("[data-key=rm-room-yes]").await;
    fran.until(
        "room 4 gone from the grid",
        "return !document.querySelector(`[data-room='${arguments[0]}']`);",
        vec![json!(w.rooms[3])],
    )
    .await;
    assert_eq!(
        server_snapshot(&server, &w).await["rooms"][3]["removed"],
        true
    );

    // Self-selection opened and locked again; where late joiners go.
    fran.click("#self-select").await;
    let open = org.event_of_type("self_select_set").await;
    assert_eq!(open["event"]["open"], true);
    fran.wait_text("#self-select", "Lock the choice of room")
        .await;
    fran.click("#self-select").await;
    let locked = org.event_of_type("self_select_set").await;
    assert_eq!(locked["event"]["open"], false);
    fran.wait_text("#self-select", "Let delegates choose their room")
        .await;
    fran.select("#late", "by_country").await;
    fran.click("#late-set").await;
    let late = org.event_of_type("late_joiners_set").await;
    assert_eq!(late["event"]["policy"], "by_country");
    assert_eq!(
        server_snapshot(&server, &w).await["session"]["late_joiners"],
        "by_country"
    );

    // A timer that closes the board at its end.
    fran.select("#scope", &w.rooms[1]).await;
    fran.click("#t-close").await;
    fran.click("#timer-form button[type=submit]").await;
    let timer = org.event_of_type("timer_started").await;
    assert_eq!(timer["event"]["room"], w.rooms[1]);
    assert_eq!(timer["event"]["close_at_end"], true);

    // Counted strings in Spanish: "1 voto", "2 votos".
    org.ok(post_card(&w.rooms[0], "strengths", "Identidad digital"))
        .await;
    let card = org.event_of_type("card_posted").await["event"]["card"]
        .as_str()
        .expect("card")
        .to_string();
    org.ok(json!({"type": "set_phase", "room": w.rooms[0], "phase": "vote"}))
        .await;
    let meta = format!("[data-card='{card}'] .meta");
    ana.wait_text(&meta, "0 votos").await;
    ana.click(&format!("[data-key='v-{card}']")).await;
    ana.wait_text(&meta, "1 voto").await;
    assert!(!ana.text(&meta).await.contains("1 votos"));
    ana.wait_text(&meta, "1 mío").await;
    ana.click(&format!("[data-key='v-{card}']")).await;
    ana.wait_text(&meta, "2 votos").await;
    ana.wait_text(&meta, "2 míos").await;
    fran.wait_text(&format!("#cons [data-card='{card}'] .meta"), "2 votes")
        .await;

    fran.fits_the_width().await;
    fran.screenshot("facilitator-manage-phone").await;

    // Removing a delegate asks first; her page then says so and stops reconnecting.
    fran.click(&format!("[data-key='rm-{ana_id}']")).await;
    fran.wait_text(
        &format!("li[data-person='{ana_id}']"),
        "Remove Ana from the workshop?",
    )
    .await;
    fran.click(&format!("[data-key='rm-{ana_id}-yes']")).await;
    ana.wait_text("#fatal", "Un facilitador te retiró de este taller.")
        .await;
    fran.until(
        "Ana gone from the rooms",
        "return !document.querySelector(`li[data-person='${arguments[0]}']`);",
        vec![json!(ana_id)],
    )
    .await;
    let removed = org.event_of_type("participant_removed").await;
    assert_eq!(removed["event"]["participant"], ana_id);
    let people = server_snapshot(&server, &w).await["participants"].clone();
    let ana_now = people
        .as_array()
        .expect("participants")
        .iter()
        .find(|p| p["id"] == ana_id)
        .expect("Ana")
        .clone();
    assert_eq!(ana_now["removed"], true);
    ana.screenshot("delegate-removed-es").await;
    // The language can still change, and the notice with it.
    ana.select("#lang", "pt").await;
    ana.wait_text("#fatal", "Um facilitador removeu você desta oficina.")
        .await;
    ana.wait_text("#main a", "Entrar novamente").await;
    // After a reload (in the language she chose last) the old access is refused in words.
    ana.goto(&server.url(&format!("/delegate?w={}", w.id)))
        .await;
    ana.wait_text("#fatal", "Este acesso não é mais válido.")
        .await;
    fran.close().await;
    ana.close().await;
}

#[tokio::test]
async fn on_a_phone_a_delegate_renames_merges_and_dissolves_groups() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let (w, mut org, ana, ana_id) = grouping_delegate(&driver, &server, (360, 740), "en").await;
    let (here, there) = (w.rooms[0].as_str(), w.rooms[1].as_str());
    let cards = cards_posted(
        &mut org,
        &[
            (here, "Civil registry"),
            (here, "Property registry"),
            (here, "Open data"),
            (there, "Elsewhere"),
        ],
    )
    .await;
    let groups = groups_made(
        &mut org,
        &[
            (&cards[0], "Civil"),
            (&cards[1], "Property"),
            (&cards[3], "Other room"),
        ],
    )
    .await;
    ana.wait_text(&format!("[data-card='{}'] .tag", cards[1]), "Property")
        .await;
    // Only the groups of her own room are offered.
    ana.until(
        "the groups of Room 1 in the form",
        "return !document.querySelector('#groups').hidden && document.querySelectorAll('#gm-group option').length === 2;",
        vec![],
    )
    .await;
    assert_eq!(
        offered(&ana, "#gm-group").await,
        json!([groups[0], groups[1]])
    );

    // Rename: choosing the group fills in its name.
    ana.select("#gm-group", &groups[0]).await;
    ana.until(
        "the group's name in the form",
        "return document.querySelector('#gm-name').value === 'Civil';",
        vec![],
    )
    .await;
    ana.type_into("#gm-name", "Civil registries").await;
    ana.click("#gm-form button[type=submit]").await;
    let renamed = org.event_of_type("group_renamed").await;
    assert_eq!(renamed["by"], ana_id);
    assert_eq!(renamed["event"]["group"], groups[0]);
    assert_eq!(renamed["event"]["name"], "Civil registries");
    ana.wait_text(
        &format!("[data-card='{}'] .tag", cards[0]),
        "Civil registries",
    )
    .await;

    // A name of spaces only is refused by the server; the page says so in words.
    ana.type_into("#gm-name", "   ").await;
    ana.click("#gm-form button[type=submit]").await;
    ana.wait_text("#notices", "That was not accepted").await;

    // Merge into the other group of the room (the only one offered).
    assert_eq!(offered(&ana, "#gm-into").await, json!([groups[1]]));
    ana.select("#gm-into", &groups[1]).await;
    ana.click("#gm-merge").await;
    let merged = org.event_of_type("groups_merged").await;
    assert_eq!(merged["by"], ana_id);
    assert_eq!(merged["event"]["group"], groups[0]);
    assert_eq!(merged["event"]["into"], groups[1]);
    ana.wait_text(&format!("[data-card='{}'] .tag", cards[0]), "Property")
        .await;
    // One group left, nothing to merge it into.
    ana.until(
        "merging unavailable with one group",
        "return document.querySelectorAll('#gm-group option').length === 1 && document.querySelector('#gm-merge').disabled;",
        vec![],
    )
    .await;
    ana.fits_the_width().await;
    ana.screenshot("delegate-manage-groups").await;

    // Dissolve it: its cards are ungrouped and the form goes away.
    ana.click("#gm-ungroup").await;
    let dissolved = org.event_of_type("group_dissolved").await;
    assert_eq!(dissolved["by"], ana_id);
    assert_eq!(dissolved["event"]["group"], groups[1]);
    ana.until(
        "no groups left in the room",
        "return document.querySelector('#groups').hidden && !document.querySelector('#board .tag');",
        vec![],
    )
    .await;
    let held = server_snapshot(&server, &w).await["groups"].clone();
    assert_eq!(held.as_array().expect("groups").len(), 1);
    assert_eq!(held[0]["id"], groups[2]);

    // A hidden brainstorm or the vote is no time for grouping: the form is not offered
    // (each step below changes whether it is, so no wait passes before the phase arrives).
    org.ok(json!({"type": "group_cards", "cards": [cards[2]], "name": "Data"}))
        .await;
    for (phase, hidden, offered) in [
        ("brainstorm", false, true),
        ("brainstorm", true, false),
        ("reveal", false, true),
        ("vote", false, false),
    ] {
        org.ok(json!({"type": "set_phase", "room": w.rooms[0], "phase": phase, "hidden": hidden}))
            .await;
        ana.until(
            &format!("the group form shown: {offered} in {phase} (hidden: {hidden})"),
            "return document.querySelector('#groups').hidden !== arguments[0];",
            vec![json!(offered)],
        )
        .await;
    }
    ana.close().await;
}
