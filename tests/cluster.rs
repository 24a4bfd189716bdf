//! Several nodes: real `cabildo` processes on one PostgreSQL database, notifying each other
//! through a Redis server each test starts for itself (on a free port, so restarting it
//! disturbs no other test).
//!
//! They need PostgreSQL (`CABILDO_TEST_POSTGRES_URL`) and a `redis-server` binary; they skip
//! only when one is missing and `CABILDO_REQUIRE_POSTGRES` / `CABILDO_REQUIRE_REDIS` is unset.

mod cluster_common;
mod common;

use cluster_common::*;
use common::*;
use serde_json::json;
use sqlx::Connection;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// The `seq` of every event stored for workshop `id`, in order.
async fn stored_seqs(db: &TestDb, id: &str) -> Vec<i64> {
    let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    let seqs = sqlx::query_scalar("SELECT seq FROM events WHERE workshop_id = $1 ORDER BY seq")
        .bind(id)
        .fetch_all(&mut conn)
        .await
        .expect("events");
    let _ = conn.close().await;
    seqs
}

/// Reads `c`'s stream until it has seen `n` `card_posted` events; returns (seq, text) of
/// each, in the order received, and checks that event seqs only ever grow.
async fn cards_seen(c: &mut TestClient, n: usize) -> Vec<(u64, String)> {
    let mut seen = Vec::new();
    let mut last = 0;
    while seen.len() < n {
        let frame = c.next_event().await;
        let seq = frame["seq"].as_u64().expect("seq");
        assert!(seq > last, "seq {seq} after {last}: {frame}");
        last = seq;
        if frame["event"]["type"] == "card_posted" {
            let text = frame["event"]["text"].as_str().expect("text").to_string();
            seen.push((seq, text));
        }
    }
    seen
}

/// Posts `n` cards one after the other; returns (id, seq) of each ack.
async fn post_many(c: &mut TestClient, room: &str, who: &str, n: usize) -> Vec<(String, u64)> {
    let mut acks = Vec::new();
    for i in 0..n {
        let id = c.fresh_id();
        let mut cmd = post_card(room, "strengths", &format!("{who} {i}"));
        cmd["id"] = json!(id);
        let answer = c.command(cmd).await;
        assert_eq!(answer["type"], "ack", "{answer}");
        acks.push((id, answer["seq"].as_u64().expect("seq")));
    }
    acks
}

