//! Facilitation over real sockets: rooms created and removed mid-session, assignment
//! strategies, late joiners, everyone back to the lobby, broadcasts, timers on the server's
//! clock, help requests, phases after a reconnect, presence, closing the session and
//! removing participants.

mod common;
use common::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

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

// ---- Assignment ---------------------------------------------------------------------

#[tokio::test]
async fn even_assignment_balances_sizes_and_always_gives_the_same_sizes() {
    let server = TestServer::start().await;
    let first = even_sizes(&server).await;
    let second = even_sizes(&server).await;
    assert_eq!(first, [3, 3, 2, 2]);
    assert_eq!(second, first);
}

#[tokio::test]
async fn random_assignment_with_the_same_seed_places_everyone_the_same_way_again() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    let names: Vec<String> = (1..=8).map(|i| format!("Delegate {i}")).collect();
    for (i, n) in names.iter().enumerate() {
        server.delegate(&w, n, COUNTRIES[i % 4]).await;
    }
    let assign = |seed: u64| json!({"type": "assign_rooms", "strategy": "random", "scope": "everyone", "seed": seed});
    f.ok(assign(7)).await;
    let ev = f.event_of_type("rooms_assigned").await;
    assert_eq!(ev["event"]["strategy"], "random");
    assert_eq!(ev["event"]["seed"], 7);
    let with_7 = placement(&snapshot(&server, &fac.token).await, &w);
    assert_eq!(sizes_of(&with_7, 4), [2, 2, 2, 2]);
    f.ok(assign(8)).await;
    let with_8 = placement(&snapshot(&server, &fac.token).await, &w);
    assert_eq!(sizes_of(&with_8, 4), [2, 2, 2, 2]);
    f.ok(assign(7)).await;
    let again = placement(&snapshot(&server, &fac.token).await, &w);
    assert_eq!(again, with_7);
}

#[tokio::test]
async fn random_assignment_with_a_seed_is_reproduced_in_an_identical_workshop() {
    let server = TestServer::start().await;
    let first = random_placement(&server, 42).await;
    let second = random_placement(&server, 42).await;
    assert_eq!(sizes_of(&first, 4), [2, 2, 2, 2]);
    assert_eq!(
        first, second,
        "the same seed and the same delegates (joined in the same order) give another placement"
    );
}

#[tokio::test]
async fn by_country_keeps_each_delegation_together_in_balanced_rooms() {
    let (server, printed) = TestServer::start_demo().await;
    let organizer = token_after(&printed, "organizer token:");
    let mut o = server.connect(organizer).await;
    o.ok(json!({"type": "return_to_lobby"})).await;
    let seq = o
        .ok(json!({"type": "assign_rooms", "strategy": "by_country"}))
        .await;
    let ev = o.event_of_type("rooms_assigned").await;
    assert_eq!(ev["seq"].as_u64(), Some(seq));
    assert_eq!(ev["event"]["strategy"], "by_country");
    assert_eq!(ev["event"]["moves"].as_array().expect("moves").len(), 55);

    let snap = snapshot(&server, organizer).await;
    let mut rooms_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in delegates(&snap) {
        rooms_of
            .entry(p["country"].as_str().expect("country").to_string())
            .or_default()
            .insert(p["room"].as_str().expect("room").to_string());
    }
    assert_eq!(rooms_of.len(), 15);
    for (country, rooms) in &rooms_of {
        assert_eq!(rooms.len(), 1, "{country} is split over {rooms:?}");
        assert!(!rooms.contains("lobby"), "{country} was left in the lobby");
    }
    let sizes = delegates_per_room(&snap);
    assert_eq!(sizes.iter().sum::<usize>(), 55);
    let spread = sizes.iter().max().unwrap() - sizes.iter().min().unwrap();
    let best = best_spread(&fixture_delegations(), sizes.len());
    assert_eq!(best, 1, "the fixture's delegations fit in 14/14/14/13");
    assert!(
        spread <= best,
        "room sizes {sizes:?} (spread {spread}) are less balanced than whole delegations allow (spread {best})"
    );
}

#[tokio::test]
async fn a_plan_places_exactly_whom_it_names() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let bob = server.delegate(&w, "Bob", "BR").await;
    let carl = server.delegate(&w, "Carl", "CL").await;
    let mut a = server.connect(&ana.token).await;

    let plan = json!({"type": "assign_rooms", "strategy": "plan",
        "plan": {ana.id.clone(): w.rooms[2], bob.id.clone(): w.rooms[0]}});
    let seq = f.ok(plan).await;
    let ev = a.event_of_type("rooms_assigned").await;
    assert_eq!(ev["seq"].as_u64(), Some(seq));
    assert_eq!(ev["event"]["strategy"], "plan");
    assert_eq!(ev["event"]["moves"].as_array().expect("moves").len(), 2);
    let snap = snapshot_at(&mut a, seq).await;
    assert_eq!(place_of(&snap["snapshot"], &ana.id), w.rooms[2]);

    let snap = snapshot(&server, &fac.token).await;
    assert_eq!(place_of(&snap, &ana.id), w.rooms[2]);
    assert_eq!(place_of(&snap, &bob.id), w.rooms[0]);
    assert_eq!(place_of(&snap, &carl.id), "lobby");
    // Unknown participant; the organizer; an empty plan; a delegate planning.
    f.refused(
        json!({"type": "assign_rooms", "strategy": "plan",
            "plan": {carl.id.clone(): w.rooms[1], NO_SUCH_PARTICIPANT: w.rooms[1]}}),
        "not_found",
    )
    .await;
    let organizer = w.json["organizer_id"].as_str().expect("organizer_id");
    f.refused(
        json!({"type": "assign_rooms", "strategy": "plan", "plan": {organizer: w.rooms[1]}}),
        "invalid",
    )
    .await;
    f.refused(
        json!({"type": "assign_rooms", "strategy": "plan", "plan": {}}),
        "invalid",
    )
    .await;
    a.refused(
        json!({"type": "assign_rooms", "strategy": "even"}),
        "forbidden",
    )
    .await;
    // Nothing of the refused plans happened: Carl is still in the lobby.
    assert_eq!(
        place_of(&snapshot(&server, &fac.token).await, &carl.id),
        "lobby"
    );
}

