//! Breakout rooms over real sockets: placing delegates, parallel boards, moving people live,
//! closing rooms, and who may do what.

mod common;
use common::*;
use futures_util::future::join_all;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Twelve delegates of the reference event, three per room.
const DELEGATES: [(&str, &str); 12] = [
    ("Ana", "AR"),
    ("Bruno", "BR"),
    ("Carla", "CL"),
    ("Diego", "CO"),
    ("Elena", "CR"),
    ("Fabio", "EC"),
    ("Gina", "JM"),
    ("Hugo", "MX"),
    ("Inés", "PA"),
    ("Jorge", "PE"),
    ("Kim", "TT"),
    ("Lucía", "UY"),
];
const CARDS_EACH: usize = 3;
const COLUMNS: [&str; 3] = ["strengths", "problems", "solutions"];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reference_workshop_four_rooms_post_in_parallel_and_each_delegate_sees_only_their_room() {
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let mut seated_delegates = Vec::new();
    for (i, (name, country)) in DELEGATES.iter().enumerate() {
        let room = w.rooms[i % 4].clone();
        let (m, c) = seated(&server, &w, &mut f, name, country, &room).await;
        seated_delegates.push((m, format!("{country} {name}"), room, c));
    }

    // Every delegate posts at the same time.
    let tasks = seated_delegates.into_iter().map(|(m, who, room, mut c)| {
        tokio::spawn(async move {
            for n in 0..CARDS_EACH {
                let text = format!("{who}: idea {n}");
                c.ok(post_card(&room, COLUMNS[n % 3], &text)).await;
            }
            (m, who, room, c)
        })
    });
    let delegates: Vec<_> = join_all(tasks)
        .await
        .into_iter()
        .map(|t| t.expect("delegate task"))
        .collect();

    let mut by_room: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (_, who, room, _) in &delegates {
        let cards = by_room.entry(room.clone()).or_default();
        cards.extend((0..CARDS_EACH).map(|n| format!("{who}: idea {n}")));
    }
    for cards in by_room.values_mut() {
        cards.sort();
    }
    assert_eq!(by_room.len(), 4);

    // Every post was acknowledged: a broadcast now comes after all of them.
    let after = barrier(&mut f).await;
    for (m, who, room, mut c) in delegates {
        let expected = &by_room[&room];
        let live = sorted(posted_texts(&c.until_seq(after).await));
        assert_eq!(&live, expected, "live cards of {who}");
        let fresh = server.connect(&m.token).await;
        assert_eq!(fresh.welcome["you"]["room"], room.as_str(), "{who}");
        assert_eq!(
            &sorted(card_texts(&fresh.welcome)),
            expected,
            "snapshot of {who}"
        );
    }

    // The facilitator hears every card of every room, in strictly increasing seq.
    let all = DELEGATES.len() * CARDS_EACH;
    let mut seqs = Vec::new();
    let mut texts = Vec::new();
    while texts.len() < all {
        let ev = f.next_event().await;
        seqs.push(ev["seq"].as_u64().expect("seq"));
        if ev["event"]["type"] == "card_posted" {
            texts.push(ev["event"]["text"].as_str().expect("text").to_string());
        }
    }
    assert!(seqs.windows(2).all(|p| p[0] < p[1]), "seqs: {seqs:?}");
    let every: Vec<String> = by_room.into_values().flatten().collect();
    assert_eq!(sorted(texts), sorted(every));
}

