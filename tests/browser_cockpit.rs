//! The facilitator's cockpit, the projector view and the HTML export in real headless
//! Chromium against the real server (and the projector's REST endpoint on its own).
//! Every page state is screenshot into `target/screenshots/` at 1280 and 320 CSS px, and
//! checked with axe-core (WCAG 2.x A/AA, `Page::accessible` in tests/common/browser.rs).

#[path = "common/browser.rs"]
mod browser;
mod common;

use browser::{driver, Page};
use common::*;
use serde_json::{json, Value};

const LAPTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (320, 700);
const LANGS: [&str; 3] = ["en", "es", "pt"];

/// `POST /api/workshops/{id}/projector` with `token` (none: no header).
async fn make_projector_link(
    server: &TestServer,
    w: &Workshop,
    token: Option<&str>,
) -> (u16, Value) {
    let mut req =
        reqwest::Client::new().post(server.url(&format!("/api/workshops/{}/projector", w.id)));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// `GET /api/workshops/{id}/projector` with the projector `token` and an optional ETag.
async fn projector_view(
    server: &TestServer,
    id: &str,
    token: &str,
    etag: Option<&str>,
) -> (u16, Option<String>, Value) {
    let mut req = reqwest::Client::new()
        .get(server.url(&format!("/api/workshops/{id}/projector")))
        .bearer_auth(token);
    if let Some(etag) = etag {
        req = req.header("If-None-Match", etag);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let etag = r
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = if status == 200 {
        r.json().await.expect("JSON")
    } else {
        r.json().await.unwrap_or(Value::Null)
    };
    (status, etag, body)
}

/// Cards posted by a delegate of `country` seated in `room`; returns their ids.
async fn posted(
    server: &TestServer,
    w: &Workshop,
    org: &mut TestClient,
    who: (&str, &str),
    room: &str,
    cards: &[(&str, &str)],
) -> (Member, Vec<String>) {
    let d = server.delegate(w, who.0, who.1).await;
    org.ok(move_to(&d.id, room)).await;
    let mut c = server.connect(&d.token).await;
    let mut ids = Vec::new();
    for (column, text) in cards {
        c.ok(post_card(room, column, text)).await;
        loop {
            let e = org.event_of_type("card_posted").await;
            if e["event"]["text"] == *text {
                ids.push(e["event"]["card"].as_str().expect("card").to_string());
                break;
            }
        }
    }
    (d, ids)
}

/// A workshop with cards in two rooms, votes on some, a room in a hidden brainstorm and a
/// conclusion citing cards of both rooms.
async fn plenary(server: &TestServer) -> (Workshop, TestClient, Vec<String>) {
    let (w, org, cards, _) = plenary_in(server, "en").await;
    (w, org, cards)
}

/// `plenary` in a workshop of language `lang`; also returns Ana's participant id.
async fn plenary_in(
    server: &TestServer,
    lang: &str,
) -> (Workshop, TestClient, Vec<String>, String) {
    let w = server
        .create_workshop(json!({"title": "Going Digital", "language": lang}))
        .await;
    let mut org = server.connect(&w.organizer_token).await;
    let (ana, a) = posted(
        server,
        &w,
        &mut org,
        ("Ana", "AR"),
        &w.rooms[0],
        &[
            ("strengths", "One national digital ID"),
            ("strengths", "Open data portal"),
            ("problems", "Paper forms everywhere"),
        ],
    )
    .await;
    let (_bruno, b) = posted(
        server,
        &w,
        &mut org,
        ("Bruno", "BR"),
        &w.rooms[1],
        &[("solutions", "Interoperable registries")],
    )
    .await;
    // Votes in room 1: the second card gets two, the first none.
    org.ok(json!({"type": "set_phase", "room": w.rooms[0], "phase": "vote"}))
        .await;
    let mut ana_c = server.connect(&ana.token).await;
    ana_c.ok(json!({"type": "vote", "card": a[1]})).await;
    ana_c.ok(json!({"type": "vote", "card": a[1]})).await;
    org.ok(json!({"type": "set_phase", "room": w.rooms[0], "phase": "consolidate"}))
        .await;
    // Room 3 brainstorms hidden: its card texts stay off the projector.
    org.ok(json!({"type": "set_phase", "room": w.rooms[2], "phase": "brainstorm", "hidden": true}))
        .await;
    let (_cai, _c) = posted(
        server,
        &w,
        &mut org,
        ("Cai", "CL"),
        &w.rooms[2],
        &[("strengths", "A secret idea")],
    )
    .await;
    org.ok(json!({"type": "add_conclusion", "theme": "services",
        "text": "A single digital identity unlocks online services.", "cards": [a[0], a[1], b[0]]}))
        .await;
    let mut ids = a;
    ids.extend(b);
    (w, org, ids, ana.id)
}

#[tokio::test]
async fn the_projector_link_is_made_by_staff_and_shows_a_read_only_summary() {
    projector_link_story(&TestServer::start().await).await;
}

#[tokio::test]
async fn the_projector_link_works_on_postgres_too() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("skipping: no PostgreSQL (CABILDO_TEST_POSTGRES_URL)");
        return;
    };
    projector_link_story(&TestServer::start_on(std::sync::Arc::new(db), &[]).await).await;
}