#[tokio::test]
async fn delegates_choose_their_room_until_the_facilitator_locks_it() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let mut a = server.connect(&ana.token).await;
    assert_eq!(a.welcome["snapshot"]["session"]["self_select"], false);
    a.refused(choose(&w.rooms[1]), "forbidden").await;

    f.ok(json!({"type": "assign_rooms", "strategy": "self_select"}))
        .await;
    let ev = a.event_of_type("self_select_set").await;
    assert_eq!(ev["event"]["open"], true);
    let seq = a.ok(choose(&w.rooms[1])).await;
    let snap = snapshot_at(&mut a, seq).await;
    assert_eq!(place_of(&snap["snapshot"], &ana.id), w.rooms[1]);
    // They may change their mind while it is open; staff do not choose.
    a.ok(choose(&w.rooms[3])).await;
    f.refused(choose(&w.rooms[0]), "forbidden").await;
    a.refused(choose(NO_SUCH_ROOM), "not_found").await;

    f.ok(json!({"type": "set_self_select", "open": false}))
        .await;
    let ev = a.event_of_type("self_select_set").await;
    assert_eq!(ev["event"]["open"], false);
    a.refused(choose(&w.rooms[0]), "forbidden").await;
    assert_eq!(
        place_of(&snapshot(&server, &ana.token).await, &ana.id),
        w.rooms[3]
    );
    a.refused(
        json!({"type": "set_self_select", "open": true}),
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn scope_everyone_reassigns_delegates_already_in_rooms() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    for (name, country) in [("Ana", "AR"), ("Bob", "BR"), ("Carl", "CL"), ("Dora", "DO")] {
        let d = server.delegate(&w, name, country).await;
        f.ok(move_to(&d.id, &w.rooms[0])).await;
    }
    // The lobby is empty: a lobby-scoped assignment moves nobody.
    f.ok(json!({"type": "assign_rooms", "strategy": "even"}))
        .await;
    let ev = f.event_of_type("rooms_assigned").await;
    assert_eq!(ev["event"]["moves"], json!([]));
    assert_eq!(
        delegates_per_room(&snapshot(&server, &fac.token).await),
        [4, 0, 0, 0]
    );
    f.ok(json!({"type": "assign_rooms", "strategy": "even", "scope": "everyone"}))
        .await;
    let ev = f.event_of_type("rooms_assigned").await;
    assert_eq!(ev["event"]["moves"].as_array().expect("moves").len(), 3);
    assert_eq!(
        delegates_per_room(&snapshot(&server, &fac.token).await),
        [1, 1, 1, 1]
    );
}

#[tokio::test]
async fn an_assignment_is_one_event_and_each_moved_delegate_gets_their_new_board() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    f.ok(post_card(&w.rooms[1], "strengths", "Waiting in room 2"))
        .await;
    let mut people = Vec::new();
    for (name, country) in [
        ("Ana", "AR"),
        ("Bob", "BR"),
        ("Carl", "CL"),
        ("Dora", "DO"),
        ("Eve", "EC"),
        ("Fay", "PA"),
    ] {
        people.push(server.delegate(&w, name, country).await);
    }
    let mut clients = Vec::new();
    for p in &people {
        clients.push(server.connect(&p.token).await);
    }

    let seq = f
        .ok(json!({"type": "assign_rooms", "strategy": "even"}))
        .await;
    let after = barrier(&mut f).await;
    let frames = f.until_seq(after).await;
    let assigned = events_of(&frames, "rooms_assigned");
    assert_eq!(assigned.len(), 1, "one event carries every move");
    assert!(events_of(&frames, "participant_moved").is_empty());
    assert_eq!(assigned[0]["seq"].as_u64(), Some(seq));
    let moves = assigned[0]["event"]["moves"].as_array().expect("moves");
    let moved: BTreeSet<&str> = moves
        .iter()
        .map(|m| m["participant"].as_str().expect("participant"))
        .collect();
    assert_eq!(moved.len(), 6);
    assert!(moves.iter().all(|m| m["from"] == "lobby"));

    for (p, c) in people.iter().zip(clients.iter_mut()) {
        let ev = c.event_of_type("rooms_assigned").await;
        assert_eq!(ev["seq"].as_u64(), Some(seq));
        let snap = snapshot_at(c, seq).await;
        assert_eq!(snap["reason"], "moved");
        let room = place_of(&snap["snapshot"], &p.id);
        let planned = moves
            .iter()
            .find(|m| m["participant"] == p.id.as_str())
            .expect("moved");
        assert_eq!(planned["room"], room.as_str());
        let expected: Vec<&str> = if room == w.rooms[1] {
            vec!["Waiting in room 2"]
        } else {
            vec![]
        };
        assert_eq!(card_texts(&snap), expected, "{} in {room}", p.id);
        // Exactly one place each: no second move for anybody.
        let later = c.until_seq(after).await;
        assert!(events_of(&later, "participant_moved").is_empty());
    }
}

// ---- Late joiners -------------------------------------------------------------------

#[tokio::test]
async fn a_late_joiner_lands_in_the_smallest_room_when_the_policy_is_even() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    for (i, (name, country)) in [("Ana", "AR"), ("Bob", "BR"), ("Carl", "CL")]
        .iter()
        .enumerate()
    {
        let d = server.delegate(&w, name, country).await;
        f.ok(move_to(&d.id, &w.rooms[i])).await;
    }
    // By default a joiner waits in the lobby.
    let (status, body) = join_raw(&server, &w, &w.delegate_code, "Early", "MX").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["room"], "lobby");

    f.ok(json!({"type": "set_late_joiners", "policy": "even"}))
        .await;
    let (status, body) = join_raw(&server, &w, &w.delegate_code, "Late", "UY").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["room"], w.rooms[3].as_str());
    let late = server.connect(body["token"].as_str().expect("token")).await;
    assert_eq!(late.welcome["you"]["room"], w.rooms[3].as_str());
    // A facilitator joining late is never placed.
    let (_, body) = join_raw(&server, &w, &w.facilitator_code, "Helper", "").await;
    assert_eq!(body["room"], "lobby");
    let d = server.delegate(&w, "Dora", "DO").await;
    let mut c = server.connect(&d.token).await;
    assert_eq!(c.welcome["you"]["room"], w.rooms[0].as_str());
    c.refused(
        json!({"type": "set_late_joiners", "policy": "lobby"}),
        "forbidden",
    )
    .await;
}

#[tokio::test]
async fn a_late_joiner_joins_their_delegation_when_the_policy_is_by_country() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    for (name, country, room) in [("Ana", "AR", 2), ("Abel", "AR", 2), ("Bob", "BR", 0)] {
        let d = server.delegate(&w, name, country).await;
        f.ok(move_to(&d.id, &w.rooms[room])).await;
    }
    f.ok(json!({"type": "set_late_joiners", "policy": "by_country"}))
        .await;
    let (status, body) = join_raw(&server, &w, &w.delegate_code, "Alma", "AR").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["room"], w.rooms[2].as_str(), "with the AR delegation");
    let c = server.connect(body["token"].as_str().expect("token")).await;
    assert_eq!(c.welcome["you"]["room"], w.rooms[2].as_str());
    // A country with nobody placed yet goes to the smallest room.
    let (_, body) = join_raw(&server, &w, &w.delegate_code, "Uma", "UY").await;
    assert_eq!(body["room"], w.rooms[1].as_str());
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

