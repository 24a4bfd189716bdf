//! HTTP conformance and bounds at the edge (issue #21, items 7, 8, 12 and 13): undeclared
//! methods get 405 with `Allow`; `Upgrade` and `Origin` are parsed the same way wherever
//! they are read (comma lists, repeated headers); `Host` must be a public origin, an IP
//! address or `localhost` (DNS rebinding); exports in flight are bounded (429 with
//! `Retry-After`); `/readyz` reports a store that cannot write.

mod common;
use common::*;
use serde_json::{json, Value};
use sqlx::Connection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends `head` (request line and headers, without the blank line) and reads the
/// answer's status line and headers.
async fn raw(server: &TestServer, head: &str) -> (u16, String) {
    let mut tcp = TcpStream::connect(&server.addr).await.expect("tcp");
    tcp.write_all(format!("{head}\r\nContent-Length: 0\r\n\r\n").as_bytes())
        .await
        .expect("request");
    let mut answer = Vec::new();
    while !answer.ends_with(b"\r\n\r\n") {
        answer.push(tcp.read_u8().await.expect("answer"));
    }
    let answer = String::from_utf8(answer)
        .expect("ASCII")
        .to_ascii_lowercase();
    let status = answer[9..12].parse().expect("status");
    (status, answer)
}

fn upgrade_head(server: &TestServer, host: &str, extra: &str) -> String {
    let _ = server;
    format!(
        "GET /ws HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{extra}"
    )
}

