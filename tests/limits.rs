//! Flood control and liveness over real sockets: command rate limits per connection and per
//! participant answered `rate_limited` (and the same id works later), the close for
//! sustained abuse (4029), the cap on connections per participant (4030), and the
//! heartbeat that closes dead connections (4002) but keeps quiet, live ones.

mod common;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

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
    let again = &commands[limited[0]];
    let answer = loop {
        let answer = a.command(again.clone()).await;
        if answer["code"] != "rate_limited" {
            break answer;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
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

    // The participant is not banned: a new connection resumes and works.
    let mut again = server.connect(&ana.token).await;
    let fresh = again
        .command(post_card(&w.rooms[0], "problems", "calm"))
        .await;
    assert!(
        fresh["type"] == "ack" || fresh["code"] == "rate_limited",
        "{fresh}"
    );
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
    // Fewer than 200 refusals: the connection is still open.
    a.drain().await;
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
    // Ana's client is frozen: it neither reads nor answers pings.
    let mut frozen = TestClient::raw(&server.ws_url()).await;
    raw_hello(&mut frozen, &ana.token).await;
    // Her welcome is the last frame it reads until the end: once it is here the server
    // counts her online, so Bruno's welcome below cannot come first.
    let welcome = raw_json(&mut frozen).await.expect("Ana's welcome");
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
    // The frozen socket holds the server's close (unless answering the queued pings
    // after the server left reset it first).
    let code = raw_close_code(&mut frozen).await;
    assert!(code.is_none() || code == Some(4002), "{code:?}");
    // And the live one still gets deliveries.
    let mut org = server.connect(&w.organizer_token).await;
    org.ok(json!({"type": "broadcast", "text": "still there?"}))
        .await;
    assert_eq!(
        live.event_of_type("broadcast_sent").await["event"]["text"],
        "still there?"
    );
}
