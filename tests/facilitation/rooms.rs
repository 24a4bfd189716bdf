//! Rooms made, renamed, filled and removed mid-session; everyone back to the lobby; broadcasts.

use super::*;

// ---- Rooms --------------------------------------------------------------------------

#[tokio::test]
async fn a_room_created_mid_session_reaches_everyone_and_is_usable_at_once() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let (_ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let bob = server.delegate(&w, "Bob", "BR").await;
    let mut b = server.connect(&bob.token).await;

    let seq = f
        .ok(json!({"type": "create_room", "name": "Room 5 — Caribbean"}))
        .await;
    let mut id = String::new();
    for c in [&mut a, &mut b, &mut f] {
        let ev = c.event_of_type("room_created").await;
        assert_eq!(ev["seq"].as_u64(), Some(seq));
        assert_eq!(ev["event"]["room"]["name"], "Room 5 — Caribbean");
        assert_eq!(ev["event"]["room"]["open"], true);
        id = ev["event"]["room"]["id"]
            .as_str()
            .expect("room id")
            .to_string();
    }
    assert!(!w.rooms.contains(&id));
    // Usable at once: Bob is moved there and posts on its board.
    let moved = f.ok(move_to(&bob.id, &id)).await;
    let snap = snapshot_at(&mut b, moved).await;
    assert_eq!(place_of(&snap["snapshot"], &bob.id), id);
    b.ok(post_card(&id, "strengths", "New room works")).await;
    let rooms = snapshot(&server, &bob.token).await["rooms"].clone();
    assert_eq!(rooms.as_array().expect("rooms").len(), 5);
    // Delegates do not create rooms.
    a.refused(json!({"type": "create_room", "name": "Mine"}), "forbidden")
        .await;
}

#[tokio::test]
async fn renaming_a_room_reaches_everyone() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[1]).await;

    let seq = f
        .ok(json!({"type": "rename_room", "room": w.rooms[0], "name": "Andean countries"}))
        .await;
    let ev = a.event_of_type("room_renamed").await;
    assert_eq!(ev["seq"].as_u64(), Some(seq));
    assert_eq!(ev["event"]["room"], w.rooms[0].as_str());
    assert_eq!(ev["event"]["name"], "Andean countries");
    let snap = snapshot(&server, &ana.token).await;
    assert_eq!(snap["rooms"][0]["name"], "Andean countries");
    a.refused(
        json!({"type": "rename_room", "room": w.rooms[1], "name": "Ours"}),
        "forbidden",
    )
    .await;
    f.refused(
        json!({"type": "rename_room", "room": NO_SUCH_ROOM, "name": "Nowhere"}),
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn a_full_room_takes_no_more_delegates() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let bob = server.delegate(&w, "Bob", "BR").await;
    let room = &w.rooms[0];

    let seq = f
        .ok(json!({"type": "set_room_capacity", "room": room, "capacity": 1}))
        .await;
    let ev = f.event_of_type("room_capacity_set").await;
    assert_eq!(ev["seq"].as_u64(), Some(seq));
    assert_eq!(ev["event"]["capacity"], 1);
    f.ok(move_to(&ana.id, room)).await;
    f.refused(move_to(&bob.id, room), "invalid").await;
    f.refused(
        json!({"type": "set_room_capacity", "room": room, "capacity": 0}),
        "invalid",
    )
    .await;
    // Lifting the limit lets Bob in.
    f.ok(json!({"type": "set_room_capacity", "room": room, "capacity": null}))
        .await;
    f.ok(move_to(&bob.id, room)).await;
    let snap = snapshot(&server, &ana.token).await;
    assert_eq!(delegates_per_room(&snap), [2, 0, 0, 0]);
}

