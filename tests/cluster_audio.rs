//! Audio follows the workshop's owner across nodes (issue 20): three real `cabildo`
//! processes on one PostgreSQL database and a Redis of the test's own, all driving one real
//! Janus. Whichever node a participant is connected to, the owner seats them on its Janus
//! room for their place; moves, disconnects and a `kill -9` of the owner re-seat them.
//!
//! Protocol level: the clients are WebSocket clients sending SDP offers, as a page does;
//! who is in which Janus room is what Janus itself reports (`listparticipants`, through
//! `GET /api/workshops/{id}/audio` on the owner). Janus runs on a free port of 127.0.0.1 with
//! ICE on `lo` only (`tests/common/janus.rs`); the offers carry no candidate, so no media
//! flows (what pages hear is `tests/audio.rs`'s matter).
//!
//! Skips only when PostgreSQL, redis-server or Janus is missing and the matching
//! `CABILDO_REQUIRE_*` variable is unset (CI sets all three).

mod cluster_common;
mod common;
#[path = "common/janus.rs"]
mod janus;

use cluster_common::*;
use common::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// Bounds a hang only (no timing is asserted): a takeover takes ~4 s.
const PATIENCE: Duration = Duration::from_secs(30);

/// A browser's audio offer (Opus, DTLS-SRTP, trickle ICE), without candidates.
const OFFER: &str = "v=0\r\n\
o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n\
s=-\r\n\
t=0 0\r\n\
a=group:BUNDLE 0\r\n\
a=msid-semantic: WMS cab\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
c=IN IP4 0.0.0.0\r\n\
a=rtcp:9 IN IP4 0.0.0.0\r\n\
a=ice-ufrag:cAb1\r\n\
a=ice-pwd:cabildotestpasswordforice1\r\n\
a=ice-options:trickle\r\n\
a=fingerprint:sha-256 8C:71:B3:8D:A5:38:FD:8F:A4:2E:A2:65:6C:86:52:BC:E0:6E:94:F2:9F:7C:4D:B5:DF:AF:AA:6F:44:90:8D:F4\r\n\
a=setup:actpass\r\n\
a=mid:0\r\n\
a=sendrecv\r\n\
a=msid:cab mic\r\n\
a=rtcp-mux\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=fmtp:111 minptime=10;useinbandfec=1\r\n\
a=ssrc:1111 cname:cabildo\r\n";

/// A participant's socket used as a page's audio panel does, and every frame it got.
struct Voice {
    id: String,
    c: TestClient,
    seen: Vec<Value>,
}

impl Voice {
    /// Sends `msg` with a fresh id; returns the frame answering it.
    async fn ask(&mut self, mut msg: Value) -> Value {
        let id = self.c.fresh_id();
        msg["id"] = json!(id);
        self.c.send(msg).await;
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            assert!(!left.is_zero(), "{}: no answer to {id}", self.id);
            let Some(frame) = self.c.next_frame_within(left).await else {
                continue;
            };
            if frame["id"] == id.as_str() {
                return frame;
            }
            self.seen.push(frame);
        }
    }

    /// Joins audio; requires Janus's SDP answer.
    async fn join(&mut self) {
        let answer = self.ask(json!({"type": "audio_join", "sdp": OFFER})).await;
        assert_eq!(answer["type"], "audio_answer", "{}: {answer}", self.id);
        assert!(answer["sdp"].as_str().is_some_and(|s| s.starts_with("v=0")));
    }

    /// Reads frames until one (since index `from` of `seen`) matches; returns its index.
    async fn until(&mut self, from: usize, what: &str, pred: impl Fn(&Value) -> bool) -> usize {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        let mut i = from;
        loop {
            while i < self.seen.len() {
                if pred(&self.seen[i]) {
                    return i;
                }
                i += 1;
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            assert!(!left.is_zero(), "{}: never got {what}", self.id);
            if let Some(frame) = self.c.next_frame_within(left).await {
                self.seen.push(frame);
            }
        }
    }
}

