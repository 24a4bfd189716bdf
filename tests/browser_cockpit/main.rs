//! The facilitator's cockpit, the projector view and the HTML export in real headless
//! Chromium against the real server (and the projector's REST endpoint on its own).
//! Every page state is screenshot into `target/screenshots/` at 1280 and 320 CSS px, and
//! checked with axe-core (WCAG 2.x A/AA, `Page::accessible` in tests/common/browser.rs).

#[path = "../common/browser.rs"]
mod browser;
#[path = "../common/mod.rs"]
mod common;

use browser::{driver, Page};
use common::*;
use serde_json::{json, Value};

mod cockpit;
mod live;
mod projector;

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

/// The export's words for a delegate who moved, per language.
fn moved_from(lang: &str) -> &'static str {
    match lang {
        "es" => "Ana (vino de Room 1)",
        "pt" => "Ana (veio de Room 1)",
        _ => "Ana (moved from Room 1)",
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
