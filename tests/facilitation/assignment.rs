//! Assigning delegates to rooms (even, random, by country, a plan, self-selection) and placing late joiners.

use super::*;

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
