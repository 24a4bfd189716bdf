//! The agenda over real WebSockets: staff set it and run through it, "next segment" moves
//! people, sets the phase, starts the timers and broadcasts as one stored step (a kill -9
//! in the middle of its commit leaves none of it; after the ack all of it survives a
//! restart), delegates see it but cannot drive it, bad input gets stable codes and
//! concurrent edits a `conflict` with the current version.

#[path = "../common/mod.rs"]
mod common;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

mod editing;
mod records;
mod running;
mod templates;

fn segments() -> Value {
    json!([
        {"title": "Welcome", "where": "plenary", "minutes": 15, "message": "Welcome, everyone"},
        {"title": "Breakout: brainstorm", "where": "rooms", "phase": "brainstorm",
         "hidden": true, "minutes": 10, "message": "To your rooms"},
        {"title": "Report-back", "where": "plenary"}
    ])
}

/// A workshop with a facilitator, Ana in room 0 and Bruno in room 1, and the agenda set
/// (version 1).
async fn running(server: &TestServer) -> (Workshop, TestClient, Member, Member) {
    let w = server.workshop().await;
    let (_fac, mut f) = staff(server, &w).await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let bruno = server.delegate(&w, "Bruno", "BR").await;
    f.ok(json!({"type": "move_participant", "participant": ana.id, "room": w.rooms[0]}))
        .await;
    f.ok(json!({"type": "move_participant", "participant": bruno.id, "room": w.rooms[1]}))
        .await;
    f.ok(json!({"type": "set_agenda", "version": 0, "segments": segments()}))
        .await;
    (w, f, ana, bruno)
}

fn agenda(welcome: &Value) -> &Value {
    &welcome["snapshot"]["agenda"]
}

fn seq(frame: &Value) -> u64 {
    frame["seq"]
        .as_u64()
        .unwrap_or_else(|| panic!("seq in {frame}"))
}

async fn call(
    server: &TestServer,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = server.http.request(method, server.url(path));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// `cabildo import` of `record` into a stopped server's database fails: what it said.
async fn import_refused(record: &Value) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("record.json");
    std::fs::write(&file, record.to_string()).expect("written");
    let mut other = TestServer::start().await;
    assert!(other.terminate().await.success());
    let db = other.db_path();
    let (ok, out, err) = cabildo(&["import", "--db", path(&db), "--file", path(&file)]).await;
    assert!(!ok, "{out}{err}");
    err
}

/// The JSON record of workshop `id`, as its export endpoint serves it.
async fn export(server: &TestServer, id: &str, token: &str) -> Vec<u8> {
    let url = server.url(&format!("/api/workshops/{id}/export?format=json"));
    let r = server
        .http
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    r.bytes().await.expect("body").to_vec()
}

/// Where each participant of the workshop is, as the organizer's snapshot says.
async fn rooms_of(server: &TestServer, token: &str) -> std::collections::BTreeMap<String, Value> {
    let o = server.connect(token).await;
    o.welcome["snapshot"]["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap_or("").to_string(),
                p["room"].clone(),
            )
        })
        .collect()
}

/// `name` as one percent-encoded path segment.
fn segment(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

const REFERENCE: &str = "Going Digital 2020 (reference workshop)";
