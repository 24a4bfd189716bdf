//! One owner per workshop across nodes (issue 20): three real `cabildo` processes on one
//! PostgreSQL database and a Redis of the test's own. Presence agrees on every node, only
//! the owner commits, erase closes every socket everywhere, and a `kill -9` of the owner
//! mid-burst moves ownership without losing or doubling an acknowledged command.
//!
//! They skip only when PostgreSQL or redis-server is missing and `CABILDO_REQUIRE_POSTGRES`
//! / `CABILDO_REQUIRE_REDIS` is unset (CI sets both).

mod cluster_common;
mod common;

use cluster_common::*;
use common::*;
use serde_json::{json, Value};
use sqlx::Connection;
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

/// How long a condition that depends on other nodes may take before the test fails: far
/// above the 2 s the issue asks for presence and the ~4 s of a takeover, so a slow CI
/// machine does not fail it (no timing is asserted; this only bounds a hang).
const PATIENCE: Duration = Duration::from_secs(30);

/// A connected client and who it sees online, kept up to date from its `presence` frames.
struct Watcher {
    client: TestClient,
    online: BTreeSet<String>,
}

impl Watcher {
    fn new(client: TestClient) -> Watcher {
        let online = client.welcome["online"]
            .as_array()
            .expect("online in welcome")
            .iter()
            .map(|p| p.as_str().expect("id").to_string())
            .collect();
        Watcher { client, online }
    }

    /// Reads frames until the online set is `want`.
    async fn sees(&mut self, want: &BTreeSet<String>, who: &str) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while &self.online != want {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            assert!(
                !left.is_zero(),
                "{who} sees {:?} online, not {want:?}",
                self.online
            );
            let Some(frame) = self.client.next_frame_within(left).await else {
                continue;
            };
            if frame["type"] == "presence" {
                let p = frame["participant"].as_str().expect("id").to_string();
                if frame["online"] == true {
                    self.online.insert(p);
                } else {
                    self.online.remove(&p);
                }
            }
        }
    }
}

async fn metric(node: &TestServer, name: &str) -> f64 {
    scrape(node).await.get(name).copied().unwrap_or(0.0)
}

async fn erase(node: &TestServer, w: &Workshop) -> u16 {
    node.http
        .delete(node.url(&format!("/api/workshops/{}", w.id)))
        .bearer_auth(&w.organizer_token)
        .send()
        .await
        .expect("DELETE")
        .status()
        .as_u16()
}

