//! The delegate page: joining by link, a live board, moves and broadcasts, the offline
//! outbox, text rendered as text.

use super::*;

#[tokio::test]
async fn a_delegate_joins_by_link_in_spanish_and_cards_reach_only_their_room() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let mut staff = server.connect(&w.organizer_token).await;

    let ana = driver.page(PHONE.0, PHONE.1).await;
    ana.goto(&server.url(&format!("/j/{}", w.delegate_code)))
        .await;
    ana.wait_text("#w-title", "Going Digital").await;
    ana.screenshot("join").await;
    join_by_link(&ana, &server, &w.delegate_code, "Ana", Some("AR"), "es").await;
    // Spanish from the join form on: the lobby is called by its Spanish name.
    ana.wait_text("#room-name", "Sala principal").await;
    // What to do is said once, in the lobby's own name; the empty board says what comes.
    ana.wait_text("#phase-say", "Estás en la sala principal")
        .await;
    ana.wait_text("#board .empty", "Aquí aparecerá el tablero de tu sala")
        .await;
    let ana_id = participant_id(&mut staff, "Ana").await;

    let bruno = driver.page(PHONE.0, PHONE.1).await;
    join_by_link(&bruno, &server, &w.delegate_code, "Bruno", Some("BR"), "en").await;
    let bruno_id = participant_id(&mut staff, "Bruno").await;
    let carla = driver.page(PHONE.0, PHONE.1).await;
    join_by_link(&carla, &server, &w.delegate_code, "Carla", Some("CL"), "pt").await;
    carla.wait_text("#room-name", "Saguão").await;
    carla.wait_text("#phase-say", "Você está no saguão").await;
    let carla_id = participant_id(&mut staff, "Carla").await;

    staff.ok(move_to(&ana_id, &w.rooms[0])).await;
    staff.ok(move_to(&bruno_id, &w.rooms[0])).await;
    staff.ok(move_to(&carla_id, &w.rooms[1])).await;
    ana.wait_text("#room-name", "Room 1").await;
    bruno.wait_text("#room-name", "Room 1").await;
    carla.wait_text("#room-name", "Room 2").await;
    // A default column is shown in the reader's language.
    ana.wait_text("#col-strengths", "Fortalezas").await;

    ana.type_into("#new-strengths", "Una identidad digital nacional")
        .await;
    ana.click("[data-key=add-strengths]").await;
    bruno
        .wait_text("#board", "Una identidad digital nacional")
        .await;
    saved(&ana).await;
    assert_eq!(ana.text("#status").await, "Guardado");
    ana.wait_text("#people", "Bruno (BR)").await;

    // Carla's board (another room) is shown and live, and never gets Ana's card.
    carla.wait_text("#col-strengths", "Pontos fortes").await;
    bruno
        .type_into("#new-problems", "Fragmented registries")
        .await;
    bruno.click("[data-key=add-problems]").await;
    ana.wait_text("#board", "Fragmented registries").await;
    saved(&bruno).await;
    assert!(!carla.text("#board").await.contains("Una identidad"));
    assert!(!carla.text("#board").await.contains("Fragmented"));

    // The server holds the card once.
    let fresh = server.connect(&w.organizer_token).await;
    assert_eq!(
        cards_with_text(&fresh.welcome, "Una identidad digital nacional"),
        1
    );

    ana.screenshot("delegate-es").await;
    carla.screenshot("delegate-pt").await;
    for p in [ana, bruno, carla] {
        p.close().await;
    }
}

#[tokio::test]
async fn a_moved_delegate_page_switches_rooms_and_shows_broadcasts_with_their_sender() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let mut staff = server.connect(&w.organizer_token).await;

    let ana = driver.page(PHONE.0, PHONE.1).await;
    join_by_link(&ana, &server, &w.delegate_code, "Ana", Some("AR"), "en").await;
    ana.wait_text("#room-name", "Lobby").await;
    let ana_id = participant_id(&mut staff, "Ana").await;
    staff.ok(move_to(&ana_id, &w.rooms[1])).await;
    ana.wait_text("#room-name", "Room 2").await;
    ana.wait_text(".notice.info", "You are now in: Room 2")
        .await;

    // Again, to another room, without reloading the delegate's page: the news replaces
    // the old one.
    ana.js("window.__same_page = true; return true;", vec![])
        .await;
    staff.ok(move_to(&ana_id, &w.rooms[2])).await;
    ana.wait_text("#room-name", "Room 3").await;
    ana.wait_text(".notice.info", "You are now in: Room 3")
        .await;
    assert_eq!(
        ana.js("return window.__same_page === true;", vec![]).await,
        json!(true)
    );
    assert!(!ana.text("#notices").await.contains("Room 2"));

    // A broadcast reaches the delegate prominently, with its sender and time, in the live
    // region and in the history of messages.
    staff
        .ok(json!({"type": "broadcast", "text": "Five minutes left for strengths"}))
        .await;
    ana.wait_text(".notice.broadcast", "Five minutes left for strengths")
        .await;
    ana.wait_text(".notice.broadcast .when", "from the organizer at ")
        .await;
    ana.wait_text("#announce", "Five minutes left for strengths")
        .await;
    ana.wait_text("#broadcasts", "Five minutes left for strengths")
        .await;
    ana.screenshot("delegate-moved").await;
    ana.accessible("the delegate page with a broadcast").await;

    // Closed, it stays closed after a reload; the history keeps it.
    ana.click(".notice.broadcast .close").await;
    ana.until(
        "the broadcast closed",
        "return !document.querySelector('.notice.broadcast');",
        vec![],
    )
    .await;
    ana.goto(&server.url(&format!("/delegate?w={}", w.id)))
        .await;
    saved(&ana).await;
    ana.wait_text("#broadcasts", "Five minutes left for strengths")
        .await;
    assert_eq!(
        ana.js(
            "return document.querySelectorAll('.notice.broadcast').length;",
            vec![]
        )
        .await,
        0
    );
    ana.close().await;
}

