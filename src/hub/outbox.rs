//! A connection's bounded outgoing queue, and the switch that closes it.
//!
//! The workshop actor never waits on a client: it queues an already-encoded frame without
//! waiting and, when the queue is full, marks the connection "too slow" instead. The
//! connection's writer then closes the socket with `close::TOO_SLOW` and the client
//! resumes from its last `seq`.
//!
//! The queue is a `VecDeque` behind a mutex, not a channel: the writer takes everything
//! queued at once (one lock per burst, not one per frame), the actor wakes the writer only
//! when the queue was empty, and an idle connection's queue holds no memory (a tokio
//! channel keeps a block of 32 slots, ~1 KiB, allocated for its whole life).
//!
//! Once the connection is subscribed, the outbox also holds its socket: a frame sent while
//! the queue is empty and the writer idle is written by the sender itself, at once, with
//! one non-blocking `sendmsg` under the queue's lock, and the writer is not woken (waking
//! a task on another thread cost ~16-21 % of the server's CPU in steady fan-out). The
//! workshop actor holds its frames back for a whole batch (`Held`) and writes each
//! connection's at the end, together: one send per frame cost more, at saturation,
//! than the writer's batching. What the socket does not take stays queued, with the
//! offset written, for the writer. The writer counts as busy from the moment it takes
//! frames (or is about to write a ping, pong or close) until it waits again with an empty
//! queue, so writes never interleave.

use futures_util::task::AtomicWaker;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicU16, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Poll;
use tokio::net::TcpStream;
use tungstenite::Utf8Bytes;

/// An encoded text frame. Cloning shares the buffer: an event is encoded once for all.
pub type Frame = Utf8Bytes;

/// How many frames may wait for one client (beyond those its writer is already sending)
/// before it is disconnected as too slow.
pub const QUEUE_CAPACITY: usize = 1024;

/// Frames queued for a connection, or commands it sent and not yet answered, beyond which
/// its reader stops taking commands until the writer has caught up
/// (`connection::caught_up`). Answering the command that brings the count below it wakes
/// the reader, since the answer may be written directly, without the writer's wake-up.
pub const READ_PAUSE: usize = QUEUE_CAPACITY / 4;

/// Slots the writer keeps between bursts; a larger buffer (after a burst) is let go, so
/// an idle connection holds at most two buffers this small.
const KEPT_SLOTS: usize = 8;

/// Frames `Outbox::hold` keeps back for one connection before it writes them anyway: as
/// many as one `sendmsg` takes (`connection::wire`).
pub const HOLD_MAX: usize = 64;

/// Why and how a connection is to be closed: the first code set wins. The connection's
/// reader and writer each wait on it through their own waker. The writer polls its wait
/// every time it wakes for a frame, so the check is one atomic load and the waker is
/// registered without a lock (a cancellation token, used before, locked its tree node on
/// every poll: ~4 % of the server's CPU in steady fan-out).
#[derive(Default)]
pub struct Kick {
    code: AtomicU16,
    reader: AtomicWaker,
    writer: AtomicWaker,
}

/// Which side of the connection waits for a kick.
#[derive(Clone, Copy)]
pub enum Side {
    Reader,
    Writer,
}

impl Kick {
    pub fn code(&self) -> Option<u16> {
        match self.code.load(Ordering::Acquire) {
            0 => None,
            c => Some(c),
        }
    }

    pub fn close_with(&self, code: u16) {
        if self
            .code
            .compare_exchange(0, code, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.reader.wake();
            self.writer.wake();
        }
    }

    /// Completes once a close code is set (at once if it already is). One side has one
    /// waker: only one wait per side may be pending at a time.
    pub fn wait(&self, side: Side) -> impl Future<Output = ()> + '_ {
        let waker = match side {
            Side::Reader => &self.reader,
            Side::Writer => &self.writer,
        };
        std::future::poll_fn(move |cx| {
            // Registered before the check, so a `close_with` between the two still wakes.
            waker.register(cx.waker());
            match self.code() {
                Some(_) => Poll::Ready(()),
                None => Poll::Pending,
            }
        })
    }
}

/// The sending side of one connection, held by the connection and by the workshop actor.
#[derive(Clone)]
pub struct Outbox {
    shared: Arc<Shared>,
}

/// The receiving side, held by the connection's writer. Dropping it refuses further frames.
pub struct Inbox {
    shared: Arc<Shared>,
}

struct Shared {
    queue: Mutex<Queue>,
    kick: Kick,
    /// Commands this connection sent to its actor and not yet answered.
    in_flight: AtomicU32,
}

