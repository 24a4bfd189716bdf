//! The delegate's board in real headless Chromium against the real server (issue #17's
//! defects 1, 3, 4, 6, 8, 9, 10 and 11): each test drives the page as a delegate would
//! while the organizer's connection plays the facilitator. Every state tested is checked
//! with axe-core and saved as a screenshot in `target/screenshots/`.

#[path = "common/board.rs"]
mod board;
#[path = "common/browser.rs"]
mod browser;
mod common;

use board::{board_of, posted, room_with, saved};
use browser::{driver, Page};
use serde_json::{json, Value};

const LAPTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (320, 700);

/// How many notes on the board say `text` (sent or waiting).
async fn notes_saying(page: &Page, text: &str) -> i64 {
    page.js(
        "return [...document.querySelectorAll('#board .note .text')].filter((e) => e.textContent === arguments[0]).length;",
        vec![json!(text)],
    )
    .await
    .as_i64()
    .expect("a count")
}

/// The id of the card saying `text`, once the board shows it.
async fn card_id(page: &Page, text: &str) -> String {
    page.until(
        &format!("the card {text:?}"),
        "const n = [...document.querySelectorAll('#board .note[data-card]')].find((e) => e.querySelector('.text') && e.querySelector('.text').textContent === arguments[0]); return n && n.dataset.card;",
        vec![json!(text)],
    )
    .await
    .as_str()
    .expect("an id")
    .to_string()
}

/// The key (`data-key`) of the element that has the keyboard focus.
async fn focused(page: &Page) -> Value {
    page.js(
        "return document.activeElement && document.activeElement.dataset.key;",
        vec![],
    )
    .await
}

#[tokio::test]
async fn a_posted_card_shows_once_as_soon_as_it_is_saved_also_when_posted_offline() {
    let Some(driver) = driver().await else { return };
    let (mut server, w, _org, ana) = room_with(json!({"title": "Going Digital"})).await;
    let page = driver.page(LAPTOP.0, LAPTOP.1).await;
    board_of(&page, &server, &w, &ana, "en").await;

    // Enter posts (Shift+Enter is a new line): the card shows once, and nothing waits.
    page.type_into(
        "#new-strengths",
        "One national\u{E008}\u{E007}\u{E000}digital ID\u{E007}",
    )
    .await;
    saved(&page).await;
    assert_eq!(notes_saying(&page, "One national\ndigital ID").await, 1);
    assert_eq!(
        page.js(
            "return document.querySelectorAll('.note.is-pending').length;",
            vec![]
        )
        .await,
        0,
        "a copy marked 'not sent yet' stays after the ack"
    );
    assert_eq!(page.text("#new-strengths").await, "");

    // Offline: the card waits, marked; once the server is back it is sent and shows once.
    server.kill().await;
    page.until(
        "status offline",
        "return document.querySelector('#status').dataset.state === 'offline';",
        vec![],
    )
    .await;
    page.type_into("#new-strengths", "Open data\u{E007}").await;
    page.wait_text(".note.is-pending", "Open data").await;
    // The page knows its own connection: its reader is not shown online.
    page.wait_text("#people li.off", "Ana").await;
    page.screenshot("delegate-offline-en").await;
    server.restart_same_addr().await;
    saved(&page).await;
    page.wait_text("#people li.on", "Ana").await;
    assert_eq!(notes_saying(&page, "Open data").await, 1);
    assert_eq!(
        page.js(
            "return document.querySelectorAll('.note.is-pending').length;",
            vec![]
        )
        .await,
        0,
        "the offline copy stays after its ack"
    );
    page.accessible("delegate board after posting").await;

    // Deleting a card by keyboard leaves the focus in its column, not at the top.
    let id = card_id(&page, "Open data").await;
    page.js(
        "document.querySelector(`[data-key='d-${arguments[0]}']`).focus(); return true;",
        vec![json!(id)],
    )
    .await;
    page.element(&format!("[data-key='d-{id}']"))
        .await
        .send_keys("\u{E007}")
        .await
        .expect("Enter on Delete");
    page.until(
        "the card gone",
        "return !document.querySelector(`[data-card='${arguments[0]}']`);",
        vec![json!(id)],
    )
    .await;
    assert_eq!(
        page.js("return document.activeElement.dataset.home;", vec![])
            .await,
        "strengths"
    );
    page.close().await;
}

