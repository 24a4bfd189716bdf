//! Every bad input over a real socket gets its stable error code (or close code), the
//! connection stays usable unless the case closes it, the server never panics, and no
//! secret ends up in the log.

mod common;
use common::*;
use futures_util::SinkExt;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

// ---------------------------------------------------------------------------------------
// Refused with an error; the connection stays usable
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn malformed_json_is_invalid_with_a_null_id() {
    let mut s = Seated::new().await;
    let e = s
        .refused_text(r#"{"type": "post_card", "id": "c1""#, Value::Null)
        .await;
    assert!(
        e["message"].as_str().unwrap().contains("malformed JSON"),
        "{e}"
    );
    s.still_usable().await;
}

#[tokio::test]
async fn a_json_array_or_number_is_invalid_with_a_null_id() {
    let mut s = Seated::new().await;
    for text in [
        r#"[{"type": "post_card", "id": "c1"}]"#,
        "42",
        "null",
        r#""hi""#,
    ] {
        s.refused_text(text, Value::Null).await;
    }
    s.still_usable().await;
}

#[tokio::test]
async fn an_unknown_command_type_is_invalid_and_echoes_the_id() {
    let mut s = Seated::new().await;
    let e = s.refused(json!({"type": "dance", "id": "u1"}), "u1").await;
    assert!(e["message"].as_str().unwrap().contains("dance"), "{e}");
    s.refused(json!({"id": "u2", "room": s.room()}), "u2").await;
    s.still_usable().await;
}

#[tokio::test]
async fn a_post_without_text_is_invalid_and_names_the_missing_field() {
    let mut s = Seated::new().await;
    let post = json!({"type": "post_card", "id": "m1", "room": s.room(), "column": "strengths"});
    let e = s.refused(post, "m1").await;
    assert!(e["message"].as_str().unwrap().contains("`text`"), "{e}");
    s.still_usable().await;
}

#[tokio::test]
async fn a_field_of_the_wrong_type_is_invalid() {
    let mut s = Seated::new().await;
    let numeric = json!({"type": "post_card", "id": "t1", "room": s.room(), "column": "strengths", "text": 42});
    s.refused(numeric, "t1").await;
    let not_a_uuid = json!({"type": "post_card", "id": "t2", "room": "kitchen", "column": "strengths", "text": "x"});
    s.refused(not_a_uuid, "t2").await;
    let id_number =
        json!({"type": "post_card", "id": 7, "room": s.room(), "column": "strengths", "text": "x"});
    s.refused_text(&id_number.to_string(), Value::Null).await;
    s.still_usable().await;
}

#[tokio::test]
async fn an_unknown_field_is_invalid_and_named() {
    let mut s = Seated::new().await;
    let mut post = with_id(post_card(&s.room(), "strengths", "x"), "f1");
    post["extra"] = json!(1);
    let e = s.refused(post, "f1").await;
    assert!(e["message"].as_str().unwrap().contains("extra"), "{e}");
    s.still_usable().await;
}

#[tokio::test]
async fn a_missing_or_empty_command_id_is_invalid() {
    let mut s = Seated::new().await;
    let post = post_card(&s.room(), "strengths", "no id");
    s.refused_text(&post.to_string(), Value::Null).await;
    s.refused(with_id(post, ""), "").await;
    s.still_usable().await;
    assert_eq!(s.cards().await, ["still usable"]);
}

#[tokio::test]
async fn a_command_id_over_64_bytes_is_invalid_and_64_bytes_is_fine() {
    let mut s = Seated::new().await;
    let post = post_card(&s.room(), "strengths", "long id");
    let long = "x".repeat(65);
    s.refused_text(&with_id(post.clone(), &long).to_string(), Value::Null)
        .await;
    s.a.ok(with_id(post, &"x".repeat(64))).await;
    assert_eq!(s.cards().await, ["long id"]);
}

#[tokio::test]
async fn unknown_card_room_or_participant_ids_are_not_found() {
    let mut s = Seated::new().await;
    let ghost = "00000000-0000-4000-8000-000000000000";
    let other = s.server.workshop().await;
    for room in [ghost, other.rooms[0].as_str()] {
        s.a.refused(post_card(room, "strengths", "x"), "not_found")
            .await;
    }
    let edit = json!({"type": "edit_card", "card": ghost, "text": "x"});
    s.a.refused(edit, "not_found").await;
    s.a.refused(json!({"type": "delete_card", "card": ghost}), "not_found")
        .await;
    s.f.refused(move_to(ghost, &s.room()), "not_found").await;
    s.f.refused(move_to(&s.ana.id, ghost), "not_found").await;
    s.f.refused(json!({"type": "close_room", "room": ghost}), "not_found")
        .await;
    s.still_usable().await;
}

#[tokio::test]
async fn a_card_of_1001_characters_is_too_large_and_1000_is_accepted() {
    let mut s = Seated::new().await;
    let room = s.room();
    for c in ["a", "é"] {
        let long = c.repeat(1001);
        s.a.refused(post_card(&room, "strengths", &long), "too_large")
            .await;
        s.a.ok(post_card(&room, "strengths", &c.repeat(1000))).await;
    }
    // Texts are trimmed before they are measured.
    let padded = format!("  {}\n", "b".repeat(1000));
    s.a.ok(post_card(&room, "strengths", &padded)).await;
    let expected = ["a".repeat(1000), "é".repeat(1000), "b".repeat(1000)];
    assert_eq!(s.cards().await, expected);
}

#[tokio::test]
async fn a_whitespace_only_card_is_invalid() {
    let mut s = Seated::new().await;
    let room = s.room();
    s.a.refused(post_card(&room, "strengths", " \t\n  "), "invalid")
        .await;
    s.a.refused(post_card(&room, "strengths", ""), "invalid")
        .await;
    s.still_usable().await;
    assert_eq!(s.cards().await, ["still usable"]);
}

#[tokio::test]
async fn a_binary_frame_is_invalid_with_a_null_id() {
    let s = Seated::new().await;
    let mut ws = raw_welcomed(&s.server, &s.ana.token).await;
    let post = with_id(post_card(&s.room(), "strengths", "binary"), "b1");
    ws.send(Message::binary(post.to_string().into_bytes()))
        .await
        .expect("send");
    let e = raw_json(&mut ws).await.expect("an answer");
    assert_eq!(e["type"], "error", "{e}");
    assert_eq!(e["code"], "invalid", "{e}");
    assert_eq!(e["id"], Value::Null, "{e}");
    let post = with_id(post_card(&s.room(), "strengths", "text"), "b2");
    ws.send(Message::text(post.to_string()))
        .await
        .expect("send");
    let ack = answer(&mut ws, "b2").await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(s.cards().await, ["text"]);
}

#[tokio::test]
async fn hello_sent_again_after_welcome_is_invalid() {
    let mut s = Seated::new().await;
    let hello = json!({"type": "hello", "token": s.ana.token}).to_string();
    let e = s.refused_text(&hello, Value::Null).await;
    assert!(e["message"].as_str().unwrap().contains("hello"), "{e}");
    s.still_usable().await;
}

// ---------------------------------------------------------------------------------------
// Closed with a close code
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_frame_over_64_kib_closes_the_connection_with_1009() {
    let mut s = Seated::new().await;
    // Exactly 64 KiB is still read (and refused for its text).
    let at_limit = sized_post(&s.room(), "at-limit", 64 * 1024);
    s.a.send_text(&at_limit).await;
    let e = s.a.answer_to(&json!("at-limit")).await;
    assert_eq!(e["code"], "too_large", "{e}");
    s.still_usable().await;
    s.a.send_text(&sized_post(&s.room(), "over", 64 * 1024 + 1))
        .await;
    assert_eq!(s.a.close_code().await, Some(1009));

    let mut again = s.server.connect(&s.ana.token).await;
    let huge = post_card(&s.room(), "strengths", &"x".repeat(70 * 1024));
    again.send(with_id(huge.clone(), "h1")).await;
    assert_eq!(again.close_code().await, Some(1009));
    // Also as the very first frame.
    let mut ws = TestClient::raw(&s.server.ws_url()).await;
    let _ = ws.send(Message::text(huge.to_string())).await;
    assert_eq!(raw_close_code(&mut ws).await, Some(1009));
    // And as a message of three 30 KiB fragments: each frame fits, the message does not.
    let mut ws = raw_welcomed(&s.server, &s.ana.token).await;
    let text = sized_post(&s.room(), "frag", 90 * 1024);
    for (i, piece) in text.as_bytes().chunks(30 * 1024).enumerate() {
        let opcode = if i == 0 { Data::Text } else { Data::Continue };
        let last = (i + 1) * 30 * 1024 >= text.len();
        let frame = Frame::message(piece.to_vec(), OpCode::Data(opcode), last);
        let _ = ws.send(Message::Frame(frame)).await;
    }
    assert_eq!(raw_close_code(&mut ws).await, Some(1009));
    s.others_still_served().await;
}

#[tokio::test]
async fn a_first_frame_that_is_not_hello_closes_with_4000() {
    let s = Seated::new().await;
    let mut ws = TestClient::raw(&s.server.ws_url()).await;
    let post = with_id(post_card(&s.room(), "strengths", "too early"), "e1");
    ws.send(Message::text(post.to_string()))
        .await
        .expect("send");
    let e = raw_json(&mut ws).await.expect("an error before closing");
    assert_eq!(
        (&e["type"], &e["code"]),
        (&json!("error"), &json!("invalid"))
    );
    assert_eq!(raw_close_code(&mut ws).await, Some(4000));
    assert!(s.cards().await.is_empty());
}

#[tokio::test]
async fn a_first_frame_that_is_not_text_closes_with_4000() {
    let mut s = Seated::new().await;
    let hello = json!({"type": "hello", "token": s.ana.token}).to_string();
    for first in [
        Message::binary(hello.into_bytes()),
        Message::Ping(vec![1].into()),
    ] {
        let mut ws = TestClient::raw(&s.server.ws_url()).await;
        ws.send(first.clone()).await.expect("send");
        assert_eq!(raw_close_code(&mut ws).await, Some(4000), "{first:?}");
    }
    s.others_still_served().await;
}

#[tokio::test]
async fn a_connection_that_says_nothing_is_closed_with_4000_after_the_hello_timeout() {
    let mut s = Seated::new().await;
    let mut ws = TestClient::raw(&s.server.ws_url()).await;
    // The hello timeout is 10 s: wait for the close well past it.
    let close = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        loop {
            match futures_util::StreamExt::next(&mut ws).await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => continue,
                other => panic!("the socket ended without a close frame: {other:?}"),
            }
        }
    })
    .await
    .expect("the server closes a silent connection");
    assert_eq!(close, Some(4000));
    s.others_still_served().await;
}