#[tokio::test]
async fn three_nodes_agree_on_presence_only_the_owner_commits_and_erase_closes_every_socket() {
    let Some((db, _redis, nodes)) = cluster(3).await else {
        eprintln!("skipped: needs PostgreSQL and redis-server");
        return;
    };
    // Node 0 creates the workshop, so it owns it.
    let w = nodes[0].workshop().await;
    let room = w.rooms[0].clone();
    let commits_before: Vec<f64> = {
        let mut v = Vec::new();
        for n in &nodes {
            v.push(metric(n, "cabildo_commits_total").await);
        }
        v
    };
    // A facilitator and a delegate on every node, each joined through that node's API.
    let mut facilitators = Vec::new();
    let mut delegates = Vec::new();
    let mut everyone = BTreeSet::new();
    for (i, node) in nodes.iter().enumerate() {
        let fac = node.facilitator(&w, &format!("Fac {i}")).await;
        everyone.insert(fac.id.clone());
        facilitators.push(Watcher::new(node.connect(&fac.token).await));
    }
    for (i, node) in nodes.iter().enumerate() {
        let m = node.delegate(&w, &format!("Del {i}"), "AR").await;
        facilitators[i].client.ok(move_to(&m.id, &room)).await;
        let c = node.connect(&m.token).await;
        everyone.insert(m.id.clone());
        delegates.push((m, c));
    }
    // Every facilitator, whichever node, sees the same six people online.
    for (i, f) in facilitators.iter_mut().enumerate() {
        f.sees(&everyone, &format!("the facilitator on node {i}"))
            .await;
    }

    // Everyone posts on their own node; every card reaches every node.
    for (i, (_, c)) in delegates.iter_mut().enumerate() {
        for n in 0..3 {
            c.ok(post_card(&room, "strengths", &format!("node {i} card {n}")))
                .await;
        }
    }
    let last = facilitators[2]
        .client
        .ok(json!({"type": "broadcast", "text": "b"}))
        .await;
    for f in &mut facilitators {
        let events = f.client.through_seq(last).await;
        let cards = events
            .iter()
            .filter(|e| e["event"]["type"] == "card_posted")
            .count();
        assert_eq!(cards, 9, "{events:?}");
    }
    // Only the owner committed; the others forwarded (the joins and commands above).
    assert!(metric(&nodes[0], "cabildo_commits_total").await > commits_before[0]);
    for i in [1, 2] {
        assert_eq!(
            metric(&nodes[i], "cabildo_commits_total").await,
            commits_before[i],
            "node {i} committed"
        );
        assert!(metric(&nodes[i], "cabildo_forwarded_commands_total").await >= 5.0);
    }
    assert_eq!(
        metric(&nodes[0], "cabildo_forwarded_commands_total").await,
        0.0
    );
    let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    let owners: i64 =
        sqlx::query_scalar("SELECT count(*) FROM workshop_owners WHERE workshop_id = $1")
            .bind(&w.id)
            .fetch_one(&mut conn)
            .await
            .expect("owners");
    assert_eq!(owners, 1);

    // The delegate on node 2 leaves: every facilitator sees them go (after the grace).
    let (gone, c) = delegates.pop().expect("delegate 2");
    c.close().await;
    everyone.remove(&gone.id);
    for (i, f) in facilitators.iter_mut().enumerate() {
        f.sees(&everyone, &format!("the facilitator on node {i}"))
            .await;
    }

    // Erased through node 1 (a follower): every socket on every node closes with 4004.
    assert_eq!(erase(&nodes[1], &w).await, 204);
    for (i, f) in facilitators.iter_mut().enumerate() {
        assert_eq!(
            f.client.close_code().await,
            Some(4004),
            "facilitator on node {i}"
        );
    }
    for (m, c) in &mut delegates {
        assert_eq!(c.close_code().await, Some(4004), "{}", m.id);
    }
    let rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM workshop_owners WHERE workshop_id = $1")
            .bind(&w.id)
            .fetch_one(&mut conn)
            .await
            .expect("owners");
    assert_eq!(rows, 0, "the erase took the lease too");
    let _ = conn.close().await;
    // And no node serves it from memory any more.
    for node in &nodes {
        let (status, body) = node
            .post_json(
                &format!("/api/workshops/{}/join", w.id),
                json!({"code": w.delegate_code, "name": "Late", "country": "AR", "language": "en"}),
            )
            .await;
        assert_eq!(status, 404, "{body}");
    }
}

/// Every card text stored for workshop `id`, with how often.
async fn stored_cards(db: &TestDb, id: &str) -> HashMap<String, usize> {
    let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    let bodies: Vec<String> =
        sqlx::query_scalar("SELECT body FROM events WHERE workshop_id = $1 ORDER BY seq")
            .bind(id)
            .fetch_all(&mut conn)
            .await
            .expect("events");
    let _ = conn.close().await;
    let mut counts = HashMap::new();
    for body in bodies {
        let event: Value = serde_json::from_str(&body).expect("JSON event");
        if event["type"] == "card_posted" {
            let text = event["text"].as_str().expect("text").to_string();
            *counts.entry(text).or_insert(0) += 1;
        }
    }
    counts
}

