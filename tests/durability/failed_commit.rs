//! A commit that fails with posts queued behind it: on one SQLite node a workshop hands its
//! next batch to the store while the one before is written, so several batches can wait
//! behind the one that fails.

use super::*;

/// The database's write lock is held from outside while a delegate sends posts one after
/// another. On SQLite the first commit fails after the writer's 10 s busy timeout, with
/// the batches decided after it queued behind it: each of those posts is answered
/// `unavailable` and none of them is stored or shown (they were decided on a state that was
/// never stored). Retried with the same ids once the lock is gone, every post is stored
/// once, and the log and what everyone saw run on without a gap. (PostgreSQL waits for the
/// lock instead of failing: the lock is let go after a second, and the same holds.)
#[tokio::test]
async fn posts_queued_behind_a_failed_commit_are_refused_unwritten_and_the_log_has_no_gap() {
    const POSTS: usize = 8;
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let room = &w.rooms[0];
    let (_ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", room).await;
    let mut observer = server.connect(&w.organizer_token).await;
    let before = observer.seq;
    let post = |n: usize| {
        with_id(
            post_card(room, "strengths", &format!("queued {n}")),
            &format!("q-{n}"),
        )
    };

    let lock = server.db.hold_writes().await;
    for n in 0..POSTS {
        a.send(post(n)).await;
    }
    let mut answers = BTreeMap::new();
    if server.db.is_postgres() {
        tokio::time::sleep(Duration::from_secs(1)).await;
    } else {
        // Past the busy timeout the first commit fails: its answer comes first.
        let first = loop {
            let v = a
                .recv_within(Duration::from_secs(30))
                .await
                .expect("the failed commit is answered");
            if v["type"] == "ack" || v["type"] == "error" {
                break v;
            }
        };
        assert_eq!(
            (&first["type"], &first["id"]),
            (&json!("error"), &json!("q-0")),
            "{first}"
        );
        answers.insert("q-0".to_string(), first);
    }
    lock.release().await;
    while answers.len() < POSTS {
        let v = a.recv().await.expect("every post is answered");
        if v["type"] == "ack" || v["type"] == "error" {
            answers.insert(v["id"].as_str().expect("id").to_string(), v);
        }
    }
    let refused: Vec<usize> = (0..POSTS)
        .filter(|n| answers[&format!("q-{n}")]["type"] == "error")
        .collect();
    for n in &refused {
        let e = &answers[&format!("q-{n}")];
        assert_eq!(e["code"], "unavailable", "{e}");
    }
    if !server.db.is_postgres() {
        assert!(refused.contains(&0), "{answers:?}");
    }
    // Nothing refused was stored.
    let stored = server.db.stored_event_types(&w.id).await;
    let posted = stored.iter().filter(|t| *t == "card_posted").count();
    assert_eq!(posted, POSTS - refused.len(), "{answers:?}");

    // Retried, each refused post is stored once.
    for n in &refused {
        let retried = a.command(post(*n)).await;
        assert_eq!(retried["type"], "ack", "{retried}");
        answers.insert(format!("q-{n}"), retried);
    }
    let mut acked: Vec<(u64, String)> = answers
        .iter()
        .map(|(id, v)| (seq_of(v), id.replace("q-", "queued ")))
        .collect();
    acked.sort();
    let last = acked.last().expect("acks").0;
    let seen: Vec<Value> = observer
        .until_seq(last)
        .await
        .into_iter()
        .filter(|v| v["type"] == "event")
        .collect();
    let mut seqs: Vec<u64> = seen.iter().map(seq_of).collect();
    seqs.push(last);
    let expected: Vec<u64> = (before + 1..=last).collect();
    assert_eq!(seqs, expected, "the observer saw every seq once, in order");
    let stored = server.db.stored_event_types(&w.id).await;
    assert_eq!(
        stored.len() as u64,
        last,
        "the log holds seq 1 to {last}, no gap"
    );
    let on_board = cards_by_text(&server.connect(&w.organizer_token).await.welcome);
    let expected: BTreeMap<String, Vec<u64>> = acked
        .into_iter()
        .map(|(seq, text)| (text, vec![seq]))
        .collect();
    assert_eq!(
        on_board, expected,
        "each post stored once, at its acked seq"
    );
}
