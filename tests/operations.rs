//! What an operator relies on: readiness, erasing a workshop (API and CLI), backups taken
//! while serving, metrics that move with traffic, JSON logs without secrets, and the
//! SQLite WAL copied into the database file while serving.
//!
//! The PostgreSQL rerun (`.ci/after.d/10-postgres-suite.sh`) runs this file too, less the
//! tests named `sqlite_…`, which test SQLite's own files (the WAL, `VACUUM INTO` backups).

mod common;
use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

/// A facilitator and a delegate (Ana) seated in the first room, both connected, after Ana
/// posted `cards` cards ("card 0"…).
struct Seated {
    staff_member: Member,
    staff_socket: TestClient,
    delegate: Member,
    delegate_socket: TestClient,
    room: String,
}

async fn seat(server: &TestServer, w: &Workshop, cards: usize) -> Seated {
    let (staff_member, mut staff_socket) = staff(server, w).await;
    let room = w.rooms[0].clone();
    let (delegate, mut delegate_socket) =
        seated(server, w, &mut staff_socket, "Ana", "AR", &room).await;
    for i in 0..cards {
        delegate_socket
            .ok(post_card(&room, "strengths", &format!("card {i}")))
            .await;
    }
    Seated {
        staff_member,
        staff_socket,
        delegate,
        delegate_socket,
        room,
    }
}

// ---- the WAL ----

#[tokio::test]
async fn sqlite_committed_cards_reach_the_database_file_itself_while_serving() {
    // Committing writes the WAL; the checkpointer copies it into the database file within
    // about a second, without a restart (SQLite's own auto-checkpoint would wait for 1,000
    // pages and run inside a commit).
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let mut s = seat(&server, &w, 0).await;
    let marker = "checkpointed-7f3a9c";
    s.delegate_socket
        .ok(post_card(&s.room, "strengths", marker))
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let file = std::fs::read(server.db_path()).unwrap_or_default();
        if contains(&file, marker.as_bytes()) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the card never left the WAL for the database file"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // The server keeps serving, and the card is there.
    let again = server.connect(&s.delegate.token).await;
    let copies = card_texts(&again.welcome)
        .iter()
        .filter(|t| *t == marker)
        .count();
    assert_eq!(copies, 1);
}

// ---- readiness ----

#[tokio::test]
async fn readyz_is_200_naming_the_database_when_it_answers() {
    let server = TestServer::start().await;
    let r = server.http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["ready"], true, "{body}");
    assert_eq!(body["checks"]["database"], "ok", "{body}");
    assert_eq!(body["down"], json!([]), "{body}");
}

// ---- erasing ----