// ---- Timers -------------------------------------------------------------------------

#[tokio::test]
async fn a_timer_for_one_room_carries_its_deadline_in_server_time() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let (_bob, mut b) = seated(&server, &w, &mut f, "Bob", "BR", &w.rooms[1]).await;

    let before = now_ms();
    let seq = f
        .ok(json!({"type": "start_timer", "room": w.rooms[0], "seconds": 600}))
        .await;
    let after = now_ms();
    let ev = a.event_of_type("timer_started").await;
    assert_eq!(ev["seq"].as_u64(), Some(seq));
    let e = &ev["event"];
    assert_eq!(e["room"], w.rooms[0].as_str());
    assert_eq!(e["seconds"], 600);
    assert_eq!(e["warnings"], json!([300, 60]));
    assert_eq!(e["close_at_end"], false);
    let deadline = e["deadline"].as_i64().expect("deadline");
    assert_between(deadline, before + 600_000, after + 600_000);
    let after = barrier(&mut f).await;
    assert!(events_of(&b.until_seq(after).await, "timer_started").is_empty());

    let timers = &snapshot(&server, &ana.token).await["session"]["timers"];
    assert_eq!(timers.as_array().expect("timers").len(), 1);
    assert_eq!(timers[0]["room"], w.rooms[0].as_str());
    assert_eq!(timers[0]["deadline"].as_i64(), Some(deadline));
    a.refused(
        json!({"type": "start_timer", "room": w.rooms[0], "seconds": 60}),
        "forbidden",
    )
    .await;
    f.refused(
        json!({"type": "start_timer", "room": w.rooms[0], "seconds": 0}),
        "invalid",
    )
    .await;
}

#[tokio::test]
async fn a_timer_for_all_rooms_starts_one_countdown_per_room() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[2]).await;

    let seq = f
        .ok(json!({"type": "start_timer", "seconds": 900, "warnings": [120]}))
        .await;
    let after = barrier(&mut f).await;
    let frames = f.until_seq(after).await;
    let started = events_of(&frames, "timer_started");
    let rooms: Vec<&str> = started
        .iter()
        .map(|e| e["event"]["room"].as_str().expect("room"))
        .collect();
    assert_eq!(rooms, w.rooms);
    assert_eq!(started[3]["seq"].as_u64(), Some(seq));
    let deadline = &started[0]["event"]["deadline"];
    assert!(started.iter().all(|e| &e["event"]["deadline"] == deadline));
    assert!(started
        .iter()
        .all(|e| e["event"]["warnings"] == json!([120])));
    // A delegate hears only their own room's countdown and sees only it in the snapshot.
    let mine = events_of(&a.until_seq(after).await, "timer_started")
        .into_iter()
        .map(|e| e["event"]["room"].clone())
        .collect::<Vec<_>>();
    assert_eq!(mine, [json!(w.rooms[2])]);
    let timers = &snapshot(&server, &ana.token).await["session"]["timers"];
    assert_eq!(timers.as_array().expect("timers").len(), 1);
    let timers = &snapshot(&server, &fac.token).await["session"]["timers"];
    assert_eq!(timers.as_array().expect("timers").len(), 4);
}

#[tokio::test]
async fn a_timer_is_extended_paused_resumed_and_cancelled() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    let (_ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let room = &w.rooms[0];
    f.ok(json!({"type": "start_timer", "room": room, "seconds": 600}))
        .await;
    let deadline = a.event_of_type("timer_started").await["event"]["deadline"]
        .as_i64()
        .expect("deadline");

    f.ok(json!({"type": "extend_timer", "room": room, "seconds": 120}))
        .await;
    let ev = a.event_of_type("timer_extended").await;
    assert_eq!(ev["event"]["deadline"].as_i64(), Some(deadline + 120_000));
    let deadline = deadline + 120_000;

    let before = now_ms();
    f.ok(json!({"type": "pause_timer", "room": room})).await;
    let after = now_ms();
    let ev = a.event_of_type("timer_paused").await;
    let remaining = ev["event"]["remaining_ms"].as_i64().expect("remaining");
    assert_between(remaining, deadline - after, deadline - before);
    let timer = &snapshot(&server, &fac.token).await["session"]["timers"][0];
    assert_eq!(timer["deadline"], Value::Null, "paused: no deadline");
    assert_eq!(timer["remaining_ms"].as_i64(), Some(remaining));
    // Extending a paused timer adds to what remains.
    f.ok(json!({"type": "extend_timer", "room": room, "seconds": 30}))
        .await;
    let ev = a.event_of_type("timer_extended").await;
    assert_eq!(ev["event"]["deadline"], Value::Null);
    assert_eq!(
        ev["event"]["remaining_ms"].as_i64(),
        Some(remaining + 30_000)
    );

    let before = now_ms();
    f.ok(json!({"type": "resume_timer", "room": room})).await;
    let after = now_ms();
    let ev = a.event_of_type("timer_resumed").await;
    let resumed = ev["event"]["deadline"].as_i64().expect("deadline");
    assert_between(
        resumed,
        before + remaining + 30_000,
        after + remaining + 30_000,
    );

    f.ok(json!({"type": "cancel_timer", "room": room})).await;
    let ev = a.event_of_type("timer_cancelled").await;
    assert_eq!(ev["event"]["room"], room.as_str());
    let timers = &snapshot(&server, &fac.token).await["session"]["timers"];
    assert_eq!(timers, &json!([]));
    for ty in ["cancel_timer", "pause_timer", "resume_timer"] {
        f.refused(json!({"type": ty, "room": room}), "not_found")
            .await;
    }
    f.refused(
        json!({"type": "extend_timer", "room": room, "seconds": 10}),
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn a_short_timer_warns_then_ends_on_the_servers_clock() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    f.ok(json!({"type": "start_timer", "room": w.rooms[0], "seconds": 3, "warnings": [2]}))
        .await;
    let deadline = a.event_of_type("timer_started").await["event"]["deadline"]
        .as_i64()
        .expect("deadline");

    let warning = clock_event(&mut a, "timer_warning").await;
    assert_eq!(warning["event"]["room"], w.rooms[0].as_str());
    assert_eq!(warning["event"]["seconds"], 2);
    assert_eq!(warning["event"]["closes"], false);
    let at = warning["at"].as_i64().expect("at");
    assert!(
        at >= deadline - 2000,
        "warned {} ms early",
        deadline - 2000 - at
    );
    assert!(at < deadline, "warned after the end");
    let ended = clock_event(&mut a, "timer_ended").await;
    assert_eq!(ended["event"]["room"], w.rooms[0].as_str());
    assert!(ended["at"].as_i64().expect("at") >= deadline);
    assert!(ended["seq"].as_u64() > warning["seq"].as_u64());
    assert!(now_ms() >= deadline);
    let timers = &snapshot(&server, &ana.token).await["session"]["timers"];
    assert_eq!(timers, &json!([]));
    // An ended timer does not close the room unless asked to.
    a.ok(post_card(&w.rooms[0], "strengths", "Still open"))
        .await;
}

#[tokio::test]
async fn a_room_closing_at_the_end_of_its_timer_is_warned_first() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let (_ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let (_bob, mut b) = seated(&server, &w, &mut f, "Bob", "BR", &w.rooms[1]).await;
    f.ok(
        json!({"type": "start_timer", "room": w.rooms[0], "seconds": 3,
        "warnings": [2], "close_at_end": true}),
    )
    .await;

    let warning = clock_event(&mut a, "timer_warning").await;
    assert_eq!(warning["event"]["closes"], true);
    let ended = clock_event(&mut a, "timer_ended").await;
    let closed = clock_event(&mut a, "room_closed").await;
    assert_eq!(closed["event"]["room"], w.rooms[0].as_str());
    assert!(warning["seq"].as_u64() < ended["seq"].as_u64());
    assert!(ended["seq"].as_u64() < closed["seq"].as_u64());
    a.refused(post_card(&w.rooms[0], "strengths", "Too late"), "closed")
        .await;
    // Other rooms keep going.
    b.ok(post_card(&w.rooms[1], "strengths", "Still open"))
        .await;
}

#[tokio::test]
async fn a_room_cannot_close_itself_at_the_end_without_a_warning() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    f.refused(
        json!({"type": "start_timer", "room": w.rooms[0], "seconds": 3,
            "warnings": [], "close_at_end": true}),
        "invalid",
    )
    .await;
    // The default warnings (300 s, 60 s) do not fit in 30 s: none would be given.
    f.refused(
        json!({"type": "start_timer", "room": w.rooms[0], "seconds": 30, "close_at_end": true}),
        "invalid",
    )
    .await;
    // A warning that does not come before the end does not count either.
    f.refused(
        json!({"type": "start_timer", "room": w.rooms[0], "seconds": 3,
            "warnings": [3], "close_at_end": true}),
        "invalid",
    )
    .await;
    let timers = &snapshot(&server, &fac.token).await["session"]["timers"];
    assert_eq!(timers, &json!([]));
}

