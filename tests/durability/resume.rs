//! Resuming after a dropped connection: exactly the missed events, or a snapshot saying why.

use super::*;

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