/// Only staff make the link, it shows the summary (ETag, 304), a new link replaces the old
/// one and erasing the workshop ends it.
async fn projector_link_story(server: &TestServer) {
    let (w, _org, _cards) = plenary(server).await;

    // Only staff make the link.
    let (status, body) = make_projector_link(server, &w, None).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
    let delegate = server.delegate(&w, "Dora", "UY").await;
    let (status, body) = make_projector_link(server, &w, Some(&delegate.token)).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")));
    let (status, link) = make_projector_link(server, &w, Some(&w.organizer_token)).await;
    assert_eq!(status, 201, "{link}");
    let token = link["token"].as_str().expect("token").to_string();
    assert_eq!(
        link["url"],
        format!("/projector#w={}&t={token}", w.id),
        "the token travels in the fragment"
    );
    // Participant tokens do not open the projector's data, nor a projector token another's.
    let (status, _, _) = projector_view(server, &w.id, &w.organizer_token, None).await;
    assert_eq!(status, 401);
    let other = server.workshop().await;
    let (status, _, _) = projector_view(server, &other.id, &token, None).await;
    assert_eq!(status, 403);

    let (status, etag, view) = projector_view(server, &w.id, &token, None).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["rooms"][0]["name"], "Room 1");
    let strengths = &view["rooms"][0]["columns"][0];
    assert_eq!(strengths["key"], "strengths");
    assert_eq!(strengths["count"], 2);
    // Most voted first.
    assert_eq!(strengths["top"][0]["text"], "Open data portal");
    assert_eq!(strengths["top"][0]["votes"], 2);
    assert_eq!(strengths["top"][0]["country"], "AR");
    assert_eq!(strengths["top"][1]["text"], "One national digital ID");
    assert_eq!(view["columns"][0]["default"], true);
    // The hidden brainstorm: counted, not shown.
    assert_eq!(view["rooms"][2]["hidden"], true);
    assert_eq!(view["rooms"][2]["columns"][0]["count"], 1);
    assert_eq!(view["rooms"][2]["columns"][0]["top"], json!([]));
    assert!(!view.to_string().contains("A secret idea"));
    // The conclusion and what supports it, by room and by country.
    let k = &view["conclusions"][0];
    assert_eq!(k["votes"], 2);
    assert_eq!(k["cards"], 3);
    assert_eq!(
        k["rooms"],
        json!([{"name": "Room 1", "cards": 2}, {"name": "Room 2", "cards": 1}])
    );
    assert_eq!(
        k["countries"],
        json!([{"name": "AR", "cards": 2}, {"name": "BR", "cards": 1}])
    );

    // Unchanged: 304. A change makes a new ETag.
    let etag = etag.expect("an ETag");
    let (status, again, _) = projector_view(server, &w.id, &token, Some(&etag)).await;
    assert_eq!((status, again.as_deref()), (304, Some(etag.as_str())));
    let mut org = server.connect(&w.organizer_token).await;
    org.ok(json!({"type": "rename_room", "room": w.rooms[1], "name": "Andes"}))
        .await;
    let (status, _, view) = projector_view(server, &w.id, &token, Some(&etag)).await;
    assert_eq!(status, 200);
    assert_eq!(view["rooms"][1]["name"], "Andes");

    // A new link replaces the old one; erasing the workshop ends both.
    let (_, second) = make_projector_link(server, &w, Some(&w.organizer_token)).await;
    let second = second["token"].as_str().expect("token").to_string();
    let (status, _, _) = projector_view(server, &w.id, &token, None).await;
    assert_eq!(status, 401, "the first link stopped working");
    let (status, _, _) = projector_view(server, &w.id, &second, None).await;
    assert_eq!(status, 200);
    let r = reqwest::Client::new()
        .delete(server.url(&format!("/api/workshops/{}", w.id)))
        .bearer_auth(&w.organizer_token)
        .send()
        .await
        .expect("erase");
    assert_eq!(r.status().as_u16(), 204);
    let (status, _, _) = projector_view(server, &w.id, &second, None).await;
    assert_eq!(status, 404);
}

