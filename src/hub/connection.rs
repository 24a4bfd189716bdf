//! One WebSocket connection: the `hello` handshake, the reader that forwards commands to
//! the workshop actor, and the writer that drains the bounded outgoing queue, in one task.
//!
//! The connection speaks RFC 6455 itself over the upgraded `TcpStream` (`frames.rs`: the
//! frame parser and headers; `wire.rs`: the socket I/O), so that an idle connection holds
//! no read or write buffer: reads go through a buffer on the worker thread's stack, and
//! each burst of queued frames is written with one `sendmsg` of their headers and their
//! shared, already-encoded payloads. Each wait for the socket has `Limits::write_timeout`,
//! so a slow but steady reader gets a long frame however long it takes, and a stalled one
//! is dropped. Ping/pong keeps dead connections from lingering. The connection never
//! touches workshop state: it only parses frames, forwards commands and writes what the
//! actor queued.
//!
//! Flood control (`limits.rs`) happens here, before the actor: every frame counts (text,
//! binary, ping, pong); a command over the connection's or the participant's rate is
//! answered `rate_limited` and dropped; too many of those close the connection with
//! `close::FLOODING`.
//!
//! A frame that breaks RFC 6455 closes the connection with the code of its §7.4.1: 1007 for
//! a text message that is not UTF-8, 1002 for a protocol error (an unmasked client frame,
//! reserved bits, an unknown opcode, a stray continuation), 1009 for one too long.

mod frames;
mod liveness;
mod wire;

pub(super) use wire::try_write_queued;

use super::limits::{ConnectionLimiter, Limits, Slot, Verdict};
use super::outbox::{Burst, Frame, Inbox, Outbox, Side, READ_PAUSE};
use super::{now_ms, Hub, HubError, Msg, Reply, WorkshopHandle};
use crate::domain::ParticipantId;
use crate::protocol::{self, close, error_frame, ErrorCode, Hello, MAX_MESSAGE_BYTES};
use frames::Incoming;
pub use frames::{INVALID_PAYLOAD, PROTOCOL_ERROR};
use hyper::body::Bytes;
use liveness::{Heartbeat, Liveness};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::{oneshot, Notify};
use tokio::time::timeout;
use tracing::Instrument;
use wire::{ReadError, Reader};

/// How long a closing connection waits for its writer to drain.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
/// After its close frame, how long the server keeps reading (and discarding) what the
/// client still sends, until the client's own close.
const LINGER: Duration = Duration::from_secs(2);

fn close_reason(code: u16) -> &'static str {
    match code {
        close::MESSAGE_TOO_BIG => "message too big",
        INVALID_PAYLOAD => "text frames must be UTF-8",
        PROTOCOL_ERROR => "WebSocket protocol error",
        close::BAD_HELLO => "expected a valid hello first",
        close::UNAUTHORIZED => "unknown or revoked token",
        close::IDLE => "no sign of life",
        close::REMOVED => "removed from the workshop",
        close::ERASED => "the workshop was erased",
        close::TOO_SLOW => "too slow: reconnect and resume",
        close::RESTARTING => "server restarting: reconnect and resume",
        close::FLOODING => "too many commands: slow down",
        close::TOO_MANY_CONNECTIONS => "too many connections for this participant",
        _ => "",
    }
}

/// What the reader asks the writer to send besides the queued frames: the pong owed for
/// the client's last ping (RFC 6455 §5.5.3: answering the most recent one is enough); and
/// what they share about the client's silence.
#[derive(Default)]
struct Control {
    pong: Mutex<Option<Vec<u8>>>,
    wake: Notify,
    heartbeat: Heartbeat,
}

impl Control {
    fn owe_pong(&self, payload: Vec<u8>) {
        *self.pong.lock().unwrap_or_else(PoisonError::into_inner) = Some(payload);
        self.wake.notify_one();
    }