#[tokio::test]
async fn a_timer_survives_a_restart_with_its_deadline_and_still_fires() {
    let mut server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    let (ana, _a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[1]).await;
    // Room 1 runs a long timer; room 2's is paused at once (both commands in one go),
    // so that how long the restart takes does not matter.
    let commands = [
        json!({"type": "start_timer", "id": "t0", "room": w.rooms[0], "seconds": 3600}),
        json!({"type": "start_timer", "id": "t1", "room": w.rooms[1], "seconds": 2, "warnings": [1]}),
        json!({"type": "pause_timer", "id": "t2", "room": w.rooms[1]}),
    ];
    for answer in f.pipeline(&commands).await {
        let answer = answer.expect("answered");
        assert_eq!(answer["type"], "ack", "{answer}");
    }
    let deadline = f.event_of_type("timer_started").await["event"]["deadline"]
        .as_i64()
        .expect("deadline");
    let paused = f.event_of_type("timer_paused").await;
    let remaining = paused["event"]["remaining_ms"].as_i64().expect("remaining");
    assert!(remaining > 0 && remaining <= 2000, "{paused}");

    assert!(server.terminate().await.success());
    server.restart().await;
    let mut f = server.connect(&fac.token).await;
    let timers = f.welcome["snapshot"]["session"]["timers"].clone();
    let by_room = |room: &str| {
        timers
            .as_array()
            .expect("timers")
            .iter()
            .find(|t| t["room"] == room)
            .unwrap_or_else(|| panic!("no timer for {room} in {timers}"))
            .clone()
    };
    assert_eq!(timers.as_array().map(Vec::len), Some(2), "{timers}");
    assert_eq!(by_room(&w.rooms[0])["deadline"].as_i64(), Some(deadline));
    let kept = by_room(&w.rooms[1]);
    assert_eq!(kept["deadline"], Value::Null, "{kept}");
    assert_eq!(kept["remaining_ms"].as_i64(), Some(remaining));

    // Resumed on the restarted server, it runs out and the server's clock ends it.
    let mut a = server.connect(&ana.token).await;
    f.ok(json!({"type": "resume_timer", "room": w.rooms[1]}))
        .await;
    let resumed = f.event_of_type("timer_resumed").await;
    let deadline = resumed["event"]["deadline"].as_i64().expect("deadline");
    let ended = clock_event(&mut a, "timer_ended").await;
    assert_eq!(ended["event"]["room"], w.rooms[1].as_str());
    assert!(ended["at"].as_i64().expect("at") >= deadline);
    clock_event(&mut f, "timer_ended").await;
}

#[tokio::test]
async fn a_room_whose_timer_ran_out_while_the_server_was_down_closes_on_restart_unasked() {
    let mut server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    f.ok(
        json!({"type": "start_timer", "room": w.rooms[0], "seconds": 2, "warnings": [1],
                "close_at_end": true}),
    )
    .await;
    let started = f.event_of_type("timer_started").await;
    let seq = started["seq"].as_u64().expect("seq");
    let deadline = started["event"]["deadline"].as_i64().expect("deadline");
    assert!(server.terminate().await.success());
    // Down until the deadline has passed (the server's clock is this machine's).
    while now_ms() <= deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.restart().await;
    // Nobody connects: the server must act on its own. Watched in the database.
    let stored = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let types = server.db.stored_event_types(&w.id).await;
            if types.iter().any(|t| t == "room_closed") {
                return types;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the room is closed without anyone connecting");
    assert_eq!(
        stored.last().map(String::as_str),
        Some("room_closed"),
        "{stored:?}"
    );
    let f = server.resume(&fac.token, seq).await;
    let events = f.welcome["events"].as_array().expect("resumed events");
    let closed = events
        .iter()
        .find(|e| e["event"]["type"] == "room_closed")
        .unwrap_or_else(|| panic!("no room_closed in {events:?}"));
    assert_eq!(closed["event"]["room"], w.rooms[0].as_str());
    assert!(closed["at"].as_i64().expect("at") >= deadline);
}

// ---- Help requests ------------------------------------------------------------------

#[tokio::test]
async fn a_help_request_reaches_every_facilitator_and_no_other_delegate() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_f1, mut f1) = staff(&server, &w).await;
    let f2m = server.facilitator(&w, "Second").await;
    let mut f2 = server.connect(&f2m.token).await;
    let mut o = server.connect(&w.organizer_token).await;
    let (ana, mut a) = seated(&server, &w, &mut f1, "Ana", "AR", &w.rooms[1]).await;
    let (_bob, mut b) = seated(&server, &w, &mut f1, "Bob", "BR", &w.rooms[1]).await;

    let before = now_ms();
    let seq = a
        .ok(json!({"type": "request_help", "text": "Our board froze"}))
        .await;
    for c in [&mut f1, &mut f2, &mut o, &mut a] {
        let ev = c.event_of_type("help_requested").await;
        assert_eq!(ev["seq"].as_u64(), Some(seq));
        assert_eq!(ev["event"]["room"], w.rooms[1].as_str());
        assert_eq!(ev["event"]["participant"], ana.id.as_str());
        assert_eq!(ev["event"]["text"], "Our board froze");
        assert!(ev["at"].as_i64().expect("when") >= before);
    }
    let after = barrier(&mut f1).await;
    assert!(events_of(&b.until_seq(after).await, "help_requested").is_empty());
    // Staff do not ask for help.
    f1.refused(json!({"type": "request_help"}), "forbidden")
        .await;
    o.refused(json!({"type": "request_help", "text": "?"}), "forbidden")
        .await;
}