/// The headings and texts the projector shows, per language.
fn projector_words(lang: &str) -> (&'static str, &'static str, &'static str) {
    match lang {
        "es" => ("Fortalezas", "Conclusiones", "Sala 1 de 4"),
        "pt" => ("Pontos fortes", "Conclusões", "Sala 1 de 4"),
        _ => ("Strengths", "Conclusions", "Room 1 of 4"),
    }
}

#[tokio::test]
async fn the_projector_shows_each_room_then_the_conclusions_with_the_arrow_keys() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let (w, mut org, _cards) = plenary(&server).await;
    let (_, link) = make_projector_link(&server, &w, Some(&w.organizer_token)).await;
    let url = link["url"].as_str().expect("url").to_string();

    for (width, height) in [LAPTOP, PHONE] {
        for lang in LANGS {
            let page = driver.page(width, height).await;
            let (column, conclusions, first) = projector_words(lang);
            page.goto(&server.url(&format!("{url}&lang={lang}"))).await;
            page.wait_text("#where", first).await;
            page.wait_text("#slide [data-column=strengths] h3", column)
                .await;
            // Most voted first, with its votes drawn as a bar.
            page.wait_text(
                "#slide [data-column=strengths] .bars li:first-child .bar-name",
                "Open data portal",
            )
            .await;
            let bars = page
                .js(
                    "return document.querySelectorAll('#slide svg.chart-bar').length;",
                    vec![],
                )
                .await;
            assert!(bars.as_u64().expect("count") >= 3, "{bars} bars");
            let shot = format!("projector-room-{lang}-{width}");
            page.screenshot(&shot).await;
            page.accessible(&shot).await;
            page.fits_the_width().await;

            // Room 3 is in a hidden brainstorm: counted, not read out.
            page.click("#main").await;
            for _ in 0..2 {
                page.client
                    .active_element()
                    .await
                    .expect("focus")
                    .send_keys("\u{E014}")
                    .await
                    .expect("arrow right");
            }
            page.wait_text(
                "#where",
                if lang == "en" {
                    "Room 3 of 4"
                } else {
                    "Sala 3 de 4"
                },
            )
            .await;
            assert!(!page.text("#slide").await.contains("A secret idea"));
            // End: the conclusions, with their support by room and by country.
            page.client
                .active_element()
                .await
                .expect("focus")
                .send_keys("\u{E010}")
                .await
                .expect("End");
            page.wait_text("#where", conclusions).await;
            page.wait_text(
                "#slide .proj-conclusion .text",
                "A single digital identity unlocks online services.",
            )
            .await;
            let support = page.text("#slide .support").await;
            assert!(
                support.contains("Room 1") && support.contains("Room 2"),
                "{support}"
            );
            // Countries by name in the page's language (Brazil, Brasil).
            assert!(
                support.contains("Argentina") && support.contains("Bra"),
                "{support}"
            );
            let shot = format!("projector-conclusions-{lang}-{width}");
            page.screenshot(&shot).await;
            page.accessible(&shot).await;
            page.fits_the_width().await;
            page.close().await;
        }
    }

    // Live: a conclusion added while the projector shows the conclusions appears by itself.
    let page = driver.page(LAPTOP.0, LAPTOP.1).await;
    page.goto(&server.url(&format!("{url}&s=4"))).await;
    page.wait_text("#where", "Conclusions").await;
    org.ok(
        json!({"type": "add_conclusion", "theme": "data", "text": "Publish open data by default."}),
    )
    .await;
    page.wait_text("#slide", "Publish open data by default.")
        .await;
    page.close().await;
}

