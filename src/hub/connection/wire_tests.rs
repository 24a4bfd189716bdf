//! Tests of `wire.rs`: the burst writer, the direct write and the reader, over real
//! loopback sockets.

use super::*;
use crate::hub::outbox::{Held, Outbox, Side, HOLD_MAX, QUEUE_CAPACITY, READ_PAUSE};
use crate::protocol::close;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let client = TcpStream::connect(addr).await.expect("connect");
    let (server, _) = listener.accept().await.expect("accept");
    (server, client)
}

/// Reads server messages from `bytes`, reassembling fragments: (opcode, payload) each.
fn server_messages(mut bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out: Vec<(u8, Vec<u8>)> = Vec::new();
    let mut open = false;
    while !bytes.is_empty() {
        let (len, head) = match bytes[1] {
            126 => (usize::from(u16::from_be_bytes([bytes[2], bytes[3]])), 4),
            127 => {
                let mut n = [0u8; 8];
                n.copy_from_slice(&bytes[2..10]);
                (usize::try_from(u64::from_be_bytes(n)).expect("len"), 10)
            }
            n => (usize::from(n), 2),
        };
        assert_eq!(bytes[0] & 0x70, 0, "no reserved bits");
        assert!(len <= frames::FRAGMENT, "pieces of at most FRAGMENT bytes");
        let (fin, opcode) = (bytes[0] & 0x80 != 0, bytes[0] & 0x0f);
        let payload = &bytes[head..head + len];
        if open {
            assert_eq!(opcode, 0x0, "a continuation");
            out.last_mut().expect("open").1.extend_from_slice(payload);
        } else {
            out.push((opcode, payload.to_vec()));
        }
        open = !fin;
        bytes = &bytes[head + len..];
    }
    assert!(!open, "the last message is complete");
    out
}

#[test]
fn advance_drops_the_frames_a_write_completed_and_keeps_the_offset_into_the_next() {
    let mut frames: VecDeque<Frame> = ["abc", "de"].map(Frame::from).into();
    // "abc" is 2 + 3 bytes on the wire, "de" 2 + 2.
    assert_eq!(advance(&mut frames, 0, 4), 4);
    assert_eq!(frames.len(), 2);
    assert_eq!(advance(&mut frames, 4, 2), 1);
    assert_eq!(frames.len(), 1);
    assert_eq!(advance(&mut frames, 1, 3), 0);
    assert!(frames.is_empty());
}

