//! Snapshots and eviction (issue 19): an idle workshop leaves memory and comes back with
//! the same state, loading reads the latest snapshot and the log's tail, start-up loads
//! only the workshops with a timer to run, erasing removes the snapshot, a snapshot that
//! cannot be used is ignored, and a large workshop snapshots less often. Real server, real
//! HTTP and WebSocket, a real database (SQLite, or PostgreSQL with
//! `CABILDO_TEST_BACKEND=postgres`).

mod common;

use common::*;
use serde_json::{json, Value};
use sqlx::Connection;
use std::collections::HashMap;
use std::time::Duration;

/// The idle period the servers here run with (seconds).
const IDLE: &str = "1";
/// How long a condition may take to come true (eviction waits for the presence grace of
/// 5 s and the idle period).
const BOUND: Duration = Duration::from_secs(60);

fn flags() -> Vec<&'static str> {
    NO_RATE_LIMITS
        .iter()
        .copied()
        .chain(["--workshop-idle-evict", IDLE])
        .collect()
}

fn metric(samples: &HashMap<String, f64>, key: &str) -> f64 {
    samples.get(key).copied().unwrap_or(0.0)
}

/// Polls the metrics until `ok` holds for them (at most `BOUND`); returns them.
async fn until(
    server: &TestServer,
    what: &str,
    ok: impl Fn(&HashMap<String, f64>) -> bool,
) -> HashMap<String, f64> {
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        let samples = scrape(server).await;
        if ok(&samples) {
            return samples;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} did not happen: {samples:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn evicted(server: &TestServer, before: f64) -> HashMap<String, f64> {
    until(server, "eviction", |s| {
        metric(s, "cabildo_workshops_evicted_total") > before
            && metric(s, "cabildo_live_workshops") == 0.0
    })
    .await
}

/// The workshop's JSON record, as its organizer exports it.
async fn export(server: &TestServer, w: &Workshop) -> Value {
    let r = server
        .http
        .get(server.url(&format!("/api/workshops/{}/export?format=json", w.id)))
        .bearer_auth(&w.organizer_token)
        .send()
        .await
        .expect("export");
    assert_eq!(r.status(), 200);
    let mut v: Value = r.json().await.expect("json");
    // When the record was made is not part of the workshop.
    if let Some(o) = v.as_object_mut() {
        o.remove("exported_at");
    }
    v
}

/// A workshop with a board: a delegate in a room, cards posted and edited, a vote.
async fn busy_workshop(server: &TestServer) -> Workshop {
    let w = server.workshop().await;
    let room = w.rooms[0].clone();
    let d = server.delegate(&w, "Ana", "AR").await;
    let mut org = server.connect(&w.organizer_token).await;
    org.ok(json!({"type": "move_participant", "participant": d.id, "room": room}))
        .await;
    let mut c = server.connect(&d.token).await;
    for i in 0..5 {
        c.ok(json!({"type": "post_card", "room": room, "column": "strengths", "text": format!("card {i}")}))
            .await;
        let card = c.event_of_type("card_posted").await["event"]["card"].clone();
        c.ok(json!({"type": "edit_card", "card": card, "text": format!("card {i}, edited")}))
            .await;
    }
    w
}

/// Rows of `table` for workshop `id`, read from the database itself.
async fn rows(db: &TestDb, table: &str, id: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM {table} WHERE workshop_id = $1");
    if db.is_postgres() {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
        sqlx::query_scalar(&sql)
            .bind(id)
            .fetch_one(&mut conn)
            .await
            .expect("count")
    } else {
        let url = format!("sqlite://{}", db.url);
        let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("open");
        sqlx::query_scalar(&sql)
            .bind(id)
            .fetch_one(&mut conn)
            .await
            .expect("count")
    }
}

/// Runs `sql` (one `$1`: the workshop id) on the database while no server uses it.
async fn execute(db: &TestDb, sql: &str, id: &str) {
    if db.is_postgres() {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
        sqlx::query(sql)
            .bind(id)
            .execute(&mut conn)
            .await
            .expect("sql");
    } else {
        let url = format!("sqlite://{}", db.url);
        let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("open");
        sqlx::query(sql)
            .bind(id)
            .execute(&mut conn)
            .await
            .expect("sql");
    }
}

#[tokio::test]
async fn an_idle_workshop_is_evicted_and_reloads_from_its_snapshot_with_the_same_state() {
    let server = TestServer::start_with(&flags()).await;
    let w = busy_workshop(&server).await;
    let before = export(&server, &w).await;
    // The clients are gone: after the presence grace and the idle period, it goes.
    let s = evicted(&server, 0.0).await;
    assert_eq!(metric(&s, "cabildo_workshops_evicted_total"), 1.0);
    assert_eq!(rows(&server.db, "snapshots", &w.id).await, 1);
    let replayed = metric(&s, "cabildo_workshop_load_events_total");
    let from_snapshots = metric(&s, "cabildo_workshop_loads_total{source=\"snapshot\"}");

    // The next use loads it again, transparently: the same state, read from the
    // snapshot with no event of the log replayed.
    assert_eq!(export(&server, &w).await, before);
    let s = scrape(&server).await;
    assert_eq!(metric(&s, "cabildo_live_workshops"), 1.0);
    assert_eq!(
        metric(&s, "cabildo_workshop_loads_total{source=\"snapshot\"}"),
        from_snapshots + 1.0
    );
    assert_eq!(metric(&s, "cabildo_workshop_load_events_total"), replayed);

    // A participant connects and works on as before.
    let d = server.delegate(&w, "Bruno", "BR").await;
    let c = server.connect(&d.token).await;
    assert!(c.welcome["seq"].as_u64().unwrap() > 10, "{}", c.welcome);
    let after = export(&server, &w).await;
    assert_ne!(after, before, "the join is in the record");
    drop(c);
    // Evicted again, and reloaded: the snapshot plus the events after it (the join).
    evicted(&server, 1.0).await;
    assert_eq!(export(&server, &w).await, after);
}

#[tokio::test]
async fn a_restart_loads_nothing_until_asked_and_then_the_same_state() {
    let mut server = TestServer::start_with(&flags()).await;
    let w = busy_workshop(&server).await;
    let before = export(&server, &w).await;
    assert!(server.terminate().await.success());
    server.restart().await;
    // Ready at once, with nothing loaded: the workshop has a snapshot at its last event
    // and no timer.
    let r = server.http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let s = scrape(&server).await;
    assert_eq!(metric(&s, "cabildo_live_workshops"), 0.0);
    assert_eq!(
        metric(&s, "cabildo_workshop_loads_total{source=\"log\"}"),
        0.0
    );
    // A code lookup loads it, from its snapshot.
    let r = server
        .http
        .get(server.url(&format!("/api/codes/{}", w.delegate_code)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(export(&server, &w).await, before);
    let s = scrape(&server).await;
    assert_eq!(metric(&s, "cabildo_live_workshops"), 1.0);
    assert_eq!(
        metric(&s, "cabildo_workshop_loads_total{source=\"snapshot\"}"),
        1.0
    );
    assert_eq!(metric(&s, "cabildo_workshop_load_events_total"), 0.0);
}

#[tokio::test]
async fn a_timer_ends_on_time_with_nobody_connected_and_across_a_restart() {
    let mut server = TestServer::start_with(&flags()).await;
    let w = server.workshop().await;
    let room = w.rooms[0].clone();
    {
        let mut org = server.connect(&w.organizer_token).await;
        org.ok(json!({"type": "start_timer", "room": room, "seconds": 3}))
            .await;
    }
    // Nobody is connected: the workshop stays in memory while its timer runs, and the
    // timer ends; then the workshop goes.
    let deadline = tokio::time::Instant::now() + BOUND;
    while !server
        .db
        .stored_event_types(&w.id)
        .await
        .contains(&"timer_ended".to_string())
    {
        assert!(tokio::time::Instant::now() < deadline, "no timer_ended");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    evicted(&server, 0.0).await;

    // A timer running at shutdown: start-up loads the workshop (its snapshot says a timer
    // is due) without anyone asking, and the timer ends.
    {
        let mut org = server.connect(&w.organizer_token).await;
        org.ok(json!({"type": "start_timer", "room": room, "seconds": 4}))
            .await;
    }
    assert!(server.terminate().await.success());
    assert_eq!(rows(&server.db, "snapshots", &w.id).await, 1);
    server.restart().await;
    let deadline = tokio::time::Instant::now() + BOUND;
    while server
        .db
        .stored_event_types(&w.id)
        .await
        .iter()
        .filter(|t| *t == "timer_ended")
        .count()
        < 2
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the second timer did not end: {}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn erasing_a_workshop_removes_its_snapshot() {
    let server = TestServer::start_with(&flags()).await;
    let w = busy_workshop(&server).await;
    evicted(&server, 0.0).await;
    assert_eq!(rows(&server.db, "snapshots", &w.id).await, 1);
    let r = server
        .http
        .delete(server.url(&format!("/api/workshops/{}", w.id)))
        .bearer_auth(&w.organizer_token)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(rows(&server.db, "snapshots", &w.id).await, 0);
    assert_eq!(rows(&server.db, "events", &w.id).await, 0);
}

/// The version and `seq` of workshop `id`'s stored snapshot, if it has one.
async fn stored_snapshot(db: &TestDb, id: &str) -> Option<(i64, i64)> {
    let sql = "SELECT CAST(version AS BIGINT), seq FROM snapshots WHERE workshop_id = $1";
    if db.is_postgres() {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
        sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(&mut conn)
            .await
            .expect("snapshot")
    } else {
        let url = format!("sqlite://{}", db.url);
        let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("open");
        sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(&mut conn)
            .await
            .expect("snapshot")
    }
}

/// The version of workshop `id`'s stored snapshot (it must have one).
async fn snapshot_version(db: &TestDb, id: &str) -> i64 {
    stored_snapshot(db, id).await.expect("a snapshot").0
}

/// The `seq` of workshop `id`'s stored snapshot, if it has one.
async fn snapshot_seq(db: &TestDb, id: &str) -> Option<i64> {
    stored_snapshot(db, id).await.map(|(_, seq)| seq)
}

#[tokio::test]
async fn a_corrupt_or_old_snapshot_is_ignored_and_the_log_replayed() {
    let mut server = TestServer::start_with(&flags()).await;
    let w = busy_workshop(&server).await;
    let before = export(&server, &w).await;

    // Unreadable, of the current format: the wake leaves it, the load ignores it.
    assert!(server.terminate().await.success());
    let corrupt = "UPDATE snapshots SET body = '{\"id\": 42, \"seq\": [' WHERE workshop_id = $1";
    execute(&server.db, corrupt, &w.id).await;
    server.restart().await;
    server.until_ready().await;
    assert_eq!(export(&server, &w).await, before, "corrupt");
    let s = scrape(&server).await;
    assert_eq!(
        metric(&s, "cabildo_workshop_loads_total{source=\"log\"}"),
        1.0,
        "corrupt: {}",
        server.log()
    );
    assert!(!server.log().contains("panicked"), "{}", server.log());

    // Of an older format: rewritten by the wake from the log after the server is ready,
    // then loaded from the new one.
    assert!(server.terminate().await.success());
    execute(
        &server.db,
        "UPDATE snapshots SET version = 0 WHERE workshop_id = $1",
        &w.id,
    )
    .await;
    server.restart().await;
    server.until_ready().await;
    let deadline = tokio::time::Instant::now() + BOUND;
    while metric(&scrape(&server).await, "cabildo_wake_pending_workshops") > 0.0 {
        assert!(tokio::time::Instant::now() < deadline, "{}", server.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        snapshot_version(&server.db, &w.id).await,
        1,
        "{}",
        server.log()
    );
    assert_eq!(export(&server, &w).await, before, "old format");
    let s = scrape(&server).await;
    let written = metric(&s, "cabildo_snapshots_written_total");
    assert!(
        written >= 1.0,
        "the wake stored no snapshot: {}",
        server.log()
    );
    assert_eq!(
        metric(&s, "cabildo_workshop_loads_total{source=\"snapshot\"}"),
        1.0,
        "old format: {}",
        server.log()
    );
    assert!(!server.log().contains("panicked"), "{}", server.log());
}

/// Clients keep connecting while the workshop is evicted and reloaded, around the moment
/// it goes: every one is welcomed, none meets a stopped actor.
#[tokio::test]
async fn connects_around_an_eviction_always_reach_a_live_actor() {
    let server = TestServer::start_with(&flags()).await;
    let w = server.workshop().await;
    let d = server.delegate(&w, "Ana", "AR").await;
    let mut evictions = 0.0;
    for round in 0..3 {
        evictions = metric(
            &evicted(&server, evictions).await,
            "cabildo_workshops_evicted_total",
        );
        // Right after an eviction, and then at times spread over the next idle period.
        for i in 0..12u64 {
            let c = TestClient::try_connect(&server.ws_url(), &d.token, None).await;
            assert!(c.is_some(), "round {round}, connect {i}: no welcome");
            drop(c);
            tokio::time::sleep(Duration::from_millis(40 * i)).await;
        }
    }
}

/// Sends `commands` pipelined, 200 at a time (under the reader's pause), each acked.
async fn all_acked(c: &mut TestClient, commands: Vec<Value>) {
    for chunk in commands.chunks(200) {
        for (cmd, answer) in chunk.iter().zip(c.pipeline(chunk).await) {
            let answer = answer.expect("answered");
            assert_eq!(answer["type"], "ack", "{cmd} -> {answer}");
        }
    }
}

/// A live workshop stores a snapshot every 1,000 events or so while it is small, and
/// waits longer once its snapshot is large: one event per 100 bytes of it (a 1 MB
/// snapshot every 1,000 events would write several times the log's own bytes). Read from
/// the stored snapshot's `seq`, so a snapshot of the workshop's first events (as a load
/// may store) does not count.
#[tokio::test]
async fn a_large_workshop_snapshots_less_often() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let room = w.rooms[0].clone();
    let d = server.delegate(&w, "Ana", "AR").await;
    let mut org = server.connect(&w.organizer_token).await;
    org.ok(json!({"type": "move_participant", "participant": d.id, "room": room}))
        .await;
    let mut c = server.connect(&d.token).await;
    c.ok(json!({"type": "post_card", "room": room, "column": "strengths", "text": "edited below"}))
        .await;
    let card = c.event_of_type("card_posted").await["event"]["card"].clone();
    let long = "x".repeat(990);
    let periodic = |stored: Option<i64>| stored.is_some_and(|s| s >= 1_000);

    // Small, it snapshots within 1,000 + 500 events: long cards until it does.
    let mut posted = 0;
    while !periodic(snapshot_seq(&server.db, &w.id).await) {
        assert!(posted < 1_600, "no snapshot after {posted} cards");
        let posts = (0..100)
            .map(|i| {
                let text = format!("{} {long}", posted + i);
                json!({"type": "post_card", "id": c.fresh_id(), "room": room, "column": "strengths", "text": text})
            })
            .collect();
        all_acked(&mut c, posts).await;
        posted += 100;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let first = snapshot_seq(&server.db, &w.id).await.expect("stored");

    // Its snapshot now holds ~1 MB of cards: 1,600 more events (edits) store none.
    let edits = (0..1_600)
        .map(|i| json!({"type": "edit_card", "id": c.fresh_id(), "card": card, "text": format!("{i} {long}")}))
        .collect();
    all_acked(&mut c, edits).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        snapshot_seq(&server.db, &w.id).await,
        Some(first),
        "a large workshop snapshotted again within 1,600 events"
    );
}
