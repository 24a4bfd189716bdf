//! Timers: per room or for all, extended, paused, warned, ended on the server clock, across restarts.

use super::*;

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
