//! A connection's bounded outgoing queue, and the switch that closes it.
//!
//! The workshop actor never waits on a client: it `try_send`s an already-encoded frame and,
//! when the queue is full, marks the connection "too slow" instead. The connection's writer
//! then closes the socket with `close::TOO_SLOW` and the client resumes from its last `seq`.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tungstenite::Utf8Bytes;

/// An encoded text frame. Cloning shares the buffer: an event is encoded once for all.
pub type Frame = Utf8Bytes;

/// How many frames may wait for one client before it is disconnected as too slow.
pub const QUEUE_CAPACITY: usize = 1024;

/// Why and how a connection is to be closed: the first code set wins. Both the reader and
/// the writer of the connection wait on it, so it is level-triggered (a cancellation token),
/// not a one-shot wake-up.
#[derive(Default)]
pub struct Kick {
    code: AtomicU16,
    fired: CancellationToken,
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
            self.fired.cancel();
        }
    }

    /// Completes once a close code is set (at once if it already is).
    pub async fn wait(&self) {
        self.fired.cancelled().await
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
