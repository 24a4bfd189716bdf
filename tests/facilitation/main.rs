//! Facilitation over real sockets: rooms created and removed mid-session, assignment
//! strategies, late joiners, everyone back to the lobby, broadcasts, timers on the server's
//! clock, help requests, phases after a reconnect, presence, closing the session and
//! removing participants.

#[path = "../common/mod.rs"]
mod common;
use common::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

mod assignment;
mod attention;
mod closing;
mod rooms;
mod timers;

// ---- Helpers ------------------------------------------------------------------------

const NO_SUCH_ROOM: &str = "00000000-0000-4000-8000-000000000000";
const NO_SUCH_PARTICIPANT: &str = "00000000-0000-4000-8000-000000000001";
const NO_SUCH_REQUEST: &str = "00000000-0000-4000-8000-000000000002";
const COUNTRIES: [&str; 4] = ["AR", "BR", "CL", "MX"];

fn choose(room: &str) -> Value {
    json!({"type": "choose_room", "room": room})
}

/// What this token's holder sees now, from a fresh connection's welcome.
async fn snapshot(server: &TestServer, token: &str) -> Value {
    let c = server.connect(token).await;
    let snap = c.welcome["snapshot"].clone();
    c.close().await;
    snap
}

/// The unasked `snapshot` frame at `seq` (earlier updates are skipped).
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

/// An event the server's clock should produce (timer warnings and endings), within `WAIT`.
async fn clock_event(c: &mut TestClient, ty: &str) -> Value {
    loop {
        let v = c
            .next_update()
            .await
            .unwrap_or_else(|| panic!("the server's clock produced no {ty} event within {WAIT:?}"));
        if v["type"] == "event" && v["event"]["type"] == ty {
            return v;
        }
    }
}