#[derive(Default)]
struct Queue {
    frames: VecDeque<Frame>,
    /// Bytes of the front frame already written directly (its header included).
    offset: usize,
    closed: bool,
    /// The writer holds frames it took, or writes a control frame: no direct write.
    writing: bool,
    /// The socket, for direct writes: set once subscribed, let go with the `Inbox`.
    tcp: Option<Arc<TcpStream>>,
}

/// Frames the writer took, the first of them already written `offset` bytes (headers
/// included) by a direct write or by the writer's previous `sendmsg`.
#[derive(Default)]
pub struct Burst {
    pub frames: VecDeque<Frame>,
    pub offset: usize,
}

impl Burst {
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }
}

impl From<Frame> for Burst {
    fn from(frame: Frame) -> Burst {
        Burst {
            frames: VecDeque::from([frame]),
            offset: 0,
        }
    }
}

impl Shared {
    /// The queue; a panic elsewhere while it was held leaves it usable as it is.
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Outbox {
    pub fn new() -> (Outbox, Inbox) {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            kick: Kick::default(),
            in_flight: AtomicU32::new(0),
        });
        (
            Outbox {
                shared: shared.clone(),
            },
            Inbox { shared },
        )
    }

    /// Lets senders write to `tcp` directly from now on (see the module's doc).
    pub fn attach(&self, tcp: Arc<TcpStream>) {
        let mut queue = self.shared.queue();
        if !queue.closed {
            queue.tcp = Some(tcp);
        }
    }

    pub fn kick(&self) -> &Kick {
        &self.shared.kick
    }

    /// Queues a frame without waiting. Returns `false` when the connection is gone or was
    /// just marked too slow; the caller then forgets it. Into an empty queue with the
    /// writer idle, the frame is written at once (see the module's doc).
    pub fn send(&self, frame: Frame) -> bool {
        let Some((queue, was_empty)) = self.push(frame) else {
            return false;
        };
        // A queue that held frames already has someone to write them: the writer, woken
        // or busy, or the sender that holds it (`Held`).
        if was_empty {
            self.write_queued(queue);
        }
        true
    }

    /// Queues a frame for the sender to write later, with whatever else it queues for
    /// this connection meanwhile, in one `sendmsg` (`Held`). `Held` back means the sender
    /// must call `flush`; up to `HOLD_MAX` frames wait for it, then they are written.
    pub fn hold(&self, frame: Frame) -> Queued {
        let Some((queue, was_empty)) = self.push(frame) else {
            return Queued::Refused;
        };
        if was_empty {
            if self.sender_may_write(&queue) {
                return Queued::Held;
            }
            self.write_queued(queue);
        } else if queue.frames.len() >= HOLD_MAX && self.sender_may_write(&queue) {
            self.write_queued(queue);
        }
        Queued::Queued
    }

    /// Writes what is queued if the writer is idle (frames `hold` kept back).
    pub fn flush(&self) {
        let queue = self.shared.queue();
        if !queue.frames.is_empty() {
            self.write_queued(queue);
        }
    }

    /// Queues `frame` under the lock, or refuses it (kicked, closed, or the queue full:
    /// then kicked as too slow); whether the queue was empty before.
    fn push(&self, frame: Frame) -> Option<(MutexGuard<'_, Queue>, bool)> {
        let kick = &self.shared.kick;
        if kick.code().is_some() {
            return None;
        }
        let mut queue = self.shared.queue();
        if queue.closed {
            return None;
        }
        if queue.frames.len() >= QUEUE_CAPACITY {
            drop(queue);
            crate::metrics::slow_client_disconnected();
            kick.close_with(crate::protocol::close::TOO_SLOW);
            return None;
        }
        let was_empty = queue.frames.is_empty();
        queue.frames.push_back(frame);
        Some((queue, was_empty))
    }

    /// Under the lock, the writer idle and the socket attached: nothing else writes to the
    /// socket now. The kick is checked here too because the writer, once kicked, takes
    /// this lock before its close frame (`Inbox::take`): a direct write is before it or
    /// never.
    fn sender_may_write(&self, queue: &Queue) -> bool {
        self.writer_idle_and_unkicked(queue) && queue.tcp.is_some()
    }

    /// `sender_may_write` but for the socket.
    fn writer_idle_and_unkicked(&self, queue: &Queue) -> bool {
        !queue.writing && self.shared.kick.code().is_none()
    }

    /// Writes the queue (not empty) directly as far as the socket takes it, if the sender
    /// may; the writer, if idle, is woken for what is left. A busy writer takes what is
    /// queued before it waits again (`Inbox::recv_all`); a kicked one was woken already.
    fn write_queued(&self, mut queue: MutexGuard<'_, Queue>) {
        let before = queue.frames.len();
        if self.writer_idle_and_unkicked(&queue) {
            let Queue {
                frames,
                offset,
                tcp,
                ..
            } = &mut *queue;
            if let Some(tcp) = tcp {
                // An error leaves the rest queued: the writer meets it again and ends
                // the connection.
                *offset = super::connection::try_write_queued(tcp, frames, *offset);
            }
        }
        let (left, wake_writer) = (queue.frames.len(), !queue.writing);
        drop(queue);
        if left > 0 && wake_writer {
            self.shared.kick.writer.wake();
        }
        // The reader paused for this backlog (`connection::caught_up`); no writer wakes
        // its task now that the backlog is written.
        if before >= READ_PAUSE && left < READ_PAUSE {
            self.shared.kick.reader.wake();
        }
    }
}