#[tokio::test]
async fn vote_buttons_follow_the_budget_and_the_cap_say_why_in_spanish_and_keep_the_focus() {
    let Some(driver) = driver().await else { return };
    let (server, w, mut org, ana) = room_with(json!({
        "title": "Going Digital", "votes_per_participant": 2, "max_votes_per_card": 1
    }))
    .await;
    let room = w.rooms[0].clone();
    for text in ["Identidad digital", "Datos abiertos", "Firma digital"] {
        posted(&mut org, &room, text).await;
    }
    let page = driver.page(PHONE.0, PHONE.1).await;
    board_of(&page, &server, &w, &ana, "es").await;
    // No votes are counted while brainstorming.
    page.wait_text("#board", "Firma digital").await;
    assert!(
        !page.text("#board").await.contains("voto"),
        "votes shown while brainstorming"
    );

    org.ok(json!({"type": "set_phase", "room": room, "phase": "vote"}))
        .await;
    page.wait_text("#budget", "Votos restantes: 2 de 2").await;
    let a = card_id(&page, "Identidad digital").await;
    let b = card_id(&page, "Datos abiertos").await;
    page.click(&format!("[data-key='v-{a}']")).await;
    page.wait_text("#budget", "Votos restantes: 1 de 2").await;
    // The cast vote is announced to screen readers.
    page.wait_text("#announce", "Voto registrado. Te quedan 1 de 2.")
        .await;
    // The cap: one vote per card. The button says so and sends nothing.
    page.until(
        "the capped card's vote button disabled",
        "const b = document.querySelector(`[data-key='v-${arguments[0]}']`); return b && b.getAttribute('aria-disabled') === 'true';",
        vec![json!(a)],
    )
    .await;
    page.click(&format!("[data-key='v-{a}']")).await;
    page.wait_text(
        "#notices",
        "Una tarjeta puede recibir como máximo 1 de tus votos.",
    )
    .await;
    page.click(&format!("[data-key='v-{b}']")).await;
    page.wait_text("#budget", "Votos restantes: 0 de 2").await;
    // The budget spent: every vote button says so.
    let enabled = page
        .js(
            "return [...document.querySelectorAll('.vote-btn')].filter((b) => b.getAttribute('aria-disabled') !== 'true').length;",
            vec![],
        )
        .await;
    assert_eq!(enabled, 0, "vote buttons active with no vote left");
    let c = card_id(&page, "Firma digital").await;
    page.click(&format!("[data-key='v-{c}']")).await;
    page.wait_text(
        "#notices",
        "Ya usaste tus 2 votos: quita uno para volver a votar.",
    )
    .await;
    saved(&page).await;
    page.screenshot("delegate-votes-spent-320px-es").await;
    page.accessible("delegate voting, budget spent").await;
    page.fits_the_width().await;

    // "Quitar voto" goes away with the card's last vote; the focus stays on that card.
    page.click(&format!("[data-key='u-{b}']")).await;
    page.wait_text("#budget", "Votos restantes: 1 de 2").await;
    assert_eq!(focused(&page).await, json!(format!("v-{b}")));
    page.click(&format!("[data-key='v-{c}']")).await;
    page.wait_text("#budget", "Votos restantes: 0 de 2").await;
    // The notices that stopped being true go when the phase changes.
    org.ok(json!({"type": "set_phase", "room": room, "phase": "consolidate"}))
        .await;
    page.wait_text("#phase", "Consolidar").await;
    page.until(
        "no explanation left",
        "return !document.querySelector('[data-notice=why]');",
        vec![],
    )
    .await;
    // Once voting ends the cards go by votes: "Firma digital" (1) before "Datos abiertos" (0).
    let order = page
        .js(
            "return [...document.querySelectorAll('#board .note .text')].map((e) => e.textContent);",
            vec![],
        )
        .await;
    assert_eq!(
        order,
        json!(["Identidad digital", "Firma digital", "Datos abiertos"]),
        "{order}"
    );
    page.close().await;
}