#[tokio::test]
async fn the_requester_sees_their_help_request_acknowledged_and_resolved() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (f1m, mut f1) = staff(&server, &w).await;
    let f2m = server.facilitator(&w, "Second").await;
    let mut f2 = server.connect(&f2m.token).await;
    let (ana, mut a) = seated(&server, &w, &mut f1, "Ana", "AR", &w.rooms[0]).await;
    let (bob, mut b) = seated(&server, &w, &mut f1, "Bob", "BR", &w.rooms[0]).await;
    a.ok(json!({"type": "request_help"})).await;
    let request = f1.event_of_type("help_requested").await["event"]["request"]
        .as_str()
        .expect("request")
        .to_string();

    b.refused(
        json!({"type": "acknowledge_help", "request": request}),
        "forbidden",
    )
    .await;
    f1.ok(json!({"type": "acknowledge_help", "request": request}))
        .await;
    let ev = a.event_of_type("help_acknowledged").await;
    assert_eq!(ev["event"]["request"], request.as_str());
    assert_eq!(ev["event"]["by"], f1m.id.as_str());
    f2.ok(json!({"type": "resolve_help", "request": request}))
        .await;
    let ev = a.event_of_type("help_resolved").await;
    assert_eq!(ev["event"]["by"], f2m.id.as_str());
    let after = barrier(&mut f1).await;
    let frames = b.until_seq(after).await;
    assert!(events_of(&frames, "help_acknowledged").is_empty());
    assert!(events_of(&frames, "help_resolved").is_empty());

    let help = &snapshot(&server, &ana.token).await["session"]["help"];
    assert_eq!(help.as_array().expect("help").len(), 1);
    assert_eq!(help[0]["id"], request.as_str());
    assert_eq!(help[0]["status"], "resolved");
    assert_eq!(help[0]["handled_by"], f2m.id.as_str());
    assert_eq!(help[0]["room"], w.rooms[0].as_str());
    assert_eq!(
        snapshot(&server, &bob.token).await["session"]["help"],
        json!([])
    );
    f1.refused(
        json!({"type": "acknowledge_help", "request": NO_SUCH_REQUEST}),
        "not_found",
    )
    .await;
}

// ---- Phases after a reconnect -------------------------------------------------------

#[tokio::test]
async fn a_rooms_phase_is_in_the_welcome_after_a_reconnect() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let (ana, a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let last_seq = a.seq;
    a.close().await;

    f.ok(json!({"type": "set_phase", "room": w.rooms[0], "phase": "vote"}))
        .await;
    f.ok(json!({"type": "set_phase", "room": w.rooms[1], "phase": "consolidate"}))
        .await;

    let mut fresh = server.connect(&ana.token).await;
    let rooms = &fresh.welcome["snapshot"]["rooms"];
    assert_eq!(rooms[0]["phase"], "vote");
    assert_eq!(rooms[1]["phase"], "consolidate");
    // The server enforces it for the reconnected client too.
    fresh
        .refused(
            post_card(&w.rooms[0], "strengths", "Late idea"),
            "forbidden",
        )
        .await;
    // A resuming client gets the missed phase change as an event.
    let resumed = server.resume(&ana.token, last_seq).await;
    assert_eq!(resumed.welcome["resumed"], true);
    let events = resumed.welcome["events"].as_array().expect("events");
    let phases: Vec<(&Value, &Value)> = events
        .iter()
        .filter(|e| e["event"]["type"] == "phase_set")
        .map(|e| (&e["event"]["room"], &e["event"]["phase"]))
        .collect();
    assert_eq!(
        phases,
        [
            (&json!(w.rooms[0]), &json!("vote")),
            (&json!(w.rooms[1]), &json!("consolidate"))
        ]
    );
}

// ---- Presence -----------------------------------------------------------------------

#[tokio::test]
async fn the_welcome_lists_who_is_online_and_arrivals_are_announced() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let bob = server.delegate(&w, "Bob", "BR").await;
    let before = f.seq;

    let a = server.connect(&ana.token).await;
    let online = ids(&a.welcome["online"]);
    assert!(
        online.contains(&fac.id) && online.contains(&ana.id),
        "{online:?}"
    );
    assert!(!online.contains(&bob.id), "Bob never connected");
    // Ana's arrival was announced when her welcome was built: before this broadcast.
    let after = barrier(&mut f).await;
    let frames = f.until_seq(after).await;
    assert_eq!(presence_of(&frames, &ana.id), [true]);
    // Presence is not an event: it carries no seq and is not replayed.
    let frame = frames
        .iter()
        .find(|v| v["type"] == "presence")
        .expect("presence");
    assert_eq!(frame.get("seq"), None);
    let resumed = server.resume(&fac.token, before).await;
    let replayed: Vec<&Value> = resumed.welcome["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| &e["event"]["type"])
        .collect();
    assert_eq!(
        replayed,
        [
            &json!("participant_joined"),
            &json!("participant_joined"),
            &json!("broadcast_sent")
        ],
        "only the two joins (and the barrier)"
    );
}

#[tokio::test]
async fn two_tabs_count_once_and_closing_both_shows_offline_once() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let carl = server.delegate(&w, "Carl", "CL").await;

    let tab1 = server.connect(&ana.token).await;
    assert_eq!(presence_frame(&mut f, &ana.id).await["online"], true);
    let tab2 = server.connect(&ana.token).await;
    assert!(ids(&tab2.welcome["online"]).contains(&ana.id));
    let c = server.connect(&carl.token).await;
    assert_eq!(presence_frame(&mut f, &carl.id).await["online"], true);

    // Carl leaves after the server let Ana's first tab go: had that tab counted her out,
    // her offline (its grace begun earlier) would come before his.
    tab1.close_acknowledged().await;
    c.close_acknowledged().await;
    let frames = frames_until_presence(&mut f, &carl.id, false).await;
    assert!(
        presence_of(&frames, &ana.id).is_empty(),
        "second tab arrived / first tab closed: {frames:?}"
    );

    tab2.close_acknowledged().await;
    assert_eq!(presence_frame(&mut f, &ana.id).await["online"], false);
    let late = server.connect(&w.organizer_token).await;
    assert!(!ids(&late.welcome["online"]).contains(&ana.id));
}