#[tokio::test]
async fn removing_a_room_sends_its_members_to_the_lobby_and_keeps_its_cards() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let (bob, mut b) = seated(&server, &w, &mut f, "Bob", "BR", &w.rooms[0]).await;
    let room = &w.rooms[0];
    a.ok(post_card(room, "strengths", "Kept after removal"))
        .await;

    let seq = f.ok(json!({"type": "remove_room", "room": room})).await;
    for (c, who) in [(&mut a, &ana), (&mut b, &bob)] {
        let ev = c.event_of_type("room_removed").await;
        assert_eq!(ev["seq"].as_u64(), Some(seq));
        assert_eq!(ev["event"]["moves"].as_array().expect("moves").len(), 2);
        let snap = snapshot_at(c, seq).await;
        assert_eq!(snap["reason"], "moved");
        assert_eq!(place_of(&snap["snapshot"], &who.id), "lobby");
        assert!(card_texts(&snap).is_empty(), "the lobby has no board");
    }
    let staff_view = snapshot(&server, &fac.token).await;
    assert_eq!(staff_view["rooms"][0]["removed"], true);
    assert_eq!(card_texts_of(&staff_view), ["Kept after removal"]);
    // The room is no target any more.
    f.refused(move_to(&ana.id, room), "not_found").await;
    f.refused(
        json!({"type": "broadcast", "room": room, "text": "Hello?"}),
        "not_found",
    )
    .await;
    f.refused(
        json!({"type": "assign_rooms", "strategy": "plan", "plan": {ana.id.clone(): room}}),
        "not_found",
    )
    .await;
    // Assignment only uses the rooms still in use.
    f.ok(json!({"type": "assign_rooms", "strategy": "even"}))
        .await;
    let snap = snapshot(&server, &fac.token).await;
    assert_eq!(delegates_per_room(&snap), [1, 1, 0], "rooms 2, 3 and 4");
}

// ---- Everyone back ------------------------------------------------------------------

#[tokio::test]
async fn everyone_back_to_the_lobby_keeps_the_boards() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let (_bob, mut b) = seated(&server, &w, &mut f, "Bob", "BR", &w.rooms[1]).await;
    a.ok(post_card(&w.rooms[0], "strengths", "Room 1 idea"))
        .await;
    b.ok(post_card(&w.rooms[1], "problems", "Room 2 idea"))
        .await;

    let seq = f.ok(json!({"type": "return_to_lobby"})).await;
    let after = barrier(&mut f).await;
    let frames = f.until_seq(after).await;
    let back = events_of(&frames, "returned_to_lobby");
    assert_eq!(back.len(), 1);
    assert_eq!(back[0]["seq"].as_u64(), Some(seq));
    assert_eq!(
        back[0]["event"]["moves"].as_array().expect("moves").len(),
        2
    );
    for c in [&mut a, &mut b] {
        let snap = snapshot_at(c, seq).await;
        assert_eq!(snap["reason"], "moved");
        assert_eq!(
            snap["snapshot"]["lobby"].as_array().expect("lobby").len(),
            4
        );
        assert!(card_texts(&snap).is_empty());
    }
    assert_eq!(
        delegates_per_room(&snapshot(&server, &fac.token).await),
        [0, 0, 0, 0]
    );
    assert_eq!(
        card_texts_of(&snapshot(&server, &fac.token).await),
        ["Room 1 idea", "Room 2 idea"]
    );
    // A delegate back in the lobby no longer hears their old room.
    f.ok(post_card(&w.rooms[0], "solutions", "After the plenary"))
        .await;
    let after = barrier(&mut f).await;
    assert!(events_of(&a.until_seq(after).await, "card_posted").is_empty());
    // Sent back in, the board is there as they left it (plus what came meanwhile).
    let seq = f.ok(move_to(&ana.id, &w.rooms[0])).await;
    let snap = snapshot_at(&mut a, seq).await;
    assert_eq!(card_texts(&snap), ["Room 1 idea", "After the plenary"]);
    a.refused(json!({"type": "return_to_lobby"}), "forbidden")
        .await;
}