#[tokio::test]
async fn a_hello_with_a_bad_token_closes_with_4001() {
    let s = Seated::new().await;
    for token in ["not-a-token", "", &"f".repeat(64), &"a".repeat(300)] {
        let mut ws = TestClient::raw(&s.server.ws_url()).await;
        let hello = json!({"type": "hello", "token": token});
        ws.send(Message::text(hello.to_string()))
            .await
            .expect("send");
        assert_eq!(raw_close_code(&mut ws).await, Some(4001), "token {token:?}");
    }
}

// ---------------------------------------------------------------------------------------
// The server as a whole
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn after_every_kind_of_bad_input_the_server_still_serves_others_and_never_panicked() {
    let mut s = Seated::new().await;
    let room = s.room();
    let bad = [
        "{".to_string(),
        "[]".into(),
        "7".into(),
        json!({"type": "dance", "id": "1"}).to_string(),
        json!({"type": "post_card", "id": "2", "room": room}).to_string(),
        json!({"type": "post_card", "id": "3", "room": 5, "column": [], "text": {}}).to_string(),
        json!({"type": "hello", "token": s.ana.token}).to_string(),
        json!({"type": "post_card", "id": "x".repeat(65), "room": room, "column": "s", "text": "t"})
            .to_string(),
        json!({"type": "edit_card", "id": "4", "card": room, "text": "é".repeat(5000)}).to_string(),
        json!({"type": "move_participant", "id": "5", "participant": room, "room": "lobby"})
            .to_string(),
        "\u{0}\u{ffff}".into(),
    ];
    for text in &bad {
        s.a.send_text(text).await;
    }
    let answers = s.a.drain().await;
    let errors = answers.iter().filter(|v| v["type"] == "error").count();
    assert_eq!(errors, bad.len(), "{answers:?}");
    s.still_usable().await;

    for first in [
        "{",
        "[]",
        r#"{"type":"hello"}"#,
        r#"{"type":"hello","token":"t","last_seq":"7"}"#,
        r#"{"type":"hello","token":"t","extra":1}"#,
        r#"{"type":"hello","token":1}"#,
    ] {
        let mut ws = TestClient::raw(&s.server.ws_url()).await;
        ws.send(Message::text(first)).await.expect("send");
        assert_eq!(raw_close_code(&mut ws).await, Some(4000), "{first}");
    }
    let huge = "x".repeat(65 * 1024);
    s.a.send_text(&huge).await;
    assert_eq!(s.a.close_code().await, Some(1009));
    s.others_still_served().await;
}