    fn take_pong(&self) -> Option<Vec<u8>> {
        self.pong
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

/// Serves one upgraded socket until it closes. `read_ahead`: bytes the HTTP server read
/// past the upgrade request.
pub async fn serve(tcp: TcpStream, read_ahead: Bytes, hub: Arc<Hub>) {
    crate::metrics::connection_opened();
    // Shared with the outbox once subscribed, for its direct writes.
    let tcp = Arc::new(tcp);
    let mut reader = Reader::new(&read_ahead, MAX_MESSAGE_BYTES);
    drop(read_ahead);
    // Filled in once `hello` names the participant; never the token.
    let span = tracing::info_span!(
        "connection",
        conn = tracing::field::Empty,
        workshop = tracing::field::Empty,
        participant = tracing::field::Empty,
    );
    // The refusal is written and logged inside the span: the task keeps one span, not a
    // second clone for after it.
    async {
        if let Err(code) = session(&hub, &tcp, &mut reader).await {
            let frame = frames::close_frame(code, close_reason(code));
            let wait = hub.guards.limits.write_timeout;
            let _peer_may_be_gone = Box::pin(wire::write_control(&tcp, &frame, wait)).await;
            tracing::info!(close = code, "connection refused or closed");
        }
    }
    .instrument(span)
    .await;
    reader.linger(&tcp, LINGER).await;
    crate::metrics::connection_closed();
}

/// A connection past its `hello`: subscribed to its workshop.
struct Joined<'h> {
    workshop: WorkshopHandle,
    participant: ParticipantId,
    conn: u64,
    outbox: Outbox,
    inbox: Inbox,
    slot: Slot<'h>,
}

/// Runs the handshake, then the connection. Errors are the close code to send.
async fn session(hub: &Arc<Hub>, tcp: &Arc<TcpStream>, reader: &mut Reader) -> Result<(), u16> {
    // Boxed: the handshake (reading `hello`, the token's look-up, which may read the
    // store, the subscription) is a large future needed once; kept inline, it would size
    // every connection's task for its whole life.
    let joined = match Box::pin(handshake(hub, tcp, reader)).await {
        Ok(joined) => joined,
        Err(None) => return Ok(()),
        Err(Some(code)) => return Err(code),
    };
    let Joined {
        workshop,
        participant,
        conn,
        outbox,
        inbox,
        slot,
    } = joined;
    outbox.attach(tcp.clone());
    let limits = &hub.guards.limits;
    let control = Control::default();
    let writing = write_loop(tcp, inbox, &control, limits);
    tokio::pin!(writing);
    let reading = read_loop(
        hub,
        tcp,
        reader,
        &workshop,
        participant,
        &outbox,
        &control,
        &slot,
    );
    // Biased, the writer first: see `caught_up`.
    let close_code = tokio::select! {
        biased;
        () = &mut writing => {
            let (done, _) = oneshot::channel();
            let unsubscribe = workshop.send(Msg::Unsubscribe { conn, done });
            let _actor_may_be_gone = Box::pin(unsubscribe).await;
            None
        }
        end = reading => {
            // Boxed, as the handshake: needed once, at the end.
            Box::pin(finish(&workshop, conn, &outbox, end, writing.as_mut())).await
        }
    };
    let close = close_code.or_else(|| outbox.kick().code());
    tracing::info!(close, "disconnected");
    Ok(())
}

/// The reader ended with close code `end`: unsubscribes (every command this connection
/// sent is answered before it closes), then lets the writer drain and close.
async fn finish(
    workshop: &WorkshopHandle,
    conn: u64,
    outbox: &Outbox,
    end: u16,
    writing: std::pin::Pin<&mut impl std::future::Future<Output = ()>>,
) -> Option<u16> {
    let (done, unsubscribed) = oneshot::channel();
    if workshop.send(Msg::Unsubscribe { conn, done }).await.is_ok() {
        let _actor_may_be_gone = unsubscribed.await;
    }
    outbox.kick().close_with(end);
    let close_code = outbox.kick().code();
    let _stalled_writer = timeout(DRAIN_TIMEOUT, writing).await;
    close_code
}

/// Reads `hello`, authenticates its token and subscribes the connection. Errors: the
/// close code to send, or `None` when the client is simply gone.
async fn handshake<'h>(
    hub: &'h Arc<Hub>,
    tcp: &TcpStream,
    reader: &mut Reader,
) -> Result<Joined<'h>, Option<u16>> {
    let limits = &hub.guards.limits;
    let mut shutdown = hub.shutdown_signal();
    let first = tokio::select! {
        first = timeout(limits.hello_timeout, reader.next(tcp)) => first,
        _ = shutdown.changed() => return Err(Some(close::RESTARTING)),
    };
    let text = match first {
        Ok(Ok(Incoming::Text(text))) => text,
        Ok(Err(ReadError::Code(code))) => return Err(Some(code)),
        Ok(Err(ReadError::Gone)) => return Err(None),
        Ok(Ok(Incoming::Close)) => return Err(Some(1000)),
        Ok(Ok(_)) | Err(_) => return Err(Some(close::BAD_HELLO)),
    };
    let (token, last_seq) = match serde_json::from_str::<Hello>(&text) {
        Ok(Hello::Hello { token, last_seq }) => (token, last_seq),
        Err(e) => {
            let frame = error_frame(None, ErrorCode::Invalid, &format!("bad hello: {e}"));
            let mut frames = Burst::from(Frame::from(frame));
            let _peer_may_be_gone =
                wire::write_frames(tcp, &mut frames, limits.write_timeout).await;
            return Err(Some(close::BAD_HELLO));
        }
    };
    drop(text);
    let refused = |e| Some(refusal(e));
    let (workshop, participant) = hub.authenticate(&token).await.map_err(refused)?;
    let conn = hub.next_conn_id();
    let Some(slot) = hub.guards.connect(participant, conn) else {
        crate::metrics::flood_closed();
        tracing::info!(%participant, "refused: too many connections");
        return Err(Some(close::TOO_MANY_CONNECTIONS));
    };
    let (outbox, inbox) = Outbox::new();
    let span = tracing::Span::current();
    span.record("conn", conn);
    span.record("workshop", tracing::field::display(workshop.id));
    span.record("participant", tracing::field::display(participant));
    let (reply, subscribed) = oneshot::channel();
    workshop
        .send(Msg::Subscribe {
            conn,
            participant,
            last_seq,
            outbox: outbox.clone(),
            reply,
        })
        .await
        .map_err(refused)?;
    subscribed
        .await
        .map_err(|_| Some(close::RESTARTING))?
        .map_err(refused)?;
    tracing::info!("connected");
    Ok(Joined {
        workshop,
        participant,
        conn,
        outbox,
        inbox,
        slot,
    })
}