#[tokio::test]
async fn the_banner_says_what_each_phase_means_and_the_staff_are_marked() {
    let Some(driver) = driver().await else { return };
    let (server, w, mut org, ana) = room_with(json!({"title": "Going Digital"})).await;
    let room = w.rooms[0].clone();
    let fran = server.facilitator(&w, "Fran").await;
    let page = driver.page(LAPTOP.0, LAPTOP.1).await;
    board_of(&page, &server, &w, &ana, "en").await;
    page.wait_text(
        "#phase-say",
        "Write your ideas, one per card. Everyone in your room sees them as you post.",
    )
    .await;
    // Facilitators are marked as such among the people.
    page.wait_text("#people", "Fran").await;
    let fran_row = page
        .js(
            "const li = [...document.querySelectorAll('#people li')].find((l) => l.textContent.includes('Fran')); return li && li.querySelector('.staff-mark') && li.querySelector('.staff-mark').textContent;",
            vec![],
        )
        .await;
    // The first facilitator to join leads.
    assert_eq!(fran_row, "lead facilitator", "{fran_row}");
    assert!(page.text("#people").await.contains("Ana (AR) · you"));

    org.ok(json!({"type": "set_phase", "room": room, "phase": "brainstorm", "hidden": true}))
        .await;
    page.wait_text(
        "#phase-say",
        "Only you see your cards until the facilitator reveals them.",
    )
    .await;
    page.screenshot("delegate-hidden-brainstorm-en").await;
    org.ok(json!({"type": "set_phase", "room": room, "phase": "reveal"}))
        .await;
    page.wait_text("#phase-say", "Everyone's cards are visible now")
        .await;
    org.ok(json!({"type": "set_phase", "room": room, "phase": "vote"}))
        .await;
    page.wait_text(
        "#phase-say",
        "Vote for the cards that matter most: you have 5 votes.",
    )
    .await;
    org.ok(json!({"type": "set_phase", "room": room, "phase": "consolidate"}))
        .await;
    page.wait_text("#phase-say", "Voting is over").await;
    page.accessible("the delegate board while consolidating")
        .await;
    drop(fran);
    page.close().await;
}

#[tokio::test]
async fn once_the_session_closes_the_timer_stops_and_help_is_off() {
    let Some(driver) = driver().await else { return };
    let (server, w, mut org, ana) = room_with(json!({"title": "Going Digital"})).await;
    let room = w.rooms[0].clone();
    org.ok(json!({"type": "start_timer", "room": room, "seconds": 600}))
        .await;
    let page = driver.page(PHONE.0, PHONE.1).await;
    board_of(&page, &server, &w, &ana, "pt").await;
    page.wait_text("#timer", "Faltam").await;
    org.ok(json!({"type": "close_workshop"})).await;
    page.wait_text("#phase-say", "A sessão está encerrada.")
        .await;
    page.until(
        "the timer hidden",
        "return document.querySelector('#timer').hidden;",
        vec![],
    )
    .await;
    assert_eq!(
        page.js(
            "return document.querySelector('#help-button').disabled && document.querySelector('#help-text').disabled;",
            vec![]
        )
        .await,
        true,
        "help still offered in a closed session"
    );
    page.wait_text("#phase", "Fechada").await;
    page.screenshot("delegate-closed-320px-pt").await;
    page.accessible("the delegate page of a closed session")
        .await;
    // Reopened: the timer and help are back.
    org.ok(json!({"type": "reopen_workshop"})).await;
    page.until(
        "help back",
        "return !document.querySelector('#help-button').disabled && !document.querySelector('#timer').hidden;",
        vec![],
    )
    .await;
    page.close().await;
}

