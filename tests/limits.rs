//! Flood control and liveness over real sockets: command rate limits per connection and per
//! participant answered `rate_limited` (and the same id works later), the close for
//! sustained abuse (4029), the cap on connections per participant (4030), the
//! heartbeat that closes dead connections (4002) but keeps quiet, live ones, and the
//! workshop inbox's back-pressure (`--workshop-inbox`).

mod common;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A WebSocket client written by hand on a TCP socket: it sends `hello` and then only reads
/// when asked, and never answers a ping.
struct Frozen(TcpStream);

impl Frozen {
    async fn connect(addr: &str, token: &str) -> Frozen {
        let mut tcp = TcpStream::connect(addr).await.expect("connect");
        let upgrade = format!(
            "GET /ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        tcp.write_all(upgrade.as_bytes()).await.expect("upgrade");
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(tcp.read_u8().await.expect("upgrade answer"));
        }
        let head = String::from_utf8_lossy(&head);
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        // One masked text frame (a zero mask leaves the payload as it is).
        let hello = json!({"type": "hello", "token": token}).to_string();
        let mut frame = vec![0x81, 0x80 | 126];
        frame.extend((hello.len() as u16).to_be_bytes());
        frame.extend([0, 0, 0, 0]);
        frame.extend(hello.as_bytes());
        tcp.write_all(&frame).await.expect("hello");
        Frozen(tcp)
    }

    /// The next frame: (fin, opcode, payload).
    async fn frame(&mut self) -> (bool, u8, Vec<u8>) {
        let tcp = &mut self.0;
        let (b0, b1) = (
            tcp.read_u8().await.expect("frame"),
            tcp.read_u8().await.expect("frame"),
        );
        assert_eq!(b1 & 0x80, 0, "server frames are not masked");
        let len = match b1 & 0x7f {
            126 => u64::from(tcp.read_u16().await.expect("length")),
            127 => tcp.read_u64().await.expect("length"),
            n => u64::from(n),
        };
        let mut payload = vec![0; usize::try_from(len).expect("length")];
        tcp.read_exact(&mut payload).await.expect("payload");
        (b0 & 0x80 != 0, b0 & 0x0f, payload)
    }

    /// The next text message as JSON (its fragments joined), skipping pings.
    async fn text(&mut self) -> Value {
        let mut message: Option<Vec<u8>> = None;
        loop {
            let (fin, op, payload) = tokio::time::timeout(WAIT, self.frame())
                .await
                .expect("a frame");
            match (op, &mut message) {
                (0x1, None) => message = Some(payload),
                (0x0, Some(m)) => m.extend(payload),
                (0x9, _) => continue,
                (op, _) => panic!("unexpected frame, opcode {op}"),
            }
            if fin {
                let text = message.take().expect("a text message");
                return serde_json::from_slice(&text).expect("JSON");
            }
        }
    }

    /// Reads up to the close frame, skipping everything else; its code.
    async fn close_code(&mut self) -> Option<u16> {
        loop {
            match tokio::time::timeout(WAIT, self.frame())
                .await
                .expect("a frame")
            {
                (_, 0x8, payload) if payload.len() >= 2 => {
                    return Some(u16::from_be_bytes([payload[0], payload[1]]))
                }
                (_, 0x8, _) => return None,
                _ => continue,
            }
        }
    }
}

/// A workshop with Ana seated in room 1; returns the server, workshop and her token.
async fn seated_ana(server: &TestServer) -> (Workshop, Member) {
    let w = server.workshop().await;
    let (_, mut f) = staff(server, &w).await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    f.ok(move_to(&ana.id, &w.rooms[0])).await;
    (w, ana)
}

fn posts(room: &str, prefix: &str, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let mut c = post_card(room, "strengths", &format!("{prefix} {i}"));
            c["id"] = json!(format!("{prefix}-{i}"));
            c
        })
        .collect()
}