#[tokio::test]
async fn the_owner_killed_mid_burst_hands_over_and_every_acked_post_is_stored_once() {
    let Some((db, _redis, mut nodes)) = cluster(3).await else {
        eprintln!("skipped: needs PostgreSQL and redis-server");
        return;
    };
    let w = nodes[0].workshop().await;
    let room = w.rooms[0].clone();
    let (_fac, mut f) = staff(&nodes[1], &w).await;
    let mut posters = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let (_, c) = seated(node, &w, &mut f, &format!("Del {i}"), "AR", &room).await;
        posters.push(c);
    }

    // Everyone posts as fast as acks come back; node 0 (the owner) dies mid-burst.
    const EACH: usize = 40;
    let started = tokio::time::Instant::now();
    let mut tasks = Vec::new();
    for (i, mut c) in posters.into_iter().enumerate() {
        let room = room.clone();
        tasks.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            let mut times = Vec::new();
            for n in 0..EACH {
                let text = format!("node {i} post {n}");
                let id = c.fresh_id();
                let mut cmd = post_card(&room, "strengths", &text);
                cmd["id"] = json!(id);
                c.send(cmd).await;
                // The owner's own clients lose their socket with it; the others' commands
                // wait for the takeover and are answered then.
                let Some(answer) = answer_or_closed(&mut c, &id).await else {
                    assert_eq!(i, 0, "a client of a surviving node lost its socket");
                    break;
                };
                assert_eq!(answer["type"], "ack", "{answer}");
                acked.push(text);
                times.push(tokio::time::Instant::now());
            }
            (acked, times)
        }));
    }
    // Kill once the burst is well under way (a third of it is stored).
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while stored_cards(&db, &w.id).await.len() < EACH {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the burst never got going"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let killed = tokio::time::Instant::now();
    nodes[0].kill().await;
    let mut acked = Vec::new();
    let mut before_kill = 0;
    let mut longest_wait = Duration::ZERO;
    for t in tasks {
        let (texts, times) = t.await.expect("poster");
        acked.extend(texts);
        before_kill += times.iter().filter(|t| **t <= killed).count();
        // The longest a client waited for an ack: the takeover, for a survivor.
        for pair in times.windows(2) {
            longest_wait = longest_wait.max(pair[1] - pair[0]);
        }
    }
    // The figures docs/OPERATIONS.md quotes (printed, never asserted: no timing asserts).
    eprintln!(
        "figures: {before_kill} posts acked over 3 nodes in {:?} before the kill ({:.0}/s, one at a time per client); longest wait for an ack (the takeover after the kill -9 of the owner): {longest_wait:?}",
        killed - started,
        before_kill as f64 / (killed - started).as_secs_f64()
    );
    // The survivors posted all of theirs, through the new owner.
    assert!(acked.len() >= 2 * EACH, "{} acked", acked.len());

    // Exactly one survivor took the workshop over.
    let mut takeovers = 0.0;
    for node in &nodes[1..] {
        takeovers += metric(node, "cabildo_workshop_takeovers_total").await;
    }
    assert_eq!(takeovers, 1.0);

    // Every acknowledged post is stored exactly once, and nothing unacknowledged from the
    // survivors (whose every post was acknowledged) is missing either.
    let stored = stored_cards(&db, &w.id).await;
    for text in &acked {
        assert_eq!(stored.get(text), Some(&1), "{text}");
    }
    let seqs = {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
        let seqs: Vec<i64> =
            sqlx::query_scalar("SELECT seq FROM events WHERE workshop_id = $1 ORDER BY seq")
                .bind(&w.id)
                .fetch_all(&mut conn)
                .await
                .expect("seqs");
        let _ = conn.close().await;
        seqs
    };
    assert_eq!(
        seqs,
        (1..=seqs.len() as i64).collect::<Vec<_>>(),
        "gap-free"
    );

    // The facilitator on node 1 saw every stored card, in order, and still works.
    let after = f.ok(json!({"type": "broadcast", "text": "after"})).await;
    let seen = f.through_seq(after).await;
    let cards = seen
        .iter()
        .filter(|e| e["event"]["type"] == "card_posted")
        .count();
    assert_eq!(cards, stored.values().sum::<usize>());
}

/// The answer to command `id`, or `None` once the socket closed.
async fn answer_or_closed(c: &mut TestClient, id: &str) -> Option<Value> {
    loop {
        let frame = c.recv().await?;
        if frame["id"] == id && (frame["type"] == "ack" || frame["type"] == "error") {
            return Some(frame);
        }
    }
}

