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

use futures_util::task::AtomicWaker;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicU16, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Poll;
use tungstenite::Utf8Bytes;

/// An encoded text frame. Cloning shares the buffer: an event is encoded once for all.
pub type Frame = Utf8Bytes;

/// How many frames may wait for one client (beyond those its writer is already sending)
/// before it is disconnected as too slow.
pub const QUEUE_CAPACITY: usize = 1024;

/// Slots the writer keeps between bursts; a larger buffer (after a burst) is let go, so
/// an idle connection holds at most two buffers this small.
const KEPT_SLOTS: usize = 8;

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
    closed: bool,
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

    pub fn kick(&self) -> &Kick {
        &self.shared.kick
    }

    /// Queues a frame without waiting. Returns `false` when the connection is gone or was
    /// just marked too slow; the caller then forgets it.
    pub fn send(&self, frame: Frame) -> bool {
        let kick = &self.shared.kick;
        if kick.code().is_some() {
            return false;
        }
        let mut queue = self.shared.queue();
        if queue.closed {
            return false;
        }
        if queue.frames.len() >= QUEUE_CAPACITY {
            drop(queue);
            crate::metrics::slow_client_disconnected();
            kick.close_with(crate::protocol::close::TOO_SLOW);
            return false;
        }
        let was_empty = queue.frames.is_empty();
        queue.frames.push_back(frame);
        drop(queue);
        // A queue that held frames already woke the writer, which has not taken them yet.
        if was_empty {
            kick.writer.wake();
        }
        true
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
        let _was_zero =
            self.shared
                .in_flight
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
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
    /// `false` once the connection is kicked, whatever is queued (see `take`).
    pub fn recv_all<'a>(
        &'a self,
        into: &'a mut VecDeque<Frame>,
    ) -> impl Future<Output = bool> + 'a {
        std::future::poll_fn(move |cx| {
            // Registered before the checks, so a frame or kick in between still wakes.
            self.shared.kick.writer.register(cx.waker());
            if self.shared.kick.code().is_some() {
                return Poll::Ready(false);
            }
            if self.take(into) {
                Poll::Ready(true)
            } else {
                Poll::Pending
            }
        })
    }

    /// Moves every queued frame into `into` (empty on entry); whether there were any.
    pub fn take(&self, into: &mut VecDeque<Frame>) -> bool {
        debug_assert!(into.is_empty());
        if into.capacity() > KEPT_SLOTS {
            *into = VecDeque::new();
        }
        let mut queue = self.shared.queue();
        if queue.frames.is_empty() {
            return false;
        }
        // The queue keeps the writer's (empty, small) buffer for the next frames.
        std::mem::swap(&mut queue.frames, into);
        true
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        let mut queue = self.shared.queue();
        queue.closed = true;
        queue.frames = VecDeque::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let mut taken = VecDeque::new();
        // Frames the writer took no longer count.
        assert!(outbox.send(Frame::from("first")));
        assert!(inbox.recv_all(&mut taken).await);
        assert_eq!(taken, [Frame::from("first")]);
        for _ in 0..QUEUE_CAPACITY {
            assert!(outbox.send(Frame::from("x")));
        }
        assert!(!outbox.send(Frame::from("x")));
        assert_eq!(outbox.kick().code(), Some(crate::protocol::close::TOO_SLOW));
        assert!(
            !outbox.send(Frame::from("x")),
            "a kicked connection takes nothing"
        );
        // Kicked: the writer stops waiting, and may still take what was queued.
        assert!(!inbox.recv_all(&mut VecDeque::new()).await);
        let mut rest = VecDeque::new();
        assert!(inbox.take(&mut rest));
        assert_eq!(rest.len(), QUEUE_CAPACITY);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_writer_wakes_for_each_burst_and_gets_frames_in_order() {
        let (outbox, inbox) = Outbox::new();
        let writer = tokio::spawn(async move {
            let mut got = Vec::new();
            let mut burst = VecDeque::new();
            while got.len() < 300 {
                assert!(inbox.recv_all(&mut burst).await);
                got.extend(burst.drain(..));
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
}
