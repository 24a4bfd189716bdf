//! WebSocket frames at the edge (issue #21, items 4, 6 and 11), on raw TCP sockets:
//! binary and control frames count in flood control; frames that break RFC 6455 close
//! with the codes of its §7.4.1 (1007 invalid UTF-8, 1002 protocol error); the write
//! timeout applies per write, so a slow but steady reader gets a long `welcome` and a
//! stalled one is cut off.

mod common;
use common::*;
use serde_json::json;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A client frame: FIN + `first` (opcode and reserved bits as given), masked unless
/// `masked` is false.
fn frame(first: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mut out = vec![first];
    let mask_bit = if masked { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => out.push(mask_bit | n as u8),
        n => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&u16::try_from(n).expect("short").to_be_bytes());
        }
    }
    if masked {
        out.extend_from_slice(&MASK);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    } else {
        out.extend_from_slice(payload);
    }
    out
}

/// Opens a WebSocket by hand; `recv_buffer` sets the client's receive buffer (bytes).
async fn open(server: &TestServer, recv_buffer: Option<u32>) -> TcpStream {
    let addr: std::net::SocketAddr = server.addr.parse().expect("address");
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    if let Some(size) = recv_buffer {
        socket.set_recv_buffer_size(size).expect("SO_RCVBUF");
    }
    let mut tcp = socket.connect(addr).await.expect("tcp");
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.expect("handshake");
    let mut response = Vec::new();
    while !response.ends_with(b"\r\n\r\n") {
        response.push(tcp.read_u8().await.expect("handshake answer"));
    }
    assert!(response.starts_with(b"HTTP/1.1 101"));
    tcp
}

async fn hello(tcp: &mut TcpStream, token: &str) {
    let hello = json!({"type": "hello", "token": token}).to_string();
    tcp.write_all(&frame(0x81, hello.as_bytes(), true))
        .await
        .expect("hello");
}

/// One server frame: FIN, opcode, payload.
async fn read_frame(tcp: &mut TcpStream) -> Option<(bool, u8, Vec<u8>)> {
    let mut head = [0u8; 2];
    tcp.read_exact(&mut head).await.ok()?;
    let len = match head[1] & 0x7f {
        126 => u64::from(tcp.read_u16().await.ok()?),
        127 => tcp.read_u64().await.ok()?,
        n => u64::from(n),
    };
    let mut payload = vec![0u8; usize::try_from(len).ok()?];
    tcp.read_exact(&mut payload).await.ok()?;
    Some((head[0] & 0x80 != 0, head[0] & 0x0f, payload))
}

/// Reads frames until a close frame; its code, or `None` if the socket ends first.
async fn close_code(tcp: &mut TcpStream) -> Option<u16> {
    tokio::time::timeout(WAIT, async {
        while let Some((_, opcode, payload)) = read_frame(tcp).await {
            if opcode == 0x8 {
                return payload.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]]));
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
}

/// Reads the (possibly fragmented) message that starts with the next data frame.
async fn read_message(tcp: &mut TcpStream) -> Vec<u8> {
    let mut whole = Vec::new();
    loop {
        let (fin, opcode, payload) = read_frame(tcp).await.expect("a frame");
        if opcode >= 0x8 {
            continue;
        }
        whole.extend_from_slice(&payload);
        if fin {
            return whole;
        }
    }
}

#[tokio::test]
async fn binary_and_control_frames_count_in_flood_control() {
    let server = TestServer::start_with(&[
        "--rate-limit",
        "1",
        "--rate-burst",
        "5",
        "--participant-rate-limit",
        "0",
        "--flood-close-after",
        "20",
    ])
    .await;
    let w = server.workshop().await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let mut tcp = open(&server, None).await;
    hello(&mut tcp, &ana.token).await;
    assert!(String::from_utf8(read_message(&mut tcp).await)
        .expect("text")
        .contains("\"welcome\""));
    let mut flood = Vec::new();
    for i in 0..200u32 {
        flood.extend(frame(0x82, &i.to_be_bytes(), true));
    }
    tcp.write_all(&flood).await.expect("binary flood");
    assert_eq!(close_code(&mut tcp).await, Some(4029));

    // Pings alone, too.
    let mut tcp = open(&server, None).await;
    hello(&mut tcp, &ana.token).await;
    read_message(&mut tcp).await;
    let mut pings = Vec::new();
    for _ in 0..200 {
        pings.extend(frame(0x89, b"hi", true));
    }
    tcp.write_all(&pings).await.expect("ping flood");
    assert_eq!(close_code(&mut tcp).await, Some(4029));
}