#[tokio::test]
async fn delegate_moved_mid_session_sees_new_room_board() {
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let (r1, r2) = (&w.rooms[0], &w.rooms[1]);
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", r1).await;
    post(&mut a, r1, "Ana in room 1").await;
    post(&mut f, r2, "Room 2 card").await;
    let settled = barrier(&mut f).await;
    a.until_seq(settled).await;

    f.ok(move_to(&ana.id, r2)).await;
    let moved = a.next_update().await.expect("participant_moved");
    assert_eq!(moved["type"], "event", "{moved}");
    assert_eq!(moved["event"]["type"], "participant_moved");
    assert_eq!(moved["event"]["participant"], ana.id.as_str());
    assert_eq!(moved["event"]["from"], r1.as_str());
    assert_eq!(moved["event"]["room"], r2.as_str());
    let snap = a.next_update().await.expect("snapshot");
    assert_eq!(snap["type"], "snapshot", "{snap}");
    assert_eq!(snap["reason"], "moved");
    assert_eq!(snap["seq"], moved["seq"]);
    assert_eq!(card_texts(&snap), ["Room 2 card"]);

    // Room 1 is posted to first: if it reached Ana, it would arrive first.
    f.ok(post_card(r1, "strengths", "Later in room 1")).await;
    f.ok(post_card(r2, "strengths", "Later in room 2")).await;
    let next = a.event_of_type("card_posted").await;
    assert_eq!(next["event"]["text"], "Later in room 2");

    a.refused(post_card(r1, "strengths", "Back to 1?"), "forbidden")
        .await;
    a.ok(post_card(r2, "problems", "Ana in room 2")).await;
}

#[tokio::test]
async fn delegate_sent_to_the_lobby_loses_the_board() {
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let r1 = &w.rooms[0];
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", r1).await;
    post(&mut a, r1, "Ana in room 1").await;
    let settled = barrier(&mut f).await;
    a.until_seq(settled).await;

    f.ok(move_to(&ana.id, "lobby")).await;
    let moved = a.next_update().await.expect("participant_moved");
    assert_eq!(moved["event"]["type"], "participant_moved", "{moved}");
    assert_eq!(moved["event"]["room"], "lobby");
    let snap = a.next_update().await.expect("snapshot");
    assert_eq!(snap["type"], "snapshot", "{snap}");
    assert_eq!(snap["reason"], "moved");
    assert!(card_texts(&snap).is_empty(), "{snap}");
    assert!(ids(&snap["snapshot"]["lobby"]).contains(&ana.id));

    f.ok(post_card(r1, "strengths", "Room 1 goes on")).await;
    let after = barrier(&mut f).await;
    assert!(posted_texts(&a.until_seq(after).await).is_empty());
    a.refused(post_card(r1, "strengths", "From the lobby"), "forbidden")
        .await;
}

