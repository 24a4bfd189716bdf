//! The session's history in the JSON record (issue 22): a workshop driven over the real
//! WebSocket — moves, broadcasts, a help request acknowledged and resolved, timers started,
//! extended, paused, resumed, cancelled and run out, rooms closed and reopened, a delegate
//! removed, the workshop closed and reopened — exports every step with its time and actor,
//! and `cabildo import` then `cabildo export` give the same record, byte for byte. An older
//! record without a history still imports.

mod common;
#[path = "export/support.rs"]
#[allow(dead_code)]
mod support;

use common::*;
use serde_json::{json, Value};

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The next event of type `ty` that `c` receives, however long the server's clock takes
/// (within the client's usual wait).
async fn event(c: &mut TestClient, ty: &str) -> Value {
    loop {
        let v = c
            .next_update()
            .await
            .unwrap_or_else(|| panic!("no {ty} event"));
        if v["type"] == "event" && v["event"]["type"] == ty {
            return v;
        }
    }
}

async fn export_json(server: &TestServer, w: &Workshop) -> Vec<u8> {
    let r = server
        .http
        .get(server.url(&format!("/api/workshops/{}/export?format=json", w.id)))
        .bearer_auth(&w.organizer_token)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 200);
    r.bytes().await.expect("body").to_vec()
}

/// Imports `record` into a fresh database and exports it again, offline.
async fn import_and_export(record: &[u8], id: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("record.json");
    std::fs::write(&file, record).expect("written");
    let db = dir.path().join("imported.db");
    let (ok, out, err) = cabildo(&["import", "--db", path(&db), "--file", path(&file)]).await;
    assert!(ok, "{out}{err}");
    let again = dir.path().join("again.json");
    let (ok, out, err) = cabildo(&[
        "export",
        "--db",
        path(&db),
        "--workshop",
        id,
        "--format",
        "json",
        "--out",
        path(&again),
    ])
    .await;
    assert!(ok, "{out}{err}");
    std::fs::read(&again).expect("exported")
}

#[tokio::test]
async fn a_session_driven_over_the_websocket_exports_its_history_and_round_trips() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let before = now_ms();
    let (fac, mut f) = staff(&server, &w).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let (bob, mut b) = seated(&server, &w, &mut f, "Bob", "BR", &w.rooms[1]).await;
    let cy = server.delegate(&w, "Cy", "CL").await;
    f.ok(move_to(&cy.id, &w.rooms[0])).await;
    a.ok(post_card(&w.rooms[0], "strengths", "Open data by default"))
        .await;

    f.ok(json!({"type": "broadcast", "text": "Welcome all"}))
        .await;
    f.ok(json!({"type": "broadcast", "text": "Room 1 only", "room": w.rooms[0]}))
        .await;
    a.ok(json!({"type": "request_help", "text": "Our board froze"}))
        .await;
    let request = f.event_of_type("help_requested").await["event"]["request"]
        .as_str()
        .expect("request")
        .to_string();
    f.ok(json!({"type": "acknowledge_help", "request": request}))
        .await;
    f.ok(json!({"type": "resolve_help", "request": request}))
        .await;

    let room = &w.rooms[0];
    f.ok(json!({"type": "start_timer", "room": room, "seconds": 600}))
        .await;
    f.ok(json!({"type": "extend_timer", "room": room, "seconds": 60}))
        .await;
    f.ok(json!({"type": "pause_timer", "room": room})).await;
    f.ok(json!({"type": "resume_timer", "room": room})).await;
    f.ok(json!({"type": "cancel_timer", "room": room})).await;
    // A short timer in the other room runs out on the server's clock.
    f.ok(json!({"type": "start_timer", "room": w.rooms[1], "seconds": 1, "warnings": []}))
        .await;
    event(&mut b, "timer_ended").await;

    f.ok(move_to(&bob.id, &w.rooms[0])).await;
    f.ok(json!({"type": "close_room", "room": w.rooms[1]}))
        .await;
    f.ok(json!({"type": "open_room", "room": w.rooms[1]})).await;
    f.ok(json!({"type": "close_room", "room": w.rooms[1]}))
        .await;
    f.ok(json!({"type": "remove_participant", "participant": cy.id}))
        .await;
    f.ok(json!({"type": "close_workshop"})).await;
    f.ok(json!({"type": "reopen_workshop"})).await;
    f.ok(json!({"type": "close_workshop"})).await;
    let after = now_ms();

    let rest = export_json(&server, &w).await;
    let record: Value = serde_json::from_slice(&rest).expect("json");
    assert_eq!(record["workshop"]["status"], "final");
    let history = record["history"].as_array().expect("a history");
    let types: Vec<&str> = history
        .iter()
        .map(|h| h["event"]["type"].as_str().expect("type"))
        .filter(|t| *t != "timer_warning")
        .collect();
    assert_eq!(
        types,
        [
            "participant_moved",
            "participant_moved",
            "participant_moved",
            "broadcast_sent",
            "broadcast_sent",
            "help_requested",
            "help_acknowledged",
            "help_resolved",
            "timer_started",
            "timer_extended",
            "timer_paused",
            "timer_resumed",
            "timer_cancelled",
            "timer_started",
            "timer_ended",
            "participant_moved",
            "room_closed",
            "room_opened",
            "room_closed",
            "participant_removed",
            "workshop_closed",
            "workshop_reopened",
            "workshop_closed",
        ]
    );
    let mut last = before;
    for h in history {
        let at = h["at"].as_i64().expect("at");
        assert!(at >= last && at <= after, "{h}");
        last = at;
    }
    let by = |ty: &str| -> Vec<Value> {
        history
            .iter()
            .filter(|h| h["event"]["type"] == ty)
            .map(|h| h["by"].clone())
            .collect()
    };
    assert_eq!(by("broadcast_sent"), [json!(fac.id), json!(fac.id)]);
    assert_eq!(by("help_requested"), [json!(ana.id)]);
    assert_eq!(by("help_resolved"), [json!(fac.id)]);
    assert_eq!(by("timer_ended"), [Value::Null], "the server's clock");
    let broadcast = history
        .iter()
        .find(|h| h["event"]["text"] == "Room 1 only")
        .expect("broadcast");
    assert_eq!(broadcast["event"]["room"], room.as_str());
    assert_eq!(broadcast["event"]["by"], fac.id.as_str());
    assert_eq!(broadcast["event"]["at"], broadcast["at"]);
    assert!(!String::from_utf8_lossy(&rest).contains(&ana.token));

    // Imported into a fresh database and exported again: the same record, history and
    // all (times and actors included).
    let again = import_and_export(&rest, &w.id).await;
    assert_eq!(
        String::from_utf8_lossy(&again),
        String::from_utf8_lossy(&rest)
    );
}