#[tokio::test]
async fn frames_that_break_rfc_6455_close_with_its_codes() {
    let server = TestServer::start().await;
    let w = server.workshop().await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    let cases: [(&str, Vec<u8>, u16); 5] = [
        (
            "invalid UTF-8 in a text frame",
            frame(0x81, &[0x7b, 0xff, 0xfe, 0x7d], true),
            1007,
        ),
        ("an unmasked client frame", frame(0x81, b"{}", false), 1002),
        ("a reserved bit set", frame(0x81 | 0x40, b"{}", true), 1002),
        ("an unknown opcode", frame(0x83, b"{}", true), 1002),
        (
            "a continuation with nothing to continue",
            frame(0x80, b"{}", true),
            1002,
        ),
    ];
    for (what, bad, code) in &cases {
        // After the hello…
        let mut tcp = open(&server, None).await;
        hello(&mut tcp, &ana.token).await;
        read_message(&mut tcp).await;
        tcp.write_all(bad).await.expect("write");
        assert_eq!(
            close_code(&mut tcp).await,
            Some(*code),
            "{what}, after hello"
        );
        // …and in its place.
        let mut tcp = open(&server, None).await;
        tcp.write_all(bad).await.expect("write");
        assert_eq!(
            close_code(&mut tcp).await,
            Some(*code),
            "{what}, as the first frame"
        );
    }
}

/// Posts `cards` cards of 1,000 four-byte characters in one room; returns the room's
/// delegate, whose `welcome` then carries ~4 KB per card.
async fn heavy_room(server: &TestServer, cards: usize) -> Member {
    let w = server.workshop().await;
    let (_fac, mut staff) = staff(server, &w).await;
    let ana = server.delegate(&w, "Ana", "AR").await;
    staff.ok(move_to(&ana.id, &w.rooms[0])).await;
    let text: String = "😀".repeat(1000);
    let commands: Vec<_> = (0..cards)
        .map(|_| {
            let mut c = post_card(&w.rooms[0], "problems", &text);
            c["id"] = json!(staff.fresh_id());
            c
        })
        .collect();
    for chunk in commands.chunks(200) {
        let answers = staff.pipeline(chunk).await;
        assert!(answers
            .iter()
            .all(|a| a.as_ref().is_some_and(|a| a["type"] == "ack")));
    }
    ana
}

/// ~8 MB of `welcome` (a room's most cards): more than the kernel buffers between server
/// and client hold (up to ~4 MB on loopback), so the writer waits on the reader.
const HEAVY_CARDS: usize = 2000;
/// The write timeout of these tests, in seconds.
const WRITE_TIMEOUT: u64 = 3;

#[tokio::test]
async fn the_write_timeout_is_per_write_a_steady_slow_reader_gets_a_long_welcome_a_stalled_one_is_cut_off(
) {
    let timeout = WRITE_TIMEOUT.to_string();
    let server = TestServer::start_with(&[
        "--rate-limit",
        "0",
        "--participant-rate-limit",
        "0",
        "--write-timeout",
        &timeout,
    ])
    .await;
    let ana = heavy_room(&server, HEAVY_CARDS).await;

    // Steady: 32 KiB every 32 ms (~1 MB/s). Sending the welcome takes longer than the
    // write timeout in all (the old per-burst timeout cut it), while the socket becomes
    // writable again within it (Linux wakes a writer once half the queued bytes are read:
    // at most ~2 MB, ~2 s at this pace).
    let mut tcp = open(&server, Some(16 * 1024)).await;
    hello(&mut tcp, &ana.token).await;
    let mut received = Vec::new();
    let mut buf = vec![0u8; 32 * 1024];
    let read_all = async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
            if complete_message(&received) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(32)).await;
        }
    };
    let complete = tokio::time::timeout(Duration::from_secs(120), read_all)
        .await
        .expect("read in time");
    assert!(complete, "cut off after {} bytes", received.len());
    assert!(received.len() > 8_000_000, "{} bytes", received.len());

    // Stalled: reads the start, then nothing for well past the write timeout. The server
    // gives up, so the stream ends before the welcome does.
    let mut tcp = open(&server, Some(16 * 1024)).await;
    hello(&mut tcp, &ana.token).await;
    let mut first = [0u8; 1024];
    tcp.read_exact(&mut first)
        .await
        .expect("the welcome starts");
    tokio::time::sleep(Duration::from_secs(3 * WRITE_TIMEOUT)).await;
    let mut received = first.to_vec();
    let mut buf = vec![0u8; 64 * 1024];
    let ended = tokio::time::timeout(WAIT, async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the connection stayed open");
    assert!(
        !complete_message(&received),
        "the whole welcome arrived ({} bytes)",
        received.len()
    );
}

/// Whether `bytes` (server frames from the first one on) hold a complete data message.
fn complete_message(bytes: &[u8]) -> bool {
    let mut at = 0;
    while at + 2 <= bytes.len() {
        let (fin, opcode) = (bytes[at] & 0x80 != 0, bytes[at] & 0x0f);
        let (len, head) = match bytes[at + 1] & 0x7f {
            126 if at + 4 <= bytes.len() => (
                usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]])),
                4,
            ),
            127 if at + 10 <= bytes.len() => {
                let mut n = [0u8; 8];
                n.copy_from_slice(&bytes[at + 2..at + 10]);
                (
                    usize::try_from(u64::from_be_bytes(n)).unwrap_or(usize::MAX),
                    10,
                )
            }
            126 | 127 => return false,
            n => (usize::from(n), 2),
        };
        if at + head + len > bytes.len() {
            return false;
        }
        at += head + len;
        if fin && opcode < 0x8 {
            return true;
        }
    }
    false
}
