//! The connection's one timer: the keep-alive ping, the idle close and the write timeout
//! share a single `Sleep`, set to the earliest of their deadlines, which are plain
//! `Instant`s. Three timers side by side (a ping `Sleep`, a `timeout` around each read and
//! one around each wait for the socket) took room for three in every connection's task.
//!
//! The writer owns the timer. The reader tells it, through `Heartbeat`, since when it has
//! been waiting for the client's next frame; when the idle deadline passes, the writer
//! raises `Heartbeat::idle` and the reader, polled right after it in the same task, ends
//! the connection with `close::IDLE`.

use crate::hub::limits::Limits;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

/// What the reader shares with the writer's timer.
#[derive(Default)]
pub struct Heartbeat {
    /// Since when the reader waits for a frame; `None` while it handles one (or waits
    /// for the writer to catch up), time that does not count as silence.
    listening: Mutex<Option<Instant>>,
    /// The client said nothing for `idle_timeout`.
    idle: AtomicBool,
}

impl Heartbeat {
    /// The reader starts waiting for the client's next frame.
    pub fn listen(&self) {
        *self.lock() = Some(Instant::now());
    }

    /// A frame arrived: the silence ends.
    pub fn heard(&self) {
        *self.lock() = None;
    }

    pub fn is_idle(&self) -> bool {
        self.idle.load(Ordering::Relaxed)
    }

    fn listening(&self) -> Option<Instant> {
        *self.lock()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.listening
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// What a deadline's passing calls for.
#[derive(Debug, PartialEq, Eq)]
pub enum Lapse {
    /// Time to ping the client.
    Ping,
    /// The client was silent for `idle_timeout`.
    Idle,
    /// A wait for the socket took `write_timeout`.
    Stalled,
    /// Nothing yet: a deadline moved (the reader heard from the client).
    Early,
}

/// The deadlines, without the timer.
#[derive(Debug)]
pub struct Deadlines<'l> {
    limits: &'l Limits,
    next_ping: Instant,
    /// When to look at the reader's silence next.
    idle_check: Instant,
    /// When the current wait for the socket gives up; `None` while not waiting.
    write_until: Option<Instant>,
}

impl<'l> Deadlines<'l> {
    pub fn new(limits: &'l Limits, now: Instant) -> Deadlines<'l> {
        Deadlines {
            limits,
            next_ping: now + limits.ping_interval,
            idle_check: now + limits.idle_timeout,
            write_until: None,
        }
    }

    /// When the timer is to wake. No ping in the middle of a write: it goes out after.
    pub fn earliest(&self) -> Instant {
        match self.write_until {
            Some(until) => until.min(self.idle_check),
            None => self.next_ping.min(self.idle_check),
        }
    }

    /// What is due at `now`, the reader waiting since `listening`; moves on the
    /// deadline it reports.
    pub fn lapse(&mut self, now: Instant, listening: Option<Instant>) -> Lapse {
        let idle_timeout = self.limits.idle_timeout;
        if self.write_until.is_some_and(|until| now >= until) {
            self.write_until = None;
            return Lapse::Stalled;
        }
        if now >= self.idle_check {
            match listening {
                Some(since) if now >= since + idle_timeout => {
                    self.idle_check = now + idle_timeout;
                    return Lapse::Idle;
                }
                Some(since) => self.idle_check = since + idle_timeout,
                // Looked at again `idle_timeout` from now: the reader will listen since
                // later than now, so this comes before its deadline, never after.
                None => self.idle_check = now + idle_timeout,
            }
        }
        if self.write_until.is_none() && now >= self.next_ping {
            self.next_ping = now + self.limits.ping_interval;
            return Lapse::Ping;
        }
        Lapse::Early
    }

    /// A wait for the socket begins at `now`.
    pub fn begin_wait(&mut self, now: Instant) {
        self.write_until = Some(now + self.limits.write_timeout);
    }

    pub fn end_wait(&mut self) {
        self.write_until = None;
    }
}

/// The timer and its deadlines, as the writer holds them.
pub struct Liveness<'l, 's> {
    sleep: Pin<&'s mut Sleep>,
    deadlines: Deadlines<'l>,
    heartbeat: &'s Heartbeat,
}

impl<'l, 's> Liveness<'l, 's> {
    pub fn new(
        mut sleep: Pin<&'s mut Sleep>,
        limits: &'l Limits,
        heartbeat: &'s Heartbeat,
    ) -> Liveness<'l, 's> {
        let deadlines = Deadlines::new(limits, Instant::now());
        sleep.as_mut().reset(deadlines.earliest());
        Liveness {
            sleep,
            deadlines,
            heartbeat,
        }
    }

    /// Waits for the next deadline and reports it. An idle client is reported to the
    /// reader here too (`Heartbeat::idle`). Cancel-safe.
    async fn lapse(&mut self) -> Lapse {
        self.sleep.as_mut().await;
        let listening = self.heartbeat.listening();
        let lapse = self.deadlines.lapse(Instant::now(), listening);
        if lapse == Lapse::Idle {
            self.heartbeat.idle.store(true, Ordering::Relaxed);
        }
        self.rearm();
        lapse
    }

    /// Completes when a ping is due.
    pub async fn ping_due(&mut self) {
        while self.lapse().await != Lapse::Ping {}
    }