/// The facilitator page of `member` (a facilitator who joined by REST), in `lang`.
async fn cockpit(
    driver: &browser::Driver,
    server: &TestServer,
    w: &Workshop,
    member: &Member,
    lang: &str,
    (width, height): (u32, u32),
) -> Page {
    let page = driver.page(width, height).await;
    page.goto(&server.url("/")).await;
    let session = json!({
        "workshop": w.id, "token": member.token, "participant": member.id,
        "role": "facilitator", "language": lang, "title": "Going Digital",
    });
    page.js(
        "localStorage.setItem(`cabildo.session.${arguments[0]}`, arguments[1]); localStorage.setItem('cabildo.lang', arguments[2]); return true;",
        vec![json!(w.id), json!(session.to_string()), json!(lang)],
    )
    .await;
    page.goto(&server.url(&format!("/facilitator?w={}", w.id)))
        .await;
    page.until(
        "the cockpit connected",
        "return document.querySelector('#status').dataset.state === 'saved' && !!document.querySelector('#room-grid .tile h3');",
        vec![],
    )
    .await;
    page
}

/// Waits for the dialog that asks before a session-ending action; returns its title.
async fn asked(page: &Page) -> String {
    page.until(
        "a confirmation dialog",
        "const d = document.querySelector('dialog.confirm[open]'); return d && d.querySelector('h2').textContent;",
        vec![],
    )
    .await
    .as_str()
    .expect("title")
    .to_string()
}

#[tokio::test]
async fn the_cockpit_shows_every_room_and_help_in_the_tab_title_in_three_languages() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let (w, mut org, cards) = plenary(&server).await;
    let ana = server.delegate(&w, "Dora", "UY").await;
    org.ok(move_to(&ana.id, &w.rooms[0])).await;
    server
        .connect(&ana.token)
        .await
        .ok(json!({"type": "request_help", "text": "Our board froze"}))
        .await;
    let fran = server.facilitator(&w, "Fran").await;
    let words = |lang: &str| match lang {
        "es" => (
            "Se aplica a",
            "Ocultar el tablero",
            "Toda la sesión",
            "Conectados: 0 de 2",
        ),
        "pt" => (
            "Aplica-se a",
            "Ocultar o quadro",
            "Sessão inteira",
            "Conectados: 0 de 2",
        ),
        _ => (
            "Applies to",
            "Hide the board",
            "Whole session",
            "Online: 0 of 2",
        ),
    };
    for size in [LAPTOP, PHONE] {
        for lang in LANGS {
            let page = cockpit(&driver, &server, &w, &fran, lang, size).await;
            let (scope, board, session, online) = words(lang);
            page.wait_text("label[for=scope]", scope).await;
            page.wait_text(".danger-group legend", session).await;
            // Help: a badge on the room's tile, the count in the header and the tab title.
            page.wait_text(&format!("[data-room='{}'] .badge", w.rooms[0]), "1")
                .await;
            page.until(
                "the tab title counting the help request",
                "return document.title.startsWith('(1) Going Digital');",
                vec![],
            )
            .await;
            // The chime for new help requests is a toggle, kept in this browser.
            page.click("#chime").await;
            page.until(
        "the chime on",
        "return document.querySelector('#chime').getAttribute('aria-pressed') === 'true' && localStorage.getItem('cabildo.chime') === 'on';",
        vec![],
    )
    .await;
            // Who is online, in the reader's language ("online" was English in pt).
            page.wait_text(&format!("[data-room='{}'] .hint", w.rooms[0]), online)
                .await;
            // Every room's card counts per column, facilitators marked as such.
            page.wait_text(&format!("[data-room='{}'] .counts", w.rooms[0]), "2")
                .await;
            // The room's board, as its delegates see it, opened in its tile.
            page.click(&format!("[data-key='bd-{}']", w.rooms[0])).await;
            page.wait_text(&format!("#board-{}", w.rooms[0]), "Open data portal")
                .await;
            page.wait_text(&format!("[data-key='bd-{}']", w.rooms[0]), board)
                .await;
            let (width, _) = size;
            let shot = format!("cockpit-{lang}-{width}");
            page.screenshot(&shot).await;
            page.accessible(&shot).await;
            page.fits_the_width().await;
            // The consolidation workspace, filtered to one room, most voted first.
            page.select("#f-room", &w.rooms[0]).await;
            page.until(
                "the cards of room 1 only, most voted first",
                "const c = [...document.querySelectorAll('#cons [data-card]')].map((e) => e.dataset.card); return c.length === 3 && c[0] === arguments[0] && c;",
                vec![json!(cards[1])],
            )
            .await;
            page.client
                .execute(
                    "document.querySelector('#consolidate').scrollIntoView();",
                    vec![],
                )
                .await
                .expect("scroll");
            let shot = format!("cockpit-consolidation-{lang}-{width}");
            page.screenshot(&shot).await;
            page.accessible(&shot).await;
            page.fits_the_width().await;
            page.close().await;
        }
    }
}