fn refusal(e: HubError) -> u16 {
    match e.code {
        ErrorCode::Unauthorized | ErrorCode::NotFound => close::UNAUTHORIZED,
        _ => close::RESTARTING,
    }
}

/// Reads client frames until the client leaves, misbehaves or the server stops.
/// Returns the close code to end the connection with.
#[allow(clippy::too_many_arguments)]
async fn read_loop(
    hub: &Hub,
    tcp: &TcpStream,
    reader: &mut Reader,
    workshop: &WorkshopHandle,
    participant: ParticipantId,
    outbox: &Outbox,
    control: &Control,
    slot: &Slot<'_>,
) -> u16 {
    let mut limiter = ConnectionLimiter::new();
    // This connection's audio, opened by its first audio message.
    let mut audio = None;
    loop {
        let next = tokio::select! {
            next = async {
                caught_up(outbox).await;
                control.heartbeat.listen();
                reader.next(tcp).await
            } => next,
            // Set by the writer, polled just before in the same task (see `liveness`).
            code = std::future::poll_fn(|cx| {
                if control.heartbeat.is_idle() {
                    return std::task::Poll::Ready(close::IDLE);
                }
                slot.poll_shutdown(cx).map(|()| close::RESTARTING)
            }) => return code,
            () = outbox.kick().wait(Side::Reader) => return outbox.kick().code().unwrap_or(close::RESTARTING),
        };
        control.heartbeat.heard();
        let message = match next {
            Ok(Incoming::Close) | Err(ReadError::Gone) => return 1000,
            Err(ReadError::Code(code)) => return code,
            Ok(message) => message,
        };
        // Every frame counts against the rates, whatever it carries.
        let verdict = limiter.check(&hub.guards, participant);
        let text = match message {
            Incoming::Text(text) => text,
            Incoming::Binary => {
                if let Verdict::Pass = verdict {
                    let frame = error_frame(
                        None,
                        ErrorCode::Invalid,
                        "send JSON text frames, not binary",
                    );
                    outbox.send(frame.into());
                    continue;
                }
                // Refused like a command: answered `rate_limited` below.
                String::new()
            }
            ping_or_pong => {
                if let Verdict::Close(_) = verdict {
                    crate::metrics::flood_closed();
                    tracing::info!(%participant, "closed: flooding");
                    return close::FLOODING;
                }
                if let Incoming::Ping(payload) = ping_or_pong {
                    control.owe_pong(payload);
                }
                // Not answered otherwise: an error frame for each would amplify the flood.
                continue;
            }
        };
        // Boxed: a command's handling holds the parsed command (hundreds of bytes) while
        // it waits for the actor's inbox; inline, every idle connection would keep room
        // for it.
        let handled = on_text(
            hub,
            workshop,
            participant,
            outbox,
            &mut audio,
            verdict,
            text,
        );
        if let Some(code) = Box::pin(handled).await {
            return code;
        }
    }
}

