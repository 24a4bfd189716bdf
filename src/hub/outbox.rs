//! A connection's bounded outgoing queue, and the switch that closes it.
//!
//! The workshop actor never waits on a client: it `try_send`s an already-encoded frame and,
//! when the queue is full, marks the connection "too slow" instead. The connection's writer
//! then closes the socket with `close::TOO_SLOW` and the client resumes from its last `seq`.

use futures_util::task::AtomicWaker;
use std::future::Future;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;
use std::task::Poll;
use tokio::sync::mpsc;
use tungstenite::Utf8Bytes;

/// An encoded text frame. Cloning shares the buffer: an event is encoded once for all.
pub type Frame = Utf8Bytes;

/// How many frames may wait for one client before it is disconnected as too slow.
pub const QUEUE_CAPACITY: usize = 1024;

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
    tx: mpsc::Sender<Frame>,
    pub kick: Arc<Kick>,
}

impl Outbox {
    pub fn new() -> (Outbox, mpsc::Receiver<Frame>) {
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        (
            Outbox {
                tx,
                kick: Arc::new(Kick::default()),
            },
            rx,
        )
    }

    /// Queues a frame without waiting. Returns `false` when the connection is gone or was
    /// just marked too slow; the caller then forgets it.
    pub fn send(&self, frame: Frame) -> bool {
        if self.kick.code().is_some() {
            return false;
        }
        match self.tx.try_send(frame) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                crate::metrics::slow_client_disconnected();
                self.kick.close_with(crate::protocol::close::TOO_SLOW);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
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
        let (outbox, _rx) = Outbox::new();
        for _ in 0..QUEUE_CAPACITY {
            assert!(outbox.send(Frame::from("x")));
        }
        assert!(!outbox.send(Frame::from("x")));
        assert_eq!(outbox.kick.code(), Some(crate::protocol::close::TOO_SLOW));
        assert!(
            !outbox.send(Frame::from("x")),
            "a kicked connection takes nothing"
        );
    }
}