#[tokio::test]
async fn a_reconnect_within_the_grace_is_not_announced() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (_fac, mut f) = staff(&server, &w).await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let bob = server.delegate(&w, "Bob", "BR").await;
    let a = server.connect(&ana.token).await;
    assert_eq!(presence_frame(&mut f, &ana.id).await["online"], true);
    let b = server.connect(&bob.token).await;
    assert_eq!(presence_frame(&mut f, &bob.id).await["online"], true);

    // Ana's phone switches networks: the server lets her go, she is back at once.
    a.close_acknowledged().await;
    let again = server.connect(&ana.token).await;
    assert!(ids(&again.welcome["online"]).contains(&ana.id));
    // Bob's grace begins after hers: once he is shown offline, hers is long over, and
    // neither an offline nor a second online was announced for her.
    b.close_acknowledged().await;
    let frames = frames_until_presence(&mut f, &bob.id, false).await;
    assert!(presence_of(&frames, &ana.id).is_empty(), "{frames:?}");
    drop(again);
}

// ---- Closing the session ------------------------------------------------------------

#[tokio::test]
async fn only_the_organizer_or_the_lead_facilitator_closes_the_workshop() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let lead = server.facilitator(&w, "Lead").await;
    let plain = server.facilitator(&w, "Plain").await;
    let mut l = server.connect(&lead.token).await;
    let mut p = server.connect(&plain.token).await;
    let (_ana, mut a) = seated(&server, &w, &mut l, "Ana", "AR", &w.rooms[0]).await;
    assert_eq!(a.welcome["snapshot"]["session"]["lead"], lead.id.as_str());

    p.refused(json!({"type": "close_workshop"}), "forbidden")
        .await;
    a.refused(json!({"type": "close_workshop"}), "forbidden")
        .await;
    // The organizer names the other facilitator lead: now they may, the first may not.
    let mut o = server.connect(&w.organizer_token).await;
    l.refused(
        json!({"type": "set_lead", "participant": plain.id}),
        "forbidden",
    )
    .await;
    o.ok(json!({"type": "set_lead", "participant": plain.id}))
        .await;
    let ev = a.event_of_type("lead_set").await;
    assert_eq!(ev["event"]["participant"], plain.id.as_str());
    l.refused(json!({"type": "close_workshop"}), "forbidden")
        .await;
    p.ok(json!({"type": "close_workshop"})).await;
    a.event_of_type("workshop_closed").await;
    o.ok(json!({"type": "reopen_workshop"})).await;
    a.event_of_type("workshop_reopened").await;
    // The organizer closes too.
    o.ok(json!({"type": "close_workshop"})).await;
    a.event_of_type("workshop_closed").await;
}

#[tokio::test]
async fn a_closed_workshop_is_read_only_for_everyone_until_reopened() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (lead, mut l) = staff(&server, &w).await;
    let plain = server.facilitator(&w, "Plain").await;
    let mut p = server.connect(&plain.token).await;
    let (ana, mut a) = seated(&server, &w, &mut l, "Ana", "AR", &w.rooms[0]).await;
    let bob = server.delegate(&w, "Bob", "BR").await;
    let mut o = server.connect(&w.organizer_token).await;
    a.ok(post_card(&w.rooms[0], "strengths", "Before closing"))
        .await;

    let seq = l.ok(json!({"type": "close_workshop"})).await;
    for c in [&mut a, &mut p, &mut o, &mut l] {
        let ev = c.event_of_type("workshop_closed").await;
        assert_eq!(ev["seq"].as_u64(), Some(seq));
    }
    a.refused(post_card(&w.rooms[0], "strengths", "After"), "closed")
        .await;
    p.refused(move_to(&bob.id, &w.rooms[1]), "closed").await;
    l.refused(json!({"type": "broadcast", "text": "Anyone?"}), "closed")
        .await;
    o.refused(
        json!({"type": "start_timer", "room": w.rooms[0], "seconds": 60}),
        "closed",
    )
    .await;
    a.refused(json!({"type": "request_help"}), "closed").await;
    // Exports still work; the snapshot says it is closed; nobody new joins.
    let (status, overview) = get(
        &server,
        &format!("/api/workshops/{}/overview", w.id),
        &lead.token,
    )
    .await;
    assert_eq!(status, 200, "{overview}");
    assert_eq!(
        snapshot(&server, &ana.token).await["session"]["closed"],
        true
    );
    let (status, body) = join_raw(&server, &w, &w.delegate_code, "Latecomer", "UY").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "closed");
    // A plain facilitator cannot reopen; the organizer can.
    p.refused(json!({"type": "reopen_workshop"}), "forbidden")
        .await;
    let seq = o.ok(json!({"type": "reopen_workshop"})).await;
    let ev = a.event_of_type("workshop_reopened").await;
    assert_eq!(ev["seq"].as_u64(), Some(seq));
    a.ok(post_card(&w.rooms[0], "strengths", "After reopening"))
        .await;
    p.ok(move_to(&bob.id, &w.rooms[1])).await;
    let (status, _) = join_raw(&server, &w, &w.delegate_code, "Latecomer", "UY").await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn the_lead_facilitator_reopens_a_closed_workshop_and_it_stays_open_after_a_restart() {
    let mut server = TestServer::start().await;
    let w = server.workshop().await;
    let (lead, mut l) = staff(&server, &w).await;
    let plain = server.facilitator(&w, "Plain").await;
    let mut p = server.connect(&plain.token).await;
    let (ana, mut a) = seated(&server, &w, &mut l, "Ana", "AR", &w.rooms[0]).await;
    assert_eq!(l.welcome["snapshot"]["session"]["lead"], lead.id.as_str());

    l.ok(json!({"type": "close_workshop"})).await;
    a.event_of_type("workshop_closed").await;
    a.refused(post_card(&w.rooms[0], "strengths", "Closed"), "closed")
        .await;
    // Only the lead (or the organizer) reopens: not another facilitator, not a delegate.
    p.refused(json!({"type": "reopen_workshop"}), "forbidden")
        .await;
    a.refused(json!({"type": "reopen_workshop"}), "forbidden")
        .await;
    let seq = l.ok(json!({"type": "reopen_workshop"})).await;
    for c in [&mut a, &mut p, &mut l] {
        let ev = c.event_of_type("workshop_reopened").await;
        assert_eq!(ev["seq"].as_u64(), Some(seq));
        assert_eq!(ev["by"], lead.id.as_str());
    }
    let posted = a
        .ok(post_card(&w.rooms[0], "strengths", "Open again"))
        .await;
    // Reopening an open workshop is acknowledged without a new event.
    assert_eq!(l.ok(json!({"type": "reopen_workshop"})).await, posted);

    drop((a, p, l));
    assert!(server.terminate().await.success());
    server.restart().await;
    let mut a = server.connect(&ana.token).await;
    assert_eq!(a.welcome["snapshot"]["session"]["closed"], false);
    assert_eq!(card_texts(&a.welcome), ["Open again"]);
    a.ok(post_card(&w.rooms[0], "problems", "After the restart"))
        .await;
}