/// What `Outbox::hold` did with a frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Queued {
    /// The connection is gone or was just marked too slow: the caller forgets it.
    Refused,
    /// Queued: the writer or an earlier holder writes it.
    Queued,
    /// Queued for the sender, who must `flush` the outbox.
    Held,
}

/// Outboxes whose frames a sender holds back until it is done queueing (the workshop
/// actor, for one batch's fan-out), then writes with one `sendmsg` each: several frames
/// for one connection in one turn go out together, as the writer's bursts do, with no
/// writer woken. Dropping it flushes.
#[derive(Default)]
pub struct Held(Vec<Outbox>);

impl Held {
    /// Queues `frame` for `outbox` (see `Outbox::send`); `false` when refused.
    pub fn send(&mut self, outbox: &Outbox, frame: Frame) -> bool {
        match outbox.hold(frame) {
            Queued::Refused => false,
            Queued::Queued => true,
            Queued::Held => {
                self.0.push(outbox.clone());
                true
            }
        }
    }

    /// Writes every held frame.
    pub fn flush(&mut self) {
        for outbox in self.0.drain(..) {
            outbox.flush();
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.flush();
    }
}

impl Outbox {
    /// Frames queued and not yet taken by the writer.
    pub fn backlog(&self) -> usize {
        self.shared.queue().frames.len()
    }

    /// Counts a command sent to the actor with this outbox as its reply.
    pub fn command_sent(&self) {
        self.shared.in_flight.fetch_add(1, Ordering::AcqRel);
    }

    /// Counts a command answered (its `ack` or `error` is being queued).
    pub fn answered(&self) {
        let before = self
            .shared
            .in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
        // The paused reader relied on the writer's wake-up to look again; a direct write
        // no longer wakes it.
        if before.is_ok_and(|n| usize::try_from(n).is_ok_and(|n| n == READ_PAUSE)) {
            self.shared.kick.reader.wake();
        }
    }

    /// Commands sent and not yet answered.
    pub fn in_flight(&self) -> u32 {
        self.shared.in_flight.load(Ordering::Acquire)
    }
}

impl Inbox {
    pub fn kick(&self) -> &Kick {
        &self.shared.kick
    }

    /// Waits for frames and moves every queued one into `into` (empty on entry): `true`.
    /// `false` once the connection is kicked, whatever is queued (see `take`). While it
    /// waits, the writer is idle: senders may write directly.
    pub fn recv_all<'a>(&'a self, into: &'a mut Burst) -> impl Future<Output = bool> + 'a {
        std::future::poll_fn(move |cx| {
            // Registered before the checks, so a frame or kick in between still wakes.
            self.shared.kick.writer.register(cx.waker());
            if self.shared.kick.code().is_some() {
                return Poll::Ready(false);
            }
            let mut queue = self.shared.queue();
            if self.take_from(&mut queue, into) {
                Poll::Ready(true)
            } else {
                queue.writing = false;
                Poll::Pending
            }
        })
    }

    /// Marks the writer busy (no direct write until it waits in `recv_all` again) and
    /// moves every queued frame into `into` (empty on entry); whether there were any. The
    /// writer calls it before anything it writes, control frames too, and writes what it
    /// took first: a frame begun directly is finished before another starts. Once kicked
    /// as too slow, only such a begun frame is taken; the rest is dropped (the client
    /// resumes from its last `seq`).
    pub fn take(&self, into: &mut Burst) -> bool {
        self.take_from(&mut self.shared.queue(), into)
    }

