//! Help requests, a room phase seen after a reconnect, and who is online.

use super::*;

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