#[tokio::test]
async fn a_help_request_on_one_node_is_seen_and_handled_from_the_others() {
    let Some((_db, _redis, nodes)) = cluster(3).await else {
        eprintln!("skipped: needs PostgreSQL and redis-server");
        return;
    };
    // Node 0 owns the workshop; the delegate asks on node 2, facilitators watch on 0 and 1.
    let w = nodes[0].workshop().await;
    let room = w.rooms[0].clone();
    let (_f0, mut f0) = staff(&nodes[0], &w).await;
    let (_f1, mut f1) = staff(&nodes[1], &w).await;
    let (_, mut d) = seated(&nodes[2], &w, &mut f1, "Asker", "AR", &room).await;
    d.ok(json!({"type": "request_help", "text": "stuck"})).await;
    let asked = f1.event_of_type("help_requested").await;
    assert_eq!(f0.event_of_type("help_requested").await, asked);
    let request = asked["event"]["request"].clone();
    assert_eq!(asked["event"]["text"], "stuck");
    // Acknowledged on node 1, resolved on node 0: the asker on node 2 sees both, in order.
    f1.ok(json!({"type": "acknowledge_help", "request": request}))
        .await;
    f0.ok(json!({"type": "resolve_help", "request": request}))
        .await;
    let acknowledged = d.event_of_type("help_acknowledged").await;
    let resolved = d.event_of_type("help_resolved").await;
    assert!(acknowledged["seq"].as_u64() < resolved["seq"].as_u64());
    assert_eq!(resolved["event"]["request"], request);
    // A facilitator connecting later to any node finds it resolved.
    for (i, node) in nodes.iter().enumerate() {
        let (_, late) = staff(node, &w).await;
        let help = late.welcome["snapshot"]["session"]["help"]
            .as_array()
            .expect("help in the welcome")
            .clone();
        assert_eq!(help.len(), 1, "node {i}: {help:?}");
        assert_eq!(help[0]["id"], request, "node {i}");
        assert_eq!(help[0]["status"], "resolved", "node {i}");
    }
}

/// How many times `node` ran store operation `op` (its `cabildo_store_seconds` count).
async fn store_ops(node: &TestServer, op: &str) -> f64 {
    metric(node, &format!("cabildo_store_seconds_count{{op=\"{op}\"}}")).await
}

#[tokio::test]
async fn in_steady_state_no_node_polls_the_database() {
    let Some((_db, _redis, nodes)) = cluster(3).await else {
        eprintln!("skipped: needs PostgreSQL and redis-server");
        return;
    };
    // A workshop live on every node (owned by node 0), with a delegate on each follower.
    let w = nodes[0].workshop().await;
    let room = w.rooms[0].clone();
    let (_fac, mut f) = staff(&nodes[0], &w).await;
    let mut delegates = Vec::new();
    for (i, node) in nodes.iter().enumerate().skip(1) {
        let (_, mut c) = seated(node, &w, &mut f, &format!("Del {i}"), "AR", &room).await;
        c.ok(post_card(&room, "strengths", &format!("card {i}")))
            .await;
        delegates.push(c);
    }
    let polls: Vec<f64> = {
        let mut v = Vec::new();
        for n in &nodes {
            v.push(store_ops(n, "poll").await);
        }
        v
    };
    // The clock: three lease renewals on every node (one per second each) pass...
    for (i, node) in nodes.iter().enumerate() {
        let start = store_ops(node, "renew").await;
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while store_ops(node, "renew").await < start + 3.0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "node {i} renews no lease"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // ...without a single poll of the database (Redis carries the commits), while the
    // workshop keeps working through it.
    for (i, node) in nodes.iter().enumerate() {
        assert_eq!(store_ops(node, "poll").await, polls[i], "node {i} polled");
    }
    let seq = delegates[1]
        .ok(post_card(&room, "strengths", "after the quiet"))
        .await;
    delegates[0].through_seq(seq).await;
}