/// Splits answers into acks and `rate_limited` errors; any other answer fails the test.
fn tally(answers: &[Option<Value>]) -> (Vec<usize>, Vec<usize>) {
    let (mut acked, mut limited) = (Vec::new(), Vec::new());
    for (i, a) in answers.iter().enumerate() {
        let a = a
            .as_ref()
            .unwrap_or_else(|| panic!("command {i} unanswered"));
        match (a["type"].as_str(), a["code"].as_str()) {
            (Some("ack"), _) => acked.push(i),
            (Some("error"), Some("rate_limited")) => {
                assert!(
                    a["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("retry in")),
                    "{a}"
                );
                limited.push(i)
            }
            _ => panic!("unexpected answer {a}"),
        }
    }
    (acked, limited)
}

#[tokio::test]
async fn a_connection_over_its_rate_is_answered_rate_limited_and_the_same_ids_work_later() {
    let server = TestServer::start_with(&[
        "--rate-limit",
        "1",
        "--rate-burst",
        "10",
        "--participant-rate-limit",
        "0",
        "--flood-close-after",
        "0",
    ])
    .await;
    let (w, ana) = seated_ana(&server).await;
    let mut a = server.connect(&ana.token).await;
    let commands = posts(&w.rooms[0], "burst", 40);
    let answers = a.pipeline(&commands).await;
    let (acked, limited) = tally(&answers);
    assert!(acked.len() >= 10, "the burst passes: {}", acked.len());
    assert!(!limited.is_empty(), "40 at once at 1/s must be limited");
    assert_eq!(
        &acked[..10],
        &(0..10).collect::<Vec<_>>()[..],
        "the burst first"
    );

    // A refused command was not recorded: resent later with its id, it posts its card.
    // At 1/s a token is back within a second or two: 20 s is generous, and a regression
    // that refuses forever fails here instead of hanging.
    let again = &commands[limited[0]];
    let answer = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let answer = a.command(again.clone()).await;
            if answer["code"] != "rate_limited" {
                break answer;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    })
    .await
    .expect("the refused id is accepted once the rate allows it");
    assert_eq!(answer["type"], "ack", "{answer}");
    let cards = card_texts(&server.connect(&w.organizer_token).await.welcome);
    assert_eq!(cards.len(), acked.len() + 1);
    assert!(cards.contains(&format!("burst {}", limited[0])));
}

#[tokio::test]
async fn the_participant_rate_spans_all_their_connections() {
    let server = TestServer::start_with(&[
        "--rate-limit",
        "0",
        "--participant-rate-limit",
        "1",
        "--participant-rate-burst",
        "10",
        "--flood-close-after",
        "0",
    ])
    .await;
    let (w, ana) = seated_ana(&server).await;
    let mut phone = server.connect(&ana.token).await;
    let mut laptop = server.connect(&ana.token).await;
    let from_phone = phone.pipeline(&posts(&w.rooms[0], "phone", 8)).await;
    let from_laptop = laptop.pipeline(&posts(&w.rooms[0], "laptop", 8)).await;
    let (phone_acked, _) = tally(&from_phone);
    let (laptop_acked, laptop_limited) = tally(&from_laptop);
    assert_eq!(phone_acked.len(), 8, "within the burst");
    assert!(
        laptop_acked.len() < 8 && !laptop_limited.is_empty(),
        "16 at once over a burst of 10: {laptop_acked:?}"
    );
    // Someone else is not affected.
    let bruno = server.delegate(&w, "Bruno", "BR").await;
    let mut b = server.connect(&bruno.token).await;
    b.ok(json!({"type": "request_help"})).await;
}