#[tokio::test]
async fn session_ending_actions_ask_first_and_grouping_is_apart_from_citing() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let (w, mut org, cards) = plenary(&server).await;
    let fran = server.facilitator(&w, "Fran").await;
    let page = cockpit(&driver, &server, &w, &fran, "en", LAPTOP).await;

    // Defect 10: cards selected to group are not cited by the next conclusion.
    page.click(&format!("#pick-{}", cards[0])).await;
    page.click(&format!("#pick-{}", cards[1])).await;
    page.wait_text("#g-picked", "2 cards selected to group")
        .await;
    page.type_into("#g-name", "Identity").await;
    page.click("#g-form button[type=submit]").await;
    let grouped = org.event_of_type("group_created").await;
    assert_eq!(grouped["event"]["cards"], json!([cards[0], cards[1]]));
    page.wait_text("#g-picked", "Select cards with").await;
    page.click(&format!("#cite-{}", cards[3])).await;
    page.wait_text("#k-cites", "Citing 1 card from: Room 2")
        .await;
    page.wait_text("#k-live", "Cited cards by room").await;
    page.type_into("#k-text", "Registries must talk to each other.")
        .await;
    page.click("#k-form button[type=submit]").await;
    loop {
        let added = org.event_of_type("conclusion_added").await;
        if added["event"]["text"] == "Registries must talk to each other." {
            assert_eq!(
                added["event"]["cards"],
                json!([cards[3]]),
                "only the cited card"
            );
            break;
        }
    }

    // The projector opens from the cockpit, in a new tab, with a link of its own.
    page.click("#projector-open").await;
    page.wait_text("#notices", "The projector opened in a new tab")
        .await;
    let windows = page.client.windows().await.expect("windows");
    assert_eq!(windows.len(), 2, "a new tab");
    let cockpit_window = page.client.window().await.expect("this window");
    let other = windows
        .into_iter()
        .find(|w| *w != cockpit_window)
        .expect("the projector's tab");
    page.client.switch_to_window(other).await.expect("switch");
    page.wait_text("#where", "Room 1 of 4").await;
    let url = page.client.current_url().await.expect("url").to_string();
    assert!(url.contains("/projector#w="), "{url}");
    page.client.close_window().await.expect("close the tab");
    page.client
        .switch_to_window(cockpit_window)
        .await
        .expect("back");

    // The scope is chosen once: a timer for room 1 only.
    page.select("#scope", &w.rooms[0]).await;
    page.click("#timer-form button[type=submit]").await;
    let timer = org.event_of_type("timer_started").await;
    assert_eq!(timer["event"]["room"], w.rooms[0]);

    // Defect 2: ending actions look dangerous and ask first; "No" sends nothing.
    for button in ["#back", "#close-ws"] {
        let class = page
            .js(
                "return document.querySelector(arguments[0]).className;",
                vec![json!(button)],
            )
            .await;
        assert_eq!(class, "danger", "{button} looks dangerous");
    }
    page.click("#close-ws").await;
    assert_eq!(asked(&page).await, "Close the session?");
    page.screenshot("cockpit-asks-before-closing-en-1280").await;
    page.accessible("the closing question").await;
    page.click("dialog.confirm [data-answer=no]").await;
    page.click("#back").await;
    assert_eq!(asked(&page).await, "Send everyone back to the lobby?");
    page.click("dialog.confirm [data-answer=no]").await;
    // Closing a room's board asks too.
    page.click(&format!("[data-key='oc-{}']", w.rooms[1])).await;
    asked(&page).await;
    page.click("dialog.confirm [data-answer=no]").await;
    // An ordering barrier: a message sent after the answers "No" arrives, and nothing was
    // closed or moved before it.
    page.type_into("#b-text", "Ten more minutes").await;
    page.click("#broadcast-form button[type=submit]").await;
    loop {
        let e = org.next_event().await;
        let kind = e["event"]["type"].as_str().unwrap_or_default().to_string();
        assert!(
            !["workshop_closed", "returned_to_lobby", "room_closed"].contains(&kind.as_str()),
            "{kind} was sent although the answer was No"
        );
        if kind == "broadcast_sent" {
            break;
        }
    }
    // "Yes" closes.
    page.click("#close-ws").await;
    asked(&page).await;
    page.click("dialog.confirm [data-answer=yes]").await;
    org.event_of_type("workshop_closed").await;
    page.wait_text("#notices", "closed").await;
    page.close().await;
}

