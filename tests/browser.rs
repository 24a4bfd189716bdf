//! The web client in real headless Chromium against the real server: joining by link,
//! live boards, moves, the offline outbox, text rendered as text, conclusions, and the
//! organizer's page. Screenshots of each main page go to `target/screenshots/`.

#[path = "common/browser.rs"]
mod browser;
mod common;

use browser::{driver, Page};
use common::*;
use serde_json::{json, Value};

const PHONE: (u32, u32) = (390, 844);
const LAPTOP: (u32, u32) = (1280, 900);

/// Joins through the join link as a person would: name, country from the list, language.
async fn join_by_link(
    page: &Page,
    server: &TestServer,
    code: &str,
    name: &str,
    country: Option<&str>,
    lang: &str,
) {
    page.goto(&server.url(&format!("/j/{code}"))).await;
    page.wait_text("#w-title", "").await;
    page.until(
        "the join form",
        "return !document.querySelector('#join-form').hidden;",
        vec![],
    )
    .await;
    page.select("#language", lang).await;
    page.type_into("#name", name).await;
    if let Some(country) = country {
        page.select("#country", country).await;
    }
    page.click("#join-button").await;
    page.until("a workshop page", "return /\\/(delegate|facilitator)/.test(location.pathname) && !!document.querySelector('#status').dataset.state;", vec![]).await;
}

/// The id of the person named `name` that the facilitator's page lists in the lobby.
async fn in_lobby(fran: &Page, name: &str) -> String {
    let id = fran
        .until(
            &format!("{name} in the lobby"),
            "const li = [...document.querySelectorAll('[data-room=lobby] li[data-person]')].find((l) => l.textContent.includes(arguments[0])); return li && li.dataset.person;",
            vec![json!(name)],
        )
        .await;
    id.as_str().expect("id").to_string()
}

/// The id of the participant named `name`, from the staff connection's events.
async fn participant_id(staff: &mut TestClient, name: &str) -> String {
    loop {
        let e = staff.event_of_type("participant_joined").await;
        if e["event"]["participant"]["name"] == name {
            return e["event"]["participant"]["id"]
                .as_str()
                .expect("id")
                .to_string();
        }
    }
}

/// Waits until the page shows it lost the connection.
async fn offline(page: &Page) {
    page.until(
        "status offline",
        "return document.querySelector('#status').dataset.state === 'offline';",
        vec![],
    )
    .await;
}

/// Waits until the page's connection is up and its outbox empty.
async fn saved(page: &Page) {
    page.until(
        "status saved",
        "return document.querySelector('#status').dataset.state === 'saved';",
        vec![],
    )
    .await;
}