#[tokio::test]
async fn columns_people_and_counts_are_in_the_readers_language_and_a_chosen_language_stays() {
    let Some(driver) = driver().await else { return };
    let (server, w, mut org, ana) = room_with(json!({
        "title": "Going Digital",
        "columns": ["strengths", {"key": "wins", "title": "Quick wins"}]
    }))
    .await;
    let room = w.rooms[0].clone();
    posted(&mut org, &room, "Identidade digital").await;
    org.ok(json!({"type": "set_phase", "room": room, "phase": "vote"}))
        .await;
    let page = driver.page(LAPTOP.0, LAPTOP.1).await;
    board_of(&page, &server, &w, &ana, "pt").await;
    // A default column in Portuguese, the organizer's own as typed.
    page.wait_text("#col-strengths", "Pontos fortes").await;
    page.wait_text("#col-wins", "Quick wins").await;
    page.wait_text("#people", "conectado").await;
    assert!(!page.text("#people").await.contains("online"));
    page.wait_text("#board .note .votes", "0 votos").await;
    page.screenshot("delegate-vote-pt").await;

    // Spanish from the header's menu, kept after a reload.
    page.select("#lang", "es").await;
    page.wait_text("#col-strengths", "Fortalezas").await;
    page.goto(&server.url(&format!("/delegate?w={}", w.id)))
        .await;
    saved(&page).await;
    page.wait_text("#col-strengths", "Fortalezas").await;
    page.wait_text("#phase", "Votación").await;
    page.screenshot("delegate-vote-es").await;
    page.accessible("the delegate board in Spanish").await;
    page.close().await;
}

#[tokio::test]
async fn at_180_css_px_the_board_reflows_and_the_skip_link_leads_to_it() {
    let Some(driver) = driver().await else { return };
    let (server, w, mut org, ana) = room_with(json!({"title": "Going Digital"})).await;
    posted(
        &mut org,
        &w.rooms[0],
        "Una identidad digital nacional para todos los trámites",
    )
    .await;
    // 200 % zoom on a 360 px phone.
    let page = driver.page(180, 640).await;
    board_of(&page, &server, &w, &ana, "es").await;
    page.wait_text("#board", "Una identidad digital").await;
    page.fits_the_width().await;
    page.screenshot("delegate-180px-es").await;
    // The first Tab reaches the skip link; following it puts the focus on the board.
    let first = page
        .js(
            "return document.querySelector('body > *:first-child').matches('a.skip-link[href=\"#main\"]');",
            vec![],
        )
        .await;
    assert_eq!(first, true);
    page.js(
        "document.querySelector('a.skip-link').focus(); return true;",
        vec![],
    )
    .await;
    page.element("a.skip-link")
        .await
        .send_keys("\u{E007}")
        .await
        .expect("Enter on the skip link");
    assert_eq!(
        page.js("return document.activeElement.id;", vec![]).await,
        "main"
    );
    page.close().await;
}

/// Broadcasts sent before the page opened come only in its `welcome`: the history still
/// names the sender and the time the server gave the event, also after a reload.
#[tokio::test]
async fn broadcasts_keep_their_sender_and_time_after_a_reload() {
    let Some(driver) = driver().await else { return };
    let (server, w, _org, ana) = room_with(json!({"title": "Going Digital"})).await;
    let fran = server.facilitator(&w, "Fran").await;
    let mut staff = server.connect(&fran.token).await;
    staff
        .ok(json!({"type": "broadcast", "text": "Coffee at eleven"}))
        .await;
    let at = staff.event_of_type("broadcast_sent").await["event"]["at"].clone();
    assert!(at.as_i64().is_some_and(|t| t > 0), "{at}");
    let page = driver.page(LAPTOP.0, LAPTOP.1).await;
    board_of(&page, &server, &w, &ana, "es").await;
    for round in ["opened", "reloaded"] {
        let shown = page
            .until(
                "the broadcast in the history",
                "const li = document.querySelector('#broadcasts li'); return li && li.textContent;",
                vec![],
            )
            .await;
        let expected = page
            .js(
                "return `de Fran a las ${new Date(arguments[0]).toLocaleTimeString('es', {hour: '2-digit', minute: '2-digit'})}`;",
                vec![at.clone()],
            )
            .await;
        let shown = shown.as_str().expect("text");
        assert!(shown.contains("Coffee at eleven"), "{round}: {shown}");
        assert!(
            shown.contains(expected.as_str().expect("text")),
            "{round}: {shown}, not {expected}"
        );
        if round == "opened" {
            page.screenshot("delegate-broadcast-history-1280px-es")
                .await;
            page.accessible("the broadcast history").await;
            page.client.refresh().await.expect("reload");
            saved(&page).await;
        }
    }
    page.close().await;
}