#[tokio::test]
async fn a_connection_that_keeps_flooding_is_closed_with_4029_and_may_reconnect() {
    let server = TestServer::start_with(&[
        "--rate-limit",
        "1",
        "--rate-burst",
        "5",
        "--participant-rate-limit",
        "0",
        "--flood-close-after",
        "20",
    ])
    .await;
    let (w, ana) = seated_ana(&server).await;
    let mut a = server.connect(&ana.token).await;
    let answers = a.pipeline(&posts(&w.rooms[0], "flood", 200)).await;
    let answered: Vec<&Value> = answers.iter().flatten().collect();
    let limited = answered
        .iter()
        .filter(|v| v["code"] == "rate_limited")
        .count();
    assert_eq!(limited, 20, "the 20th refusal closes the connection");
    assert!(answered.len() < 200, "the rest was never read");
    assert_eq!(a.close_code().await, Some(4029));

    // The participant is not banned: a new connection starts with a full burst of its own
    // (the limit is per connection here), so its first command is acknowledged.
    let mut again = server.connect(&ana.token).await;
    again.ok(post_card(&w.rooms[0], "problems", "calm")).await;
    assert!(!server.log().contains("panicked"));
}

#[tokio::test]
async fn the_default_limits_let_a_burst_of_100_through_and_refuse_a_flood() {
    let server = TestServer::start_with(&[]).await;
    let (w, ana) = seated_ana(&server).await;
    let mut a = server.connect(&ana.token).await;
    let answers = a.pipeline(&posts(&w.rooms[0], "default", 150)).await;
    let (acked, limited) = tally(&answers);
    assert!(acked.len() >= 100, "{}", acked.len());
    assert!(!limited.is_empty());
    // Fewer than 200 refusals: the connection is still open. An ordering barrier, not a
    // quiet window: a broadcast sent after the flood reaches it.
    let (_org, mut f) = staff(&server, &w).await;
    let after = barrier(&mut f).await;
    a.until_seq(after).await;
    assert_eq!(a.closed_with, None);
}

