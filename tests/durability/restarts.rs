//! Restarts (SIGTERM and `kill -9`) on the same database.

use super::*;

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
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut server = TestServer::start().await;
    let (w, f) = session(&server).await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    // A request in flight: headers and part of the body. Its `100 Continue` says the
    // server has read the headers and its handler waits for the body (having accepted the
    // connection is not enough: under load the headers may not be read yet when SIGTERM
    // comes, and an idle connection is closed at once).
    let mut slow = tokio::net::TcpStream::connect(&server.addr)
        .await
        .expect("connect");
    let head = format!(
        "POST /api/workshops HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n",
        server.addr
    );
    slow.write_all(head.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    tokio::time::timeout(WAIT, async {
        while !answer.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            let n = slow.read(&mut byte).await.expect("read");
            assert_eq!(n, 1, "closed before answering: {answer:?}");
            answer.push(byte[0]);
        }
    })
    .await
    .expect("100 Continue");
    assert!(
        answer.starts_with(b"HTTP/1.1 100 Continue"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    slow.write_all(b"{\"title\"").await.expect("write");

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
/// from outside, so a delegate's posts are stuck in their group commits. Once the actor
/// provably has them in hand (its pipeline is full behind the first commit and its
/// 1-message inbox full behind that, counted by `cabildo_inbox_full_total`), the server is
/// killed with `-9`. Nothing of the stuck posts
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
    // The workshop takes at most 4 batches into its pipeline (a batch is what waits in its
    // 1-message inbox, so one post), all stuck behind the first commit; the 5th post fills
    // the inbox and the 6th finds it full.
    for i in 0..6 {
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