/// A benchmark, not a test (it asserts no time): how long the delegate's board takes to be
/// usable (connected, nothing waiting, the cards shown, a post box enabled) at 400 kbit/s
/// with 400 ms latency (Chromium's network emulation through chromedriver, which throttles
/// the WebSocket too), as issue #17 budgets it (at most 2.5 s), from three caches: a new
/// browser profile that has loaded nothing of the site, one that has shown the join page,
/// and the same browser loading the board again. Prints each round and the page's
/// requests (start and end in ms, bytes transferred). Run it with
/// `cargo test --test browser_delegate slow_network -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "a benchmark: prints the time"]
async fn slow_network_time_until_the_board_is_usable() {
    let Some(driver) = driver().await else { return };
    let (server, w, mut org, ana) = room_with(json!({"title": "Going Digital"})).await;
    posted(&mut org, &w.rooms[0], "One national digital ID").await;
    let board = server.url(&format!("/delegate?w={}&lang=es", w.id));
    for cache in ["empty", "join page", "board"] {
        for round in 0..3 {
            let page = driver.page(PHONE.0, PHONE.1).await;
            // The session stored by a page that loads nothing else (an image), or by the
            // join page, at full speed.
            let first = if cache == "empty" {
                "/favicon.ico"
            } else {
                "/"
            };
            page.goto(&server.url(first)).await;
            page.js(
                "localStorage.setItem(`cabildo.session.${arguments[0]}`, JSON.stringify({workshop: arguments[0], \
                 token: arguments[1], participant: arguments[2], role: 'delegate', language: 'es'})); \
                 localStorage.setItem('cabildo.last', arguments[0]); return true;",
                vec![json!(w.id), json!(ana.token), json!(ana.id)],
            )
            .await;
            if cache == "board" {
                page.goto(&board).await;
                usable(&page).await;
            }
            page.client.goto("about:blank").await.expect("blank");
            page.slow_network(400, 400_000 / 8).await;
            let started = std::time::Instant::now();
            page.goto(&board).await;
            usable(&page).await;
            let took = started.elapsed().as_millis();
            let requests = page
                .js(
                    "return [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]\
                     .map((e) => `${e.name.replace(location.origin, '').replace(/\\/v\\/[0-9a-f]+\\//, '/v/…/')} ${Math.round(e.startTime)}-${Math.round(e.responseEnd)} ${e.transferSize}B`).join('\\n');",
                    vec![],
                )
                .await;
            println!(
                "cache {cache:>9}, round {round}: usable after {took} ms (400 kbit/s, 400 ms latency)"
            );
            let bytes = page
                .js(
                    "return [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]\
                     .reduce((sum, e) => sum + e.transferSize, 0);",
                    vec![],
                )
                .await;
            if round == 0 {
                println!(
                    "{}\n{bytes} bytes transferred",
                    requests.as_str().unwrap_or_default()
                );
            }
            page.close().await;
        }
    }
}

/// The board is usable: connected with nothing waiting, the card shown, a post box enabled.
async fn usable(page: &Page) {
    page.until(
        "the board usable",
        "return document.querySelector('#status').dataset.state === 'saved' \
         && document.querySelector('#board').textContent.includes('One national digital ID') \
         && !!document.querySelector('#board textarea:not([disabled])');",
        vec![],
    )
    .await;
}