async fn delete(server: &TestServer, id: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = server
        .http
        .delete(server.url(&format!("/api/workshops/{id}")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let r = request.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn get_with(server: &TestServer, path: &str, token: &str) -> u16 {
    server
        .http
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

#[tokio::test]
async fn only_the_organizer_erases_a_workshop() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let other = server.workshop().await;
    let d = server.delegate(&w, "Ana", "AR").await;
    let f = server.facilitator(&w, "Fran").await;
    for (who, token, status, code) in [
        ("no token", None, 401, "unauthorized"),
        ("unknown token", Some("not-a-token"), 401, "unauthorized"),
        ("delegate", Some(d.token.as_str()), 403, "forbidden"),
        ("facilitator", Some(f.token.as_str()), 403, "forbidden"),
        (
            "organizer of another workshop",
            Some(other.organizer_token.as_str()),
            403,
            "forbidden",
        ),
    ] {
        let (s, body) = delete(&server, &w.id, token).await;
        assert_eq!(s, status, "{who}: {body}");
        assert_eq!(body["code"], code, "{who}: {body}");
    }
    let unknown = "6f1c1a0e-3b9a-4c1e-9a57-6a7e2f3b1c00";
    for id in [unknown, "not-a-uuid"] {
        let (s, body) = delete(&server, id, Some(&w.organizer_token)).await;
        assert_eq!(s, 404, "{id}: {body}");
        assert_eq!(body["code"], "not_found", "{body}");
    }
    // Nothing was erased by the refusals.
    server.delegate(&w, "Bea", "BR").await;
}

#[tokio::test]
async fn erasing_closes_sockets_with_4004_and_every_endpoint_then_answers_404() {
    let mut server = TestServer::start().await;
    let w = server.workshop().await;
    let kept = server.workshop().await;
    let Seated {
        staff_member,
        mut staff_socket,
        delegate: d,
        mut delegate_socket,
        room,
    } = seat(&server, &w, 0).await;
    let secret = "Zanzibar lighthouse budget 7731";
    delegate_socket
        .ok(post_card(&room, "strengths", secret))
        .await;
    let kept_delegate = server.delegate(&kept, "Kim", "CL").await;

    let (status, body) = delete(&server, &w.id, Some(&w.organizer_token)).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(delegate_socket.close_code().await, Some(4004));
    assert_eq!(staff_socket.close_code().await, Some(4004));

    let join = json!({"code": w.delegate_code, "name": "Late", "country": "AR", "language": "es"});
    let (status, body) = server
        .post_json(&format!("/api/workshops/{}/join", w.id), join)
        .await;
    assert_eq!(status, 404, "join: {body}");
    for path in ["overview", "consolidation", "export?format=json"] {
        let path = format!("/api/workshops/{}/{path}", w.id);
        for token in [&w.organizer_token, &staff_member.token, &d.token] {
            assert_eq!(get_with(&server, &path, token).await, 404, "{path}");
        }
    }
    let (status, body) = delete(&server, &w.id, Some(&w.organizer_token)).await;
    assert_eq!(status, 404, "erasing twice: {body}");
    // Its tokens no longer open a socket.
    assert_eq!(hello_close_code(&server, &d.token).await, Some(4001));
    // The other workshop is untouched.
    let c = server.connect(&kept_delegate.token).await;
    assert_eq!(c.welcome["snapshot"]["workshop"]["id"], kept.id.as_str());

    // Nothing of it stays in the database: for SQLite, not even in the file's freed pages
    // or its WAL; for PostgreSQL, in no row of any table.
    assert!(server.terminate().await.success());
    let bytes = server.db.raw_contents().await;
    for needle in [secret, w.id.as_str(), w.delegate_code.as_str()] {
        assert!(
            !contains(&bytes, needle.as_bytes()),
            "{needle:?} is still in the database"
        );
    }
    assert!(
        contains(&bytes, kept.id.as_bytes()),
        "the scan sees the kept one"
    );
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Says `hello` with `token` and returns the close code the server answers with.
async fn hello_close_code(server: &TestServer, token: &str) -> Option<u16> {
    let mut socket = TestClient::raw(&server.ws_url()).await;
    let hello = json!({"type": "hello", "token": token}).to_string();
    socket.send(Message::Text(hello.into())).await.unwrap();
    loop {
        match tokio::time::timeout(WAIT, socket.next()).await.ok()?? {
            Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
}

#[tokio::test]
async fn cabildo_erase_deletes_a_workshop_from_the_database() {
    let mut server = TestServer::start().await;
    let w = server.workshop().await;
    let kept = server.workshop().await;
    let d = server.delegate(&w, "Ana", "AR").await;
    assert!(server.terminate().await.success());
    let db = server.db_path();

    let (ok, out, err) = cabildo(&["erase", "--db", path(&db), "--workshop", &w.id]).await;
    assert!(ok, "{out}{err}");
    assert!(out.contains(&w.id), "{out}");
    let (ok, _, err) = cabildo(&["erase", "--db", path(&db), "--workshop", &w.id]).await;
    assert!(!ok, "erasing twice must fail");
    assert!(err.contains("no workshop"), "{err}");
    let (ok, _, err) = cabildo(&["erase", "--db", path(&db), "--workshop", "nope"]).await;
    assert!(!ok);
    assert!(err.contains("not a workshop id"), "{err}");

    server.restart().await;
    let join = json!({"code": w.delegate_code, "name": "Late", "country": "AR", "language": "es"});
    let (status, _) = server
        .post_json(&format!("/api/workshops/{}/join", w.id), join)
        .await;
    assert_eq!(status, 404);
    let path = format!("/api/workshops/{}/overview", w.id);
    assert_eq!(get_with(&server, &path, &w.organizer_token).await, 404);
    assert_eq!(hello_close_code(&server, &d.token).await, Some(4001));
    server.delegate(&kept, "Kim", "CL").await;
}

// ---- backups ----

#[tokio::test]
async fn sqlite_a_backup_taken_while_serving_serves_the_same_data() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let Seated {
        mut delegate_socket,
        room,
        ..
    } = seat(&server, &w, 20).await;
    // More cards go in while the backup runs; the copy has at least the first twenty.
    let writer = tokio::spawn(async move {
        for i in 20..60 {
            delegate_socket
                .ok(post_card(&room, "problems", &format!("card {i}")))
                .await;
        }
    });
    let out = server.dir.path().join("backup.db");
    let db = server.db_path();
    let backup = ["backup", "--db", path(&db), "--out", path(&out)];
    let (ok, printed, err) = cabildo(&backup).await;
    assert!(ok, "{printed}{err}");
    assert!(printed.contains("Backed up"), "{printed}");
    writer.await.unwrap();
    let (ok, _, err) = cabildo(&backup).await;
    assert!(!ok, "overwriting a backup must fail");
    assert!(err.contains("already exists"), "{err}");

    let mut restored = TestServer::start().await;
    assert!(restored.terminate().await.success());
    for suffix in ["", "-wal", "-shm"] {
        let _absent_is_fine =
            std::fs::remove_file(format!("{}{suffix}", restored.db_path().display()));
    }
    std::fs::copy(&out, restored.db_path()).unwrap();
    restored.restart().await;
    let organizer = restored.connect(&w.organizer_token).await;
    let texts = card_texts(&organizer.welcome);
    for i in 0..20 {
        assert!(
            texts.contains(&format!("card {i}")),
            "card {i} in {texts:?}"
        );
    }
    // The copy is a working database: the workshop goes on there.
    restored.delegate(&w, "Bea", "BR").await;
}

#[tokio::test]
async fn backup_of_a_postgres_url_points_to_pg_dump() {
    let (ok, _, err) = cabildo(&[
        "backup",
        "--db",
        "postgres://cabildo@localhost/cabildo",
        "--out",
        "/tmp/never-written.db",
    ])
    .await;
    assert!(!ok);
    assert!(err.contains("pg_dump"), "{err}");
    assert!(!std::path::Path::new("/tmp/never-written.db").exists());
}

/// `cabildo backup` of the database a server is using: a copy on SQLite (the SQLite
/// suite's `sqlite_a_backup_taken_while_serving_serves_the_same_data` restores it); on
/// PostgreSQL the documented refusal (OPERATIONS.md: use pg_dump), with nothing written.
#[tokio::test]
async fn backup_of_the_serving_database_is_made_or_refused_as_documented() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    seat(&server, &w, 3).await;
    let out = server.dir.path().join("backup.db");
    let db = server.db_path();
    let (ok, printed, err) = cabildo(&["backup", "--db", path(&db), "--out", path(&out)]).await;
    if server.db.is_postgres() {
        assert!(!ok, "{printed}");
        assert!(err.contains("pg_dump"), "{err}");
        assert!(!out.exists());
    } else {
        assert!(ok, "{printed}{err}");
        assert!(printed.contains("Backed up"), "{printed}");
        assert!(contains(
            &std::fs::read(&out).expect("the copy"),
            w.id.as_bytes()
        ));
    }
    // The server goes on serving either way.
    server.delegate(&w, "Bea", "BR").await;
}

// ---- metrics ----

#[tokio::test]
async fn metrics_move_with_real_traffic() {
    let server = TestServer::start().await;
    let before = scrape(&server).await;
    assert_eq!(value(&before, "cabildo_connections"), 0.0);
    assert_eq!(value(&before, "cabildo_workshops_created_total"), 0.0);
    assert_eq!(value(&before, "cabildo_event_deliveries_total"), 0.0);

    let w = server.workshop().await;
    let Seated {
        staff_socket: _kept_open,
        mut delegate_socket,
        room,
        ..
    } = seat(&server, &w, 3).await;
    delegate_socket
        .refused(post_card(&room, "no-such-column", "x"), "invalid")
        .await;

    let after = scrape(&server).await;
    assert_eq!(value(&after, "cabildo_connections"), 2.0);
    assert_eq!(value(&after, "cabildo_live_workshops"), 1.0);
    assert_eq!(value(&after, "cabildo_workshops_created_total"), 1.0);
    // The facilitator and Ana.
    assert_eq!(value(&after, "cabildo_participants_joined_total"), 2.0);
    assert_eq!(
        value(
            &after,
            r#"cabildo_commands_total{command="post_card",outcome="ok"}"#
        ),
        3.0
    );
    assert_eq!(
        value(
            &after,
            r#"cabildo_commands_total{command="post_card",outcome="invalid"}"#
        ),
        1.0
    );
    assert_eq!(
        value(
            &after,
            r#"cabildo_commands_total{command="move_participant",outcome="ok"}"#
        ),
        1.0
    );
    assert!(value(&after, "cabildo_events_total") >= 4.0);
    // Each card reaches both sockets.
    assert!(value(&after, "cabildo_event_deliveries_total") >= 6.0);
    assert!(value(&after, r#"cabildo_store_seconds_count{op="append"}"#) >= 4.0);
    assert!(
        value(
            &after,
            r#"cabildo_store_seconds_bucket{op="append",le="+Inf"}"#
        ) >= 4.0
    );
    assert_eq!(value(&after, "cabildo_commit_failures_total"), 0.0);
    assert_eq!(value(&after, "cabildo_slow_client_disconnects_total"), 0.0);

    let (status, _) = delete(&server, &w.id, Some(&w.organizer_token)).await;
    assert_eq!(status, 204);
    let erased = scrape(&server).await;
    assert_eq!(value(&erased, "cabildo_workshops_erased_total"), 1.0);
    assert_eq!(value(&erased, "cabildo_live_workshops"), 0.0);
}

// ---- logs ----

#[tokio::test]
async fn json_logs_parse_line_by_line_and_carry_no_secret() {
    let mut server = TestServer::start_with(&["--log-format", "json"]).await;
    let w = server.workshop().await;
    let Seated {
        staff_member,
        delegate: d,
        mut delegate_socket,
        room,
        ..
    } = seat(&server, &w, 0).await;
    let card_text = "Quetzal pipeline subsidy 4410";
    delegate_socket
        .ok(post_card(&room, "strengths", card_text))
        .await;
    let secret_in_query = format!(
        "/api/workshops/{}/export?format=json&token={}",
        w.id, d.token
    );
    server
        .http
        .get(server.url(&secret_in_query))
        .send()
        .await
        .unwrap();
    delegate_socket.close().await;
    assert!(server.terminate().await.success());

    let log = server.log();
    let lines: Vec<Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(lines.len() >= 5, "{log}");
    for secret in [
        ADMIN_TOKEN,
        w.organizer_token.as_str(),
        staff_member.token.as_str(),
        d.token.as_str(),
        w.delegate_code.as_str(),
        w.facilitator_code.as_str(),
        card_text,
    ] {
        assert!(!log.contains(secret), "{secret:?} is in the log:\n{log}");
    }
    // A request span names the route template and the workshop.
    assert!(
        lines
            .iter()
            .any(|l| l["span"]["route"] == "/api/workshops/{id}/join"
                && l["span"]["workshop"] == w.id.as_str()),
        "{log}"
    );
    // A connection span names the workshop and the participant.
    assert!(
        lines.iter().any(|l| l["fields"]["message"] == "connected"
            && l["span"]["participant"] == d.id.as_str()
            && l["span"]["workshop"] == w.id.as_str()),
        "{log}"
    );
}