#[tokio::test]
async fn undeclared_methods_get_405_with_allow() {
    let server = TestServer::start().await;
    for (method, path, allowed) in [
        ("TRACE", "/ws", "get"),
        ("PATCH", "/api/workshops", "post"),
        (
            "PUT",
            "/api/workshops/00000000-0000-0000-0000-000000000000/join",
            "post",
        ),
        ("POST", "/healthz", "get"),
    ] {
        let (status, head) = raw(
            &server,
            &format!("{method} {path} HTTP/1.1\r\nHost: {}", server.addr),
        )
        .await;
        assert_eq!(status, 405, "{method} {path}: {head}");
        let allow = head
            .lines()
            .find_map(|l| l.strip_prefix("allow: "))
            .unwrap_or_else(|| panic!("{method} {path}: no Allow in {head}"));
        assert!(allow.contains(allowed), "{method} {path}: {allow}");
    }
    // A plain GET of /ws is 400, as the OpenAPI document says.
    let r = server
        .http
        .get(server.url("/ws"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn upgrade_and_origin_are_parsed_as_lists_wherever_they_are_read() {
    let server = TestServer::start().await;
    let host = server.addr.clone();
    let foreign = "Origin: https://evil.example\r\n";
    for upgrade in [
        "Upgrade: websocket, h2c\r\n",
        "Upgrade: h2c, WebSocket\r\n",
        "Upgrade: h2c\r\nUpgrade: websocket\r\n",
    ] {
        let (status, head) = raw(
            &server,
            &upgrade_head(&server, &host, &format!("{upgrade}{foreign}")),
        )
        .await;
        assert_eq!(status, 403, "{upgrade:?}: {head}");
    }
    // Two Origin headers, one of them the server's own: refused.
    let own = format!("Origin: http://{host}\r\n");
    let (status, _) = raw(
        &server,
        &upgrade_head(
            &server,
            &host,
            &format!("Upgrade: websocket\r\n{own}{foreign}"),
        ),
    )
    .await;
    assert_eq!(status, 403);
    // The server's own origin alone is served.
    let (status, head) = raw(
        &server,
        &upgrade_head(&server, &host, &format!("Upgrade: websocket, h2c\r\n{own}")),
    )
    .await;
    assert_eq!(status, 101, "{head}");
}

#[tokio::test]
async fn a_host_name_that_is_not_a_public_origin_is_refused_dns_rebinding() {
    let server = TestServer::start().await;
    let port = server.addr.rsplit(':').next().expect("port").to_string();
    // A page of rebind.evil.example whose name now points here: same-origin to a browser.
    let rebound = format!("rebind.evil.example:{port}");
    let head = upgrade_head(
        &server,
        &rebound,
        &format!("Upgrade: websocket\r\nOrigin: http://{rebound}\r\n"),
    );
    let (status, answer) = raw(&server, &head).await;
    assert_eq!(status, 403, "{answer}");
    let (status, answer) = raw(
        &server,
        &format!(
            "POST /api/workshops HTTP/1.1\r\nHost: {rebound}\r\nOrigin: http://{rebound}\r\nAuthorization: Bearer {ADMIN_TOKEN}"
        ),
    )
    .await;
    assert_eq!(status, 403, "{answer}");
    // IP addresses and localhost cannot be rebound: served.
    let local = format!("localhost:{port}");
    let head = upgrade_head(
        &server,
        &local,
        &format!("Upgrade: websocket\r\nOrigin: http://{local}\r\n"),
    );
    assert_eq!(raw(&server, &head).await.0, 101);

    // Under a configured public origin, that name is served.
    let public = TestServer::start_with(&["--public-origin", "https://workshop.example.org"]).await;
    let head = upgrade_head(
        &public,
        "workshop.example.org",
        "Upgrade: websocket\r\nOrigin: https://workshop.example.org\r\n",
    );
    assert_eq!(raw(&public, &head).await.0, 101);
    let head = upgrade_head(
        &public,
        "other.example.org",
        "Upgrade: websocket\r\nOrigin: https://other.example.org\r\n",
    );
    assert_eq!(raw(&public, &head).await.0, 403);
}

/// A room of 2,000 cards of 1,000 four-byte characters: an ~8 MB JSON export, more than
/// the kernel buffers between server and client hold.
async fn heavy_workshop(server: &TestServer) -> Workshop {
    let w = server.workshop().await;
    let (_fac, mut staff) = staff(server, &w).await;
    let text: String = "😀".repeat(1000);
    let commands: Vec<_> = (0..2000)
        .map(|_| {
            let mut c = post_card(&w.rooms[0], "problems", &text);
            c["id"] = json!(staff.fresh_id());
            c
        })
        .collect();
    for chunk in commands.chunks(200) {
        let answers = staff.pipeline(chunk).await;
        let refused = answers
            .iter()
            .find(|a| !a.as_ref().is_some_and(|a| a["type"] == "ack"));
        assert!(refused.is_none(), "{refused:?}");
    }
    w
}

#[tokio::test]
async fn exports_in_flight_are_bounded_and_their_slot_is_held_until_sent() {
    let server = TestServer::start_with(&[
        "--max-exports",
        "1",
        "--rate-limit",
        "0",
        "--participant-rate-limit",
        "0",
    ])
    .await;
    let w = heavy_workshop(&server).await;
    let path = format!("/api/workshops/{}/export?format=json", w.id);
    // A client that starts the download and stops reading holds the one slot.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(16 * 1024).expect("SO_RCVBUF");
    let mut slow = socket
        .connect(server.addr.parse().expect("address"))
        .await
        .expect("tcp");
    slow.write_all(
        format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\r\n",
            server.addr, w.organizer_token
        )
        .as_bytes(),
    )
    .await
    .expect("request");
    let mut start = [0u8; 12];
    slow.read_exact(&mut start).await.expect("answer starts");
    assert_eq!(&start, b"HTTP/1.1 200");

    let get = || {
        server
            .http
            .get(server.url(&path))
            .bearer_auth(&w.organizer_token)
            .send()
    };
    let r = get().await.expect("answer");
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(retry >= 1);
    let body: Value = r.json().await.expect("JSON");
    assert_eq!(body["code"], "rate_limited", "{body}");
    assert_eq!(
        value(&scrape(&server).await, "cabildo_exports_in_flight"),
        1.0
    );

    // Once the slow client has read it all, the slot is free again.
    let mut rest = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = slow.read(&mut buf).await.expect("read");
        rest.extend_from_slice(&buf[..n]);
        if n == 0 || ends_json(&rest) {
            break;
        }
    }
    assert!(rest.len() > 8_000_000, "{} bytes", rest.len());
    let mut served = false;
    for _ in 0..100 {
        let r = get().await.expect("answer");
        if r.status() == 200 {
            let record: Value = r.json().await.expect("the record");
            assert!(record.is_object());
            served = true;
            break;
        }
        assert_eq!(r.status(), 429);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(served, "the slot never came back");
}

/// Whether a JSON body (after the response head) is complete: it ends with `}`.
fn ends_json(bytes: &[u8]) -> bool {
    bytes.trim_ascii_end().ends_with(b"}")
}

#[tokio::test]
async fn readyz_is_503_while_the_store_cannot_write_and_ready_again_after() {
    // SQLite, whatever the suite's backend: another connection's write lock makes the
    // server's writes fail (after SQLite's busy timeout) while reads go on.
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("locked.db");
    let db_arg = db.to_string_lossy().into_owned();
    let server = TestServer::start_with(&["--db", &db_arg]).await;
    let w = server.workshop().await;
    let (_fac, mut staff) = staff(&server, &w).await;
    staff.ok(post_card(&w.rooms[0], "problems", "before")).await;
    let readyz = || async {
        let r = server
            .http
            .get(server.url("/readyz"))
            .send()
            .await
            .expect("readyz");
        (r.status().as_u16(), r.json::<Value>().await.expect("JSON"))
    };
    assert_eq!(readyz().await.0, 200);

    let mut lock = sqlx::SqliteConnection::connect(&format!("sqlite://{db_arg}"))
        .await
        .expect("open the database");
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut lock)
        .await
        .expect("lock");
    // The commit fails once SQLite's busy timeout (10 s) passes.
    let mut card = post_card(&w.rooms[0], "problems", "while full");
    let id = staff.fresh_id();
    card["id"] = json!(id);
    staff.send(card).await;
    let answer = loop {
        let v = staff
            .recv_within(std::time::Duration::from_secs(30))
            .await
            .expect("an answer");
        if v["id"] == json!(id) {
            break v;
        }
    };
    assert_eq!(answer["code"], "unavailable", "{answer}");
    let (status, body) = readyz().await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["checks"]["writes"], "down", "{body}");
    assert_eq!(body["checks"]["database"], "ok", "{body}");
    assert_eq!(body["down"], json!(["writes"]), "{body}");

    sqlx::query("ROLLBACK")
        .execute(&mut lock)
        .await
        .expect("unlock");
    staff.ok(post_card(&w.rooms[0], "problems", "after")).await;
    let (status, body) = readyz().await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["checks"]["writes"], "ok", "{body}");
    assert_eq!(body["checks"]["workshops"], "ok", "{body}");
}