#[tokio::test]
async fn tokens_are_never_written_to_the_log() {
    let s = Seated::new().await;
    let bruno = s.server.delegate(&s.w, "Bruno", "BR").await;
    let mut b = s.server.connect(&bruno.token).await;
    let mut o = s.server.connect(&s.w.organizer_token).await;
    o.ok(move_to(&bruno.id, &s.room())).await;
    b.ok(post_card(&s.room(), "strengths", "logged?")).await;
    let fresh = s.server.resume(&s.ana.token, 0).await;
    fresh.close().await;
    let mut ws = TestClient::raw(&s.server.ws_url()).await;
    let wrong = "0123456789abcdef".repeat(4);
    ws.send(Message::text(
        json!({"type": "hello", "token": wrong}).to_string(),
    ))
    .await
    .expect("send");
    assert_eq!(raw_close_code(&mut ws).await, Some(4001));
    drop((b, o));
    // The three connections closed here (the resumed one, Bruno's and the organizer's)
    // have logged "disconnected", the last line a connection writes, so nothing more
    // about them can come (Seated's own two stay open).
    let ended = |log: &str| log.lines().filter(|l| l.contains(" disconnected")).count() >= 3;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !ended(&s.server.log()) {
        assert!(
            std::time::Instant::now() < deadline,
            "connections never logged their end: {}",
            s.server.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let log = s.server.log();
    assert!(log.contains("connected"), "debug logging is on: {log}");
    let secrets = [
        ("admin token", ADMIN_TOKEN),
        ("organizer token", &s.w.organizer_token),
        ("facilitator token", &s.fac.token),
        ("delegate token", &s.ana.token),
        ("second delegate token", &bruno.token),
        ("refused token", &wrong),
    ];
    for (what, secret) in secrets {
        assert!(!log.contains(secret), "the log holds the {what}");
    }
    assert!(!log.contains("panicked"));
}

/// After a session (joins, connections, a resume, posts, a refused token, a SIGTERM), no
/// token is anywhere in the database: for SQLite the file and its WAL byte for byte, for
/// PostgreSQL every row of every table. Each participant's token is there as its SHA-256
/// hash (which shows the scan reads the credentials).
#[tokio::test]
async fn tokens_are_stored_only_as_hashes_in_the_database() {
    let mut s = Seated::new().await;
    let bruno = s.server.delegate(&s.w, "Bruno", "BR").await;
    s.f.ok(move_to(&bruno.id, &s.room())).await;
    let mut b = s.server.connect(&bruno.token).await;
    b.ok(post_card(&s.room(), "strengths", "stored")).await;
    s.a.ok(post_card(&s.room(), "problems", "also stored"))
        .await;
    s.server.resume(&s.ana.token, 0).await.close().await;
    let mut ws = TestClient::raw(&s.server.ws_url()).await;
    let wrong = "0123456789abcdef".repeat(4);
    raw_hello(&mut ws, &wrong).await;
    assert_eq!(raw_close_code(&mut ws).await, Some(4001));
    drop(b);
    assert!(s.server.terminate().await.success());

    let stored = s.server.db.raw_contents().await;
    let holds = |needle: &str| stored.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(holds(&s.w.id), "the scan sees the workshop");
    for (what, token) in [
        ("organizer", &s.w.organizer_token),
        ("facilitator", &s.fac.token),
        ("delegate", &s.ana.token),
        ("second delegate", &bruno.token),
    ] {
        assert!(!holds(token), "the {what} token is stored raw");
        assert!(
            holds(&sha256_hex(token)),
            "the {what} token's hash is stored"
        );
    }
    assert!(!holds(ADMIN_TOKEN), "the admin token is stored");
    assert!(!holds(&wrong), "a refused token is stored");
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A workshop with a connected facilitator (`f`) and a delegate, Ana (`a`), connected and
/// seated in the first room.
struct Seated {
    server: TestServer,
    w: Workshop,
    fac: Member,
    ana: Member,
    f: TestClient,
    a: TestClient,
}

impl Seated {
    async fn new() -> Seated {
        let server = TestServer::start().await;
        let w = server.workshop().await;
        let fac = server.facilitator(&w, "Fran").await;
        let mut f = server.connect(&fac.token).await;
        let ana = server.delegate(&w, "Ana", "AR").await;
        f.ok(move_to(&ana.id, &w.rooms[0])).await;
        let a = server.connect(&ana.token).await;
        Seated {
            server,
            w,
            fac,
            ana,
            f,
            a,
        }
    }

    fn room(&self) -> String {
        self.w.rooms[0].clone()
    }

    /// Ana sends `command` (with its id); it must be refused `invalid` with the id echoed.
    async fn refused(&mut self, command: Value, id: &str) -> Value {
        self.refused_text(&command.to_string(), json!(id)).await
    }

    /// Ana sends raw text; it must be refused `invalid`, with `id` in the error.
    async fn refused_text(&mut self, text: &str, id: Value) -> Value {
        self.a.send_text(text).await;
        let e = self.a.answer_to(&id).await;
        assert_eq!(e["type"], "error", "{text} -> {e}");
        assert_eq!(e["code"], "invalid", "{text} -> {e}");
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
        e
    }

    /// Ana's next valid command is acknowledged, and nothing panicked.
    async fn still_usable(&mut self) {
        let room = self.room();
        self.a
            .ok(post_card(&room, "strengths", "still usable"))
            .await;
        assert!(!self.server.log().contains("panicked"));
    }

    /// A second delegate connects and is served; nothing panicked.
    async fn others_still_served(&mut self) {
        let bruno = self.server.delegate(&self.w, "Bruno", "BR").await;
        self.f.ok(move_to(&bruno.id, &self.w.rooms[0])).await;
        let mut b = self.server.connect(&bruno.token).await;
        b.ok(post_card(&self.room(), "problems", "served")).await;
        assert!(!self.server.log().contains("panicked"));
    }

    /// Every card on every board, as a fresh staff connection sees them.
    async fn cards(&self) -> Vec<String> {
        card_texts(&self.server.connect(&self.w.organizer_token).await.welcome)
    }
}

fn with_id(mut command: Value, id: &str) -> Value {
    command["id"] = json!(id);
    command
}

/// A `post_card` frame of exactly `bytes` bytes (padded through its text).
fn sized_post(room: &str, id: &str, bytes: usize) -> String {
    let frame = |text: &str| with_id(post_card(room, "strengths", text), id).to_string();
    let overhead = frame("").len();
    let text = "x".repeat(bytes - overhead);
    let out = frame(&text);
    assert_eq!(out.len(), bytes);
    out
}

/// A raw socket past the handshake.
async fn raw_welcomed(server: &TestServer, token: &str) -> Ws {
    let mut ws = TestClient::raw(&server.ws_url()).await;
    let hello = json!({"type": "hello", "token": token}).to_string();
    ws.send(Message::text(hello)).await.expect("hello");
    let welcome = raw_json(&mut ws).await.expect("welcome");
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    ws
}

/// The `ack`/`error` answering command `id`.
async fn answer(ws: &mut Ws, id: &str) -> Value {
    loop {
        let v = raw_json(ws).await.expect("an answer");
        if v["id"] == id {
            return v;
        }
    }
}