#[tokio::test]
async fn a_record_without_a_history_still_imports() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let (_ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[1]).await;
    a.ok(post_card(&w.rooms[1], "problems", "Silos")).await;
    f.ok(json!({"type": "close_room", "room": w.rooms[1]}))
        .await;
    f.ok(json!({"type": "close_workshop"})).await;
    let rest = export_json(&server, &w).await;
    let mut old: Value = serde_json::from_slice(&rest).expect("json");
    old.as_object_mut()
        .expect("record")
        .remove("history")
        .expect("a history to take out");
    let old = serde_json::to_vec_pretty(&old).expect("json");

    // The old file rebuilds the same workshop; its new log has a history of its own (the
    // import placing Ana, closing the room and the workshop), at the time of the import.
    let again: Value = serde_json::from_slice(&import_and_export(&old, &w.id).await).expect("json");
    let mut without: Value = again.clone();
    without.as_object_mut().expect("record").remove("history");
    assert_eq!(serde_json::to_vec_pretty(&without).expect("json"), old);
    let types: Vec<&str> = again["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["event"]["type"].as_str().expect("type"))
        .collect();
    assert_eq!(
        types,
        ["participant_moved", "room_closed", "workshop_closed"]
    );
}

#[tokio::test]
async fn the_reference_workshop_round_trips_with_its_history() {
    // The demo's placements (the fixture's rooms) are its history; tests/export/ checks
    // the byte-for-byte round trip of this same record through the server as well.
    let d = support::demo().await;
    let rest = d.export("json").await;
    let record: Value = serde_json::from_slice(&rest).expect("json");
    let history = record["history"].as_array().expect("a history");
    let placed = record["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .filter(|p| p["room"] != "lobby")
        .count();
    let moves: usize = history
        .iter()
        .map(|h| match h["event"]["type"].as_str() {
            Some("participant_moved") => 1,
            Some("rooms_assigned") => h["event"]["moves"].as_array().map_or(0, Vec::len),
            _ => 0,
        })
        .sum();
    assert!(
        placed > 50 && moves >= placed,
        "{moves} moves for {placed} placed"
    );
    let again = import_and_export(&rest, &d.id).await;
    assert_eq!(
        String::from_utf8_lossy(&again),
        String::from_utf8_lossy(&rest)
    );
}