// ---- Broadcasts ---------------------------------------------------------------------

#[tokio::test]
async fn a_broadcast_to_all_reaches_every_room_and_the_lobby() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    let (_ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let (_bob, mut b) = seated(&server, &w, &mut f, "Bob", "BR", &w.rooms[3]).await;
    let carl = server.delegate(&w, "Carl", "CL").await;
    let mut c = server.connect(&carl.token).await;

    let seq = f
        .ok(json!({"type": "broadcast", "text": "Ten minutes left everywhere"}))
        .await;
    for client in [&mut a, &mut b, &mut c, &mut f] {
        let ev = client.event_of_type("broadcast_sent").await;
        assert_eq!(ev["seq"].as_u64(), Some(seq));
        assert_eq!(ev["event"]["text"], "Ten minutes left everywhere");
        assert_eq!(ev["event"]["room"], Value::Null);
        assert_eq!(ev["event"]["by"], fac.id.as_str());
    }
    a.refused(json!({"type": "broadcast", "text": "Me too"}), "forbidden")
        .await;
    f.refused(json!({"type": "broadcast", "text": "   "}), "invalid")
        .await;
}

#[tokio::test]
async fn a_broadcast_to_one_room_reaches_only_that_room() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let (_ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let (_bob, mut b) = seated(&server, &w, &mut f, "Bob", "BR", &w.rooms[1]).await;
    let carl = server.delegate(&w, "Carl", "CL").await;
    let mut c = server.connect(&carl.token).await;
    let fac2 = server.facilitator(&w, "Second").await;
    let mut f2 = server.connect(&fac2.token).await;

    let seq = f
        .ok(json!({"type": "broadcast", "room": w.rooms[0], "text": "Room 1: please wrap up"}))
        .await;
    for client in [&mut a, &mut f2] {
        let ev = client.event_of_type("broadcast_sent").await;
        assert_eq!(ev["seq"].as_u64(), Some(seq));
        assert_eq!(ev["event"]["room"], w.rooms[0].as_str());
    }
    // A broadcast to everyone comes after: the one to room 1 would have come first.
    let after = barrier(&mut f).await;
    for client in [&mut b, &mut c] {
        assert!(events_of(&client.until_seq(after).await, "broadcast_sent").is_empty());
    }
}

#[tokio::test]
async fn broadcast_history_is_in_the_snapshot_for_the_rooms_it_was_sent_to() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    f.ok(json!({"type": "broadcast", "text": "Welcome all"}))
        .await;
    f.ok(json!({"type": "broadcast", "room": w.rooms[0], "text": "Room 1 only"}))
        .await;
    f.ok(json!({"type": "broadcast", "room": w.rooms[1], "text": "Room 2 only"}))
        .await;
    let all = f
        .ok(json!({"type": "broadcast", "text": "Back at 11:00"}))
        .await;

    // A delegate connecting later sees the ones to all and to their room, oldest first.
    let ana = server.delegate(&w, "Ana", "AR").await;
    f.ok(move_to(&ana.id, &w.rooms[0])).await;
    let a = server.connect(&ana.token).await;
    let history = &a.welcome["snapshot"]["session"]["broadcasts"];
    assert_eq!(
        texts(history),
        ["Welcome all", "Room 1 only", "Back at 11:00"]
    );
    assert_eq!(history[2]["seq"].as_u64(), Some(all));
    assert_eq!(history[2]["by"], fac.id.as_str());
    // In the lobby: only the ones to all. Staff: every one.
    let bob = server.delegate(&w, "Bob", "BR").await;
    assert_eq!(
        texts(&snapshot(&server, &bob.token).await["session"]["broadcasts"]),
        ["Welcome all", "Back at 11:00"]
    );
    assert_eq!(
        texts(&snapshot(&server, &fac.token).await["session"]["broadcasts"]).len(),
        4
    );
}