/// The export's words for a delegate who moved, per language.
fn moved_from(lang: &str) -> &'static str {
    match lang {
        "es" => "Ana (vino de Room 1)",
        "pt" => "Ana (veio de Room 1)",
        _ => "Ana (moved from Room 1)",
    }
}

#[tokio::test]
async fn the_html_export_lists_a_moved_delegate_once_with_charts_and_large_links() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let files = tempfile::tempdir().expect("dir");
    for lang in LANGS {
        let (w, mut org, _cards, ana) = plenary_in(&server, lang).await;
        // Ana posted in Room 1, then moved to Room 2.
        org.ok(move_to(&ana, &w.rooms[1])).await;
        let html = reqwest::Client::new()
            .get(server.url(&format!("/api/workshops/{}/export?format=html", w.id)))
            .bearer_auth(&w.organizer_token)
            .send()
            .await
            .expect("export")
            .text()
            .await
            .expect("text");
        let path = files.path().join(format!("report-{lang}.html"));
        std::fs::write(&path, &html).expect("written");
        for (width, height) in [LAPTOP, PHONE] {
            let page = driver.page(width, height).await;
            page.goto(&format!("file://{}", path.display())).await;
            page.wait_text("#participation", moved_from(lang)).await;
            let listed = page
                .js(
                    "return [...document.querySelectorAll('#participation .people li')].filter((li) => /\\bAna\\b/.test(li.textContent)).map((li) => li.closest('li').textContent);",
                    vec![],
                )
                .await;
            assert_eq!(
                listed.as_array().map(Vec::len),
                Some(1),
                "Ana is listed once: {listed}"
            );
            // Each conclusion's support by room and by country, as charts.
            let charts = page
                .js(
                    "return [...document.querySelectorAll('#conclusions figure.chart')].map((f) => f.textContent);",
                    vec![],
                )
                .await;
            let charts = charts.to_string();
            assert!(
                charts.contains("Room 1") && charts.contains("Room 2"),
                "{charts}"
            );
            assert!(
                charts.contains("Argentin") && charts.contains("Bra"),
                "{charts}"
            );
            // Citation links are large enough to hit (axe target-size, WCAG 2.2 AA).
            let small = page
                .js(
                    "return [...document.querySelectorAll('a.ref')].filter((a) => { const r = a.getBoundingClientRect(); return r.width < 24 || r.height < 24; }).length;",
                    vec![],
                )
                .await;
            assert_eq!(small, 0, "citation links under 24 px");
            let shot = format!("export-html-{lang}-{width}");
            page.screenshot(&shot).await;
            page.accessible(&shot).await;
            page.fits_the_width().await;
            page.close().await;
        }
    }
}

