//! A client that stops reading is disconnected as too slow (close 4008) without delaying
//! anyone else (the sender keeps getting its acks, another delegate of the room every
//! event, counted), and resumes from its last `seq` with exactly what it missed. And a
//! long frame (a large workshop's `welcome`) goes out as a fragmented message, seen here
//! frame by frame on a raw TCP socket.

mod common;
use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

/// Edits sent: each event is ~1.1 KB, so together they overflow the stalled client's
/// 1,024-frame queue and the loopback socket buffers.
const EDITS: usize = 6000;

#[tokio::test]
async fn stalled_delegate_is_disconnected_as_too_slow_and_resumes_what_it_missed() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let fac = server.facilitator(&w, "Facilitator").await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let bruno = server.delegate(&w, "Bruno", "BR").await;
    let mut f = server.connect(&fac.token).await;
    f.ok(move_to(&ana.id, &w.rooms[0])).await;
    f.ok(move_to(&bruno.id, &w.rooms[0])).await;
    let card_seq = f.ok(post_card(&w.rooms[0], "problems", "first")).await;
    let card = f
        .drain()
        .await
        .into_iter()
        .find(|v| v["event"]["type"] == "card_posted")
        .expect("card_posted")["event"]["card"]
        .as_str()
        .expect("card id")
        .to_string();

    // Ana connects and then stops reading altogether.
    let mut stalled = TestClient::raw(&server.ws_url()).await;
    stalled
        .send(Message::text(
            json!({"type": "hello", "token": ana.token}).to_string(),
        ))
        .await
        .expect("hello");

    // Bruno, in the same room, keeps reading: he must get every edit while Ana stalls.
    let mut b = server.connect(&bruno.token).await;
    let bruno_reads = tokio::spawn(async move {
        let mut seqs = Vec::new();
        while seqs.len() < EDITS {
            let e = b.event_of_type("card_edited").await;
            seqs.push(e["seq"].as_u64().expect("seq"));
        }
        (seqs, b.closed_with)
    });

    // The facilitator floods the room with edits and keeps reading: every one is acked.
    let (mut tx, mut rx) = tokio_tungstenite::connect_async(server.ws_url())
        .await
        .expect("connect")
        .0
        .split();
    tx.send(Message::text(
        json!({"type": "hello", "token": fac.token}).to_string(),
    ))
    .await
    .expect("hello");
    let long = "x".repeat(990);
    let writer = tokio::spawn(async move {
        for i in 0..EDITS {
            let cmd = json!({"type": "edit_card", "id": format!("e{i}"), "card": card,
                             "text": format!("{i:06} {long}")});
            tx.send(Message::text(cmd.to_string())).await.expect("send");
        }
        tx
    });
    let mut acks = 0;
    let mut last_seq = 0;
    while acks < EDITS {
        let msg = tokio::time::timeout(WAIT, rx.next())
            .await
            .expect("the facilitator keeps receiving while a delegate is stalled")
            .expect("open")
            .expect("frame");
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(&t).expect("json");
            if v["type"] == "ack" {
                acks += 1;
                last_seq = last_seq.max(v["seq"].as_u64().expect("seq"));
            }
            assert_ne!(v["type"], "error", "{v}");
        }
    }
    let _tx = writer.await.expect("writer");
    let (bruno_seqs, bruno_closed) = bruno_reads.await.expect("Bruno's reader");
    assert_eq!(bruno_closed, None, "Bruno was not disconnected");
    assert_eq!(bruno_seqs.len(), EDITS, "Bruno got every edit");
    assert!(bruno_seqs.windows(2).all(|p| p[0] < p[1]), "in order");
    assert_eq!(bruno_seqs.last(), Some(&last_seq));

    // Now read the stalled socket: what was buffered, then the close frame 4008.
    let mut seen = card_seq;
    let code = loop {
        match tokio::time::timeout(WAIT, stalled.next())
            .await
            .expect("frames or close")
        {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(&t).expect("json");
                if let Some(s) = v["seq"].as_u64() {
                    if v["type"] == "event" {
                        assert!(s > seen, "seq {s} after {seen}");
                        seen = s;
                    }
                }
            }
            Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => continue,
            other => panic!("expected a close frame, got {other:?}"),
        }
    };
    assert_eq!(code, Some(4008));
    // The facilitator's first socket, which nobody read during the flood either, was cut
    // off too: two slow clients, both counted.
    assert_eq!(f.close_code().await, Some(4008));
    let metrics = scrape(&server).await;
    assert_eq!(
        value(&metrics, "cabildo_slow_client_disconnects_total"),
        2.0
    );
    assert!(
        seen < last_seq,
        "the stalled client was cut off before the end"
    );

    // Resuming from the last seq it saw gives exactly the edits it missed, in order.
    let resumed = server.resume(&ana.token, seen).await;
    assert_eq!(
        resumed.welcome["resumed"], true,
        "{}",
        resumed.welcome["reason"]
    );
    let events = resumed.welcome["events"].as_array().expect("events");
    let seqs: Vec<u64> = events
        .iter()
        .map(|e| e["seq"].as_u64().expect("seq"))
        .collect();
    let expected: Vec<u64> = (seen + 1..=last_seq).collect();
    assert_eq!(seqs, expected);
    assert!(events.iter().all(|e| e["event"]["type"] == "card_edited"));
}