/// Where a participant is in a bare snapshot: `"lobby"` or a room id.
fn place_of(snapshot: &Value, participant: &str) -> String {
    snapshot["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .find(|p| p["id"] == participant)
        .and_then(|p| p["room"].as_str())
        .unwrap_or_else(|| panic!("{participant} not in {snapshot}"))
        .to_string()
}

fn delegates(snapshot: &Value) -> Vec<&Value> {
    snapshot["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .filter(|p| p["role"] == "delegate" && p["removed"] != true)
        .collect()
}

/// Delegates in each room still in use, in room order.
fn delegates_per_room(snapshot: &Value) -> Vec<usize> {
    let people = delegates(snapshot);
    snapshot["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .filter(|r| r["removed"] != true)
        .map(|r| people.iter().filter(|p| p["room"] == r["id"]).count())
        .collect()
}

/// Each delegate's name and the index of their room (`usize::MAX` for the lobby).
fn placement(snapshot: &Value, w: &Workshop) -> BTreeMap<String, usize> {
    delegates(snapshot)
        .into_iter()
        .map(|p| {
            let room = p["room"].as_str().expect("room");
            let index = w.rooms.iter().position(|r| r == room).unwrap_or(usize::MAX);
            (p["name"].as_str().expect("name").to_string(), index)
        })
        .collect()
}

fn sizes_of(placement: &BTreeMap<String, usize>, rooms: usize) -> Vec<usize> {
    (0..rooms)
        .map(|i| placement.values().filter(|r| **r == i).count())
        .collect()
}

/// A fresh workshop with ten delegates in the lobby, assigned `even`: the room sizes.
async fn even_sizes(server: &TestServer) -> Vec<usize> {
    let w = server.workshop().await;
    let (fac, mut f) = staff(server, &w).await;
    for i in 0..10 {
        server
            .delegate(&w, &format!("Delegate {i}"), COUNTRIES[i % 4])
            .await;
    }
    let seq = f
        .ok(json!({"type": "assign_rooms", "strategy": "even"}))
        .await;
    let ev = f.event_of_type("rooms_assigned").await;
    assert_eq!(ev["seq"].as_u64(), Some(seq));
    assert_eq!(ev["event"]["strategy"], "even");
    assert_eq!(ev["event"]["moves"].as_array().expect("moves").len(), 10);
    delegates_per_room(&snapshot(server, &fac.token).await)
}

/// A fresh workshop with eight delegates joined in a fixed order, assigned `random` with
/// `seed`: who went to which room (by index).
async fn random_placement(server: &TestServer, seed: u64) -> BTreeMap<String, usize> {
    let w = server.workshop().await;
    let (fac, mut f) = staff(server, &w).await;
    for i in 1..=8 {
        server
            .delegate(&w, &format!("Delegate {i}"), COUNTRIES[i % 4])
            .await;
    }
    f.ok(json!({"type": "assign_rooms", "strategy": "random", "seed": seed}))
        .await;
    placement(&snapshot(server, &fac.token).await, &w)
}

/// Delegation sizes of the reference workshop, from its fixture.
fn fixture_delegations() -> Vec<usize> {
    let fx: Value =
        serde_json::from_str(include_str!("../../data/going-digital-2020.json")).expect("fixture");
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for p in fx["participants"].as_array().expect("participants") {
        if p["role"] == "delegate" {
            *counts
                .entry(p["country"].as_str().expect("country"))
                .or_default() += 1;
        }
    }
    counts.into_values().collect()
}

/// The smallest max-min spread of room sizes any placement of whole delegations into
/// `rooms` rooms achieves: an exhaustive search over the (sorted) room-size tuples.
fn best_spread(delegations: &[usize], rooms: usize) -> usize {
    let mut states: BTreeSet<Vec<usize>> = BTreeSet::from([vec![0; rooms]]);
    for d in delegations {
        let mut next = BTreeSet::new();
        for s in &states {
            for i in 0..rooms {
                let mut t = s.clone();
                t[i] += d;
                t.sort_unstable();
                next.insert(t);
            }
        }
        states = next;
    }
    states
        .iter()
        .map(|s| s[rooms - 1] - s[0])
        .min()
        .expect("a placement")
}

fn token_after<'a>(lines: &'a [String], label: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.trim_start().starts_with(label))
        .and_then(|l| l.split_whitespace().last())
        .unwrap_or_else(|| panic!("no {label:?} line in {lines:#?}"))
}

/// `POST /api/workshops/{id}/join` whatever the answer.
async fn join_raw(
    server: &TestServer,
    w: &Workshop,
    code: &str,
    name: &str,
    country: &str,
) -> (u16, Value) {
    let mut body = json!({"code": code, "name": name, "language": "es"});
    if !country.is_empty() {
        body["country"] = json!(country);
    }
    server
        .post_json(&format!("/api/workshops/{}/join", w.id), body)
        .await
}

async fn get(server: &TestServer, path: &str, token: &str) -> (u16, Value) {
    let r = server
        .http
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Sends `hello` with `token` on a new socket and returns the close code it gets.
async fn hello_close_code(server: &TestServer, token: &str) -> Option<u16> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let mut socket = TestClient::raw(&server.ws_url()).await;
    socket
        .send(Message::text(
            json!({"type": "hello", "token": token}).to_string(),
        ))
        .await
        .expect("send hello");
    loop {
        match tokio::time::timeout(WAIT, socket.next()).await.ok()?? {
            Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
            Ok(Message::Text(t)) => panic!("expected a close, got {t}"),
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
}

/// Presence waits on the server's clock (a 5 s grace): this is generous.
const PRESENCE_WAIT: Duration = Duration::from_secs(30);

/// Every frame before the presence frame saying `participant` is `online` (consumed).
async fn frames_until_presence(c: &mut TestClient, participant: &str, online: bool) -> Vec<Value> {
    let mut before = Vec::new();
    loop {
        let v = c
            .next_frame_within(PRESENCE_WAIT)
            .await
            .unwrap_or_else(|| panic!("no presence frame about {participant}: {before:?}"));
        if v["type"] == "presence" && v["participant"] == participant && v["online"] == online {
            return before;
        }
        before.push(v);
    }
}

/// The next presence frame about `participant` (frames before it are skipped).
async fn presence_frame(c: &mut TestClient, participant: &str) -> Value {
    loop {
        let v = c
            .next_frame_within(PRESENCE_WAIT)
            .await
            .unwrap_or_else(|| panic!("no presence frame about {participant} in time"));
        if v["type"] == "presence" && v["participant"] == participant {
            return v;
        }
    }
}

/// The `online` flags of the presence frames about `participant`, in order.
fn presence_of(frames: &[Value], participant: &str) -> Vec<bool> {
    frames
        .iter()
        .filter(|v| v["type"] == "presence" && v["participant"] == participant)
        .map(|v| v["online"].as_bool().expect("online"))
        .collect()
}

fn events_of<'a>(frames: &'a [Value], ty: &str) -> Vec<&'a Value> {
    frames
        .iter()
        .filter(|v| v["type"] == "event" && v["event"]["type"] == ty)
        .collect()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("list of ids")
        .iter()
        .map(|v| v.as_str().expect("id").to_string())
        .collect()
}

fn texts(list: &Value) -> Vec<&str> {
    list.as_array()
        .expect("list")
        .iter()
        .map(|v| v["text"].as_str().expect("text"))
        .collect()
}

/// Card texts of a bare snapshot (not a frame).
fn card_texts_of(snapshot: &Value) -> Vec<String> {
    card_texts(&json!({ "snapshot": snapshot }))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64
}

/// `value` lies in `[low, high]`, give or take 5 ms of clock granularity.
fn assert_between(value: i64, low: i64, high: i64) {
    assert!(
        value >= low - 5 && value <= high + 5,
        "{value} not within [{low}, {high}]"
    );
}