    fn rearm(&mut self) {
        let earliest = self.deadlines.earliest();
        if self.sleep.deadline() != earliest {
            self.sleep.as_mut().reset(earliest);
        }
    }
}

/// How a writer waits for the socket to take more.
pub trait WriteWait {
    /// Whether the socket may be written; `false`: give up.
    fn writable<'a>(&'a mut self, tcp: &'a TcpStream) -> impl Future<Output = bool> + Send + 'a;
}

/// A writer lends its way of waiting to each write (`&mut liveness`).
impl<W: WriteWait + Send + ?Sized> WriteWait for &mut W {
    fn writable<'a>(&'a mut self, tcp: &'a TcpStream) -> impl Future<Output = bool> + Send + 'a {
        W::writable(&mut **self, tcp)
    }
}

/// The connection's writer: each wait bounded by `write_timeout`, on the shared timer.
impl WriteWait for Liveness<'_, '_> {
    async fn writable(&mut self, tcp: &TcpStream) -> bool {
        self.deadlines.begin_wait(Instant::now());
        self.rearm();
        let ready = loop {
            tokio::select! {
                biased;
                ready = super::wire::writable(tcp) => break ready.is_ok(),
                lapse = self.lapse() => if lapse == Lapse::Stalled { break false },
            }
        };
        self.deadlines.end_wait();
        self.rearm();
        ready
    }
}

/// A writer without a connection's timer (the handshake's refusals): `timeout` itself.
impl WriteWait for std::time::Duration {
    fn writable<'a>(&'a mut self, tcp: &'a TcpStream) -> impl Future<Output = bool> + Send + 'a {
        let timeout = tokio::time::timeout(*self, super::wire::writable(tcp));
        async move { matches!(timeout.await, Ok(Ok(()))) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn limits() -> Limits {
        Limits {
            ping_interval: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(60),
            write_timeout: Duration::from_secs(10),
            ..Limits::default()
        }
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    /// Checks what each time (seconds after `t0`) calls for.
    fn expect(
        d: &mut Deadlines<'_>,
        t0: Instant,
        listening: Option<Instant>,
        steps: &[(u64, Lapse)],
    ) {
        for (at, lapse) in steps {
            assert_eq!(&d.lapse(t0 + secs(*at), listening), lapse, "at {at} s");
        }
    }

    #[test]
    fn pings_every_interval_and_closes_after_the_idle_timeout_of_silence() {
        let limits = limits();
        let t0 = Instant::now();
        let mut d = Deadlines::new(&limits, t0);
        assert_eq!(d.earliest(), t0 + secs(20));
        // The ping due with the idle deadline comes right after.
        let steps = [
            (20, Lapse::Ping),
            (40, Lapse::Ping),
            (60, Lapse::Idle),
            (60, Lapse::Ping),
        ];
        expect(&mut d, t0, Some(t0), &steps);
    }

    #[test]
    fn a_frame_moves_the_idle_deadline() {
        let limits = limits();
        let t0 = Instant::now();
        let mut d = Deadlines::new(&limits, t0);
        // Heard at 30 s; listening again since.
        let pings = [20, 40, 60, 80].map(|at| (at, Lapse::Ping));
        expect(&mut d, t0, Some(t0 + secs(30)), &pings);
        assert_eq!(d.earliest(), t0 + secs(90));
        expect(&mut d, t0, Some(t0 + secs(30)), &[(90, Lapse::Idle)]);
    }

    #[test]
    fn time_the_reader_does_not_listen_is_not_silence() {
        let limits = Limits {
            ping_interval: secs(1000),
            ..limits()
        };
        let t0 = Instant::now();
        let mut d = Deadlines::new(&limits, t0);
        // Busy with a frame at the idle deadline: looked at again a timeout later.
        assert_eq!(d.lapse(t0 + secs(60), None), Lapse::Early);
        assert_eq!(d.earliest(), t0 + secs(120));
        // Listening since 70 s: silent until 130 s, not 120 s.
        let listening = Some(t0 + secs(70));
        assert_eq!(d.lapse(t0 + secs(120), listening), Lapse::Early);
        assert_eq!(d.earliest(), t0 + secs(130));
        assert_eq!(d.lapse(t0 + secs(130), listening), Lapse::Idle);
    }

    #[test]
    fn each_wait_for_the_socket_has_the_write_timeout_and_holds_the_ping_back() {
        let limits = limits();
        let t0 = Instant::now();
        let mut d = Deadlines::new(&limits, t0);
        let listening = Some(t0);
        d.begin_wait(t0 + secs(5));
        assert_eq!(d.earliest(), t0 + secs(15));
        d.end_wait();
        // A new wait has its own timeout; the ping due meanwhile waits for its end.
        d.begin_wait(t0 + secs(15));
        assert_eq!(d.earliest(), t0 + secs(25));
        assert_eq!(d.lapse(t0 + secs(24), listening), Lapse::Early);
        assert_eq!(d.lapse(t0 + secs(25), listening), Lapse::Stalled);
        assert_eq!(d.earliest(), t0 + secs(20));
        assert_eq!(d.lapse(t0 + secs(25), listening), Lapse::Ping);
        assert_eq!(d.earliest(), t0 + secs(45));
    }
}
