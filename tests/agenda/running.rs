//! Running the agenda: next segment as one stored step (whole or not at all), skipping and
//! extending live, delegates following without driving it.

use super::*;

#[tokio::test]
async fn next_segment_moves_sets_the_phase_times_and_broadcasts_and_delegates_follow() {
    let server = TestServer::start().await;
    let (w, mut f, ana, _bruno) = running(&server).await;
    let mut a = server.connect(&ana.token).await;
    assert_eq!(agenda(&a.welcome)["version"], 1);
    assert_eq!(
        agenda(&a.welcome)["segments"][1]["plan"]["title"],
        "Breakout: brainstorm"
    );

    // Welcome: everyone to the plenary, the message.
    f.ok(json!({"type": "next_segment", "version": 1})).await;
    let advanced = a.event_of_type("agenda_advanced").await;
    assert_eq!(advanced["event"]["started"], 0);
    assert_eq!(a.event_of_type("returned_to_lobby").await["type"], "event");
    let b = a.event_of_type("broadcast_sent").await;
    assert_eq!(b["event"]["text"], "Welcome, everyone");
    // The events of one step are consecutive in the log.
    assert_eq!(seq(&b), seq(&advanced) + 2);

    // The breakout: Ana back in room 0, hidden brainstorm, her room's timer.
    let ack = f.ok(json!({"type": "next_segment", "version": 2})).await;
    let frames = a.through_seq(ack).await;
    let types: Vec<&str> = frames
        .iter()
        .filter(|v| v["type"] == "event")
        .filter_map(|v| v["event"]["type"].as_str())
        .collect();
    for expected in [
        "agenda_advanced",
        "rooms_assigned",
        "phase_set",
        "timer_started",
        "broadcast_sent",
    ] {
        assert!(types.contains(&expected), "{expected} in {types:?}");
    }
    let fresh = server.connect(&ana.token).await;
    assert_eq!(fresh.welcome["you"]["room"], w.rooms[0].as_str());
    let s = &fresh.welcome["snapshot"];
    assert_eq!(agenda(&fresh.welcome)["segments"][0]["status"], "done");
    assert_eq!(agenda(&fresh.welcome)["segments"][1]["status"], "running");
    let room = s["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == w.rooms[0].as_str())
        .unwrap();
    assert_eq!(
        (room["phase"].as_str(), room["hidden"].as_bool()),
        (Some("brainstorm"), Some(true))
    );
    assert_eq!(s["session"]["timers"].as_array().unwrap().len(), 1, "{s}");
    assert_eq!(s["session"]["timers"][0]["room"], w.rooms[0].as_str());
}

#[tokio::test]
async fn delegates_see_the_agenda_but_cannot_drive_it() {
    let server = TestServer::start().await;
    let (_w, mut f, ana, _bruno) = running(&server).await;
    let mut a = server.connect(&ana.token).await;
    let before = a.seq;
    for command in [
        json!({"type": "set_agenda", "version": 1, "segments": []}),
        json!({"type": "next_segment", "version": 1}),
        json!({"type": "skip_segment", "version": 1}),
        json!({"type": "extend_segment", "version": 1, "minutes": 5}),
    ] {
        a.refused(command, "forbidden").await;
    }
    // Nothing changed: the next event anyone sees is the facilitator's barrier.
    let barrier = barrier(&mut f).await;
    assert_eq!(barrier, before + 1);
}

#[tokio::test]
async fn skip_and_extend_live() {
    let server = TestServer::start().await;
    let (w, mut f, _ana, _bruno) = running(&server).await;
    f.ok(json!({"type": "next_segment", "version": 1})).await;
    f.ok(json!({"type": "extend_segment", "version": 2, "minutes": 5}))
        .await;
    f.ok(json!({"type": "skip_segment", "version": 3})).await;
    f.ok(json!({"type": "next_segment", "version": 4})).await;
    let fresh = server.connect(&w.organizer_token).await;
    let s = &agenda(&fresh.welcome)["segments"];
    assert_eq!(s[0]["extended"], 5);
    assert_eq!(
        [&s[0]["status"], &s[1]["status"], &s[2]["status"]],
        ["done", "skipped", "running"]
    );
}

/// One durable step: while the database's write lock is held from outside, "next segment"
/// is stuck in its commit; a kill -9 then leaves none of its events. After a restart the
/// same step commits, and a kill -9 right after its ack leaves all of them.
#[tokio::test]
async fn next_segment_is_stored_whole_or_not_at_all() {
    let mut flags = NO_RATE_LIMITS.to_vec();
    flags.extend(["--workshop-inbox", "1"]);
    let mut server = TestServer::start_with(&flags).await;
    let (w, mut f, ana, _bruno) = running(&server).await;
    f.ok(json!({"type": "next_segment", "version": 1})).await;
    let lock = server.db.hold_writes().await;
    // The first is taken into the stuck commit, the next fills the inbox, the last finds
    // it full.
    f.send(json!({"id": "stuck", "type": "next_segment", "version": 2}))
        .await;
    for i in 0..2 {
        f.send(json!({"id": format!("filler-{i}"), "type": "broadcast", "text": "filler"}))
            .await;
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
    let advanced = stored.iter().filter(|t| *t == "agenda_advanced").count();
    assert_eq!(advanced, 1, "{stored:?}");
    for t in ["rooms_assigned", "phase_set", "timer_started"] {
        assert!(!stored.iter().any(|s| s == t), "{t} in {stored:?}");
    }

    server.restart().await;
    let mut f = server.connect(&w.organizer_token).await;
    assert_eq!(agenda(&f.welcome)["version"], 2);
    f.ok(json!({"type": "next_segment", "version": 2})).await;
    server.kill().await;
    server.restart().await;
    let fresh = server.connect(&ana.token).await;
    assert_eq!(agenda(&fresh.welcome)["segments"][1]["status"], "running");
    assert_eq!(fresh.welcome["you"]["room"], w.rooms[0].as_str());
    let s = &fresh.welcome["snapshot"];
    assert_eq!(s["session"]["timers"][0]["room"], w.rooms[0].as_str());
    let stored = server.db.stored_event_types(&w.id).await;
    let tail: Vec<&str> = stored.iter().rev().take(11).map(String::as_str).collect();
    for t in [
        "agenda_advanced",
        "rooms_assigned",
        "phase_set",
        "timer_started",
        "broadcast_sent",
    ] {
        assert!(tail.contains(&t), "{t} in {tail:?}");
    }
}