#[tokio::test]
async fn nodes_share_a_room_in_one_order_and_a_killed_nodes_clients_lose_nothing() {
    let Some((db, _redis, mut nodes)) = cluster(3).await else {
        eprintln!("skipped: needs PostgreSQL and redis-server");
        return;
    };
    let w = nodes[0].workshop().await;
    let room = w.rooms[0].clone();
    let (_fac, mut f) = staff(&nodes[0], &w).await;
    // Each delegate joins through another node's REST API and connects to that node; the
    // facilitator on node 0 seats them (node 0 must know who joined elsewhere).
    let mut members = Vec::new();
    let mut delegates = Vec::new();
    for (i, country) in ["AR", "BR", "CL"].iter().enumerate() {
        let node = &nodes[i];
        let m = node.delegate(&w, &format!("Delegate {i}"), country).await;
        f.ok(move_to(&m.id, &room)).await;
        let c = node.connect(&m.token).await;
        assert_eq!(c.welcome["you"]["room"], room.as_str(), "{}", c.welcome);
        members.push(m);
        delegates.push(c);
    }

    // Everyone posts at once, each on their own node.
    const EACH: usize = 15;
    let mut posting = Vec::new();
    for (i, mut c) in delegates.drain(..).enumerate() {
        let room = room.clone();
        posting.push(tokio::spawn(async move {
            let acks = post_many(&mut c, &room, &format!("d{i}"), EACH).await;
            (c, acks)
        }));
    }
    let mut clients = Vec::new();
    let mut acked = Vec::new();
    for p in posting {
        let (c, acks) = p.await.expect("poster");
        let seqs: Vec<u64> = acks.iter().map(|(_, s)| *s).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
        acked.extend(acks);
        clients.push(c);
    }
    let ack_seqs: HashSet<u64> = acked.iter().map(|(_, s)| *s).collect();
    assert_eq!(ack_seqs.len(), 3 * EACH, "every ack has its own seq");

    // Every client, on every node, saw every card, in the same order, with the acked seqs.
    let mut orders = Vec::new();
    for c in &mut clients {
        orders.push(cards_seen(c, 3 * EACH).await);
    }
    orders.push(cards_seen(&mut f, 3 * EACH).await);
    for order in &orders[1..] {
        assert_eq!(order, &orders[0]);
    }
    let seen_seqs: HashSet<u64> = orders[0].iter().map(|(s, _)| *s).collect();
    assert_eq!(seen_seqs, ack_seqs);
    // The log is gap-free: 1, 2, 3, … with no seq twice.
    let stored = stored_seqs(&db, &w.id).await;
    assert_eq!(stored, (1..=stored.len() as i64).collect::<Vec<_>>());

    // Delegate 1 posts once more on node 1, then node 1 dies without a word.
    let mut d1 = clients.remove(1);
    let last_id = d1.fresh_id();
    let mut cmd = post_card(&room, "problems", "posted just before the crash");
    cmd["id"] = json!(last_id);
    let answer = d1.command(cmd.clone()).await;
    assert_eq!(answer["type"], "ack", "{answer}");
    let last_seq = answer["seq"].as_u64().expect("seq");
    let resume_from = d1.seq;
    nodes[1].kill().await;
    assert_eq!(d1.recv().await, None, "the killed node's socket is gone");

    // They reconnect to node 2 and resume: nothing missed, nothing twice. Retrying the
    // acked command there answers the same ack and creates nothing.
    let mut d1 = nodes[2].resume(&members[1].token, resume_from).await;
    assert_eq!(d1.welcome["resumed"], true, "{}", d1.welcome);
    assert_eq!(d1.welcome["seq"].as_u64(), Some(last_seq), "{}", d1.welcome);
    assert_eq!(d1.welcome["events"], json!([]), "{}", d1.welcome);
    let retried = d1.command(cmd).await;
    assert_eq!(
        retried,
        json!({"type": "ack", "id": last_id, "seq": last_seq})
    );

    // Everyone still hears everyone: a card from node 0 reaches node 2 and back.
    let from_node0 = post_many(&mut clients[0], &room, "after", 1).await;
    let from_node2 = post_many(&mut d1, &room, "resumed", 1).await;
    let after = vec![from_node0[0].1, from_node2[0].1];
    let seen = cards_seen(&mut d1, 2).await;
    assert_eq!(seen.iter().map(|(s, _)| *s).collect::<Vec<_>>(), after);
    for c in &mut clients {
        // They also get the card posted just before the crash.
        let seen = cards_seen(c, 3).await;
        let seqs: Vec<u64> = seen.iter().map(|(s, _)| *s).collect();
        assert_eq!(seqs, [vec![last_seq], after.clone()].concat());
    }

    // A fresh look from the surviving node 0: every acknowledged card exactly once.
    let d0 = nodes[0].connect(&members[0].token).await;
    let mut cards = card_texts(&d0.welcome);
    cards.sort();
    let mut expected: Vec<String> = (0..3)
        .flat_map(|i| (0..EACH).map(move |n| format!("d{i} {n}")))
        .chain(["posted just before the crash", "after 0", "resumed 0"].map(String::from))
        .collect();
    expected.sort();
    assert_eq!(cards, expected, "every acknowledged card, once");
    let stored = stored_seqs(&db, &w.id).await;
    assert_eq!(stored, (1..=stored.len() as i64).collect::<Vec<_>>());
}

