//! Boards over real sockets: phases, dot voting, secret votes, hidden brainstorms, grouping,
//! theme tags and moderation with its audit trail.

#[path = "../common/mod.rs"]
mod common;
use common::*;
use serde_json::{json, Value};

mod grouping;
mod moderation;
mod phases;
mod voting;

// ---- Helpers ------------------------------------------------------------------------

const NO_SUCH_ROOM: &str = "00000000-0000-4000-8000-000000000000";

/// Posts a card; returns its id (from the poster's own `card_posted`).
async fn post(c: &mut TestClient, room: &str, column: &str, text: &str) -> String {
    let seq = c.ok(post_card(room, column, text)).await;
    created(c, "card_posted", "card", seq).await
}

/// Groups cards (as `c`); returns the new group's id.
async fn group_of(c: &mut TestClient, cards: &[&str], name: &str) -> String {
    let seq = c.ok(group(cards, name)).await;
    created(c, "group_created", "group", seq).await
}

/// The id in field `field` of the `ty` event with this `seq`.
async fn created(c: &mut TestClient, ty: &str, field: &str, seq: u64) -> String {
    loop {
        let ev = c.event_of_type(ty).await;
        if ev["seq"].as_u64() == Some(seq) {
            return ev["event"][field].as_str().expect("id").to_string();
        }
    }
}

/// Sets one room's phase; returns the ack's seq.
async fn set_phase(f: &mut TestClient, room: &str, phase: &str) -> u64 {
    f.ok(json!({"type": "set_phase", "room": room, "phase": phase}))
        .await
}

fn vote(card: &str) -> Value {
    json!({"type": "vote", "card": card})
}

fn unvote(card: &str) -> Value {
    json!({"type": "unvote", "card": card})
}

fn edit(card: &str, text: &str) -> Value {
    json!({"type": "edit_card", "card": card, "text": text})
}

fn tag(card: &str, theme: &str) -> Value {
    json!({"type": "tag_card", "card": card, "theme": theme})
}

fn group(cards: &[&str], name: &str) -> Value {
    json!({"type": "group_cards", "cards": cards, "name": name})
}

/// Sends one vote per id without waiting, alternating between two cards.
async fn send_votes(tab: &mut TestClient, ids: &[String], first: &str, second: &str) {
    for (n, id) in ids.iter().enumerate() {
        let card = if n % 2 == 0 { first } else { second };
        tab.send(json!({"type": "vote", "card": card, "id": id}))
            .await;
    }
}

/// What this token's holder sees now, from a fresh connection's welcome.
async fn snapshot(server: &TestServer, token: &str) -> Value {
    let c = server.connect(token).await;
    let snap = c.welcome["snapshot"].clone();
    c.close().await;
    snap
}

/// The unasked `snapshot` frame at `seq` (earlier ones are skipped).
async fn snapshot_at(c: &mut TestClient, seq: u64) -> Value {
    loop {
        let v = c
            .next_update()
            .await
            .unwrap_or_else(|| panic!("no snapshot at seq {seq}"));
        if v["type"] == "snapshot" && v["seq"].as_u64() == Some(seq) {
            return v;
        }
    }
}

fn card<'a>(snapshot: &'a Value, id: &str) -> &'a Value {
    snapshot["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("card {id} not in {snapshot}"))
}

fn group_view<'a>(snapshot: &'a Value, id: &str) -> &'a Value {
    snapshot["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["id"] == id)
        .unwrap_or_else(|| panic!("group {id} not in {snapshot}"))
}

fn phases(snapshot: &Value) -> Vec<String> {
    snapshot["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .map(|r| r["phase"].as_str().expect("phase").to_string())
        .collect()
}

/// Card texts of a bare snapshot (not a frame).
fn card_texts_of(snapshot: &Value) -> Vec<String> {
    card_texts(&json!({ "snapshot": snapshot }))
}

/// A workshop where delegates may group, with Ana and Bob in room 1 in a hidden brainstorm.
struct HiddenRoom {
    server: TestServer,
    room: String,
    fac: Member,
    ana: Member,
    a: TestClient,
    b: TestClient,
    f: TestClient,
}

impl HiddenRoom {
    async fn start() -> HiddenRoom {
        let server = TestServer::start().await;
        let w = server
            .create_workshop(json!({"title": "Hidden groups", "delegates_can_group": true}))
            .await;
        let (fac, mut f) = staff(&server, &w).await;
        let (ana, a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
        let (_bob, b) = seated(&server, &w, &mut f, "Bob", "BR", &w.rooms[0]).await;
        let room = w.rooms[0].clone();
        f.ok(json!({"type": "set_phase", "room": room, "phase": "brainstorm", "hidden": true}))
            .await;
        HiddenRoom {
            server,
            room,
            fac,
            ana,
            a,
            b,
            f,
        }
    }
}

/// Every group a card of this snapshot belongs to is listed in its `groups`.
fn assert_no_dangling_groups(snapshot: &Value) {
    for c in snapshot["cards"].as_array().expect("cards") {
        if let Some(g) = c["group"].as_str() {
            assert!(
                snapshot["groups"]
                    .as_array()
                    .expect("groups")
                    .iter()
                    .any(|x| x["id"] == g),
                "card {} is in group {g}, which this viewer does not see: {snapshot}",
                c["text"]
            );
        }
    }
}

fn events_of<'a>(frames: &'a [Value], ty: &str) -> Vec<&'a Value> {
    frames
        .iter()
        .filter(|v| v["type"] == "event" && v["event"]["type"] == ty)
        .collect()
}
