//! The WebSocket's socket I/O, without a buffer kept per connection.
//!
//! - Reading waits with `readable()`, reads with `try_read` into a buffer on the stack of
//!   the worker thread (a buffer shared by every connection the thread serves) and keeps
//!   per connection only the bytes of a frame that arrived in part (`Reader::pending`,
//!   freed as soon as it is consumed). An idle connection's reader holds no allocation.
//! - Writing sends each queued frame's header (on the stack) and its shared, already
//!   encoded payload (`Frame`, one buffer for all its receivers) with one `sendmsg` per
//!   burst (up to 64 pieces; `By`). A frame longer than `frames::FRAGMENT` goes out as a
//!   fragmented message of pieces that long, as it did when a per-connection write buffer
//!   had to stay small; clients already expect it. Under back-pressure nothing is copied:
//!   the frames stay in the writer's queue with the offset written so far, and the writer
//!   waits with `writable()`, each wait bounded by the write timeout (a slow but steady
//!   reader gets a long frame however long it takes; a stalled one is cut off).
//! - `try_write_queued` is the same `sendmsg`, without waiting: the direct write of
//!   `Outbox` (hub/outbox.rs) when the writer is idle.

use super::frames::{self, Incoming, Parsed, Parser, MAX_HEADER};
use super::liveness::WriteWait;
use crate::hub::outbox::{Burst, Frame, Inbox};
use std::collections::VecDeque;
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::time::Duration;
use tokio::io::Interest;
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Bytes read at once, on the worker thread's stack.
const READ_CHUNK: usize = 4096;
/// Frames written by one `sendmsg` (two slices each: header, payload).
const WRITE_BATCH: usize = 64;

/// Who writes, and so how a burst reaches the socket. Both send with `sendmsg` on the
/// socket itself (socket2), not tokio's `writev`, which goes through the file layer
/// (`fdget_pos`, `vfs_writev`) first: ~4 % less CPU per delivery in steady fan-out
/// (docs/benchmarks/issue-19.md).
#[derive(Clone, Copy)]
enum By {
    /// The connection's writer: through tokio's `try_io`, so that a `WouldBlock` clears
    /// the socket's readiness, which the writer then waits on (`writable()`).
    Writer,
    /// A direct write (`try_write_queued`): without tokio's readiness, which it neither
    /// waits on nor needs (one cache line less per write, shared with the I/O driver).
    /// When the socket is full, what is left waits for the writer, whose own attempt
    /// clears the readiness before it waits.
    Direct,
}

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
    ///
    /// A read shorter than the chunk took everything the socket had: it is reported to
    /// tokio as `WouldBlock`, which clears the socket's readiness now, as tokio's own
    /// `poll_read` does, rather than after one more `recvfrom` that finds nothing (one
    /// system call per message instead of two). Data arriving meanwhile is not missed:
    /// tokio clears only the readiness this read saw, and an end of stream stays ready.
    fn fill(&mut self, tcp: &TcpStream) -> Result<(), ReadError> {
        let mut chunk = [0u8; READ_CHUNK];
        let mut read = 0;
        let result = tcp.try_io(Interest::READABLE, || {
            read = tcp.try_read(&mut chunk)?;
            if read > 0 && read < READ_CHUNK {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            Ok(())
        });
        match result {
            Ok(()) if read == 0 => Err(ReadError::Gone),
            Err(e) if e.kind() != io::ErrorKind::WouldBlock => Err(ReadError::Gone),
            _ => {
                self.pending.extend_from_slice(&chunk[..read]);
                Ok(())
            }
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

/// Writes every frame of `burst` (leaving it empty) as text frames, as few `sendmsg`
/// calls as the socket allows. Each wait for the socket is bounded by `wait` (the write
/// timeout): the timeout measures progress, not the length of the burst. Whether
/// everything was written.
pub async fn write_frames(tcp: &TcpStream, burst: &mut Burst, mut wait: impl WriteWait) -> bool {
    while !burst.frames.is_empty() {
        match write_some(tcp, &burst.frames, burst.offset, By::Writer) {
            Ok(0) => return false,
            Ok(written) => burst.offset = advance(&mut burst.frames, burst.offset, written),
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

/// Writes `frames` at once, without waiting, the first from `offset` on, as far as the
/// socket takes them (`sendmsg`s of up to `WRITE_BATCH` pieces): drops those written whole
/// and returns the offset into the new front one, from which the writer goes on. For
/// `Outbox`'s direct writes (hub/outbox.rs), when the writer is idle. An error stops it
/// too; the writer meets it again.
pub fn try_write_queued(tcp: &TcpStream, frames: &mut VecDeque<Frame>, mut offset: usize) -> usize {
    while !frames.is_empty() {
        match write_some(tcp, &*frames, offset, By::Direct) {
            Ok(0) | Err(_) => break,
            Ok(written) => offset = advance(frames, offset, written),
        }
    }
    offset
}

/// One `sendmsg` of the frames at the front of `frames`, the first from `offset` on.
fn write_some<'a>(
    tcp: &TcpStream,
    frames: impl IntoIterator<Item = &'a Frame>,
    offset: usize,
    by: By,
) -> io::Result<usize> {
    // Each piece: its header (here) and its part of a frame's payload.
    let mut heads = [[0u8; MAX_HEADER]; WRITE_BATCH];
    let mut spans: [(usize, &[u8]); WRITE_BATCH] = [(0, &[]); WRITE_BATCH];
    let mut count = 0;
    // Bytes of the first pieces already written: whole pieces are passed over here, the
    // rest is cut from the first piece below.
    let mut skip = offset;
    'frames: for frame in frames {
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
            spans[count] = (head, &frame.as_bytes()[start..end]);
            count += 1;
        }
    }
    let mut slices = [IoSlice::new(&[]); 2 * WRITE_BATCH];
    let mut used = 0;
    for (k, &(head, payload)) in spans[..count].iter().enumerate() {
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
    let send = || socket2::SockRef::from(tcp).send_vectored(&slices[..used]);
    match by {
        By::Writer => tcp.try_io(Interest::WRITABLE, send),
        By::Direct => send(),
    }
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

/// The connection's writer writes a control frame (ping, pong, close): after what is
/// queued, which may begin with a frame a direct write began, and with direct writes held
/// off meanwhile (`Inbox::take`). `burst` is empty on entry. Whether all was written.
/// Boxed: inline, the two writes in a row would grow every connection's task for a ping
/// every `ping_interval`.
pub fn write_control_in_turn<'a, W: WriteWait + Send + 'a>(
    tcp: &'a TcpStream,
    inbox: &'a Inbox,
    burst: &'a mut Burst,
    bytes: &'a [u8],
    mut wait: W,
) -> Pin<Box<dyn Future<Output = bool> + Send + 'a>> {
    Box::pin(async move {
        if inbox.take(burst) && !write_frames(tcp, burst, &mut wait).await {
            return false;
        }
        write_control(tcp, bytes, wait).await
    })
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
#[path = "wire_tests.rs"]
mod tests;