#[tokio::test]
async fn one_connection_more_than_allowed_is_closed_with_4030_until_one_closes() {
    let server = TestServer::start_with(&[
        "--rate-limit",
        "0",
        "--participant-rate-limit",
        "0",
        "--max-connections-per-participant",
        "2",
    ])
    .await;
    let (_w, ana) = seated_ana(&server).await;
    let first = server.connect(&ana.token).await;
    let _second = server.connect(&ana.token).await;
    let mut third = TestClient::raw(&server.ws_url()).await;
    raw_hello(&mut third, &ana.token).await;
    assert_eq!(raw_close_code(&mut third).await, Some(4030));

    // Others are not affected, and a slot frees when a connection closes.
    let w2 = server.workshop().await;
    let other = server.delegate(&w2, "Bruno", "BR").await;
    server.connect(&other.token).await;
    server.connect(&other.token).await;
    first.close().await;
    let welcomed = tokio::time::timeout(WAIT, async {
        loop {
            let mut ws = TestClient::raw(&server.ws_url()).await;
            raw_hello(&mut ws, &ana.token).await;
            if let Some(v) = raw_json(&mut ws).await {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("a slot frees once the server sees the close");
    assert_eq!(welcomed["type"], "welcome");
}

#[tokio::test]
async fn a_silent_dead_connection_is_closed_with_4002_while_a_quiet_live_one_stays() {
    let server = TestServer::start_with(&[
        "--rate-limit",
        "0",
        "--participant-rate-limit",
        "0",
        "--ping-interval",
        "1",
        "--idle-timeout",
        "3",
    ])
    .await;
    let (w, ana) = seated_ana(&server).await;
    let bruno = server.delegate(&w, "Bruno", "BR").await;
    // Ana's client is frozen: it neither reads nor answers pings. (A WebSocket library
    // would answer the queued pings when finally read, and a write to a socket the server
    // has closed can reset it before the close frame is read: this client never writes.)
    let mut frozen = Frozen::connect(&server.addr, &ana.token).await;
    // Her welcome is the last frame it reads until the end: once it is here the server
    // counts her online, so Bruno's welcome below cannot come first.
    let welcome = frozen.text().await;
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    // Bruno's client reads (so it answers every ping) but sends nothing.
    let mut live = server.connect(&bruno.token).await;
    let online = live.welcome["online"].as_array().expect("online").clone();
    assert!(online.contains(&json!(ana.id)), "{online:?}");
    // Ana goes offline: her connection was closed as dead (then presence's 5 s grace
    // passed), while Bruno's, just as silent, stayed open all along.
    let offline = loop {
        let v = live
            .recv_within(Duration::from_secs(20))
            .await
            .expect("Bruno's connection stays open and hears of Ana going offline");
        if v["type"] == "presence" && v["participant"] == ana.id.as_str() {
            break v;
        }
    };
    assert_eq!(offline["online"], false, "{offline}");
    assert_eq!(live.closed_with, None);
    // The frozen socket holds the server's close, after the pings it never answered.
    assert_eq!(frozen.close_code().await, Some(4002));
    // And the live one still gets deliveries.
    let mut org = server.connect(&w.organizer_token).await;
    org.ok(json!({"type": "broadcast", "text": "still there?"}))
        .await;
    assert_eq!(
        live.event_of_type("broadcast_sent").await["event"]["text"],
        "still there?"
    );
}

/// The workshop inbox of the back-pressure test: the actor's batch (1 or 2 messages) and
/// 2 waiting make the fifth command at the latest find it full.
const SMALL_INBOX: &str = "2";

/// Inbox back-pressure. With a 2-message workshop inbox and the database's write lock held
/// from outside (as a stuck disk would hold the commit), pipelined commands fill the inbox
/// behind the actor's blocked commit; the connection then waits for room, counted once by
/// `cabildo_inbox_full_total` (it reads nothing more, so nothing more is counted), instead of
/// refusing or dropping anything. Once the store moves, every command is acknowledged, in
/// order, and stored.
#[tokio::test]
async fn a_full_workshop_inbox_makes_the_connection_wait_and_loses_nothing() {
    const COMMANDS: usize = 20;
    let mut flags = NO_RATE_LIMITS.to_vec();
    flags.extend(["--workshop-inbox", SMALL_INBOX]);
    let server = TestServer::start_with(&flags).await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let full = |m: &std::collections::HashMap<String, f64>| value(m, "cabildo_inbox_full_total");
    assert_eq!(full(&scrape(&server).await), 0.0);

    let lock = server.db.hold_writes().await;
    let ids: Vec<String> = (0..COMMANDS).map(|i| format!("bp-{i}")).collect();
    for (i, id) in ids.iter().enumerate() {
        f.send(json!({"type": "broadcast", "id": id, "text": format!("message {i}")}))
            .await;
    }
    // Polled for, not slept on; well within the SQLite writer's 10 s busy timeout.
    let waited = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let n = full(&scrape(&server).await);
            if n > 0.0 {
                return n;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    // Read again before letting the store go: the waiting reader adds nothing.
    let still = full(&scrape(&server).await);
    lock.release().await;
    let waited = waited.expect("the connection never found the workshop's inbox full");
    assert_eq!(
        (waited, still),
        (1.0, 1.0),
        "one reader waits, once, while the actor is stuck"
    );

    let mut answers = std::collections::HashMap::new();
    while answers.len() < COMMANDS {
        let v = f.recv().await.expect("every command is answered");
        if v["type"] == "ack" || v["type"] == "error" {
            answers.insert(v["id"].as_str().expect("answer id").to_string(), v);
        }
    }
    let seqs: Vec<u64> = ids
        .iter()
        .map(|id| {
            let a = &answers[id];
            assert_eq!(a["type"], "ack", "{a}");
            a["seq"].as_u64().expect("ack seq")
        })
        .collect();
    assert!(seqs.windows(2).all(|p| p[0] < p[1]), "in order: {seqs:?}");
    let stored = server.db.stored_event_types(&w.id).await;
    let broadcasts = stored.iter().filter(|t| *t == "broadcast_sent").count();
    assert_eq!(broadcasts, COMMANDS, "{stored:?}");
    assert!(full(&scrape(&server).await) >= 1.0);
}