/// Waits until `server`'s log mentions `needle` `times` times.
async fn log_mentions(server: &TestServer, needle: &str, times: usize) {
    for _ in 0..400 {
        if server.log().matches(needle).count() >= times {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "{needle:?} never appeared {times} times in the log:\n{}",
        server.log()
    );
}

#[tokio::test]
async fn nodes_keep_serving_while_redis_restarts_and_hear_each_other_again_after() {
    let Some((_db, mut redis, nodes)) = cluster(2).await else {
        eprintln!("skipped: needs PostgreSQL and redis-server");
        return;
    };
    let w = nodes[0].workshop().await;
    let room = w.rooms[0].clone();
    let (_fac, mut f) = staff(&nodes[0], &w).await;
    let (_a, mut a) = seated(&nodes[0], &w, &mut f, "Ana", "AR", &room).await;
    let b = nodes[1].delegate(&w, "Bruno", "BR").await;
    f.ok(move_to(&b.id, &room)).await;
    let mut b = nodes[1].connect(&b.token).await;
    let before = post_many(&mut a, &room, "before", 1).await;
    assert_eq!(cards_seen(&mut b, 1).await[0].0, before[0].1);

    // Redis goes away: commands still work, and the other node backfills from the
    // database by polling.
    redis.kill().await;
    for n in &nodes {
        log_mentions(n, "Redis unreachable", 1).await;
    }
    let during = post_many(&mut a, &room, "during", 2).await;
    let during_b = post_many(&mut b, &room, "during-b", 1).await;
    let seen = cards_seen(&mut b, 3).await;
    assert_eq!(
        seen.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        vec![during[0].1, during[1].1, during_b[0].1]
    );
    // Ana's stream holds her own cards too, in order, then Bruno's.
    let seen = cards_seen(&mut a, 4).await;
    assert_eq!(
        seen.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        vec![before[0].1, during[0].1, during[1].1, during_b[0].1]
    );

    // Redis comes back: both nodes reconnect on their own and go on.
    redis.restart().await;
    for n in &nodes {
        log_mentions(n, "Redis reachable again (listening)", 1).await;
        log_mentions(n, "Redis reachable again (publishing)", 1).await;
    }
    let after = post_many(&mut b, &room, "after", 1).await;
    assert_eq!(cards_seen(&mut a, 1).await[0].0, after[0].1);
    let all: Vec<u64> = [before, during, during_b, after]
        .concat()
        .iter()
        .map(|(_, s)| *s)
        .collect();
    assert!(all.windows(2).all(|w| w[0] < w[1]), "{all:?}");
}

/// A TCP proxy in front of PostgreSQL that the test can cut (every connection dropped,
/// new ones refused) and restore: a database outage that touches no other test.
struct Cut {
    port: u16,
    open: Arc<std::sync::atomic::AtomicBool>,
    links: Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Cut {
    async fn to(upstream: String) -> Cut {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let open = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let links: Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>> = Default::default();
        let (o, l) = (open.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !o.load(std::sync::atomic::Ordering::SeqCst) {
                    continue; // dropped: refused
                }
                let upstream = upstream.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                l.lock().expect("links").push(link.abort_handle());
            }
        });
        Cut { port, open, links }
    }

    fn cut(&self) {
        self.open.store(false, std::sync::atomic::Ordering::SeqCst);
        for link in self.links.lock().expect("links").drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.open.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// `postgres://user:pw@host:port/db` → ("host:port", the URL with `127.0.0.1:{port}` instead).
fn reroute(url: &str, port: u16) -> (String, String) {
    let (scheme, rest) = url.split_once("://").expect("URL");
    let (authority, path) = rest.split_once('/').expect("a database");
    let (user, host) = authority.rsplit_once('@').expect("a user");
    (
        host.to_string(),
        format!("{scheme}://{user}@127.0.0.1:{port}/{path}"),
    )
}

#[tokio::test]
async fn a_database_outage_answers_unavailable_and_the_node_recovers_after() {
    let Some(mut db) = TestDb::postgres().await else {
        eprintln!("skipped: needs PostgreSQL");
        return;
    };
    let (upstream, _) = reroute(&db.url, 0);
    let cut = Cut::to(upstream).await;
    db.url = reroute(&db.url, cut.port).1;
    let server = TestServer::start_on(Arc::new(db), &[]).await;
    let w = server.workshop().await;
    let room = w.rooms[0].clone();
    let (_fac, mut f) = staff(&server, &w).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &room).await;
    a.ok(post_card(&room, "strengths", "before")).await;

    cut.cut();
    let id = a.fresh_id();
    let mut cmd = post_card(&room, "strengths", "during");
    cmd["id"] = json!(id);
    let answer = a.command(cmd.clone()).await;
    assert_eq!(answer["type"], "error", "{answer}");
    assert_eq!(answer["code"], "unavailable", "{answer}");
    // While it lasts, joining says 503 and a new connection is refused with 4012.
    let (status, body) = server
        .post_json(
            &format!("/api/workshops/{}/join", w.id),
            json!({"code": w.delegate_code, "name": "Bea", "country": "BR", "language": "es"}),
        )
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["code"], "unavailable", "{body}");
    let mut raw = TestClient::raw(&server.ws_url()).await;
    use futures_util::{SinkExt, StreamExt};
    raw.send(tokio_tungstenite::tungstenite::Message::text(
        json!({"type": "hello", "token": ana.token}).to_string(),
    ))
    .await
    .expect("hello");
    let refused = tokio::time::timeout(WAIT, async {
        loop {
            match raw.next().await {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame))) => {
                    return frame.map(|f| u16::from(f.code));
                }
                Some(Ok(_)) => continue,
                _ => return None,
            }
        }
    })
    .await
    .expect("an answer to hello");
    assert_eq!(refused, Some(4012));

    // The database is back: the same command id now goes through, once.
    cut.restore();
    let mut retried = None;
    for _ in 0..100 {
        let Some(mut c) = TestClient::try_connect(&server.ws_url(), &ana.token, None).await else {
            // Refused (4012) while the node's pool finds its way back: try again.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let answer = c.command(cmd.clone()).await;
        if answer["type"] == "ack" {
            retried = Some(c);
            break;
        }
        assert_eq!(answer["code"], "unavailable", "{answer}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut a2 = retried.expect("the node recovered");
    let again = a2.command(cmd).await;
    assert_eq!(again["type"], "ack", "{again}");
    let fresh = TestClient::connect(&server.ws_url(), &ana.token, None).await;
    assert_eq!(card_texts(&fresh.welcome), vec!["before", "during"]);
    server.delegate(&w, "Bea", "BR").await;
    drop(a);
}

#[tokio::test]
async fn a_timer_watched_by_three_nodes_ends_once() {
    let Some((db, _redis, nodes)) = cluster(3).await else {
        eprintln!("skipped: needs PostgreSQL and redis-server");
        return;
    };
    let w = nodes[0].workshop().await;
    let room = w.rooms[0].clone();
    let (_fac, mut f) = staff(&nodes[0], &w).await;
    // A delegate on every node, so every node has the workshop live and its clock running.
    let mut clients = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let m = node.delegate(&w, &format!("D{i}"), "AR").await;
        f.ok(move_to(&m.id, &room)).await;
        clients.push(node.connect(&m.token).await);
    }
    f.ok(json!({"type": "start_timer", "room": room, "seconds": 2, "warnings": [1]}))
        .await;
    let mut seen = Vec::new();
    for c in &mut clients {
        let warning = c.event_of_type("timer_warning").await;
        let ended = c.event_of_type("timer_ended").await;
        seen.push((warning["seq"].clone(), ended["seq"].clone()));
        // Nothing more: no second warning or ending from another node's clock.
        let rest: Vec<_> = c
            .drain()
            .await
            .into_iter()
            .filter(|v| v["type"] == "event")
            .collect();
        assert!(rest.is_empty(), "{rest:?}");
    }
    assert!(seen.iter().all(|s| s == &seen[0]), "{seen:?}");
    let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    let ended: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE workshop_id = $1 AND body LIKE '{\"type\":\"timer_ended\"%'",
    )
    .bind(&w.id)
    .fetch_one(&mut conn)
    .await
    .expect("count");
    assert_eq!(ended, 1);
    let _ = conn.close().await;
}