#[tokio::test]
async fn the_reference_workshops_lead_facilitator_can_close_it() {
    let (server, printed) = TestServer::start_demo().await;
    let lead = token_after(&printed, "Lead facilitator");
    let mut l = server.connect(lead).await;
    let seq = l.ok(json!({"type": "close_workshop"})).await;
    let ev = l.event_of_type("workshop_closed").await;
    assert_eq!(ev["seq"].as_u64(), Some(seq));
    assert_eq!(
        l.welcome["snapshot"]["session"]["lead"],
        l.welcome["you"]["id"]
    );
}

// ---- Removing participants ----------------------------------------------------------

#[tokio::test]
async fn a_removed_delegate_is_disconnected_and_their_token_stops_working() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (fac, mut f) = staff(&server, &w).await;
    let (ana, mut a) = seated(&server, &w, &mut f, "Ana", "AR", &w.rooms[0]).await;
    let mut tab2 = server.connect(&ana.token).await;
    a.ok(post_card(&w.rooms[0], "strengths", "Ana's card stays"))
        .await;
    let settled = barrier(&mut f).await;
    f.until_seq(settled).await;

    let seq = f
        .ok(json!({"type": "remove_participant", "participant": ana.id}))
        .await;
    assert_eq!(a.close_code().await, Some(4003));
    assert_eq!(tab2.close_code().await, Some(4003));
    let after = barrier(&mut f).await;
    let frames = f.until_seq(after).await;
    let removed = events_of(&frames, "participant_removed");
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0]["seq"].as_u64(), Some(seq));
    assert_eq!(removed[0]["event"]["participant"], ana.id.as_str());
    assert_eq!(presence_of(&frames, &ana.id), [false], "offline at once");

    assert_eq!(hello_close_code(&server, &ana.token).await, Some(4001));
    let staff_view = snapshot(&server, &fac.token).await;
    assert_eq!(card_texts_of(&staff_view), ["Ana's card stays"]);
    let me = staff_view["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .find(|p| p["id"] == ana.id.as_str())
        .expect("still listed");
    assert_eq!(me["removed"], true);
    f.refused(move_to(&ana.id, &w.rooms[1]), "invalid").await;
}

#[tokio::test]
async fn nobody_removes_the_organizer_and_delegates_remove_nobody() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let (lead, mut l) = staff(&server, &w).await;
    let plain = server.facilitator(&w, "Plain").await;
    let mut p = server.connect(&plain.token).await;
    let (ana, mut a) = seated(&server, &w, &mut l, "Ana", "AR", &w.rooms[0]).await;
    let (bob, _b) = seated(&server, &w, &mut l, "Bob", "BR", &w.rooms[0]).await;
    let organizer = w.json["organizer_id"].as_str().expect("organizer_id");
    let remove = |who: &str| json!({"type": "remove_participant", "participant": who});

    l.refused(remove(organizer), "invalid").await;
    l.refused(remove(&lead.id), "invalid").await;
    a.refused(remove(&bob.id), "forbidden").await;
    p.refused(remove(&lead.id), "forbidden").await;
    l.refused(remove(NO_SUCH_PARTICIPANT), "not_found").await;
    // Nobody was removed: Bob still connects.
    let b2 = server.connect(&bob.token).await;
    assert_eq!(b2.welcome["you"]["removed"], false);
    // A plain facilitator may remove a delegate; the lead may remove a facilitator.
    p.ok(remove(&ana.id)).await;
    assert_eq!(a.close_code().await, Some(4003));
    l.ok(remove(&plain.id)).await;
    assert_eq!(p.close_code().await, Some(4003));
}

// ---- Helpers ------------------------------------------------------------------------

const NO_SUCH_ROOM: &str = "00000000-0000-4000-8000-000000000000";
const NO_SUCH_PARTICIPANT: &str = "00000000-0000-4000-8000-000000000001";
const NO_SUCH_REQUEST: &str = "00000000-0000-4000-8000-000000000002";
const COUNTRIES: [&str; 4] = ["AR", "BR", "CL", "MX"];

fn choose(room: &str) -> Value {
    json!({"type": "choose_room", "room": room})
}

/// What this token's holder sees now, from a fresh connection's welcome.
async fn snapshot(server: &TestServer, token: &str) -> Value {
    let c = server.connect(token).await;
    let snap = c.welcome["snapshot"].clone();
    c.close().await;
    snap
}

/// The unasked `snapshot` frame at `seq` (earlier updates are skipped).
async fn snapshot_at(c: &mut TestClient, seq: u64) -> Value {
    loop {
        let v = c
            .next_update()
            .await
            .unwrap_or_else(|| panic!("no snapshot at seq {seq}"));
        if v["type"] == "snapshot" && v["seq"].as_u64() == Some(seq) {
            return v;
        }
    }
}

/// An event the server's clock should produce (timer warnings and endings), within `WAIT`.
async fn clock_event(c: &mut TestClient, ty: &str) -> Value {
    loop {
        let v = c
            .next_update()
            .await
            .unwrap_or_else(|| panic!("the server's clock produced no {ty} event within {WAIT:?}"));
        if v["type"] == "event" && v["event"]["type"] == ty {
            return v;
        }
    }
}

