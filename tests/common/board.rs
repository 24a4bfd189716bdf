//! Helpers of the delegate-board browser tests: a workshop with a delegate placed in a
//! room, her board opened as if she had just joined, cards posted by the organizer.

use super::browser::Page;
use super::common::*;
use serde_json::{json, Value};

/// Opens the delegate page of `m` as if they had just joined in `lang`.
pub async fn board_of(page: &Page, server: &TestServer, w: &Workshop, m: &Member, lang: &str) {
    page.goto(&server.url("/")).await;
    page.js(
        "localStorage.setItem(`cabildo.session.${arguments[0]}`, JSON.stringify({workshop: arguments[0], \
         token: arguments[1], participant: arguments[2], role: 'delegate', language: arguments[3]})); \
         localStorage.setItem('cabildo.last', arguments[0]); return true;",
        vec![json!(w.id), json!(m.token), json!(m.id), json!(lang)],
    )
    .await;
    page.goto(&server.url(&format!("/delegate?w={}&lang={lang}", w.id)))
        .await;
    saved(page).await;
}

/// Waits until the page's connection is up and its outbox empty.
pub async fn saved(page: &Page) {
    page.until(
        "status saved",
        "return document.querySelector('#status').dataset.state === 'saved';",
        vec![],
    )
    .await;
}

/// A server, a workshop made of `settings`, its organizer's connection, and Ana (a
/// delegate) placed in the first room.
pub async fn room_with(settings: Value) -> (TestServer, Workshop, TestClient, Member) {
    let server = TestServer::start().await;
    let w = server.create_workshop(settings).await;
    let mut org = server.connect(&w.organizer_token).await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    org.ok(json!({"type": "move_participant", "participant": ana.id, "room": w.rooms[0]}))
        .await;
    (server, w, org, ana)
}

/// Posts a card from the organizer's connection.
pub async fn posted(org: &mut TestClient, room: &str, text: &str) {
    org.ok(json!({"type": "post_card", "room": room, "column": "strengths", "text": text}))
        .await;
}