    fn take_from(&self, queue: &mut Queue, into: &mut Burst) -> bool {
        debug_assert!(into.is_empty());
        if into.frames.capacity() > KEPT_SLOTS {
            into.frames = VecDeque::new();
        }
        queue.writing = true;
        if self.shared.kick.code() == Some(crate::protocol::close::TOO_SLOW) {
            let begun = queue.offset > 0;
            queue.frames.truncate(usize::from(begun));
        }
        if queue.frames.is_empty() {
            return false;
        }
        // The queue keeps the writer's (empty, small) buffer for the next frames.
        std::mem::swap(&mut queue.frames, &mut into.frames);
        into.offset = std::mem::take(&mut queue.offset);
        true
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        let mut queue = self.shared.queue();
        queue.closed = true;
        queue.frames = VecDeque::new();
        // The socket closes when the connection ends, not when its actor forgets it.
        queue.tcp = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::time::Duration;

    #[tokio::test]
    async fn both_sides_wake_when_kicked_and_the_first_code_wins() {
        let kick = Arc::new(Kick::default());
        let waiting = |side| {
            let kick = kick.clone();
            tokio::spawn(async move { kick.wait(side).await })
        };
        let (reader, writer) = (waiting(Side::Reader), waiting(Side::Writer));
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!reader.is_finished() && !writer.is_finished());
        assert_eq!(kick.code(), None);
        kick.close_with(4008);
        kick.close_with(1000);
        let woke = tokio::time::timeout(Duration::from_secs(5), async {
            reader.await.unwrap();
            writer.await.unwrap();
        });
        assert!(woke.await.is_ok(), "a kicked side did not wake");
        assert_eq!(kick.code(), Some(4008));
        // Already kicked: a new wait completes at once.
        kick.wait(Side::Writer).await;
    }

    #[tokio::test]
    async fn a_full_queue_kicks_the_connection_as_too_slow() {
        let (outbox, inbox) = Outbox::new();
        let mut taken = Burst::default();
        // Frames the writer took no longer count.
        assert!(outbox.send(Frame::from("first")));
        assert!(inbox.recv_all(&mut taken).await);
        assert_eq!(taken.frames, [Frame::from("first")]);
        for _ in 0..QUEUE_CAPACITY {
            assert!(outbox.send(Frame::from("x")));
        }
        assert!(!outbox.send(Frame::from("x")));
        assert_eq!(outbox.kick().code(), Some(crate::protocol::close::TOO_SLOW));
        assert!(
            !outbox.send(Frame::from("x")),
            "a kicked connection takes nothing"
        );
        // Kicked: the writer stops waiting. Too slow, it drops what was queued (nothing of
        // it was begun on the wire) and writes only its close frame.
        assert!(!inbox.recv_all(&mut Burst::default()).await);
        assert!(!inbox.take(&mut Burst::default()));
        assert_eq!(outbox.backlog(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_writer_wakes_for_each_burst_and_gets_frames_in_order() {
        let (outbox, inbox) = Outbox::new();
        let writer = tokio::spawn(async move {
            let mut got = Vec::new();
            let mut burst = Burst::default();
            while got.len() < 300 {
                assert!(inbox.recv_all(&mut burst).await);
                got.extend(burst.frames.drain(..));
            }
            (got, inbox)
        });
        for i in 0..300 {
            assert!(outbox.send(Frame::from(i.to_string())));
            if i % 7 == 0 {
                tokio::task::yield_now().await;
            }
        }
        let (got, inbox) = tokio::time::timeout(Duration::from_secs(5), writer)
            .await
            .expect("the writer was woken for every burst")
            .expect("the writer ran");
        let expected: Vec<Frame> = (0..300).map(|i| Frame::from(i.to_string())).collect();
        assert_eq!(got, expected);
        drop(inbox);
        assert!(!outbox.send(Frame::from("late")), "no writer, no queue");
        assert_eq!(outbox.kick().code(), None);
    }

    #[test]
    fn the_answer_that_ends_the_readers_pause_wakes_it() {
        struct Flag(AtomicBool);
        impl futures_util::task::ArcWake for Flag {
            fn wake_by_ref(flag: &Arc<Flag>) {
                flag.0.store(true, Ordering::Release);
            }
        }
        let (outbox, _inbox) = Outbox::new();
        let flag = Arc::new(Flag(AtomicBool::new(false)));
        outbox
            .kick()
            .reader
            .register(&futures_util::task::waker(flag.clone()));
        for _ in 0..=READ_PAUSE {
            outbox.command_sent();
        }
        outbox.answered();
        assert!(!flag.0.load(Ordering::Acquire), "still paused");
        outbox.answered();
        assert!(flag.0.load(Ordering::Acquire), "no longer paused");
    }
}