/// Starts noting, in the page, every DOM change inside `css` (attributes, text, children).
async fn watch_changes(page: &Page, name: &str, css: &str) {
    page.js(
        "const [name, css] = arguments; const el = document.querySelector(css); window.changes = window.changes || {};\
         window.changes[name] = 0;\
         new MutationObserver((list) => { window.changes[name] += list.length; }).observe(el, { childList: true, subtree: true, attributes: true, characterData: true });\
         return true;",
        vec![json!(name), json!(css)],
    )
    .await;
}

/// How many DOM changes were noted inside what `watch_changes` named `name`.
async fn changes(page: &Page, name: &str) -> u64 {
    page.js("return window.changes[arguments[0]];", vec![json!(name)])
        .await
        .as_u64()
        .expect("a count")
}

#[tokio::test]
async fn an_event_changes_only_the_elements_it_touches() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let (w, mut org, cards) = plenary(&server).await;
    let fran = server.facilitator(&w, "Fran").await;
    let page = cockpit(&driver, &server, &w, &fran, "en", LAPTOP).await;
    // Dora joins first (a join may bring a new author's country into the workspace).
    let dora = server.delegate(&w, "Dora", "UY").await;
    let card = format!("#cons [data-card='{}']", cards[0]);
    let voted = format!("#cons [data-card='{}']", cards[3]);
    page.wait_text(&card, "One national digital ID").await;
    page.wait_text("[data-room=lobby]", "Dora").await;
    let mark = "for (const css of arguments) document.querySelector(css).dataset.seen = 'yes'; return true;";
    let marked =
        "const e = document.querySelector(arguments[0]); return !!e && e.dataset.seen === 'yes';";
    page.js(mark, vec![json!(card), json!(voted)]).await;
    // Room 3's tile and the grid's list of tiles are watched while Dora goes to room 2.
    let other = format!("#room-grid [data-room='{}']", w.rooms[2]);
    watch_changes(&page, "room 3", &other).await;
    page.js(
        "window.tilesMoved = 0; new MutationObserver((l) => { window.tilesMoved += l.length; }).observe(document.querySelector('#room-grid'), { childList: true }); return true;",
        vec![],
    )
    .await;
    // A delegate is moved, comes online and asks for help: room 2's tile changes...
    org.ok(move_to(&dora.id, &w.rooms[1])).await;
    let mut d = server.connect(&dora.token).await;
    d.ok(json!({"type": "request_help", "text": "Where is the timer?"}))
        .await;
    page.wait_text(&format!("[data-room='{}'] .badge", w.rooms[1]), "1")
        .await;
    page.until(
        "Dora online in room 2",
        "return !!document.querySelector(`[data-room='${arguments[0]}'] [data-person='${arguments[1]}'].on`);",
        vec![json!(w.rooms[1]), json!(dora.id)],
    )
    .await;
    // ...the other tiles are untouched, none was taken out and put back, and the workspace
    // was not drawn again: its cards are the same elements.
    assert_eq!(changes(&page, "room 3").await, 0, "room 3's tile changed");
    assert_eq!(
        page.js("return window.tilesMoved;", vec![]).await,
        0,
        "tiles were taken out of the grid and put back"
    );
    assert_eq!(page.js(marked, vec![json!(card)]).await, true);
    // A vote touches one card: that card's entry is drawn again (it shows "1 vote"), the
    // others stay the same elements.
    org.ok(json!({"type": "set_phase", "room": w.rooms[1], "phase": "vote"}))
        .await;
    d.ok(json!({"type": "vote", "card": cards[3]})).await;
    page.wait_text(&format!("{voted} .meta"), "1 vote").await;
    assert_eq!(page.js(marked, vec![json!(voted)]).await, false);
    assert_eq!(page.js(marked, vec![json!(card)]).await, true);
    assert_eq!(changes(&page, "room 3").await, 0, "room 3's tile changed");
    page.close().await;
}