#[tokio::test]
async fn a_burst_arrives_as_frames_in_order_even_through_back_pressure() {
    let (server, mut client) = pair().await;
    // More than the kernel buffers hold at once, and more pieces than one sendmsg takes.
    let mut frames: VecDeque<Frame> = (0..300)
        .map(|i| Frame::from(format!("{i}:{}", "x".repeat(i * 97))))
        .collect();
    // And frames of more pieces than one sendmsg takes.
    frames.push_front(Frame::from("y".repeat(300_000)));
    frames.push_back(Frame::from("z".repeat(200_001)));
    let expected: Vec<(u8, Vec<u8>)> = frames
        .iter()
        .map(|f| (0x1, f.as_bytes().to_vec()))
        .collect();
    let total: usize = expected
        .iter()
        .map(|(_, p)| frames::wire_len(p.len()))
        .sum();
    let reading = tokio::spawn(async move {
        let mut got = Vec::new();
        let mut buf = vec![0u8; 1024];
        // Slowly at first, so the writer meets a full socket.
        tokio::time::sleep(Duration::from_millis(50)).await;
        while got.len() < total {
            let n = client.read(&mut buf).await.expect("read");
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        got
    });
    let mut burst = Burst { frames, offset: 0 };
    assert!(write_frames(&server, &mut burst, Duration::from_secs(10)).await);
    assert!(burst.is_empty());
    drop(server);
    let got = reading.await.expect("reader");
    assert_eq!(server_messages(&got), expected);
}

#[tokio::test]
async fn a_stalled_reader_times_the_writer_out() {
    let (server, _client) = pair().await;
    let big = Frame::from("x".repeat(16 * 1024 * 1024));
    let mut burst = Burst::from(big);
    assert!(!write_frames(&server, &mut burst, Duration::from_millis(200)).await);
}

const HELLO: &[u8] = b"{\"type\":\"hello\"}";

/// A short text frame as a client sends it (masked, with a zero mask).
fn client_text(payload: &[u8]) -> Vec<u8> {
    let mut wire = vec![0x81, 0x80 | payload.len() as u8, 0, 0, 0, 0];
    wire.extend_from_slice(payload);
    wire
}

#[tokio::test]
async fn the_reader_takes_frames_split_anywhere_and_holds_nothing_between_them() {
    let (server, mut client) = pair().await;
    let mut wire = client_text(HELLO);
    let mut ping = vec![0x89, 0x81, 0, 0, 0, 0, b'p'];
    wire.append(&mut ping);
    // The first 3 bytes came with the upgrade request.
    let mut reader = Reader::new(&wire[..3], 1024);
    let rest = wire[3..].to_vec();
    let writing = tokio::spawn(async move {
        // A byte at a time, so the reader meets every partial frame.
        for byte in rest {
            client.write_all(&[byte]).await.expect("write");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        client
    });
    let text = String::from_utf8(HELLO.to_vec()).expect("utf-8");
    assert_eq!(reader.next(&server).await, Ok(Incoming::Text(text)));
    assert_eq!(
        reader.next(&server).await,
        Ok(Incoming::Ping(b"p".to_vec()))
    );
    assert_eq!(
        reader.pending.capacity(),
        0,
        "no buffer kept between frames"
    );
    drop(writing.await.expect("writer"));
    assert_eq!(reader.next(&server).await, Err(ReadError::Gone));
}

#[tokio::test]
async fn a_message_and_the_end_of_stream_arriving_together_are_both_read() {
    let (server, mut client) = pair().await;
    client.write_all(&client_text(HELLO)).await.expect("write");
    client.shutdown().await.expect("shutdown");
    // Both are in the socket before the first read, which is short (it clears the
    // readiness): the end of stream must still wake the reader.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut reader = Reader::new(&[], 1024);
    let text = String::from_utf8(HELLO.to_vec()).expect("utf-8");
    let within = Duration::from_secs(5);
    let first = timeout(within, reader.next(&server)).await;
    assert_eq!(first, Ok(Ok(Incoming::Text(text))));
    let second = timeout(within, reader.next(&server)).await;
    assert_eq!(
        second,
        Ok(Err(ReadError::Gone)),
        "the end of stream is seen"
    );
}

/// A server socket shared with an outbox, as a subscribed connection's, and its client.
async fn attached() -> (Arc<TcpStream>, TcpStream, Outbox, Inbox) {
    let (server, client) = pair().await;
    // A connection that has been open a while: the reactor knows its socket is writable.
    server.writable().await.expect("writable");
    let server = Arc::new(server);
    let (outbox, inbox) = Outbox::new();
    outbox.attach(server.clone());
    (server, client, outbox, inbox)
}

/// Reads `total` bytes from `client`.
fn read_all(mut client: TcpStream, total: usize) -> tokio::task::JoinHandle<Vec<u8>> {
    tokio::spawn(async move {
        let mut got = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        while got.len() < total {
            let n = client.read(&mut buf).await.expect("read");
            assert!(n > 0, "the stream ended early");
            got.extend_from_slice(&buf[..n]);
        }
        got
    })
}

fn text(frame: &Frame) -> (u8, Vec<u8>) {
    (0x1, frame.as_bytes().to_vec())
}

/// Lets the writer wait once with an empty queue, as it does when idle.
async fn writer_idles(inbox: &Inbox) {
    let mut burst = Burst::default();
    let waited = timeout(Duration::from_millis(20), inbox.recv_all(&mut burst));
    assert!(waited.await.is_err(), "nothing was queued");
}

#[tokio::test]
async fn a_frame_sent_to_an_idle_connection_goes_out_without_the_writer() {
    let (_server, client, outbox, inbox) = attached().await;
    let frame = Frame::from("{\"type\":\"event\",\"seq\":1}");
    assert!(outbox.send(frame.clone()));
    assert_eq!(outbox.backlog(), 0, "written, not queued");
    // The writer never ran: the frame is on the wire, whole.
    let got = read_all(client, frames::wire_len(frame.len()));
    let got = got.await.expect("reader");
    assert_eq!(server_messages(&got), [text(&frame)]);
    assert!(
        !inbox.take(&mut Burst::default()),
        "nothing left for the writer"
    );
}

#[tokio::test]
async fn a_frame_larger_than_the_socket_buffer_is_finished_by_the_writer_in_order() {
    let (server, client, outbox, inbox) = attached().await;
    let big = Frame::from("b".repeat(8 * 1024 * 1024));
    let after = [Frame::from("after 1"), Frame::from("after 2")];
    assert!(outbox.send(big.clone()));
    for frame in &after {
        assert!(outbox.send(frame.clone()));
    }
    assert_eq!(outbox.backlog(), 3, "the rest waits for the writer");
    let mut burst = Burst::default();
    assert!(inbox.recv_all(&mut burst).await);
    assert!(burst.offset > 0, "the big frame was begun directly");
    let expected = [text(&big), text(&after[0]), text(&after[1])];
    let total = [&big, &after[0], &after[1]]
        .map(|f| frames::wire_len(f.len()))
        .iter()
        .sum();
    let reading = read_all(client, total);
    assert!(write_frames(&server, &mut burst, Duration::from_secs(10)).await);
    let got = reading.await.expect("reader");
    assert_eq!(got.len(), total, "no byte written twice");
    assert_eq!(server_messages(&got), expected);
}

#[tokio::test]
async fn frames_sent_while_the_writer_is_busy_keep_their_order() {
    let (server, client, outbox, inbox) = attached().await;
    let frame = |i: usize| Frame::from(format!("frame {i}"));
    let mut burst = Burst::default();
    assert!(outbox.send(frame(1)));
    assert_eq!(outbox.backlog(), 0, "idle: written directly");
    // The writer is about to write a ping: what is sent meanwhile waits for it.
    assert!(!inbox.take(&mut burst));
    assert!(outbox.send(frame(2)));
    assert!(outbox.send(frame(3)));
    assert_eq!(outbox.backlog(), 2, "busy: queued");
    assert!(write_control(&server, &[0x89, 0x00], Duration::from_secs(5)).await);
    // It takes them; a frame sent while it holds them is queued too.
    assert!(inbox.recv_all(&mut burst).await);
    assert!(outbox.send(frame(4)));
    assert_eq!(outbox.backlog(), 1);
    assert!(write_frames(&server, &mut burst, Duration::from_secs(5)).await);
    assert!(inbox.recv_all(&mut burst).await);
    assert!(write_frames(&server, &mut burst, Duration::from_secs(5)).await);
    // Idle again: direct.
    writer_idles(&inbox).await;
    assert!(outbox.send(frame(5)));
    assert_eq!(outbox.backlog(), 0);
    let mut expected = vec![text(&frame(1)), (0x9, Vec::new())];
    expected.extend((2..=5).map(|i| text(&frame(i))));
    let total = 2
        + (1..=5)
            .map(|i| frames::wire_len(frame(i).len()))
            .sum::<usize>();
    let got = read_all(client, total).await.expect("reader");
    assert_eq!(server_messages(&got), expected);
}

#[tokio::test]
async fn a_control_frame_waits_for_the_end_of_a_frame_begun_directly() {
    let (server, client, outbox, inbox) = attached().await;
    let big = Frame::from("p".repeat(8 * 1024 * 1024));
    assert!(outbox.send(big.clone()));
    assert_eq!(outbox.backlog(), 1, "begun, not finished");
    let total = frames::wire_len(big.len()) + 2;
    let reading = read_all(client, total);
    let pong = frames::control(0xa, b"");
    let mut burst = Burst::default();
    let timeout = Duration::from_secs(10);
    assert!(write_control_in_turn(&server, &inbox, &mut burst, &pong, timeout).await);
    let got = reading.await.expect("reader");
    assert_eq!(server_messages(&got), [text(&big), (0xa, Vec::new())]);
}

#[tokio::test]
async fn too_slow_the_close_frame_follows_a_frame_begun_directly_and_nothing_else() {
    let (server, client, outbox, inbox) = attached().await;
    let big = Frame::from("s".repeat(8 * 1024 * 1024));
    assert!(outbox.send(big.clone()));
    for _ in 1..QUEUE_CAPACITY {
        assert!(outbox.send(Frame::from("dropped")));
    }
    assert!(!outbox.send(Frame::from("over")));
    assert_eq!(outbox.kick().code(), Some(close::TOO_SLOW));
    // Kicked: nothing more is written, directly or not.
    assert!(!outbox.send(Frame::from("late")));
    assert!(!inbox.recv_all(&mut Burst::default()).await);
    let goodbye = frames::close_frame(close::TOO_SLOW, "too slow");
    let total = frames::wire_len(big.len()) + goodbye.len();
    let reading = read_all(client, total);
    let mut burst = Burst::default();
    let timeout = Duration::from_secs(10);
    assert!(write_control_in_turn(&server, &inbox, &mut burst, &goodbye, timeout).await);
    let got = reading.await.expect("reader");
    assert_eq!(got.len(), total);
    assert_eq!(
        server_messages(&got),
        [text(&big), (0x8, goodbye[2..].to_vec())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_a_busy_writer_and_pings_never_interleave_on_the_wire() {
    sends_writer_and_pings_race(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_held_sends_a_busy_writer_and_pings_never_interleave_on_the_wire() {
    sends_writer_and_pings_race(true).await;
}

/// A sender (holding frames back and flushing every few, as the actor's fan-out does, if
/// `held`), the writer and its pings race: the wire still carries every frame once.
async fn sends_writer_and_pings_race(held: bool) {
    let (server, mut client, outbox, inbox) = attached().await;
    let frames: Vec<Frame> = (0..2000)
        .map(|i| {
            let len = match i % 50 {
                0 => 300_000,
                n if n % 7 == 0 => 5_000,
                n => n * 13,
            };
            Frame::from(format!("{i}:{}", "x".repeat(len)))
        })
        .collect();
    let sending = {
        let (outbox, frames) = (outbox.clone(), frames.clone());
        tokio::spawn(async move {
            let mut holding = Held::default();
            for (i, frame) in frames.into_iter().enumerate() {
                let sent = if held {
                    holding.send(&outbox, frame)
                } else {
                    outbox.send(frame)
                };
                assert!(sent, "not too slow");
                if i % 5 == 0 {
                    holding.flush();
                }
                if i % 16 == 0 {
                    tokio::time::sleep(Duration::from_micros(200)).await;
                }
            }
            holding.flush();
        })
    };
    // The writer as `connection::write_loop` runs it, with a ping every millisecond.
    let writing = tokio::spawn(async move {
        let t = Duration::from_secs(10);
        let mut burst = Burst::default();
        loop {
            let queued = tokio::select! {
                biased;
                queued = inbox.recv_all(&mut burst) => queued,
                () = tokio::time::sleep(Duration::from_millis(1)) => {
                    let ping = [0x89, 0x00];
                    assert!(write_control_in_turn(&server, &inbox, &mut burst, &ping, t).await);
                    continue;
                }
            };
            if !queued {
                break;
            }
            assert!(write_frames(&server, &mut burst, t).await);
        }
        let goodbye = frames::close_frame(1000, "");
        assert!(write_control_in_turn(&server, &inbox, &mut burst, &goodbye, t).await);
    });
    let reading = tokio::spawn(async move {
        let mut got = Vec::new();
        let mut buf = vec![0u8; 16 * 1024];
        // Slower than the sender at times, so that writes meet a full socket.
        while !got.ends_with(&[0x88, 0x02, 0x03, 0xe8]) {
            let n = client.read(&mut buf).await.expect("read");
            assert!(n > 0, "the stream ended early");
            got.extend_from_slice(&buf[..n]);
            if got.len() % 7 == 0 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        got
    });
    sending.await.expect("sender");
    outbox.kick().close_with(1000);
    writing.await.expect("writer");
    let got = reading.await.expect("reader");
    let messages = server_messages(&got);
    assert_eq!(messages.last(), Some(&(0x8, vec![0x03, 0xe8])));
    let texts: Vec<(u8, Vec<u8>)> = messages.into_iter().filter(|m| m.0 == 0x1).collect();
    let expected: Vec<(u8, Vec<u8>)> = frames.iter().map(text).collect();
    assert!(texts == expected, "every frame once, in order, whole");
}

/// A waker that notes it was woken.
struct Flag(std::sync::atomic::AtomicBool);

impl futures_util::task::ArcWake for Flag {
    fn wake_by_ref(flag: &Arc<Flag>) {
        flag.0.store(true, std::sync::atomic::Ordering::Release);
    }
}

impl Flag {
    /// Polls `future` once with a flag as its waker; the flag and whether it completed.
    fn poll_once<F: Future>(future: F) -> (Arc<Flag>, bool) {
        let flag = Arc::new(Flag(std::sync::atomic::AtomicBool::new(false)));
        let waker = futures_util::task::waker(flag.clone());
        let mut cx = std::task::Context::from_waker(&waker);
        let ready = std::pin::pin!(future).poll(&mut cx).is_ready();
        (flag, ready)
    }

    fn woken(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Acquire)
    }
}

/// The writer waits with an empty queue, its waker a flag.
fn idle_writer(inbox: &Inbox) -> Arc<Flag> {
    let mut burst = Burst::default();
    let (flag, ready) = Flag::poll_once(inbox.recv_all(&mut burst));
    assert!(!ready, "nothing was queued");
    flag
}

#[tokio::test]
async fn held_frames_wait_for_the_flush_and_go_out_without_the_writer() {
    let (_server, client, outbox, inbox) = attached().await;
    let writer = idle_writer(&inbox);
    let frames = ["one", "two", "three"].map(Frame::from);
    let mut held = Held::default();
    for frame in &frames {
        assert!(held.send(&outbox, frame.clone()));
    }
    assert_eq!(outbox.backlog(), 3, "held, not written");
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut buf = [0u8; 64];
    let nothing = client.try_read(&mut buf);
    assert!(
        nothing.is_err_and(|e| e.kind() == io::ErrorKind::WouldBlock),
        "nothing on the wire before the flush"
    );
    held.flush();
    assert_eq!(outbox.backlog(), 0, "written by the flush");
    assert!(!writer.woken(), "the writer was not needed");
    let total = frames.iter().map(|f| frames::wire_len(f.len())).sum();
    let got = read_all(client, total).await.expect("reader");
    assert_eq!(server_messages(&got), frames.each_ref().map(text));
}

#[tokio::test]
async fn dropping_held_frames_writes_them() {
    let (_server, client, outbox, inbox) = attached().await;
    let _writer = idle_writer(&inbox);
    let frame = Frame::from("kept");
    {
        let mut held = Held::default();
        assert!(held.send(&outbox, frame.clone()));
        assert_eq!(outbox.backlog(), 1);
    }
    assert_eq!(outbox.backlog(), 0);
    let got = read_all(client, frames::wire_len(frame.len()));
    assert_eq!(server_messages(&got.await.expect("reader")), [text(&frame)]);
}

#[tokio::test]
async fn a_connection_holds_back_at_most_one_sendmsg_of_frames() {
    let (_server, client, outbox, inbox) = attached().await;
    let _writer = idle_writer(&inbox);
    let frames: Vec<Frame> = (0..HOLD_MAX).map(|i| Frame::from(i.to_string())).collect();
    let mut held = Held::default();
    for frame in &frames[..HOLD_MAX - 1] {
        assert!(held.send(&outbox, frame.clone()));
    }
    assert_eq!(outbox.backlog(), HOLD_MAX - 1);
    assert!(held.send(&outbox, frames[HOLD_MAX - 1].clone()));
    assert_eq!(outbox.backlog(), 0, "written without waiting for the flush");
    let total = frames.iter().map(|f| frames::wire_len(f.len())).sum();
    let got = read_all(client, total).await.expect("reader");
    let expected: Vec<(u8, Vec<u8>)> = frames.iter().map(text).collect();
    assert_eq!(server_messages(&got), expected);
}

#[tokio::test]
async fn frames_held_while_the_writer_is_busy_are_the_writers() {
    let (server, client, outbox, inbox) = attached().await;
    let mut burst = Burst::default();
    // The writer is about to write a ping.
    assert!(!inbox.take(&mut burst));
    let frame = Frame::from("after the ping");
    let mut held = Held::default();
    assert!(held.send(&outbox, frame.clone()));
    held.flush();
    assert_eq!(outbox.backlog(), 1, "not written under a busy writer");
    assert!(write_control(&server, &[0x89, 0x00], Duration::from_secs(5)).await);
    assert!(inbox.recv_all(&mut burst).await);
    assert!(write_frames(&server, &mut burst, Duration::from_secs(5)).await);
    let got = read_all(client, 2 + frames::wire_len(frame.len()));
    let got = got.await.expect("reader");
    assert_eq!(server_messages(&got), [(0x9, Vec::new()), text(&frame)]);
}

#[tokio::test]
async fn writing_the_backlog_that_paused_the_reader_wakes_it() {
    let (server, client) = pair().await;
    server.writable().await.expect("writable");
    let (outbox, inbox) = Outbox::new();
    let _writer = idle_writer(&inbox);
    // Queued before the socket is attached: the writer's, which has not run yet.
    let frames: Vec<Frame> = (0..READ_PAUSE)
        .map(|i| Frame::from(i.to_string()))
        .collect();
    for frame in &frames {
        assert!(outbox.send(frame.clone()));
    }
    assert_eq!(
        outbox.backlog(),
        READ_PAUSE,
        "the reader pauses at this backlog"
    );
    let (reader, kicked) = Flag::poll_once(outbox.kick().wait(Side::Reader));
    assert!(!kicked);
    outbox.attach(Arc::new(server));
    outbox.flush();
    assert_eq!(outbox.backlog(), 0, "written directly");
    assert!(reader.woken(), "no writer will wake the paused reader");
    let total = frames.iter().map(|f| frames::wire_len(f.len())).sum();
    let got = read_all(client, total).await.expect("reader");
    assert_eq!(server_messages(&got).len(), READ_PAUSE);
}
