//! Start-up on a database of many workshops without snapshots (issue 19: a database written
//! before snapshots, the first start after the upgrade): the server serves and is ready at
//! once, wakes those workshops in the background (`cabildo_wake_pending_workshops` counts
//! down), stores their snapshots, keeps in memory only the one with a timer running, whose
//! timer ends; and SIGTERM during the wake stops it and exits cleanly. Real server, real HTTP and
//! WebSocket, a real database (SQLite, or PostgreSQL with `CABILDO_TEST_BACKEND=postgres`).

mod common;

use common::*;
use serde_json::{json, Value};
use sqlx::Connection;
use std::time::Duration;

/// Workshops in the database (more than three of the wake's batches of 64).
const WORKSHOPS: usize = 200;
/// How long a condition may take to come true.
const BOUND: Duration = Duration::from_secs(60);

/// One number read from the database itself.
async fn scalar(db: &TestDb, sql: &str) -> i64 {
    if db.is_postgres() {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
        sqlx::query_scalar(sql)
            .fetch_one(&mut conn)
            .await
            .expect("query")
    } else {
        let url = format!("sqlite://{}", db.url);
        let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("open");
        sqlx::query_scalar(sql)
            .fetch_one(&mut conn)
            .await
            .expect("query")
    }
}

/// Deletes every snapshot, as in a database written before snapshots (no server running).
async fn drop_snapshots(db: &TestDb) {
    if db.is_postgres() {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
        sqlx::query("DELETE FROM snapshots")
            .execute(&mut conn)
            .await
            .expect("delete");
    } else {
        let url = format!("sqlite://{}", db.url);
        let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("open");
        sqlx::query("DELETE FROM snapshots")
            .execute(&mut conn)
            .await
            .expect("delete");
    }
}

/// Blocks every write of a snapshot until released: SQLite's write lock (`BEGIN
/// IMMEDIATE`; the server's writer waits up to its 10 s busy timeout), or an `EXCLUSIVE`
/// lock on PostgreSQL's `snapshots` (reads go on).
async fn hold_snapshot_writes(db: &TestDb) -> WriteLock {
    if !db.is_postgres() {
        return db.hold_writes().await;
    }
    let mut c = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    sqlx::query("BEGIN").execute(&mut c).await.expect("begin");
    sqlx::query("LOCK TABLE snapshots IN EXCLUSIVE MODE")
        .execute(&mut c)
        .await
        .expect("lock snapshots");
    WriteLock::Postgres(c)
}

/// Workshops whose snapshot is missing or not at their log's last event.
async fn without_current_snapshot(db: &TestDb) -> i64 {
    scalar(
        db,
        "SELECT count(*) FROM workshops w WHERE NOT EXISTS (SELECT 1 FROM snapshots s \
         WHERE s.workshop_id = w.id \
           AND s.seq = (SELECT max(e.seq) FROM events e WHERE e.workshop_id = w.id))",
    )
    .await
}

