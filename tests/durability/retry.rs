//! Idempotent retry: a command sent again gets its first answer and does nothing more.

use super::*;

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