/// Reads one WebSocket frame sent by the server (unmasked): FIN bit, opcode, payload.
async fn read_wire_frame(tcp: &mut tokio::net::TcpStream) -> (bool, u8, Vec<u8>) {
    use tokio::io::AsyncReadExt;
    let mut head = [0u8; 2];
    tcp.read_exact(&mut head).await.expect("frame header");
    assert_eq!(head[1] & 0x80, 0, "a server frame must not be masked");
    let len = match head[1] & 0x7f {
        126 => u64::from(tcp.read_u16().await.expect("length")),
        127 => tcp.read_u64().await.expect("length"),
        n => u64::from(n),
    };
    let mut payload = vec![0u8; usize::try_from(len).expect("length")];
    tcp.read_exact(&mut payload).await.expect("payload");
    (head[0] & 0x80 != 0, head[0] & 0x0f, payload)
}

#[tokio::test]
async fn a_long_welcome_arrives_as_a_fragmented_message_that_clients_reassemble() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = TestServer::start().await;
    let w = server.workshop().await;
    // Multi-byte names, so that piece boundaries fall inside characters too.
    let mut names = Vec::new();
    for i in 0..40 {
        let name = format!("Ñandú São Tomé 日本 {i}");
        server.delegate(&w, &name, "PY").await;
        names.push(name);
    }
    let me = server.delegate(&w, "Última", "BR").await;

    let addr = server.url("").replace("http://", "");
    let addr = addr.trim_end_matches('/');
    let mut tcp = tokio::net::TcpStream::connect(addr).await.expect("tcp");
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.expect("handshake");
    let mut response = Vec::new();
    while !response.ends_with(b"\r\n\r\n") {
        response.push(tcp.read_u8().await.expect("handshake answer"));
    }
    let response = String::from_utf8(response).expect("ASCII");
    assert!(response.starts_with("HTTP/1.1 101"), "{response}");
    // RFC 6455's own example key and answer.
    assert!(
        response
            .to_ascii_lowercase()
            .contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="),
        "{response}"
    );
    // A client frame is masked; the mask here is 0x01020304.
    let hello = json!({"type": "hello", "token": me.token}).to_string();
    let mask = [1u8, 2, 3, 4];
    let mut frame = vec![0x81, 0x80 | 126];
    frame.extend_from_slice(&u16::try_from(hello.len()).expect("short").to_be_bytes());
    frame.extend_from_slice(&mask);
    frame.extend(hello.bytes().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    tcp.write_all(&frame).await.expect("hello");

    let mut pieces = Vec::new();
    loop {
        let (fin, opcode, payload) = read_wire_frame(&mut tcp).await;
        if opcode >= 8 {
            continue; // a control frame (ping) may come between the pieces
        }
        pieces.push((opcode, payload));
        if fin {
            break;
        }
    }
    assert!(pieces.len() >= 3, "{} pieces", pieces.len());
    assert_eq!(pieces[0].0, 0x1, "the first piece is a text frame");
    assert!(
        pieces[1..].iter().all(|(op, _)| *op == 0x0),
        "then continuations"
    );
    assert!(
        pieces.iter().all(|(_, p)| p.len() <= 2048),
        "pieces of at most 2 KiB"
    );
    let whole: Vec<u8> = pieces.into_iter().flat_map(|(_, p)| p).collect();
    let welcome: Value = serde_json::from_slice(&whole).expect("the pieces make one JSON text");
    assert_eq!(welcome["type"], "welcome");
    let listed = |welcome: &Value| -> Vec<String> {
        welcome["snapshot"]["participants"]
            .as_array()
            .expect("participants")
            .iter()
            .filter_map(|p| p["name"].as_str().map(String::from))
            .collect()
    };
    for name in &names {
        assert!(listed(&welcome).contains(name), "{name} missing");
    }

    // A WebSocket client library reassembles the same message, checking its UTF-8 whole.
    let client = server.connect(&me.token).await;
    assert_eq!(listed(&client.welcome), listed(&welcome));
}
