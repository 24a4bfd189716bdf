//! The WebSocket's socket I/O, without a buffer kept per connection.
//!
//! - Reading waits with `readable()`, reads with `try_read` into a buffer on the stack of
//!   the worker thread (a buffer shared by every connection the thread serves) and keeps
//!   per connection only the bytes of a frame that arrived in part (`Reader::pending`,
//!   freed as soon as it is consumed). An idle connection's reader holds no allocation.
//! - Writing sends each queued frame's header (on the stack) and its shared, already
//!   encoded payload (`Frame`, one buffer for all its receivers) with one
//!   `try_write_vectored` per burst (up to 64 pieces). A frame longer than
//!   `frames::FRAGMENT` goes out as a fragmented message of pieces that long, as it did
//!   when a per-connection write buffer had to stay small; clients already expect it. Under back-pressure nothing is copied: the frames
//!   stay in the writer's queue with the offset written so far, and the writer waits with
//!   `writable()`, each wait bounded by the write timeout (a slow but steady reader gets a
//!   long frame however long it takes; a stalled one is cut off).

use super::frames::{self, Incoming, Parsed, Parser, MAX_HEADER};
use super::liveness::WriteWait;
use crate::hub::outbox::Frame;
use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Bytes read at once, on the worker thread's stack.
const READ_CHUNK: usize = 4096;
/// Frames written by one `writev` (two slices each: header, payload).
const WRITE_BATCH: usize = 64;

/// Why reading stopped: the peer is gone (end of stream, reset), or broke the protocol
/// (the close code to send).
#[derive(Debug, PartialEq, Eq)]
pub enum ReadError {
    Gone,
    Code(u16),
}

/// The read side of one connection.
pub struct Reader {
    /// Bytes read but not yet parsed: part of a frame. Empty (no allocation) between frames.
    pending: Vec<u8>,
    parser: Parser,
    max: usize,
    /// The client's close frame arrived.
    peer_closed: bool,
}

impl Reader {
    /// `read_ahead`: bytes the HTTP server read past the upgrade request (a pipelined
    /// first frame).
    pub fn new(read_ahead: &[u8], max: usize) -> Reader {
        Reader {
            pending: read_ahead.to_vec(),
            parser: Parser::default(),
            max,
            peer_closed: false,
        }
    }

    /// The next message or control frame. Cancel-safe: bytes read stay in `self`.
    pub async fn next(&mut self, tcp: &TcpStream) -> Result<Incoming, ReadError> {
        // Each message takes from the task's budget, so that a client sending a long
        // stream of commands lets the connection's writer (in the same task) send their
        // answers in between, rather than filling its queue.
        tokio::task::consume_budget().await;
        loop {
            if let Some(message) = self.parse()? {
                self.peer_closed |= message == Incoming::Close;
                return Ok(message);
            }
            readable(tcp).await.map_err(|_| ReadError::Gone)?;
            self.fill(tcp)?;
        }
    }

    /// Parses the frames in `pending` until one completes a message.
    fn parse(&mut self) -> Result<Option<Incoming>, ReadError> {
        while !self.pending.is_empty() {
            match self.parser.parse(&mut self.pending, self.max) {
                Err(code) => return Err(ReadError::Code(code)),
                Ok(Parsed::Incomplete) => return Ok(None),
                Ok(Parsed::Frame { used, message }) => {
                    if used == self.pending.len() {
                        self.pending = Vec::new();
                    } else {
                        self.pending.drain(..used);
                    }
                    if message.is_some() {
                        return Ok(message);
                    }
                }
            }
        }
        Ok(None)
    }

    /// Reads what the socket holds (without waiting) onto the thread's stack, then keeps it.
    fn fill(&mut self, tcp: &TcpStream) -> Result<(), ReadError> {
        let mut chunk = [0u8; READ_CHUNK];
        match tcp.try_read(&mut chunk) {
            Ok(0) => Err(ReadError::Gone),
            Ok(n) => {
                self.pending.extend_from_slice(&chunk[..n]);
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            Err(_) => Err(ReadError::Gone),
        }
    }

    /// After the server's close frame: reads until the client's close frame, its end of
    /// stream or `linger`, discarding what comes. Dropping a socket with unread data makes
    /// the kernel reset it, and a reset can destroy the close frame and the last answers
    /// before the client reads them.
    pub async fn linger(&mut self, tcp: &TcpStream, linger: Duration) {
        if self.peer_closed {
            return;
        }
        let _client_may_not_answer = timeout(linger, async {
            loop {
                match self.next(tcp).await {
                    Ok(Incoming::Close) | Err(ReadError::Gone) => return,
                    Ok(_) => {}
                    // The stream is no longer framed: discard bytes until the end.
                    Err(ReadError::Code(_)) => break,
                }
            }
            self.pending = Vec::new();
            while readable(tcp).await.is_ok() {
                let mut chunk = [0u8; READ_CHUNK];
                match tcp.try_read(&mut chunk) {
                    Ok(0) => return,
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(_) => return,
                }
            }
        })
        .await;
    }
}

/// Waits until the socket may be read. Through the socket's own waker slot
/// (`poll_read_ready`), not a `readable()` future: a future kept in every idle
/// connection's task would cost ~200 bytes (one task waits on each side).
fn readable(tcp: &TcpStream) -> impl std::future::Future<Output = io::Result<()>> + '_ {
    std::future::poll_fn(|cx| tcp.poll_read_ready(cx))
}

