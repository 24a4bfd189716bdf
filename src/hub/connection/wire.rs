//! The WebSocket's socket I/O, without a buffer kept per connection.
//!
//! - Reading waits with `readable()`, reads with `try_read` into a buffer on the stack of
//!   the worker thread (a buffer shared by every connection the thread serves) and keeps
//!   per connection only the bytes of a frame that arrived in part (`Reader::pending`,
//!   freed as soon as it is consumed). An idle connection's reader holds no allocation.
//! - Writing sends each queued frame's header (on the stack) and its shared, already
//!   encoded payload (`Frame`, one buffer for all its receivers) with one
//!   `try_write_vectored` per burst. Under back-pressure nothing is copied: the frames
//!   stay in the writer's queue with the offset written so far, and the writer waits with
//!   `writable()`, each wait bounded by the write timeout (a slow but steady reader gets a
//!   long frame however long it takes; a stalled one is cut off).

use super::frames::{self, Incoming, Parsed, Parser, MAX_HEADER};
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
        loop {
            if let Some(message) = self.parse()? {
                self.peer_closed |= message == Incoming::Close;
                return Ok(message);
            }
            tcp.readable().await.map_err(|_| ReadError::Gone)?;
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
            while tcp.readable().await.is_ok() {
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

/// Writes every frame of `frames` (leaving it empty) as text frames, as few `writev`
/// calls as the socket allows. Each wait for the socket has `write_timeout`: the timeout
/// measures progress, not the length of the burst. Whether everything was written.
pub async fn write_frames(
    tcp: &TcpStream,
    frames: &mut VecDeque<Frame>,
    write_timeout: Duration,
) -> bool {
    // Bytes of the front frame (header and payload) already written.
    let mut offset = 0;
    while !frames.is_empty() {
        match write_some(tcp, frames, offset) {
            Ok(0) => return false,
            Ok(written) => offset = advance(frames, offset, written),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if !matches!(timeout(write_timeout, tcp.writable()).await, Ok(Ok(()))) {
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
    let mut heads = [[0u8; MAX_HEADER]; WRITE_BATCH];
    let mut lens = [0usize; WRITE_BATCH];
    let count = frames.len().min(WRITE_BATCH);
    for (i, frame) in frames.iter().take(count).enumerate() {
        lens[i] = frames::header(0x1, frame.len(), &mut heads[i]);
    }
    let mut slices = [IoSlice::new(&[]); 2 * WRITE_BATCH];
    let mut used = 0;
    let mut skip = offset;
    for (i, frame) in frames.iter().take(count).enumerate() {
        for part in [&heads[i][..lens[i]], frame.as_bytes()] {
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
        let rest = frames::header_len(front.len()) + front.len() - offset;
        if written < rest {
            return offset + written;
        }
        written -= rest;
        offset = 0;
        frames.pop_front();
    }
    0
}

/// Writes one small control frame whole, each wait bounded by `write_timeout`.
pub async fn write_control(tcp: &TcpStream, bytes: &[u8], write_timeout: Duration) -> bool {
    let mut at = 0;
    while at < bytes.len() {
        match tcp.try_write(&bytes[at..]) {
            Ok(0) => return false,
            Ok(n) => at += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if !matches!(timeout(write_timeout, tcp.writable()).await, Ok(Ok(()))) {
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
    true
}