#[tokio::test]
async fn delegates_who_just_joined_wait_in_the_lobby_and_cannot_post() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let mut a = server.connect(&ana.token).await;
    assert_eq!(a.welcome["you"]["id"], ana.id.as_str());
    assert_eq!(a.welcome["you"]["room"], "lobby");
    assert!(ids(&a.welcome["snapshot"]["lobby"]).contains(&ana.id));
    for room in a.welcome["snapshot"]["rooms"].as_array().expect("rooms") {
        assert!(!ids(&room["members"]).contains(&ana.id), "{room}");
    }
    assert!(card_texts(&a.welcome).is_empty());
    a.refused(
        post_card(&w.rooms[0], "strengths", "Too early"),
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn closed_room_refuses_posts_edits_and_deletes_until_reopened() {
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let (r1, r2) = (&w.rooms[0], &w.rooms[1]);
    let (_, mut a) = seated(&server, &w, &mut f, "Ana", "AR", r1).await;
    let (_, mut b) = seated(&server, &w, &mut f, "Bruno", "BR", r2).await;
    let card = post(&mut a, r1, "Before closing").await;

    let closed_seq = f.ok(room_cmd("close_room", r1)).await;
    for c in [&mut a, &mut b, &mut f] {
        let ev = c.event_of_type("room_closed").await;
        assert_eq!(ev["seq"].as_u64(), Some(closed_seq));
        assert_eq!(ev["event"]["room"], r1.as_str());
    }
    a.refused(post_card(r1, "strengths", "Too late"), "closed")
        .await;
    a.refused(edit(&card, "Changed"), "closed").await;
    a.refused(delete(&card), "closed").await;
    f.refused(post_card(r1, "strengths", "Staff too"), "closed")
        .await;
    b.ok(post_card(r2, "strengths", "Room 2 is still open"))
        .await;

    let opened_seq = f.ok(room_cmd("open_room", r1)).await;
    for c in [&mut a, &mut b, &mut f] {
        let ev = c.event_of_type("room_opened").await;
        assert_eq!(ev["seq"].as_u64(), Some(opened_seq));
        assert_eq!(ev["event"]["room"], r1.as_str());
    }
    a.ok(post_card(r1, "strengths", "Open again")).await;
    a.ok(edit(&card, "Changed after reopening")).await;
}

#[tokio::test]
async fn closing_a_closed_room_is_acked_without_a_new_event() {
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let (_, mut b) = seated(&server, &w, &mut f, "Bruno", "BR", &w.rooms[1]).await;
    let first = f.ok(room_cmd("close_room", &w.rooms[0])).await;
    b.event_of_type("room_closed").await;
    let second = f.ok(room_cmd("close_room", &w.rooms[0])).await;
    assert_eq!(second, first, "no new event, so no new seq");
    let after = barrier(&mut f).await;
    let rest = b.until_seq(after).await;
    assert!(event_types(&rest).is_empty(), "{rest:?}");
}

#[tokio::test]
async fn delegate_cannot_move_participants() {
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let bruno = server.delegate(&w, "Bruno", "BR").await;
    a.refused(move_to(&bruno.id, &w.rooms[0]), "forbidden")
        .await;
    a.refused(move_to(&ana.id, &w.rooms[1]), "forbidden").await;
}

#[tokio::test]
async fn delegate_cannot_close_a_room() {
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let (_, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    a.refused(room_cmd("close_room", &w.rooms[0]), "forbidden")
        .await;
    a.ok(post_card(&w.rooms[0], "strengths", "Still open"))
        .await;
}

#[tokio::test]
async fn delegate_cannot_open_a_room() {
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let (_, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    f.ok(room_cmd("close_room", &w.rooms[0])).await;
    a.refused(room_cmd("open_room", &w.rooms[0]), "forbidden")
        .await;
    a.refused(
        post_card(&w.rooms[0], "strengths", "Still closed"),
        "closed",
    )
    .await;
}

#[tokio::test]
async fn delegate_cannot_edit_someone_elses_card() {
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let (_, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let (_, mut b) = seated(&server, &w, &mut f, "Bruno", "BR", &w.rooms[0]).await;
    let card = post(&mut a, &w.rooms[0], "Ana's idea").await;
    b.refused(edit(&card, "Bruno's now"), "forbidden").await;
}

#[tokio::test]
async fn delegate_cannot_delete_someone_elses_card() {
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let (_, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let (_, mut b) = seated(&server, &w, &mut f, "Bruno", "BR", &w.rooms[0]).await;
    let card = post(&mut a, &w.rooms[0], "Ana's idea").await;
    b.refused(delete(&card), "forbidden").await;
    let fresh = server.connect(&f_token(&server, &w).await).await;
    assert_eq!(card_texts(&fresh.welcome), ["Ana's idea"]);
}

#[tokio::test]
async fn facilitator_can_edit_and_delete_any_card() {
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let (_, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[2]).await;
    let card = post(&mut a, &w.rooms[2], "Ana's idea").await;

    let edited = f.ok(edit(&card, "Moderated")).await;
    let ev = a.event_of_type("card_edited").await;
    assert_eq!(ev["seq"].as_u64(), Some(edited));
    assert_eq!(ev["event"]["card"], card.as_str());
    assert_eq!(ev["event"]["text"], "Moderated");

    let deleted = f.ok(delete(&card)).await;
    let ev = a.event_of_type("card_deleted").await;
    assert_eq!(ev["seq"].as_u64(), Some(deleted));
    assert_eq!(ev["event"]["card"], card.as_str());
}

#[tokio::test]
async fn delegate_of_room_1_cannot_post_to_room_2() {
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let (_, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    a.refused(
        post_card(&w.rooms[1], "strengths", "Wrong room"),
        "forbidden",
    )
    .await;
    let fresh = server.connect(&w.organizer_token).await;
    assert!(card_texts(&fresh.welcome).is_empty());
}

#[tokio::test]
async fn delegate_of_workshop_a_cannot_post_to_a_room_of_workshop_b() {
    let server = TestServer::start().await;
    let (a_ws, mut f) = session(&server).await;
    let b_ws = server.workshop().await;
    let (_, mut a) = seated(&server, &a_ws, &mut f, "Ana", "AR", &a_ws.rooms[0]).await;
    a.refused(
        post_card(&b_ws.rooms[0], "strengths", "Elsewhere"),
        "not_found",
    )
    .await;
    let b_org = server.connect(&b_ws.organizer_token).await;
    assert!(card_texts(&b_org.welcome).is_empty());
}

#[tokio::test]
async fn organizer_token_connects_and_sees_every_rooms_cards() {
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    for (i, room) in w.rooms.iter().enumerate() {
        f.ok(post_card(
            room,
            "strengths",
            &format!("Room {} card", i + 1),
        ))
        .await;
    }
    let mut o = server.connect(&w.organizer_token).await;
    assert_eq!(o.welcome["you"]["role"], "organizer");
    assert_eq!(
        card_texts(&o.welcome),
        ["Room 1 card", "Room 2 card", "Room 3 card", "Room 4 card"]
    );
    let (_, mut d) = seated(&server, &w, &mut f, "Diego", "CO", &w.rooms[3]).await;
    d.ok(post_card(&w.rooms[3], "problems", "Live from room 4"))
        .await;
    let ev = o.event_of_type("card_posted").await;
    assert_eq!(ev["event"]["text"], "Live from room 4");
}

#[tokio::test]
async fn editing_own_card_reaches_the_room_and_staff_but_not_other_rooms() {
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let r1 = &w.rooms[0];
    let (_, mut a) = seated(&server, &w, &mut f, "Ana", "AR", r1).await;
    let (_, mut b) = seated(&server, &w, &mut f, "Bruno", "BR", r1).await;
    let (_, mut c) = seated(&server, &w, &mut f, "Carla", "CL", &w.rooms[1]).await;
    let card = post(&mut a, r1, "First draft").await;

    let seq = a.ok(edit(&card, "Second draft")).await;
    for client in [&mut b, &mut f] {
        let ev = client.event_of_type("card_edited").await;
        assert_eq!(ev["seq"].as_u64(), Some(seq));
        assert_eq!(ev["event"]["card"], card.as_str());
        assert_eq!(ev["event"]["text"], "Second draft");
    }
    let after = barrier(&mut f).await;
    let heard = c.until_seq(after).await;
    assert!(
        !event_types(&heard).iter().any(|t| t.starts_with("card_")),
        "{heard:?}"
    );
}

#[tokio::test]
async fn deleting_own_card_reaches_the_room_and_staff_but_not_other_rooms() {
    let server = TestServer::start().await;
    let (w, mut f) = session(&server).await;
    let r1 = &w.rooms[0];
    let (_, mut a) = seated(&server, &w, &mut f, "Ana", "AR", r1).await;
    let (_, mut b) = seated(&server, &w, &mut f, "Bruno", "BR", r1).await;
    let (_, mut c) = seated(&server, &w, &mut f, "Carla", "CL", &w.rooms[1]).await;
    let card = post(&mut a, r1, "Short-lived").await;

    let seq = a.ok(delete(&card)).await;
    for client in [&mut b, &mut f] {
        let ev = client.event_of_type("card_deleted").await;
        assert_eq!(ev["seq"].as_u64(), Some(seq));
        assert_eq!(ev["event"]["card"], card.as_str());
    }
    let after = barrier(&mut f).await;
    let heard = c.until_seq(after).await;
    assert!(
        !event_types(&heard).iter().any(|t| t.starts_with("card_")),
        "{heard:?}"
    );
    let fresh = server.connect(&f_token(&server, &w).await).await;
    assert!(card_texts(&fresh.welcome).is_empty());
}

// ---- helpers for this file ----

/// A default workshop (four rooms) and a connected facilitator.
async fn session(server: &TestServer) -> (Workshop, TestClient) {
    let w = server.workshop().await;
    let fac = server.facilitator(&w, "Facilitator").await;
    let f = server.connect(&fac.token).await;
    (w, f)
}

/// A token of a new facilitator, for a fresh look at every board.
async fn f_token(server: &TestServer, w: &Workshop) -> String {
    server.facilitator(w, "Observer").await.token
}

/// Posts a card that must be acknowledged; returns its id, read from the poster's own
/// `card_posted` event (which arrives before the ack).
async fn post(c: &mut TestClient, room: &str, text: &str) -> String {
    let seq = c.ok(post_card(room, "strengths", text)).await;
    loop {
        let ev = c.event_of_type("card_posted").await;
        if ev["seq"].as_u64() == Some(seq) {
            assert_eq!(ev["event"]["text"], text);
            return ev["event"]["card"].as_str().expect("card id").to_string();
        }
    }
}

fn edit(card: &str, text: &str) -> Value {
    json!({"type": "edit_card", "card": card, "text": text})
}

fn delete(card: &str) -> Value {
    json!({"type": "delete_card", "card": card})
}

fn room_cmd(ty: &str, room: &str) -> Value {
    json!({"type": ty, "room": room})
}

fn posted_texts(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .filter(|v| v["type"] == "event" && v["event"]["type"] == "card_posted")
        .map(|v| v["event"]["text"].as_str().expect("text").to_string())
        .collect()
}

fn event_types(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .filter(|v| v["type"] == "event")
        .map(|v| v["event"]["type"].as_str().expect("type").to_string())
        .collect()
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("array: {v}"))
        .iter()
        .map(|i| i.as_str().expect("id").to_string())
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// The text of the next `card_posted` a client receives (skipping other updates).
async fn next_card_text(c: &mut TestClient) -> String {
    let v = c.event_of_type("card_posted").await;
    v["event"]["text"].as_str().expect("text").to_string()
}

#[tokio::test]
async fn board_events_follow_people_as_they_move_connect_and_leave() {
    // The server keeps its per-room list of recipients between board events: moving,
    // connecting and leaving must each be reflected in the very next card.
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_, mut f) = staff(&server, &w).await;
    let (north, south) = (w.rooms[0].clone(), w.rooms[1].clone());
    let (_, mut ana) = seated(&server, &w, &mut f, "Ana", "AR", &north).await;
    let (bruno, mut bruno_socket) = seated(&server, &w, &mut f, "Bruno", "BR", &north).await;
    let (carla_member, mut carla) = seated(&server, &w, &mut f, "Carla", "CL", &south).await;

    ana.ok(post_card(&north, "strengths", "north 1")).await;
    assert_eq!(next_card_text(&mut bruno_socket).await, "north 1");
    assert_eq!(next_card_text(&mut f).await, "north 1");

    // Bruno moves south: the next north card is not his, the next south card is.
    f.ok(move_to(&bruno.id, &south)).await;
    ana.ok(post_card(&north, "strengths", "north 2")).await;
    carla.ok(post_card(&south, "strengths", "south 1")).await;
    assert_eq!(next_card_text(&mut bruno_socket).await, "south 1");
    assert_eq!(next_card_text(&mut carla).await, "south 1");
    assert_eq!(next_card_text(&mut f).await, "north 2");
    assert_eq!(next_card_text(&mut f).await, "south 1");

    // Diego connects into the north room after those cards: he gets the next one live.
    let (_, mut diego) = seated(&server, &w, &mut f, "Diego", "CO", &north).await;
    ana.ok(post_card(&north, "strengths", "north 3")).await;
    assert_eq!(next_card_text(&mut diego).await, "north 3");

    // A second connection of Carla's, opened with no event since the last card, gets the
    // next south card; once Bruno leaves, the room goes on without him.
    let mut carla_again = server.connect(&carla_member.token).await;
    carla.ok(post_card(&south, "strengths", "south 2")).await;
    assert_eq!(next_card_text(&mut carla_again).await, "south 2");
    assert_eq!(next_card_text(&mut carla).await, "south 2");
    bruno_socket.close().await;
    carla.ok(post_card(&south, "strengths", "south 3")).await;
    assert_eq!(next_card_text(&mut carla_again).await, "south 3");
    for text in ["north 1", "north 2", "north 3"] {
        assert_eq!(
            next_card_text(&mut ana).await,
            text,
            "Ana sees her own cards"
        );
    }

    // A facilitator who connects later sees every room's cards.
    let late = server.facilitator(&w, "Late").await;
    let mut late_socket = server.connect(&late.token).await;
    ana.ok(post_card(&north, "strengths", "north 4")).await;
    carla.ok(post_card(&south, "strengths", "south 4")).await;
    assert_eq!(next_card_text(&mut late_socket).await, "north 4");
    assert_eq!(next_card_text(&mut late_socket).await, "south 4");
}