/// Waits until the socket may be written (see `readable`).
pub(super) fn writable(tcp: &TcpStream) -> impl std::future::Future<Output = io::Result<()>> + '_ {
    std::future::poll_fn(|cx| tcp.poll_write_ready(cx))
}

/// Writes every frame of `frames` (leaving it empty) as text frames, as few `writev`
/// calls as the socket allows. Each wait for the socket is bounded by `wait` (the write
/// timeout): the timeout measures progress, not the length of the burst. Whether
/// everything was written.
pub async fn write_frames(
    tcp: &TcpStream,
    frames: &mut VecDeque<Frame>,
    mut wait: impl WriteWait,
) -> bool {
    // Bytes of the front frame (header and payload) already written.
    let mut offset = 0;
    while !frames.is_empty() {
        match write_some(tcp, frames, offset) {
            Ok(0) => return false,
            Ok(written) => offset = advance(frames, offset, written),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if !wait.writable(tcp).await {
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
    true
}

/// One `writev` of the frames at the front of `frames`, the first from `offset` on.
fn write_some(tcp: &TcpStream, frames: &VecDeque<Frame>, offset: usize) -> io::Result<usize> {
    // Each piece: its header (here) and its part of a frame's payload.
    let mut heads = [[0u8; MAX_HEADER]; WRITE_BATCH];
    let mut spans = [(0usize, 0usize, 0usize, 0usize); WRITE_BATCH];
    let mut count = 0;
    // Bytes of the first pieces already written: whole pieces are passed over here, the
    // rest is cut from the first piece below.
    let mut skip = offset;
    'frames: for (i, frame) in frames.iter().enumerate() {
        for (first, start, end) in frames::pieces(frame.len()) {
            let piece = frames::header_len(end - start) + end - start;
            if count == 0 && skip >= piece {
                skip -= piece;
                continue;
            }
            if count == WRITE_BATCH {
                break 'frames;
            }
            let head = frames::header(first, end - start, &mut heads[count]);
            spans[count] = (i, head, start, end);
            count += 1;
        }
    }
    let mut slices = [IoSlice::new(&[]); 2 * WRITE_BATCH];
    let mut used = 0;
    for (k, &(i, head, start, end)) in spans[..count].iter().enumerate() {
        let payload = frames.get(i).map_or(&[][..], |f| &f.as_bytes()[start..end]);
        for part in [&heads[k][..head], payload] {
            let cut = skip.min(part.len());
            skip -= cut;
            let part = &part[cut..];
            if !part.is_empty() {
                slices[used] = IoSlice::new(part);
                used += 1;
            }
        }
    }
    tcp.try_write_vectored(&slices[..used])
}

/// Drops the frames `written` bytes completed; returns the offset into the new front one.
fn advance(frames: &mut VecDeque<Frame>, mut offset: usize, mut written: usize) -> usize {
    while let Some(front) = frames.front() {
        let rest = frames::wire_len(front.len()) - offset;
        if written < rest {
            return offset + written;
        }
        written -= rest;
        offset = 0;
        frames.pop_front();
    }
    0
}

/// Writes one small control frame whole, each wait bounded by `wait`.
pub async fn write_control(tcp: &TcpStream, bytes: &[u8], mut wait: impl WriteWait) -> bool {
    let mut at = 0;
    while at < bytes.len() {
        match tcp.try_write(&bytes[at..]) {
            Ok(0) => return false,
            Ok(n) => at += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if !wait.writable(tcp).await {
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
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
        // More than the kernel buffers hold at once, and more pieces than one writev takes.
        let mut frames: VecDeque<Frame> = (0..300)
            .map(|i| Frame::from(format!("{i}:{}", "x".repeat(i * 97))))
            .collect();
        // And frames of more pieces than one writev takes.
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
        assert!(write_frames(&server, &mut frames, Duration::from_secs(10)).await);
        assert!(frames.is_empty());
        drop(server);
        let got = reading.await.expect("reader");
        assert_eq!(server_messages(&got), expected);
    }

    #[tokio::test]
    async fn a_stalled_reader_times_the_writer_out() {
        let (server, _client) = pair().await;
        let big = Frame::from("x".repeat(16 * 1024 * 1024));
        let mut frames = VecDeque::from([big]);
        assert!(!write_frames(&server, &mut frames, Duration::from_millis(200)).await);
    }

    #[tokio::test]
    async fn the_reader_takes_frames_split_anywhere_and_holds_nothing_between_them() {
        let (server, mut client) = pair().await;
        let hello = b"{\"type\":\"hello\"}";
        let mut wire = vec![0x81, 0x80 | hello.len() as u8, 0, 0, 0, 0];
        wire.extend_from_slice(hello);
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
        let text = String::from_utf8(hello.to_vec()).expect("utf-8");
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
}