#[tokio::test]
async fn a_card_typed_while_the_server_is_down_is_sent_once_after_it_restarts() {
    let Some(driver) = driver().await else { return };
    let mut server = TestServer::start().await;
    let w = server.workshop().await;
    let mut staff = server.connect(&w.organizer_token).await;

    let ana = driver.page(PHONE.0, PHONE.1).await;
    join_by_link(&ana, &server, &w.delegate_code, "Ana", Some("AR"), "en").await;
    let ana_id = participant_id(&mut staff, "Ana").await;
    staff.ok(move_to(&ana_id, &w.rooms[0])).await;
    ana.wait_text("#room-name", "Room 1").await;
    saved(&ana).await;
    drop(staff);

    server.kill().await;
    offline(&ana).await;
    ana.type_into("#new-solutions", "Typed on a train without signal")
        .await;
    ana.click("[data-key=add-solutions]").await;
    ana.wait_text(".note.is-pending", "Typed on a train without signal")
        .await;
    // The outbox is in local storage, with the command id made when it was queued.
    let queued = ana
        .js(
            "const k = Object.keys(localStorage).find((k) => k.startsWith('cabildo.outbox.')); return JSON.parse(localStorage.getItem(k));",
            vec![],
        )
        .await;
    let queued = queued.as_array().expect("outbox").clone();
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0]["type"], "post_card");
    assert!(queued[0]["id"].as_str().is_some_and(|id| !id.is_empty()));

    server.restart_same_addr().await;
    // Reload at once: the outbox survives the reload and is sent by the new page.
    ana.goto(&server.url(&format!("/delegate?w={}", w.id)))
        .await;
    ana.wait_text(".note:not(.is-pending)", "Typed on a train without signal")
        .await;
    saved(&ana).await;
    ana.goto(&server.url(&format!("/delegate?w={}", w.id)))
        .await;
    ana.wait_text("#board", "Typed on a train without signal")
        .await;
    saved(&ana).await;

    let fresh = server.connect(&w.organizer_token).await;
    assert_eq!(
        cards_with_text(&fresh.welcome, "Typed on a train without signal"),
        1
    );
    drop(fresh);

    // Without a reload, the page resumes from its last seq and gets what it missed.
    server.kill().await;
    offline(&ana).await;
    server.restart_same_addr().await;
    let mut staff = server.connect(&w.organizer_token).await;
    staff
        .ok(post_card(
            &w.rooms[0],
            "problems",
            "Posted while Ana was away",
        ))
        .await;
    ana.wait_text("#board", "Posted while Ana was away").await;
    saved(&ana).await;
    assert_eq!(
        ana.js(
            "return document.querySelector('#status').dataset.welcome;",
            vec![]
        )
        .await,
        "resumed"
    );
    ana.close().await;
}

#[tokio::test]
async fn markup_in_a_card_is_shown_as_text() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let mut staff = server.connect(&w.organizer_token).await;
    let xss = "<img src=x onerror=alert(1)>";

    let ana = driver.page(PHONE.0, PHONE.1).await;
    join_by_link(
        &ana,
        &server,
        &w.delegate_code,
        "<b>Ana</b>",
        Some("AR"),
        "en",
    )
    .await;
    let ana_id = participant_id(&mut staff, "<b>Ana</b>").await;
    staff.ok(move_to(&ana_id, &w.rooms[0])).await;
    ana.wait_text("#room-name", "Room 1").await;
    ana.type_into("#new-strengths", xss).await;
    ana.click("[data-key=add-strengths]").await;
    ana.wait_text(".note:not(.is-pending) .text", xss).await;
    saved(&ana).await;

    let fran = driver.page(LAPTOP.0, LAPTOP.1).await;
    join_by_link(&fran, &server, &w.facilitator_code, "Fran", None, "en").await;
    fran.wait_text("#cons", xss).await;
    fran.wait_text("#room-grid", "<b>Ana</b> (AR)").await;
    for page in [&ana, &fran] {
        let found = page
            .js(
                "return { imgs: document.querySelectorAll('main img:not(#qr), main b').length, text: [...document.querySelectorAll('.card .text, .note .text')].map((e) => e.textContent) };",
                vec![],
            )
            .await;
        assert_eq!(found["imgs"], 0, "markup was rendered: {found}");
        assert!(found["text"]
            .as_array()
            .expect("texts")
            .contains(&json!(xss)));
        // No alert was raised by the onerror handler.
        assert!(page.client.get_alert_text().await.is_err());
    }
    ana.close().await;
    fran.close().await;
}
