//! The web client in real headless Chromium against the real server: joining by link,
//! live boards, moves, the offline outbox, text rendered as text, conclusions, and the
//! organizer's page. Screenshots of each main page go to `target/screenshots/`.

#[path = "../common/browser.rs"]
mod browser;
#[path = "../common/mod.rs"]
mod common;

use browser::{driver, Page};
use common::*;
use serde_json::{json, Value};

mod delegate;
mod facilitator;
mod grouping;
mod organizer;
mod phone;

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
    card_texts(snapshot).iter().filter(|t| *t == text).count()
}

/// A fresh staff connection's snapshot (what the server holds now).
async fn server_snapshot(server: &TestServer, w: &Workshop) -> Value {
    server.connect(&w.organizer_token).await.welcome["snapshot"].clone()
}

/// The key (`data-key`) of the element that has the keyboard focus.
async fn focused(page: &Page) -> Value {
    page.js(
        "return document.activeElement && document.activeElement.dataset.key;",
        vec![],
    )
    .await
}

/// Posts each `(room, text)` to the "problems" column as `staff`; returns the card ids.
async fn cards_posted(staff: &mut TestClient, cards: &[(&str, &str)]) -> Vec<String> {
    let mut ids = Vec::new();
    for (room, text) in cards {
        staff.ok(post_card(room, "problems", text)).await;
        let posted = staff.event_of_type("card_posted").await;
        ids.push(posted["event"]["card"].as_str().expect("card").to_string());
    }
    ids
}

/// Puts each card alone in a new group named as given, as `staff`; returns the group ids.
async fn groups_made(staff: &mut TestClient, groups: &[(&str, &str)]) -> Vec<String> {
    let mut ids = Vec::new();
    for (card, name) in groups {
        staff
            .ok(json!({"type": "group_cards", "cards": [card], "name": name}))
            .await;
        let created = staff.event_of_type("group_created").await;
        ids.push(
            created["event"]["group"]
                .as_str()
                .expect("group")
                .to_string(),
        );
    }
    ids
}

/// A workshop that lets delegates group, its organizer's connection, and the page of Ana,
/// who joined in `lang` and sits in Room 1; with her id.
async fn grouping_delegate(
    driver: &browser::Driver,
    server: &TestServer,
    (width, height): (u32, u32),
    lang: &str,
) -> (Workshop, TestClient, Page, String) {
    let w = server
        .create_workshop(json!({"title": "Going Digital", "delegates_can_group": true}))
        .await;
    let mut org = server.connect(&w.organizer_token).await;
    let ana = driver.page(width, height).await;
    join_by_link(&ana, server, &w.delegate_code, "Ana", Some("AR"), lang).await;
    let ana_id = participant_id(&mut org, "Ana").await;
    org.ok(move_to(&ana_id, &w.rooms[0])).await;
    (w, org, ana, ana_id)
}

/// A window with the organizer's session stored as the organizer page stores it, open on
/// `page` (`organizer` or `facilitator`) of the workshop.
async fn as_organizer(
    driver: &browser::Driver,
    server: &TestServer,
    w: &Workshop,
    page: &str,
    (width, height): (u32, u32),
) -> Page {
    let window = driver.page(width, height).await;
    window.goto(&server.url("/")).await;
    let session = json!({
        "workshop": w.id, "token": w.organizer_token, "participant": w.json["organizer_id"],
        "role": "organizer", "language": "en", "title": "Going Digital",
        "delegate_code": w.delegate_code, "facilitator_code": w.facilitator_code,
    });
    window
        .js(
            "localStorage.setItem(`cabildo.session.${arguments[0]}`, arguments[1]); return true;",
            vec![json!(w.id), json!(session.to_string())],
        )
        .await;
    window
        .goto(&server.url(&format!("/{page}?w={}", w.id)))
        .await;
    window
}

/// The narrowest phone the pages support.
const NARROW: (u32, u32) = (320, 740);

/// A chromedriver (`None`: skip the test), a server, a workshop with four rooms, and its
/// organizer's connection.
async fn started() -> Option<(browser::Driver, TestServer, Workshop, TestClient)> {
    let driver = driver().await?;
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let org = server.connect(&w.organizer_token).await;
    Some((driver, server, w, org))
}

/// The options a `<select>` offers now, as values.
async fn offered(page: &Page, css: &str) -> Value {
    page.js(
        "return [...document.querySelectorAll(arguments[0] + ' option')].map((o) => o.value);",
        vec![json!(css)],
    )
    .await
}