fn cards_with_text(snapshot: &Value, text: &str) -> usize {
    snapshot["snapshot"]["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .filter(|c| c["text"] == text)
        .count()
}

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
    let ana_id = participant_id(&mut staff, "Ana").await;

    let bruno = driver.page(PHONE.0, PHONE.1).await;
    join_by_link(&bruno, &server, &w.delegate_code, "Bruno", Some("BR"), "en").await;
    let bruno_id = participant_id(&mut staff, "Bruno").await;
    let carla = driver.page(PHONE.0, PHONE.1).await;
    join_by_link(&carla, &server, &w.delegate_code, "Carla", Some("CL"), "pt").await;
    carla.wait_text("#room-name", "Saguão").await;
    let carla_id = participant_id(&mut staff, "Carla").await;

    staff.ok(move_to(&ana_id, &w.rooms[0])).await;
    staff.ok(move_to(&bruno_id, &w.rooms[0])).await;
    staff.ok(move_to(&carla_id, &w.rooms[1])).await;
    ana.wait_text("#room-name", "Room 1").await;
    bruno.wait_text("#room-name", "Room 1").await;
    carla.wait_text("#room-name", "Room 2").await;
    ana.wait_text("#col-strengths", "Strengths").await;

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
    carla.wait_text("#col-strengths", "Strengths").await;
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
async fn the_facilitator_moves_a_delegate_and_the_delegate_page_switches_rooms() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let w = server.workshop().await;

    let fran = driver.page(LAPTOP.0, LAPTOP.1).await;
    join_by_link(&fran, &server, &w.facilitator_code, "Fran", None, "en").await;
    fran.wait_text("#room-grid", "Room 4").await;

    let ana = driver.page(PHONE.0, PHONE.1).await;
    join_by_link(&ana, &server, &w.delegate_code, "Ana", Some("AR"), "en").await;
    ana.wait_text("#room-name", "Lobby").await;

    // The facilitator sees Ana in the lobby, online, and moves her with the menu.
    fran.wait_text("[data-room=lobby]", "Ana (AR)").await;
    let ana_id = in_lobby(&fran, "Ana").await;
    fran.select(&format!("li[data-person='{ana_id}'] select"), &w.rooms[1])
        .await;
    ana.wait_text("#room-name", "Room 2").await;
    ana.wait_text("#notice", "You are now in: Room 2").await;
    fran.wait_text(&format!("[data-room='{}']", w.rooms[1]), "Ana (AR)")
        .await;

    // Again, to another room, without reloading the delegate's page.
    ana.js("window.__same_page = true; return true;", vec![])
        .await;
    fran.select(&format!("li[data-person='{ana_id}'] select"), &w.rooms[2])
        .await;
    ana.wait_text("#room-name", "Room 3").await;
    ana.wait_text("#notice", "You are now in: Room 3").await;
    assert_eq!(
        ana.js("return window.__same_page === true;", vec![]).await,
        json!(true)
    );

    // A broadcast reaches the delegate prominently and in the live region.
    fran.type_into("#b-text", "Five minutes left for strengths")
        .await;
    fran.click("#broadcast-form button[type=submit]").await;
    ana.wait_text("#broadcast", "Five minutes left for strengths")
        .await;
    ana.wait_text("#announce", "Five minutes left for strengths")
        .await;

    fran.screenshot("facilitator").await;
    ana.screenshot("delegate-moved").await;
    fran.close().await;
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
    ana.wait_text(".card.is-pending", "Typed on a train without signal")
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
    ana.wait_text(".card:not(.is-pending)", "Typed on a train without signal")
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
    ana.wait_text(".card:not(.is-pending) .text", xss).await;
    saved(&ana).await;

    let fran = driver.page(LAPTOP.0, LAPTOP.1).await;
    join_by_link(&fran, &server, &w.facilitator_code, "Fran", None, "en").await;
    fran.wait_text("#cons", xss).await;
    fran.wait_text("#room-grid", "<b>Ana</b> (AR)").await;
    for page in [&ana, &fran] {
        let found = page
            .js(
                "return { imgs: document.querySelectorAll('main img:not(#qr), main b').length, text: [...document.querySelectorAll('.card .text')].map((e) => e.textContent) };",
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
    for card in &cards {
        fran.click(&format!("#cite-{card}")).await;
    }
    fran.wait_text("#k-cites", "Citing 2 cards").await;
    fran.type_into("#g-name", "Identity").await;
    fran.click("#g-form button[type=submit]").await;
    fran.wait_text("#notice", "That was not accepted").await;
    // Moderation: a card hidden from delegates stays listed for staff, marked hidden.
    fran.click(&format!("[data-key='hide-{}']", cards[0])).await;
    fran.wait_text(&format!("#cons [data-card='{}'] .meta", cards[0]), "hidden")
        .await;
    let hidden = org.event_of_type("card_hidden").await;
    assert_eq!(hidden["event"]["card"], cards[0]);
    // A room added live shows up at once.
    fran.type_into("#r-name", "West").await;
    fran.click("#room-form button[type=submit]").await;
    fran.wait_text("#room-grid", "West").await;
    fran.close().await;
}

#[tokio::test]
async fn the_organizer_creates_a_workshop_and_exports_it() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let page = driver.page(LAPTOP.0, LAPTOP.1).await;
    page.goto(&server.url("/organizer")).await;
    page.wait_text("#create", "Create a workshop").await;
    page.screenshot("organizer-create").await;
    page.type_into("#admin", "not-the-token").await;
    page.type_into("#title", "Going Digital").await;
    page.click("#create-button").await;
    page.wait_text("#notice", "You are not allowed").await;

    page.type_into("#admin", ADMIN_TOKEN).await;
    page.type_into("#budget", "3").await;
    page.click("#create-button").await;
    page.wait_text("#ws-title", "Going Digital").await;
    let code = page.text("#d-code").await;
    assert_eq!(code.len(), 8, "{code}");
    page.wait_text("#d-link", &format!("/j/{code}")).await;
    page.until(
        "the QR code",
        "const q = document.querySelector('#qr'); return q.complete && q.naturalWidth > 0;",
        vec![],
    )
    .await;

    // The code the page shows opens the workshop the page created.
    let lookup: Value = server
        .http
        .get(server.url(&format!("/api/codes/{code}")))
        .send()
        .await
        .expect("lookup")
        .json()
        .await
        .expect("json");
    assert_eq!(lookup["title"], "Going Digital");
    assert_eq!(lookup["role"], "delegate");
    page.wait_text("#totals", "0 delegates").await;
    let workshop = lookup["workshop"].as_str().expect("id");
    let (status, joined) = server
        .post_json(
            &format!("/api/workshops/{workshop}/join"),
            json!({"code": code, "name": "Ana", "country": "AR"}),
        )
        .await;
    assert_eq!(status, 201, "{joined}");
    page.wait_text("#totals", "1 delegates from 1 countries")
        .await;

    for format in ["md", "html", "docx", "csv", "json"] {
        page.click(&format!("[data-format={format}]")).await;
        page.until(
            &format!("a downloaded .{format}"),
            "return document.querySelector('#notice').textContent.startsWith('Downloaded') && document.querySelector('#notice').textContent.includes(arguments[0]);",
            vec![json!(format!("({})", format.to_uppercase()).replace("(MD)", "(Markdown)").replace("(HTML)", "(web page, printable)").replace("(DOCX)", "(Word)"))],
        )
        .await;
    }
    page.screenshot("organizer").await;

    page.click("#close-ws").await;
    page.until(
        "the reopen button",
        "return !document.querySelector('#reopen-ws').hidden;",
        vec![],
    )
    .await;
    page.click("#reopen-ws").await;
    page.until(
        "the close button",
        "return !document.querySelector('#close-ws').hidden;",
        vec![],
    )
    .await;

    // Erasing asks for the title first.
    page.type_into("#erase-confirm", "wrong").await;
    page.click("#erase button[type=submit]").await;
    page.wait_text("#notice", "does not match").await;
    page.type_into("#erase-confirm", "Going Digital").await;
    page.click("#erase button[type=submit]").await;
    let probe = server
        .http
        .delete(server.url("/api/workshops/00000000-0000-0000-0000-000000000000"))
        .send()
        .await
        .expect("probe");
    let probe: Value = probe.json().await.unwrap_or(Value::Null);
    // A server without the erase endpoint: the page says so and keeps the workshop.
    let (said, status) = if probe["message"] == "no such endpoint" {
        ("cannot erase", 200)
    } else {
        ("was erased", 404)
    };
    page.wait_text("#notice", said).await;
    let lookup = server
        .http
        .get(server.url(&format!("/api/codes/{code}")))
        .send()
        .await
        .expect("lookup");
    assert_eq!(lookup.status(), status);
    page.close().await;
}

#[tokio::test]
async fn a_round_timer_votes_within_the_budget_help_and_drag_and_drop() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let room = &w.rooms[0];

    let fran = driver.page(LAPTOP.0, LAPTOP.1).await;
    join_by_link(&fran, &server, &w.facilitator_code, "Fran", None, "en").await;
    // The narrowest phone the pages support.
    let ana = driver.page(320, 700).await;
    join_by_link(&ana, &server, &w.delegate_code, "Ana", Some("AR"), "en").await;
    let ana_id = in_lobby(&fran, "Ana").await;
    fran.select(&format!("li[data-person='{ana_id}'] select"), room)
        .await;
    ana.wait_text("#room-name", "Room 1").await;
    for text in ["Digital ID", "Open data"] {
        ana.type_into("#new-strengths", text).await;
        ana.click("[data-key=add-strengths]").await;
        ana.wait_text("#board", text).await;
        saved(&ana).await;
    }

    // A timer started on the facilitator's page counts down on the delegate's.
    fran.select("#t-room", room).await;
    fran.type_into("#t-min", "10").await;
    fran.click("#timer-form button[type=submit]").await;
    ana.until(
        "the timer",
        "return /^(10:00|9:[0-5][0-9]) left$/.test(document.querySelector('#timer').textContent);",
        vec![],
    )
    .await;

    // The vote phase: the budget is shown and spent one vote at a time.
    fran.select("#p-room", room).await;
    fran.select("#p-phase", "vote").await;
    fran.click("#phase-form button[type=submit]").await;
    ana.wait_text("#budget", "Votes left: 5 of 5").await;
    let card = ana
        .until(
            "a card to vote on",
            "const c = document.querySelector('.card[data-card]'); return c && c.dataset.card;",
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

    // Help: asked on the phone, answered on the laptop.
    ana.type_into("#help-text", "Which column for open data?")
        .await;
    ana.click("#help-form button[type=submit]").await;
    fran.wait_text("#help", "Which column for open data?").await;
    fran.click("#help button").await;
    ana.wait_text("#help-list", "a facilitator is on the way")
        .await;

    // The language can change at any time.
    ana.select("#lang", "pt").await;
    ana.wait_text("#phase", "Votação").await;
    ana.wait_text("#budget", "Votos restantes: 4 de 5").await;
    ana.wait_text("#notice", "Agora você está em: Room 1").await;
    ana.wait_text("#status", "Salvo").await;
    let overflow = ana
        .js(
            "return document.documentElement.scrollWidth - window.innerWidth;",
            vec![],
        )
        .await;
    assert!(
        overflow.as_i64().expect("number") <= 0,
        "the page is wider than 320 px by {overflow}"
    );
    ana.screenshot("delegate-320px-pt").await;

    // Drag and drop: Ana dragged to the lobby.
    fran.js(
        "const dt = new DataTransfer(); \
         const from = document.querySelector(`li[data-person='${arguments[0]}']`); \
         const to = document.querySelector('[data-room=lobby]'); \
         from.dispatchEvent(new DragEvent('dragstart', { dataTransfer: dt, bubbles: true })); \
         to.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true })); \
         to.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true })); \
         return true;",
        vec![json!(ana_id)],
    )
    .await;
    ana.wait_text("#room-name", "Saguão").await;
    ana.wait_text("#notice", "Agora você está em: Saguão").await;
    fran.close().await;
    ana.close().await;
}