/// Who Janus has in each audio room of the workshop, as node `node` reports it.
async fn janus_rooms(node: &TestServer, w: &Workshop) -> Option<BTreeMap<String, Vec<String>>> {
    let r = node
        .http
        .get(node.url(&format!("/api/workshops/{}/audio", w.id)))
        .bearer_auth(&w.organizer_token)
        .send()
        .await
        .ok()?;
    if r.status() != 200 {
        return None;
    }
    let body: Value = r.json().await.ok()?;
    let mut out = BTreeMap::new();
    for room in body["rooms"].as_array()? {
        let mut people: Vec<String> = room["participants"]
            .as_array()?
            .iter()
            .filter_map(|p| p.as_str().map(str::to_string))
            .collect();
        if !people.is_empty() {
            people.sort();
            out.insert(room["room"].as_str()?.to_string(), people);
        }
    }
    Some(out)
}

/// Polls until Janus, as the owner `node` reports it, has exactly `want` (other rooms empty).
async fn until_janus_has(node: &TestServer, w: &Workshop, want: &[(&str, &[&str])]) {
    let want: BTreeMap<String, Vec<String>> = want
        .iter()
        .map(|(room, people)| {
            let mut v: Vec<String> = people.iter().map(|p| p.to_string()).collect();
            v.sort();
            (room.to_string(), v)
        })
        .collect();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let got = janus_rooms(node, w).await;
        if got.as_ref() == Some(&want) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Janus never had {want:?}; last: {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The people a roster frame shows in `room`.
fn in_room(roster: &Value, room: &str) -> Vec<String> {
    let mut people: Vec<String> = roster["rooms"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["room"] == room)
        .flat_map(|r| r["participants"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p["participant"].as_str().map(str::to_string))
        .collect();
    people.sort();
    people
}

/// Everyone seated in any AudioBridge room of the Janus at `url`, as Janus lists them (with
/// the admin key, private rooms included): room id → how many.
async fn janus_seated(url: &str) -> BTreeMap<u64, u64> {
    let http = reqwest::Client::new();
    let post = |path: String, body: Value| {
        let http = http.clone();
        async move {
            let r = http.post(path).json(&body).send().await.expect("Janus");
            r.json::<Value>().await.expect("Janus JSON")
        }
    };
    let created = post(
        url.to_string(),
        json!({"janus": "create", "transaction": "c"}),
    )
    .await;
    let session = created["data"]["id"].as_u64().expect("a session");
    let attach =
        json!({"janus": "attach", "plugin": "janus.plugin.audiobridge", "transaction": "a"});
    let attached = post(format!("{url}/{session}"), attach).await;
    let handle = attached["data"]["id"].as_u64().expect("a handle");
    let list = json!({"janus": "message", "transaction": "l",
        "body": {"request": "list", "admin_key": janus::ADMIN_KEY}});
    let listed = post(format!("{url}/{session}/{handle}"), list).await;
    let rooms = listed["plugindata"]["data"]["list"]
        .as_array()
        .unwrap_or_else(|| panic!("a room list: {listed}"))
        .iter()
        .map(|r| {
            let id = r["room"].as_u64().expect("room id");
            (id, r["num_participants"].as_u64().expect("count"))
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    let _ = post(
        format!("{url}/{session}"),
        json!({"janus": "destroy", "transaction": "d"}),
    )
    .await;
    rooms
}

async fn takeovers(node: &TestServer) -> f64 {
    scrape(node)
        .await
        .get("cabildo_workshop_takeovers_total")
        .copied()
        .unwrap_or(0.0)
}

#[tokio::test]
async fn audio_is_seated_by_the_owner_whichever_node_and_after_the_owner_dies() {
    if !janus::janus_or_skip() {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let janus = janus::Janus::start_on(port).await;
    let url = janus.url();
    let flags = ["--janus-url", &url, "--janus-admin-key", janus::ADMIN_KEY];
    let Some((_db, _redis, mut nodes)) = cluster_with(3, &flags).await else {
        eprintln!("skipped: needs PostgreSQL and redis-server");
        return;
    };
    // Node 0 creates the workshop, so it owns it; the facilitator is on node 1.
    let w = nodes[0].workshop().await;
    let (room1, room2) = (w.rooms[0].clone(), w.rooms[1].clone());
    let (_fac, mut f) = staff(&nodes[1], &w).await;
    // One delegate in room 1 on each node, and a fourth on node 2.
    let mut voices = Vec::new();
    for (i, node) in [0, 1, 2, 2].into_iter().enumerate() {
        let name = format!("Voice {i}");
        let (m, c) = seated(&nodes[node], &w, &mut f, &name, "AR", &room1).await;
        voices.push(Voice {
            id: m.id,
            c,
            seen: Vec::new(),
        });
    }
    let ids: Vec<String> = voices.iter().map(|v| v.id.clone()).collect();
    for v in &mut voices {
        let ack = v.ask(json!({"type": "audio_watch"})).await;
        assert_eq!(ack["type"], "ack", "{ack}");
        v.join().await;
    }
    // Everyone is in the same Janus room, the owner's, whichever node they are on.
    let all: Vec<&str> = ids.iter().map(String::as_str).collect();
    until_janus_has(&nodes[0], &w, &[(&room1, &all)]).await;
    for node in &nodes[1..] {
        // A follower seats nobody on its own Janus rooms.
        assert_eq!(janus_rooms(node, &w).await, Some(BTreeMap::new()));
    }
    // A page on a follower sees the owner's roster: all four in its room.
    let mut want = ids.clone();
    want.sort();
    voices[2]
        .until(0, "a roster of all four", |r| {
            r["type"] == "audio_roster" && in_room(r, &room1) == want
        })
        .await;

    // A disconnect on a follower takes the participant out of the owner's room.
    let gone = voices.pop().expect("voice 3");
    gone.c.close().await;
    let three = [ids[0].as_str(), ids[1].as_str(), ids[2].as_str()];
    until_janus_has(&nodes[0], &w, &[(&room1, &three)]).await;

    // A move of a participant on a follower re-seats them in the owner's room 2.
    let mark = voices[2].seen.len();
    f.ok(move_to(&ids[2], &room2)).await;
    until_janus_has(
        &nodes[0],
        &w,
        &[(&room1, &three[..2]), (&room2, &three[2..])],
    )
    .await;
    voices[2]
        .until(mark, "its roster in room 2", |r| {
            r["type"] == "audio_roster" && r["joined"] == room2.as_str()
        })
        .await;

    // The owner dies. The pages on the survivors are told their audio ended (reason
    // `unavailable`), then that audio is available again, on which a page rejoins.
    let marks: Vec<usize> = voices.iter().map(|v| v.seen.len()).collect();
    nodes[0].kill().await;
    for (v, mark) in voices.iter_mut().zip(marks).skip(1) {
        let ended = v
            .until(mark, "audio_ended", |f| f["type"] == "audio_ended")
            .await;
        assert_eq!(v.seen[ended]["reason"], "unavailable");
        let down = v
            .until(ended, "audio unavailable", |f| {
                f["type"] == "audio_roster" && f["available"] == false
            })
            .await;
        v.until(down, "audio available again", |f| {
            f["type"] == "audio_roster" && f["available"] == true
        })
        .await;
        v.join().await;
    }
    // The new owner (node 1 or 2) seats them on its Janus rooms.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let owner = loop {
        let mut found = None;
        for i in [1, 2] {
            if takeovers(&nodes[i]).await == 1.0 {
                found = Some(i);
            }
        }
        if let Some(i) = found {
            break i;
        }
        assert!(tokio::time::Instant::now() < deadline, "nobody took over");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    until_janus_has(
        &nodes[owner],
        &w,
        &[(&room1, &three[1..2]), (&room2, &three[2..])],
    )
    .await;
    let other = 3 - owner;
    assert_eq!(janus_rooms(&nodes[other], &w).await, Some(BTreeMap::new()));
    // Nobody is left seated in the dead owner's rooms: Janus seats exactly the two people
    // the new owner seated, in two rooms (the dead owner's handles would stay until its
    // Janus session expired, 60 s here, had its rooms not been destroyed).
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let seated = janus_seated(&url).await;
        if seated.values().copied().collect::<Vec<_>>() == [1, 1] {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Janus still seats {seated:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // And it keeps following moves: back to room 1 together.
    f.ok(move_to(&ids[2], &room1)).await;
    until_janus_has(&nodes[owner], &w, &[(&room1, &three[1..])]).await;
    drop(janus);
}