/// Completes once the connection's queue holds fewer than `READ_PAUSE` frames and fewer
/// than `READ_PAUSE` of its commands wait for their answer. A client that pipelines
/// commands faster than it reads their answers is slowed down by TCP (its commands wait
/// in the socket) instead of filling its queue and being closed as too slow. No waker is
/// registered: the writer runs in the same task and is polled first (`session`'s biased
/// `select!`), so the task is polled again whenever the writer can progress (the socket
/// became writable, or an answer arrived in an empty queue); an answer written directly
/// wakes the reader instead when it ends the pause (`Outbox::answered`).
fn caught_up(outbox: &Outbox) -> impl std::future::Future<Output = ()> + '_ {
    std::future::poll_fn(move |_| {
        let answers_owed = usize::try_from(outbox.in_flight()).unwrap_or(usize::MAX);
        if outbox.backlog() < READ_PAUSE && answers_owed < READ_PAUSE {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
}

/// Handles one text message: refused over the rates, or forwarded to the actor (or the
/// audio rooms), or answered with an error. Returns the close code if the connection is
/// to end.
async fn on_text(
    hub: &Hub,
    workshop: &WorkshopHandle,
    participant: ParticipantId,
    outbox: &Outbox,
    audio: &mut Option<crate::audio::AudioConn>,
    verdict: Verdict,
    text: String,
) -> Option<u16> {
    let parsed = protocol::parse_message(&text);
    drop(text);
    if let Verdict::Refuse(refused) | Verdict::Close(refused) = verdict {
        crate::metrics::rate_limited("commands");
        let id = match &parsed {
            Ok((id, _)) => Some(id.as_str()),
            Err(rejected) => rejected.id.as_deref(),
        };
        let message = format!(
            "too many commands: retry in {} ms with the same id",
            refused.retry_after.as_millis().max(1)
        );
        outbox.send(error_frame(id, ErrorCode::RateLimited, &message).into());
        if matches!(verdict, Verdict::Close(_)) {
            crate::metrics::flood_closed();
            tracing::info!(%participant, "closed: flooding");
            return Some(close::FLOODING);
        }
        return None;
    }
    match parsed {
        Ok((id, protocol::ClientMessage::Audio(message))) => {
            let on = crate::audio::on_message;
            on(hub, audio, workshop, participant, outbox, id, message).await;
        }
        Ok((id, protocol::ClientMessage::Command(command))) => {
            let msg = Msg::Command {
                from: participant,
                id,
                command: command.into_domain(now_ms()),
                reply: Reply::Socket(outbox.clone()),
            };
            outbox.command_sent();
            if workshop.send(msg).await.is_err() {
                return Some(close::RESTARTING);
            }
        }
        Err(rejected) => {
            let frame = error_frame(rejected.id.as_deref(), rejected.code, &rejected.message);
            outbox.send(frame.into());
        }
    }
    None
}

/// The server's keep-alive ping, empty.
const PING: [u8; 2] = [0x89, 0x00];

/// Writes queued frames, one `sendmsg` per burst when the socket takes it, until kicked;
/// then what is still queued and the close frame. Pings the client, and keeps the
/// connection's one timer (`liveness`): each wait for the socket has `write_timeout`, and
/// a silent client is reported to the reader.
async fn write_loop(tcp: &TcpStream, inbox: Inbox, control: &Control, limits: &Limits) {
    // A sleep reset for each deadline rather than an `Interval`, which boxes its sleep: one
    // allocation less per connection.
    let sleep = tokio::time::sleep(limits.ping_interval);
    tokio::pin!(sleep);
    let mut liveness = Liveness::new(sleep, limits, &control.heartbeat);
    let mut frames = Burst::default();
    loop {
        let queued = tokio::select! {
            biased;
            queued = inbox.recv_all(&mut frames) => queued,
            () = control.wake.notified() => {
                if let Some(payload) = control.take_pong() {
                    let pong = frames::control(0xa, &payload);
                    if !wire::write_control_in_turn(tcp, &inbox, &mut frames, &pong, &mut liveness).await { return; }
                }
                continue;
            }
            () = liveness.ping_due() => {
                if !wire::write_control_in_turn(tcp, &inbox, &mut frames, &PING, &mut liveness).await { return; }
                continue;
            }
        };
        if !queued {
            break;
        }
        if !wire::write_frames(tcp, &mut frames, &mut liveness).await {
            return;
        }
    }
    let code = inbox.kick().code().unwrap_or(1000);
    // Deliver what is already queued (the last acks; too slow, only a frame begun) before
    // saying goodbye.
    let frame = frames::close_frame(code, close_reason(code));
    let _peer_may_be_gone =
        wire::write_control_in_turn(tcp, &inbox, &mut frames, &frame, &mut liveness).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task_size<F, Fut>(_: F) -> usize
    where
        F: FnOnce(TcpStream, Bytes, Arc<Hub>) -> Fut,
    {
        std::mem::size_of::<Fut>()
    }

    /// What every connection's task keeps for its whole life: the handshake is boxed and
    /// freed, the reader's and writer's rarely used parts are boxed, one timer serves
    /// ping, idle and write deadlines, the rate limit is one `u64` and the shutdown wait a
    /// waker kept by the hub, so an idle connection holds a small task: 1,464 bytes in
    /// debug builds, 1,456 in release (1,896 and 1,880 before issue #19's last round; 2,680
    /// with tokio-tungstenite; docs/BENCHMARKS.md). The bound leaves a little margin.
    #[test]
    fn the_connection_task_stays_small() {
        let size = task_size(serve);
        println!("connection::serve future: {size} bytes");
        assert!(size <= 1600, "{size} bytes");
    }
}