/// Drags the card `card` onto the workspace's block `block` (a theme key or a group id), as
/// the browser's drag and drop does.
async fn drag_card(page: &Page, card: &str, block: &str) {
    page.js(
        "const dt = new DataTransfer();\
         const from = document.querySelector(`#cons [data-card='${arguments[0]}']`);\
         const to = document.querySelector(`#cons [data-block='${arguments[1]}']`);\
         from.dispatchEvent(new DragEvent('dragstart', {dataTransfer: dt, bubbles: true}));\
         to.dispatchEvent(new DragEvent('dragover', {dataTransfer: dt, bubbles: true, cancelable: true}));\
         to.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));\
         return true;",
        vec![json!(card), json!(block)],
    )
    .await;
}

#[tokio::test]
async fn cards_are_dragged_onto_a_theme_and_into_a_group() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let (w, mut org, cards) = plenary(&server).await;
    org.ok(json!({"type": "group_cards", "cards": [cards[2]], "name": "Paperwork"}))
        .await;
    let group = org.event_of_type("group_created").await["event"]["group"]
        .as_str()
        .expect("group")
        .to_string();
    let fran = server.facilitator(&w, "Fran").await;
    let page = cockpit(&driver, &server, &w, &fran, "en", LAPTOP).await;
    // Arranged by theme, an empty theme is there to drop on.
    page.wait_text("#cons [data-block=data] h4", "(0)").await;
    drag_card(&page, &cards[0], "data").await;
    let tagged = org.event_of_type("card_tagged").await;
    assert_eq!(
        (
            tagged["event"]["card"].as_str(),
            tagged["event"]["theme"].as_str()
        ),
        (Some(cards[0].as_str()), Some("data"))
    );
    page.wait_text("#cons [data-block=data] h4", "(1)").await;
    // Arranged by group, a card of the same room goes into a group.
    page.select("#by", "group").await;
    page.wait_text(&format!("#cons [data-block='{group}'] h4"), "Paperwork")
        .await;
    drag_card(&page, &cards[1], &group).await;
    let moved = org.event_of_type("card_regrouped").await;
    assert_eq!(moved["event"]["card"], cards[1]);
    assert_eq!(moved["event"]["group"], group);
    page.wait_text(&format!("#cons [data-block='{group}'] h4"), "(2)")
        .await;
    page.screenshot("cockpit-grouped-by-drag-en-1280").await;
    page.accessible("cards grouped by drag").await;
    page.close().await;
}

#[tokio::test]
async fn a_language_chosen_in_the_header_redraws_the_tiles_in_it() {
    let Some(driver) = driver().await else { return };
    let server = TestServer::start().await;
    let (w, _org, _cards) = plenary(&server).await;
    let fran = server.facilitator(&w, "Fran").await;
    let page = cockpit(&driver, &server, &w, &fran, "en", LAPTOP).await;
    let tile = format!("[data-room='{}']", w.rooms[0]);
    page.wait_text(&format!("{tile} .hint"), "Online: 0 of 1")
        .await;
    page.select("#lang", "es").await;
    // The page's strings and the cockpit's own (loaded after them) both reach the tiles.
    page.wait_text(&format!("{tile} .pill"), "Consolidar").await;
    page.wait_text(&format!("{tile} .hint"), "Conectados: 0 de 1")
        .await;
    page.wait_text(&format!("[data-key='bd-{}']", w.rooms[0]), "Ver el tablero")
        .await;
    page.close().await;
}
