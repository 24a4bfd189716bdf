//! A follower's closes come after its last answers (issue 20), as on a single node: a
//! connection on a follower node whose commands are still on their way to the owner is
//! closed only once the owner answered them (bounded by 5 s, `CLOSE_WAIT`), whether a
//! facilitator removes the participant or the node shuts down. (A close the client starts
//! is not one of these: once the server has read it, WebSocket lets it send nothing more
//! than its own close, on one node as on several.)
//!
//! Three real `cabildo` processes on one PostgreSQL database and a Redis of the test's own;
//! skipped only when PostgreSQL or redis-server is missing and `CABILDO_REQUIRE_POSTGRES` /
//! `CABILDO_REQUIRE_REDIS` is unset (CI sets both).

mod cluster_common;
mod common;

use cluster_common::*;
use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use tokio_tungstenite::tungstenite::Message;

/// Commands a client sends without waiting before it is closed.
const BURST: usize = 30;

/// A raw socket on `node` for `token`, past its welcome.
async fn open(node: &TestServer, token: &str) -> Socket {
    let mut ws = TestClient::raw(&node.ws_url()).await;
    raw_hello(&mut ws, token).await;
    let welcome = raw_json(&mut ws).await.expect("welcome");
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    ws
}

/// Sends `BURST` posts without waiting; returns their ids.
async fn burst(ws: &mut Socket, room: &str, who: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for n in 0..BURST {
        let id = format!("{who}-{n}");
        let mut cmd = post_card(room, "strengths", &format!("{who} post {n}"));
        cmd["id"] = json!(id);
        ws.send(Message::text(cmd.to_string()))
            .await
            .expect("send a command");
        ids.insert(id);
    }
    ids
}

/// Reads until the server's close frame: the answer (`ack` or `error`) of every command by
/// id, and the close code (`None` when the socket ended without a close frame).
async fn answers_until_close(ws: &mut Socket) -> (BTreeMap<String, Value>, Option<u16>) {
    let mut answers = BTreeMap::new();
    loop {
        let next = tokio::time::timeout(WAIT, ws.next()).await;
        let Ok(Some(Ok(message))) = next else {
            return (answers, None);
        };
        match message {
            Message::Text(t) => {
                let v: Value = serde_json::from_str(&t).expect("JSON");
                if v["type"] == "ack" || v["type"] == "error" {
                    if let Some(id) = v["id"].as_str() {
                        answers.insert(id.to_string(), v);
                    }
                }
            }
            Message::Close(frame) => return (answers, frame.map(|f| u16::from(f.code))),
            _ => {}
        }
    }
}

fn unanswered(sent: &BTreeSet<String>, answers: &BTreeMap<String, Value>) -> Vec<String> {
    sent.iter()
        .filter(|id| !answers.contains_key(*id))
        .cloned()
        .collect()
}

async fn forwarded(node: &TestServer) -> f64 {
    value(&scrape(node).await, "cabildo_forwarded_commands_total")
}

/// Waits until `node` forwarded `count` commands in all: they were read and are on their
/// way to the owner (which cannot answer them while the test holds the write lock).
async fn forwarded_reaches(node: &TestServer, count: f64) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while forwarded(node).await < count {
        assert!(tokio::time::Instant::now() < deadline, "never forwarded");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_follower_answers_every_forwarded_command_before_its_close_frame() {
    let Some((db, _redis, mut nodes)) = cluster(3).await else {
        eprintln!("skipped: needs PostgreSQL and redis-server");
        return;
    };
    // Node 0 creates the workshop, so it owns it; nodes 1 and 2 forward to it.
    let w = nodes[0].workshop().await;
    let room = w.rooms[0].clone();
    let (_fac, mut f) = staff(&nodes[0], &w).await;
    let mut members = Vec::new();
    for (node, name) in [(1, "Removed"), (2, "Stopped")] {
        let m = nodes[node].delegate(&w, name, "AR").await;
        f.ok(move_to(&m.id, &room)).await;
        members.push(m);
    }

    // A facilitator on the owner removes a delegate on node 1 whose burst waits for the
    // owner (the test holds the database's write lock): once the lock goes, the owner
    // commits the posts and the removal, and node 1 learns of the removal and gets the
    // answers through separate messages. Every post is answered (acked before the removal,
    // refused after it) before the close frame 4003.
    let mut ws = open(&nodes[1], &members[0].token).await;
    let lock = db.hold_writes().await;
    let before = forwarded(&nodes[1]).await;
    let sent = burst(&mut ws, &room, "removed").await;
    forwarded_reaches(&nodes[1], before + BURST as f64).await;
    let remove = json!({"type": "remove_participant", "participant": members[0].id, "id": "rm"});
    f.send(remove).await;
    lock.release().await;
    assert_eq!(f.answer_to(&json!("rm")).await["type"], "ack");
    let (answers, code) = answers_until_close(&mut ws).await;
    assert_eq!(code, Some(4003));
    assert_eq!(unanswered(&sent, &answers), Vec::<String>::new());

    // Node 2 shuts down (SIGTERM) while its delegate's burst waits for the owner; the lock
    // goes only once node 2 refuses new connections (its shutdown began). Every post is
    // acked before the close frame 4012.
    let mut ws = open(&nodes[2], &members[1].token).await;
    let lock = db.hold_writes().await;
    let before = forwarded(&nodes[2]).await;
    let sent = burst(&mut ws, &room, "stopped").await;
    forwarded_reaches(&nodes[2], before + BURST as f64).await;
    nodes[2].sigterm();
    let deadline = tokio::time::Instant::now() + WAIT;
    while nodes[2]
        .http
        .get(nodes[2].url("/healthz"))
        .send()
        .await
        .is_ok()
    {
        assert!(tokio::time::Instant::now() < deadline, "still accepting");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    lock.release().await;
    let (answers, code) = answers_until_close(&mut ws).await;
    assert_eq!(code, Some(4012));
    assert_eq!(unanswered(&sent, &answers), Vec::<String>::new());
    assert!(answers.values().all(|a| a["type"] == "ack"), "{answers:?}");
    assert!(nodes[2].wait_exit().await.success());

    // Every acked post is in the owner's log once: the facilitator sees them all.
    let last = f.ok(json!({"type": "broadcast", "text": "after"})).await;
    let events = f.through_seq(last).await;
    let posts: Vec<&str> = events
        .iter()
        .filter(|e| e["event"]["type"] == "card_posted")
        .filter_map(|e| e["event"]["text"].as_str())
        .collect();
    let distinct: BTreeSet<&str> = posts.iter().copied().collect();
    assert_eq!(distinct.len(), posts.len(), "a post stored twice");
    for n in 0..BURST {
        let text = format!("stopped post {n}");
        assert!(distinct.contains(text.as_str()), "{text} missing");
    }
}