async fn readyz(server: &TestServer) -> (u16, Value) {
    let r = server
        .http
        .get(server.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    (r.status().as_u16(), r.json().await.expect("JSON body"))
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
    if let Some(o) = v.as_object_mut() {
        o.remove("exported_at");
    }
    v
}

/// A server holding `WORKSHOPS` workshops: the first with cards posted and edited, the
/// second with a 3-second timer running; stopped, its snapshots deleted. With the first's
/// export before the stop.
async fn database_without_snapshots() -> (TestServer, Workshop, Workshop, Value) {
    let mut server = TestServer::start().await;
    let busy = server.workshop().await;
    let room = busy.rooms[0].clone();
    let d = server.delegate(&busy, "Ana", "AR").await;
    let mut org = server.connect(&busy.organizer_token).await;
    org.ok(json!({"type": "move_participant", "participant": d.id, "room": room}))
        .await;
    let mut c = server.connect(&d.token).await;
    for i in 0..3 {
        c.ok(json!({"type": "post_card", "room": room, "column": "strengths", "text": format!("card {i}")}))
            .await;
    }
    let timed = server.workshop().await;
    let mut timer = server.connect(&timed.organizer_token).await;
    timer
        .ok(json!({"type": "start_timer", "room": timed.rooms[0], "seconds": 3}))
        .await;
    for _ in 2..WORKSHOPS {
        server.workshop().await;
    }
    drop((org, c, timer));
    let before = export(&server, &busy).await;
    assert!(server.terminate().await.success());
    drop_snapshots(&server.db).await;
    assert_eq!(without_current_snapshot(&server.db).await, WORKSHOPS as i64);
    (server, busy, timed, before)
}

#[tokio::test]
async fn without_snapshots_the_server_serves_at_once_wakes_in_the_background_and_keeps_only_timers_in_memory(
) {
    let (mut server, busy, timed, before) = database_without_snapshots().await;
    // The wake cannot store a snapshot while the lock is held: the server serves
    // (`restart` waits for `/healthz`) and is ready, with every workshop still to fold.
    let lock = hold_snapshot_writes(&server.db).await;
    server.restart().await;
    let (status, body) = readyz(&server).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["checks"]["workshops"], "ok", "{body}");
    let pending = || async { scrape(&server).await["cabildo_wake_pending_workshops"] };
    assert_eq!(pending().await, WORKSHOPS as f64);
    // A lookup during the wake loads its workshop on demand.
    let r = server
        .http
        .get(server.url(&format!("/api/codes/{}", busy.delegate_code)))
        .send()
        .await
        .expect("lookup");
    assert_eq!(r.status(), 200);
    lock.release().await;
    let deadline = tokio::time::Instant::now() + BOUND;
    while pending().await > 0.0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the wake did not end: {}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Every workshop has its snapshot at its last event; in memory, only the one with a
    // timer (woken) and the one looked up.
    assert_eq!(without_current_snapshot(&server.db).await, 0);
    let s = scrape(&server).await;
    assert_eq!(s.get("cabildo_live_workshops"), Some(&2.0), "{s:?}");
    assert_eq!(export(&server, &busy).await, before);
    // The timer of a workshop nobody touched ends.
    let deadline = tokio::time::Instant::now() + BOUND;
    while !server
        .db
        .stored_event_types(&timed.id)
        .await
        .contains(&"timer_ended".to_string())
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the timer did not end: {}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The next start has nothing to wake but the timer's workshop, if it still runs.
    assert!(server.terminate().await.success());
    server.restart().await;
    assert_eq!(readyz(&server).await.0, 200);
    let s = scrape(&server).await;
    assert_eq!(s.get("cabildo_live_workshops"), Some(&0.0), "{s:?}");
}

#[tokio::test]
async fn sigterm_during_the_wake_stops_it_and_the_server_exits_cleanly() {
    let (mut server, _busy, _timed, _) = database_without_snapshots().await;
    let lock = hold_snapshot_writes(&server.db).await;
    server.restart().await;
    // Ready once the listing is read (nothing must be woken first); nothing folded yet.
    assert_eq!(readyz(&server).await.0, 200);
    assert_eq!(
        scrape(&server).await["cabildo_wake_pending_workshops"],
        WORKSHOPS as f64
    );
    server.sigterm();
    // Shutdown began once the server stops answering; the wake's first batch still waits
    // for the lock. Let it through: the wake must stop instead of going on.
    let deadline = tokio::time::Instant::now() + BOUND;
    while server.http.get(server.url("/healthz")).send().await.is_ok() {
        assert!(tokio::time::Instant::now() < deadline, "still serving");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    lock.release().await;
    let status = server.wait_exit().await;
    assert!(status.success(), "{status:?}\n{}", server.log());
    let stored = scalar(&server.db, "SELECT count(*) FROM snapshots").await;
    assert!(
        stored < WORKSHOPS as i64,
        "the wake went on after SIGTERM: {stored} snapshots\n{}",
        server.log()
    );
    assert!(
        server.log().contains("the wake stopped"),
        "{}",
        server.log()
    );
}
