//! Nothing acknowledged is lost, nothing is done twice: idempotent retries, resuming after
//! a dropped connection, and restarts (SIGTERM and `kill -9`) on the same database.

mod common;
use common::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

// ---------------------------------------------------------------------------------------
// Idempotent retry
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_post_sent_twice_gets_the_same_ack_and_makes_one_card() {
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let (_, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let post = with_id(post_card(&w.rooms[0], "strengths", "One portal"), "retry-1");

    let first = a.command(post.clone()).await;
    let second = a.command(post.clone()).await;
    assert_eq!(first["type"], "ack", "{first}");
    assert_eq!(first, second);
    // Same id, other fields changed: still the stored outcome, nothing new.
    let changed = with_id(post_card(&w.rooms[0], "problems", "Other"), "retry-1");
    assert_eq!(a.command(changed).await, first);

    let after = barrier(&mut f).await;
    assert_eq!(posted_events(&mut f, after).await.len(), 1);
    assert_eq!(posted_events(&mut a, after).await.len(), 1);
    assert_eq!(board(&server, &w).await, ["One portal"]);
}

#[tokio::test]
async fn a_post_refused_because_the_room_was_closed_stays_refused_after_it_reopens() {
    let mut server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let room = &w.rooms[0];
    f.ok(json!({"type": "close_room", "room": room})).await;
    let late = with_id(post_card(room, "strengths", "Late idea"), "late-1");
    let refused = a.command(late.clone()).await;
    assert_eq!(refused["code"], "closed", "{refused}");

    f.ok(json!({"type": "open_room", "room": room})).await;
    assert_eq!(a.command(late.clone()).await, refused);
    // The refusal is durable too.
    server.kill().await;
    server.restart().await;
    let mut a = server.connect(&ana.token).await;
    assert_eq!(a.command(late).await, refused);
    a.ok(post_card(room, "strengths", "With a new id")).await;
    assert_eq!(board(&server, &w).await, ["With a new id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_delegate_sending_the_same_post_from_two_devices_at_once_makes_one_card() {
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let (ana, mut phone) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let mut laptop = server.connect(&ana.token).await;
    const ROUNDS: usize = 10;
    for n in 0..ROUNDS {
        let post = with_id(
            post_card(&w.rooms[0], "strengths", &format!("Twin {n}")),
            &format!("twin-{n}"),
        );
        let (p, l) = tokio::join!(phone.command(post.clone()), laptop.command(post));
        assert_eq!(p["type"], "ack", "{p}");
        assert_eq!(p, l, "round {n}");
    }
    let expected: Vec<String> = (0..ROUNDS).map(|n| format!("Twin {n}")).collect();
    let after = barrier(&mut f).await;
    assert_eq!(posted_texts(&mut f, after).await, expected);
    assert_eq!(board(&server, &w).await, expected);
}

#[tokio::test]
async fn two_delegates_using_the_same_command_id_post_two_cards() {
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let (_, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let (_, mut b) = seated(&server, &w, &mut f, "Bruno", "BR", &w.rooms[0]).await;
    let room = &w.rooms[0];
    let sa = a
        .ok(with_id(post_card(room, "strengths", "Ana's"), "c1"))
        .await;
    let sb = b
        .ok(with_id(post_card(room, "strengths", "Bruno's"), "c1"))
        .await;
    assert_eq!(sb, sa + 1);
    assert_eq!(board(&server, &w).await, ["Ana's", "Bruno's"]);
}

#[tokio::test]
async fn a_retry_after_reconnecting_gets_the_original_ack_and_posts_nothing() {
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let post = with_id(post_card(&w.rooms[0], "strengths", "Offline idea"), "r-1");
    let ack = a.command(post.clone()).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    a.close().await;

    let mut again = server.connect(&ana.token).await;
    assert_eq!(card_texts(&again.welcome), ["Offline idea"]);
    assert_eq!(again.command(post).await, ack);
    let after = barrier(&mut f).await;
    assert!(posted_events(&mut again, after).await.is_empty());
    assert_eq!(posted_events(&mut f, after).await.len(), 1);
    assert_eq!(board(&server, &w).await, ["Offline idea"]);
}

#[tokio::test]
async fn a_retry_after_a_sigterm_restart_gets_the_original_ack_and_posts_nothing() {
    let mut server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let post = with_id(post_card(&w.rooms[0], "strengths", "Before restart"), "r-1");
    let ack = a.command(post.clone()).await;
    assert_eq!(ack["type"], "ack", "{ack}");

    assert!(server.terminate().await.success());
    server.restart().await;
    let mut a = server.connect(&ana.token).await;
    assert_eq!(a.command(post).await, ack);
    assert_eq!(board(&server, &w).await, ["Before restart"]);
    // Nothing was appended by the retry: the workshop is still at the ack's seq.
    assert_eq!(server.connect(&w.organizer_token).await.seq, seq_of(&ack));
}

// ---------------------------------------------------------------------------------------
// Resume after a dropped connection
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_delegate_resuming_receives_exactly_the_missed_events_of_its_room() {
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let (_, mut b) = seated(&server, &w, &mut f, "Bruno", "BR", &w.rooms[0]).await;
    let (_, mut c) = seated(&server, &w, &mut f, "Carla", "CL", &w.rooms[1]).await;
    let last = barrier(&mut f).await;
    a.until_seq(last).await;
    assert_eq!(a.seq, last);
    a.close().await;
    f.until_seq(last).await;

    for n in 0..3 {
        b.ok(post_card(&w.rooms[0], "strengths", &format!("B{n}")))
            .await;
        c.ok(post_card(&w.rooms[1], "problems", &format!("C{n}")))
            .await;
    }
    f.ok(post_card(&w.rooms[0], "solutions", "F0")).await;
    let end = f.ok(post_card(&w.rooms[2], "solutions", "F2")).await;
    let seen_by_staff: Vec<Value> = f
        .through_seq(end)
        .await
        .into_iter()
        .filter(|v| v["type"] == "event")
        .collect();
    assert_eq!(seen_by_staff.len(), 8);

    let back = server.resume(&ana.token, last).await;
    assert_eq!(back.welcome["resumed"], true, "{}", back.welcome);
    let events = back.welcome["events"].as_array().expect("events").clone();
    let seqs: Vec<u64> = events.iter().map(seq_of).collect();
    assert!(seqs.windows(2).all(|p| p[0] < p[1]), "{seqs:?}");
    assert!(seqs.iter().all(|s| *s > last), "{seqs:?} after {last}");
    let expected: Vec<Value> = seen_by_staff
        .into_iter()
        .filter(|e| e["event"]["room"] == w.rooms[0].as_str())
        .collect();
    assert_eq!(events, expected);
    let texts: Vec<&str> = events
        .iter()
        .map(|e| e["event"]["text"].as_str().expect("text"))
        .collect();
    assert_eq!(texts, ["B0", "B1", "B2", "F0"]);
    assert_eq!(back.seq, f.seq);
}

#[tokio::test]
async fn a_delegate_resuming_at_the_current_seq_receives_no_events() {
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let last = a.ok(post_card(&w.rooms[0], "strengths", "Mine")).await;
    a.through_seq(last).await;
    assert_eq!(a.seq, last);
    a.close().await;

    let back = server.resume(&ana.token, last).await;
    assert_eq!(back.welcome["resumed"], true, "{}", back.welcome);
    assert_eq!(back.welcome["events"], json!([]));
    assert_eq!(back.seq, last);
}

#[tokio::test]
async fn a_client_resuming_from_a_seq_the_server_never_reached_gets_a_snapshot_flagged_unknown() {
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    a.ok(post_card(&w.rooms[0], "strengths", "Mine")).await;
    f.ok(post_card(&w.rooms[1], "strengths", "Not for Ana"))
        .await;
    let now = f.seq;
    a.close().await;

    let back = server.resume(&ana.token, now + 1).await;
    assert_eq!(back.welcome["resumed"], false, "{}", back.welcome);
    assert_eq!(back.welcome["reason"], "unknown");
    assert_eq!(back.seq, now);
    assert_eq!(card_texts(&back.welcome), ["Mine"]);
}

/// The server keeps the last 10,000 events for resuming (REPLAY_WINDOW): a client that
/// missed exactly that many gets them all; one that missed one more gets a snapshot
/// flagged `too_far_behind`.
#[tokio::test]
async fn a_delegate_who_missed_more_than_10000_events_resumes_with_a_snapshot_too_far_behind() {
    const WINDOW: usize = 10_000;
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let last = barrier(&mut f).await;
    a.until_seq(last).await;
    a.close().await;
    // Renaming a room is one event each and has no limit: 10,000 of them, pipelined.
    let renames: Vec<Value> = (0..WINDOW)
        .map(|n| {
            json!({"type": "rename_room", "id": format!("rn-{n}"), "room": w.rooms[1],
                   "name": format!("Room {n}")})
        })
        .collect();
    for chunk in renames.chunks(1000) {
        for answer in f.pipeline(chunk).await {
            let answer = answer.expect("answered");
            assert_eq!(answer["type"], "ack", "{answer}");
        }
    }

    let back = server.resume(&ana.token, last).await;
    assert_eq!(back.welcome["resumed"], true, "exactly {WINDOW} missed");
    let events = back.welcome["events"].as_array().expect("events");
    assert_eq!(events.len(), WINDOW);
    assert_eq!(seq_of(&events[0]), last + 1);
    back.close().await;

    let one_more = f
        .ok(json!({"type": "rename_room", "room": w.rooms[1], "name": "Caribbean"}))
        .await;
    let back = server.resume(&ana.token, last).await;
    assert_eq!(back.welcome["resumed"], false, "{}", back.welcome["reason"]);
    assert_eq!(back.welcome["reason"], "too_far_behind");
    assert_eq!(back.seq, one_more);
    let rooms = back.welcome["snapshot"]["rooms"].as_array().expect("rooms");
    assert_eq!(rooms[1]["name"], "Caribbean");
    assert_eq!(card_texts(&back.welcome), Vec::<String>::new());
}

#[tokio::test]
async fn a_delegate_moved_while_offline_resumes_with_the_new_rooms_board_flagged_moved() {
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let (_, mut c) = seated(&server, &w, &mut f, "Carla", "CL", &w.rooms[1]).await;
    let last = a.ok(post_card(&w.rooms[0], "strengths", "Old room")).await;
    a.through_seq(last).await;
    assert_eq!(a.seq, last);
    a.close().await;

    c.ok(post_card(&w.rooms[1], "problems", "New room")).await;
    f.ok(move_to(&ana.id, &w.rooms[1])).await;

    let back = server.resume(&ana.token, last).await;
    assert_eq!(back.welcome["resumed"], false, "{}", back.welcome);
    assert_eq!(back.welcome["reason"], "moved");
    assert_eq!(back.welcome["you"]["room"], w.rooms[1].as_str());
    assert_eq!(card_texts(&back.welcome), ["New room"]);
}

#[tokio::test]
async fn a_delegate_resumes_across_a_restart_with_exactly_the_missed_events() {
    let mut server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let (bruno, mut b) = seated(&server, &w, &mut f, "Bruno", "BR", &w.rooms[0]).await;
    let last = barrier(&mut f).await;
    a.until_seq(last).await;
    assert_eq!(a.seq, last);
    a.close().await;
    let before = b.ok(post_card(&w.rooms[0], "strengths", "B0")).await;
    f.ok(post_card(&w.rooms[1], "strengths", "Elsewhere")).await;
    drop((b, f));

    assert!(server.terminate().await.success());
    server.restart().await;
    let mut b = server.connect(&bruno.token).await;
    let after = b.ok(post_card(&w.rooms[0], "problems", "B1")).await;

    let back = server.resume(&ana.token, last).await;
    assert_eq!(back.welcome["resumed"], true, "{}", back.welcome);
    let events = back.welcome["events"].as_array().expect("events");
    let got: Vec<(u64, &str)> = events
        .iter()
        .map(|e| (seq_of(e), e["event"]["text"].as_str().expect("text")))
        .collect();
    assert_eq!(got, [(before, "B0"), (after, "B1")]);
}

// ---------------------------------------------------------------------------------------
// Restarts
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn sigterm_closes_every_connection_with_4012_and_exits_successfully() {
    let mut server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let (_, a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let codes: Vec<_> = [f, a]
        .into_iter()
        .map(|mut c| tokio::spawn(async move { c.close_code().await }))
        .collect();
    let status = server.terminate().await;
    assert!(status.success(), "{status:?}");
    for code in codes {
        assert_eq!(code.await.expect("reader"), Some(4012));
    }
}

/// What one delegate posting without pause saw until its connection closed.
struct Poster {
    /// Commands written to the socket.
    sent: usize,
    /// Acks by command id.
    acked: BTreeMap<String, u64>,
    close: Option<u16>,
}

/// Connects, then posts card after card (ids `k-{d}-{n}`), up to `WINDOW` unanswered at a
/// time, until the connection closes (or a room's board would be full), while reading
/// every answer; signals `ready` once welcomed.
fn post_until_closed(
    url: String,
    token: String,
    d: usize,
    room: String,
    ready: tokio::sync::oneshot::Sender<()>,
) -> tokio::task::JoinHandle<Poster> {
    use futures_util::{SinkExt, StreamExt};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    use tokio_tungstenite::tungstenite::Message;
    tokio::spawn(async move {
        let mut socket = TestClient::raw(&url).await;
        raw_hello(&mut socket, &token).await;
        let welcome = raw_json(&mut socket).await.expect("welcome");
        assert_eq!(welcome["type"], "welcome", "{welcome}");
        let _ = ready.send(());
        let (mut sink, mut stream) = socket.split();
        const WINDOW: usize = 64;
        const MOST: usize = 1900; // a board holds 2000 cards
        let (closed, sent) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicUsize::new(0)),
        );
        let window = Arc::new(tokio::sync::Semaphore::new(WINDOW));
        let writer = {
            let (closed, sent, window) = (closed.clone(), sent.clone(), window.clone());
            tokio::spawn(async move {
                for n in 0..MOST {
                    let Ok(permit) = window.acquire().await else {
                        break;
                    };
                    permit.forget();
                    if closed.load(Ordering::SeqCst) {
                        break;
                    }
                    let post = with_id(
                        post_card(&room, "strengths", &format!("d{d} card {n}")),
                        &format!("k-{d}-{n}"),
                    );
                    if sink.send(Message::text(post.to_string())).await.is_err() {
                        break;
                    }
                    sent.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        let mut acked = BTreeMap::new();
        let mut close = None;
        loop {
            match tokio::time::timeout(WAIT * 3, stream.next()).await {
                Ok(Some(Ok(Message::Text(t)))) => {
                    let v: Value = serde_json::from_str(&t).expect("JSON");
                    if v["type"] == "error" {
                        panic!("refused while posting: {v}");
                    }
                    if v["type"] == "ack" {
                        let id = v["id"].as_str().expect("id").to_string();
                        assert!(acked.insert(id, seq_of(&v)).is_none(), "acked twice: {v}");
                        window.add_permits(1);
                    }
                }
                Ok(Some(Ok(Message::Close(frame)))) => {
                    close = frame.map(|f| u16::from(f.code));
                    break;
                }
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(_)) | None) => break,
                Err(_) => panic!("delegate {d}: the connection neither closed nor answered"),
            }
        }
        closed.store(true, Ordering::SeqCst);
        window.close();
        writer.await.expect("writer");
        Poster {
            sent: sent.load(Ordering::SeqCst),
            acked,
            close,
        }
    })
}

/// RELIABILITY.md: on SIGTERM every command the server received is answered. Four
/// delegates post without pause through the shutdown: what is stored is exactly what was
/// acknowledged (nothing stored and left unanswered), each at its acknowledged seq.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_while_delegates_post_answers_every_command_it_stored() {
    const DELEGATES: usize = 4;
    let mut server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let mut posters = Vec::new();
    let mut ready = Vec::new();
    for d in 0..DELEGATES {
        let room = w.rooms[d % 4].clone();
        let (m, c) = seated(&server, &w, &mut f, &format!("D{d}"), "AR", &room).await;
        c.close().await;
        let (tx, rx) = tokio::sync::oneshot::channel();
        posters.push(post_until_closed(server.ws_url(), m.token, d, room, tx));
        ready.push(rx);
    }
    for r in ready {
        r.await.expect("connected");
    }
    // The facilitator hears the posts: once 200 are on the boards, SIGTERM.
    let mut heard = 0;
    while heard < 200 {
        if f.next_event().await["event"]["type"] == "card_posted" {
            heard += 1;
        }
    }
    let status = server.terminate().await;
    assert!(status.success(), "{status:?}");
    let mut acked = BTreeMap::new();
    let (mut sent, mut answered) = (0, 0);
    for p in posters {
        let p = p.await.expect("poster");
        assert_eq!(p.close, Some(4012), "closed as restarting");
        sent += p.sent;
        answered += p.acked.len();
        acked.extend(p.acked);
    }
    eprintln!("SIGTERM while posting: {sent} sent, {answered} acknowledged");
    assert!(answered >= 200);
    assert!(
        sent > answered,
        "the delegates were still posting when the server stopped"
    );

    server.restart().await;
    let stored: BTreeMap<String, Vec<u64>> =
        cards_by_text(&server.connect(&w.organizer_token).await.welcome);
    let expected: BTreeMap<String, Vec<u64>> = acked
        .iter()
        .map(|(id, seq)| (text_of(id), vec![*seq]))
        .collect();
    let unanswered: Vec<&String> = stored
        .keys()
        .filter(|t| !expected.contains_key(*t))
        .collect();
    assert!(
        unanswered.is_empty(),
        "stored but never answered: {unanswered:?}"
    );
    assert_eq!(
        stored, expected,
        "every acknowledged post stored once, at its seq"
    );
}

/// After SIGTERM the server takes no new connection, while it still finishes what it
/// has in hand (here an HTTP request whose body has not all arrived).
#[tokio::test]
async fn sigterm_refuses_new_connections_while_it_finishes_the_open_ones() {
    use tokio::io::AsyncWriteExt;
    let mut server = TestServer::start().await;
    let (w, f) = session(&server).await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    // A request in flight: headers and part of the body.
    let mut slow = tokio::net::TcpStream::connect(&server.addr)
        .await
        .expect("connect");
    let head = format!(
        "POST /api/workshops HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"title\"",
        server.addr
    );
    slow.write_all(head.as_bytes()).await.expect("write");
    // The server accepts connections in order: once a later one is answered, it has taken
    // this one and read its headers.
    let ok = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("health");
    assert!(ok.status().is_success());

    let closing = tokio::spawn(async move {
        let mut f = f;
        f.close_code().await
    });
    server.sigterm();
    assert_eq!(closing.await.expect("reader"), Some(4012), "shutdown began");
    // New connections are refused: not accepted at all, or closed before any welcome.
    let url = server.ws_url();
    let attempt = tokio_tungstenite::connect_async(&url).await;
    if let Ok((mut ws, _)) = attempt {
        raw_hello(&mut ws, &ana.token).await;
        let first = raw_json(&mut ws).await;
        assert!(first.is_none(), "welcomed during shutdown: {first:?}");
    }
    assert!(
        server.is_running(),
        "the server was still shutting down (the open request holds it)"
    );
    drop(slow);
    let status = server.wait_exit().await;
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn after_a_sigterm_restart_everything_is_there_old_tokens_work_and_seq_continues() {
    let mut server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let (bruno, mut b) = seated(&server, &w, &mut f, "Bruno", "BR", &w.rooms[1]).await;
    let carla = server.delegate(&w, "Carla", "CL").await;
    a.ok(post_card(&w.rooms[0], "strengths", "Ana 1")).await;
    b.ok(post_card(&w.rooms[1], "problems", "Bruno 1")).await;
    let last = f
        .ok(json!({"type": "close_room", "room": w.rooms[2]}))
        .await;
    let before = server.connect(&w.organizer_token).await.welcome;
    drop((a, b, f));

    assert!(server.terminate().await.success());
    server.restart().await;

    let after = server.connect(&w.organizer_token).await.welcome;
    assert_eq!(after["seq"], last);
    assert_eq!(after["snapshot"], before["snapshot"]);
    let c = server.connect(&carla.token).await;
    assert_eq!(c.welcome["you"]["room"], "lobby");
    let b = server.connect(&bruno.token).await;
    assert_eq!(b.welcome["you"]["room"], w.rooms[1].as_str());
    assert_eq!(card_texts(&b.welcome), ["Bruno 1"]);
    let mut a = server.connect(&ana.token).await;
    assert_eq!(card_texts(&a.welcome), ["Ana 1"]);
    assert_eq!(
        a.ok(post_card(&w.rooms[0], "strengths", "Ana 2")).await,
        last + 1
    );
    // The join codes survive too.
    server.delegate(&w, "Diego", "CO").await;
}

/// Four delegates post as fast as they can (pipelined), the server is killed with `-9`
/// mid-stream, then everyone resends everything with the original ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_mid_stream_loses_no_acked_card_and_resending_everything_posts_each_card_once() {
    const DELEGATES: usize = 4;
    const POSTS: usize = 600;
    let mut server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let mut tokens = Vec::new();
    let mut batches = Vec::new();
    for d in 0..DELEGATES {
        let (m, c) = seated(&server, &w, &mut f, &format!("D{d}"), "AR", &w.rooms[d % 4]).await;
        c.close().await;
        tokens.push(m.token);
        let room = &w.rooms[d % 4];
        let cmds: Vec<Value> = (0..POSTS)
            .map(|n| {
                let post = post_card(room, "strengths", &format!("d{d} card {n}"));
                with_id(post, &format!("k-{d}-{n}"))
            })
            .collect();
        batches.push(cmds);
    }
    f.close().await;

    // An observer (the organizer) records every card it is shown while the floods run:
    // whatever anyone saw must have been stored before it was shown.
    let mut observer = server.connect(&w.organizer_token).await;
    let watching = tokio::spawn(async move {
        let mut seen = Vec::new();
        while let Some(v) = observer.recv().await {
            if v["type"] == "event" && v["event"]["type"] == "card_posted" {
                let text = v["event"]["text"].as_str().expect("text").to_string();
                seen.push((text, seq_of(&v)));
            }
        }
        seen
    });
    let answers = Answers::default();
    let floods = flood_all(&server, &tokens, &batches, &answers).await;
    wait_for(&answers, 200).await;
    server.kill().await;
    let seen = watching.await.expect("observer");
    for fl in floods {
        fl.await.expect("flood task");
    }
    let acked = answers.take();
    assert!(acked.values().all(|a| a["type"] == "ack"), "only acks");
    let total = DELEGATES * POSTS;
    eprintln!("acked before kill -9: {} of {total}", acked.len());
    assert!(
        acked.len() < total,
        "the kill came after everything was acked"
    );

    server.restart().await;
    let welcome = server.connect(&w.organizer_token).await.welcome;
    let cards = cards_by_text(&welcome);
    for (id, ack) in &acked {
        let text = text_of(id);
        let card = cards
            .get(&text)
            .unwrap_or_else(|| panic!("acked {id} lost"));
        assert_eq!(card.len(), 1, "{text} duplicated");
        assert_eq!(card[0], seq_of(ack), "{text}: card seq vs ack seq");
    }
    assert!(
        cards.values().all(|c| c.len() == 1),
        "duplicates after restart"
    );
    assert!(!seen.is_empty(), "the observer saw cards before the kill");
    for (text, seq) in &seen {
        let stored = cards
            .get(text)
            .unwrap_or_else(|| panic!("{text} was shown, then lost"));
        assert_eq!(stored, &vec![*seq], "{text}: shown at {seq}");
    }
    let seq_after_restart = seq_of(&welcome);

    let answers = Answers::default();
    let floods = flood_all(&server, &tokens, &batches, &answers).await;
    for fl in floods {
        fl.await.expect("flood task");
    }
    let resent = answers.take();
    assert_eq!(resent.len(), total);
    for (id, answer) in &resent {
        assert_eq!(answer["type"], "ack", "{answer}");
        let seq = seq_of(answer);
        match (acked.get(id), cards.get(&text_of(id))) {
            (Some(ack), _) => assert_eq!(seq, seq_of(ack), "{id} re-acked differently"),
            (None, Some(stored)) => assert_eq!(seq, stored[0], "{id} durable but unacked"),
            (None, None) => assert!(seq > seq_after_restart, "{id} applied now: {seq}"),
        }
    }
    let final_cards = cards_by_text(&server.connect(&w.organizer_token).await.welcome);
    assert_eq!(final_cards.len(), total);
    assert!(final_cards.values().all(|c| c.len() == 1), "duplicates");
}

/// "Stored before anyone sees it", with no luck involved: the database's write lock is held
/// from outside, so a delegate's post is stuck in its group commit. Once the actor is
/// provably inside that commit (its 1-message inbox is full behind it, counted by
/// `cabildo_inbox_full_total`), the server is killed with `-9`. Nothing of the stuck posts
/// was stored, and neither the observer connected all along nor the poster was shown any
/// of them (every frame each received before its socket closed is read).
#[tokio::test]
async fn posts_stuck_in_their_commit_at_a_kill_9_were_shown_to_nobody() {
    let mut flags = NO_RATE_LIMITS.to_vec();
    flags.extend(["--workshop-inbox", "1"]);
    let mut server = TestServer::start_with(&flags).await;
    let (w, mut f) = session(&server).await;
    let (_ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let mut observer = server.connect(&w.organizer_token).await;
    let lock = server.db.hold_writes().await;
    // The first is taken into the stuck commit, the second fills the inbox, the third
    // finds it full.
    for i in 0..3 {
        let post = post_card(&w.rooms[0], "strengths", &format!("stuck {i}"));
        a.send(with_id(post, &format!("stuck-{i}"))).await;
    }
    let stuck = tokio::time::timeout(Duration::from_secs(5), async {
        while value(&scrape(&server).await, "cabildo_inbox_full_total") < 1.0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    server.kill().await;
    lock.release().await;
    stuck.expect("the commit was stuck with the inbox full behind it");

    let stored = server.db.stored_event_types(&w.id).await;
    assert!(!stored.iter().any(|t| t == "card_posted"), "{stored:?}");
    for (who, client) in [("observer", &mut observer), ("poster", &mut a)] {
        let mut frames = Vec::new();
        while let Some(v) = client.next_frame_within(WAIT).await {
            frames.push(v);
        }
        let shown: Vec<&Value> = frames
            .iter()
            .filter(|v| v.to_string().contains("stuck"))
            .collect();
        assert!(shown.is_empty(), "the {who} was shown {shown:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// A workshop with a connected facilitator.
async fn session(server: &TestServer) -> (Workshop, TestClient) {
    let w = server.workshop().await;
    let fac = server.facilitator(&w, "Fran").await;
    let f = server.connect(&fac.token).await;
    (w, f)
}

fn with_id(mut command: Value, id: &str) -> Value {
    command["id"] = json!(id);
    command
}

fn seq_of(frame: &Value) -> u64 {
    frame["seq"]
        .as_u64()
        .unwrap_or_else(|| panic!("seq in {frame}"))
}

/// The text of the card posted by kill-test command `k-{d}-{n}`.
fn text_of(id: &str) -> String {
    let mut parts = id.split('-').skip(1);
    let (d, n) = (parts.next().expect("d"), parts.next().expect("n"));
    format!("d{d} card {n}")
}

/// Every card on every board, as a fresh staff connection sees them.
async fn board(server: &TestServer, w: &Workshop) -> Vec<String> {
    card_texts(&server.connect(&w.organizer_token).await.welcome)
}

/// Texts of the cards of a snapshot, each with the seqs of the cards carrying it.
fn cards_by_text(welcome: &Value) -> BTreeMap<String, Vec<u64>> {
    let mut out: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for card in welcome["snapshot"]["cards"].as_array().expect("cards") {
        let text = card["text"].as_str().expect("text").to_string();
        out.entry(text).or_default().push(seq_of(card));
    }
    out
}

/// The `card_posted` event frames that arrived before the barrier at `until`.
async fn posted_events(c: &mut TestClient, until: u64) -> Vec<Value> {
    c.until_seq(until)
        .await
        .into_iter()
        .filter(|v| v["type"] == "event" && v["event"]["type"] == "card_posted")
        .collect()
}

async fn posted_texts(c: &mut TestClient, until: u64) -> Vec<String> {
    posted_events(c, until)
        .await
        .iter()
        .map(|e| e["event"]["text"].as_str().expect("text").to_string())
        .collect()
}