/// Where a participant is in a bare snapshot: `"lobby"` or a room id.
fn place_of(snapshot: &Value, participant: &str) -> String {
    snapshot["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .find(|p| p["id"] == participant)
        .and_then(|p| p["room"].as_str())
        .unwrap_or_else(|| panic!("{participant} not in {snapshot}"))
        .to_string()
}

fn delegates(snapshot: &Value) -> Vec<&Value> {
    snapshot["participants"]
        .as_array()
        .expect("participants")
        .iter()
        .filter(|p| p["role"] == "delegate" && p["removed"] != true)
        .collect()
}

/// Delegates in each room still in use, in room order.
fn delegates_per_room(snapshot: &Value) -> Vec<usize> {
    let people = delegates(snapshot);
    snapshot["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .filter(|r| r["removed"] != true)
        .map(|r| people.iter().filter(|p| p["room"] == r["id"]).count())
        .collect()
}

/// Each delegate's name and the index of their room (`usize::MAX` for the lobby).
fn placement(snapshot: &Value, w: &Workshop) -> BTreeMap<String, usize> {
    delegates(snapshot)
        .into_iter()
        .map(|p| {
            let room = p["room"].as_str().expect("room");
            let index = w.rooms.iter().position(|r| r == room).unwrap_or(usize::MAX);
            (p["name"].as_str().expect("name").to_string(), index)
        })
        .collect()
}

fn sizes_of(placement: &BTreeMap<String, usize>, rooms: usize) -> Vec<usize> {
    (0..rooms)
        .map(|i| placement.values().filter(|r| **r == i).count())
        .collect()
}

/// A fresh workshop with ten delegates in the lobby, assigned `even`: the room sizes.
async fn even_sizes(server: &TestServer) -> Vec<usize> {
    let w = server.workshop().await;
    let (fac, mut f) = staff(server, &w).await;
    for i in 0..10 {
        server
            .delegate(&w, &format!("Delegate {i}"), COUNTRIES[i % 4])
            .await;
    }
    let seq = f
        .ok(json!({"type": "assign_rooms", "strategy": "even"}))
        .await;
    let ev = f.event_of_type("rooms_assigned").await;
    assert_eq!(ev["seq"].as_u64(), Some(seq));
    assert_eq!(ev["event"]["strategy"], "even");
    assert_eq!(ev["event"]["moves"].as_array().expect("moves").len(), 10);
    delegates_per_room(&snapshot(server, &fac.token).await)
}

/// A fresh workshop with eight delegates joined in a fixed order, assigned `random` with
/// `seed`: who went to which room (by index).
async fn random_placement(server: &TestServer, seed: u64) -> BTreeMap<String, usize> {
    let w = server.workshop().await;
    let (fac, mut f) = staff(server, &w).await;
    for i in 1..=8 {
        server
            .delegate(&w, &format!("Delegate {i}"), COUNTRIES[i % 4])
            .await;
    }
    f.ok(json!({"type": "assign_rooms", "strategy": "random", "seed": seed}))
        .await;
    placement(&snapshot(server, &fac.token).await, &w)
}

/// Delegation sizes of the reference workshop, from its fixture.
fn fixture_delegations() -> Vec<usize> {
    let fx: Value =
        serde_json::from_str(include_str!("../data/going-digital-2020.json")).expect("fixture");
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for p in fx["participants"].as_array().expect("participants") {
        if p["role"] == "delegate" {
            *counts
                .entry(p["country"].as_str().expect("country"))
                .or_default() += 1;
        }
    }
    counts.into_values().collect()
}

/// The smallest max-min spread of room sizes any placement of whole delegations into
/// `rooms` rooms achieves: an exhaustive search over the (sorted) room-size tuples.
fn best_spread(delegations: &[usize], rooms: usize) -> usize {
    let mut states: BTreeSet<Vec<usize>> = BTreeSet::from([vec![0; rooms]]);
    for d in delegations {
        let mut next = BTreeSet::new();
        for s in &states {
            for i in 0..rooms {
                let mut t = s.clone();
                t[i] += d;
                t.sort_unstable();
                next.insert(t);
            }
        }
        states = next;
    }
    states
        .iter()
        .map(|s| s[rooms - 1] - s[0])
        .min()
        .expect("a placement")
}

fn token_after<'a>(lines: &'a [String], label: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.trim_start().starts_with(label))
        .and_then(|l| l.split_whitespace().last())
        .unwrap_or_else(|| panic!("no {label:?} line in {lines:#?}"))
}

/// `POST /api/workshops/{id}/join` whatever the answer.
async fn join_raw(
    server: &TestServer,
    w: &Workshop,
    code: &str,
    name: &str,
    country: &str,
) -> (u16, Value) {
    let mut body = json!({"code": code, "name": name, "language": "es"});
    if !country.is_empty() {
        body["country"] = json!(country);
    }
    server
        .post_json(&format!("/api/workshops/{}/join", w.id), body)
        .await
}

async fn get(server: &TestServer, path: &str, token: &str) -> (u16, Value) {
    let r = server
        .http
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Sends `hello` with `token` on a new socket and returns the close code it gets.
async fn hello_close_code(server: &TestServer, token: &str) -> Option<u16> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let mut socket = TestClient::raw(&server.ws_url()).await;
    socket
        .send(Message::text(
            json!({"type": "hello", "token": token}).to_string(),
        ))
        .await
        .expect("send hello");
    loop {
        match tokio::time::timeout(WAIT, socket.next()).await.ok()?? {
            Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
            Ok(Message::Text(t)) => panic!("expected a close, got {t}"),
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
}

/// Presence waits on the server's clock (a 5 s grace): this is generous.
const PRESENCE_WAIT: Duration = Duration::from_secs(30);

/// Every frame before the presence frame saying `participant` is `online` (consumed).
async fn frames_until_presence(c: &mut TestClient, participant: &str, online: bool) -> Vec<Value> {
    let mut before = Vec::new();
    loop {
        let v = c
            .next_frame_within(PRESENCE_WAIT)
            .await
            .unwrap_or_else(|| panic!("no presence frame about {participant}: {before:?}"));
        if v["type"] == "presence" && v["participant"] == participant && v["online"] == online {
            return before;
        }
        before.push(v);
    }
}

/// The next presence frame about `participant` (frames before it are skipped).
async fn presence_frame(c: &mut TestClient, participant: &str) -> Value {
    loop {
        let v = c
            .next_frame_within(PRESENCE_WAIT)
            .await
            .unwrap_or_else(|| panic!("no presence frame about {participant} in time"));
        if v["type"] == "presence" && v["participant"] == participant {
            return v;
        }
    }
}

/// The `online` flags of the presence frames about `participant`, in order.
fn presence_of(frames: &[Value], participant: &str) -> Vec<bool> {
    frames
        .iter()
        .filter(|v| v["type"] == "presence" && v["participant"] == participant)
        .map(|v| v["online"].as_bool().expect("online"))
        .collect()
}

fn events_of<'a>(frames: &'a [Value], ty: &str) -> Vec<&'a Value> {
    frames
        .iter()
        .filter(|v| v["type"] == "event" && v["event"]["type"] == ty)
        .collect()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("list of ids")
        .iter()
        .map(|v| v.as_str().expect("id").to_string())
        .collect()
}

fn texts(list: &Value) -> Vec<&str> {
    list.as_array()
        .expect("list")
        .iter()
        .map(|v| v["text"].as_str().expect("text"))
        .collect()
}

/// Card texts of a bare snapshot (not a frame).
fn card_texts_of(snapshot: &Value) -> Vec<String> {
    card_texts(&json!({ "snapshot": snapshot }))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as i64
}

/// `value` lies in `[low, high]`, give or take 5 ms of clock granularity.
fn assert_between(value: i64, low: i64, high: i64) {
    assert!(
        value >= low - 5 && value <= high + 5,
        "{value} not within [{low}, {high}]"
    );
}
