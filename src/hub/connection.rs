//! One WebSocket connection: the `hello` handshake, the reader that forwards commands to
//! the workshop actor, and the writer that drains the bounded outgoing queue.
//!
//! The writer feeds every queued frame and flushes once per burst; each write (a piece of
//! at most `FRAGMENT` bytes, or the flush) has `Limits::write_timeout` to finish, so a slow
//! but steady reader gets a long frame however long it takes, and a stalled one is dropped. A frame longer than
//! `FRAGMENT` (a `welcome` or `snapshot` of a large workshop) goes out as a fragmented
//! message, so the socket's write buffer, which keeps the capacity of the largest piece
//! it ever held, stays small on every idle connection. Ping/pong keeps dead connections
//! from lingering. The connection never touches workshop state: it only parses
//! frames, forwards commands and writes what the actor queued.
//!
//! Flood control (`limits.rs`) happens here, before the actor: every frame counts (text,
//! binary, ping, pong); a command over the connection's or the participant's rate is
//! answered `rate_limited` and dropped; too many of those close the connection with
//! `close::FLOODING`.
//!
//! A frame that breaks RFC 6455 closes the connection with the code of its §7.4.1: 1007 for
//! a text message that is not UTF-8, 1002 for a protocol error (an unmasked client frame,
//! reserved bits, an unknown opcode, a stray continuation), 1009 for one too long.

use super::limits::{ConnectionLimiter, Verdict};
use super::outbox::{Frame, Inbox, Outbox, Side};
use super::{now_ms, Hub, HubError, Msg, Reply, WorkshopHandle};
use crate::domain::ParticipantId;
use crate::protocol::{self, close, error_frame, ErrorCode, Hello};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{oneshot, watch};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame as WireFrame;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self as ws, Bytes, Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;
use tracing::Instrument;

/// RFC 6455 §7.4.1: a text message that is not valid UTF-8.
pub const INVALID_PAYLOAD: u16 = 1007;
/// RFC 6455 §7.4.1: a frame that breaks the protocol.
pub const PROTOCOL_ERROR: u16 = 1002;
/// How long a closing connection waits for its writer to drain.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
/// After its close frame, how long the server keeps reading (and discarding) what the
/// client still sends, until the client's own close. Dropping a socket with unread data
/// makes the kernel reset it, and a reset can destroy the close frame and last answers
/// before the client reads them.
const LINGER: Duration = Duration::from_secs(2);

/// Frames longer than this are sent as a fragmented message of pieces this long.
const FRAGMENT: usize = 2048;

/// An upgraded connection.
pub type Socket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;
type Sink = SplitSink<Socket, Message>;
type Stream = SplitStream<Socket>;

fn close_message(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code: code.into(),
        reason: reason.into(),
    }))
}

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

/// The close code for a read error: what the peer did wrong, or `None` when it is simply
/// gone (reset, end of stream).
fn read_error_code(e: &ws::Error) -> Option<u16> {
    use ws::error::ProtocolError;
    match e {
        ws::Error::Capacity(_) => Some(close::MESSAGE_TOO_BIG),
        ws::Error::Utf8(_) => Some(INVALID_PAYLOAD),
        ws::Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => None,
        ws::Error::Protocol(_) => Some(PROTOCOL_ERROR),
        _ => None,
    }
}

/// Serves one upgraded socket until it closes.
pub async fn serve(socket: Socket, hub: Arc<Hub>) {
    crate::metrics::connection_opened();
    let (mut sink, mut stream) = socket.split();
    let mut shutdown = hub.shutdown_signal();
    // Filled in once `hello` names the participant; never the token.
    let span = tracing::info_span!(
        "connection",
        conn = tracing::field::Empty,
        workshop = tracing::field::Empty,
        participant = tracing::field::Empty,
    );
    let ended = session(&hub, &mut sink, &mut stream, &mut shutdown)
        .instrument(span.clone())
        .await;
    if let Err(code) = ended {
        let _peer_may_be_gone = timeout(
            hub.guards.limits.write_timeout,
            sink.send(close_message(code, close_reason(code))),
        )
        .await;
        span.in_scope(|| tracing::info!(close = code, "connection refused or closed"));
    }
    let _client_may_not_answer = timeout(LINGER, async {
        while let Some(Ok(message)) = stream.next().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
    crate::metrics::connection_closed();
}

/// Runs the handshake, then the connection. Errors are the close code to send.
async fn session(
    hub: &Arc<Hub>,
    sink: &mut Sink,
    stream: &mut Stream,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), u16> {
    let limits = &hub.guards.limits;
    let first = tokio::select! {
        first = timeout(limits.hello_timeout, stream.next()) => first,
        _ = shutdown.changed() => return Err(close::RESTARTING),
    };
    let text = match first {
        Ok(Some(Ok(Message::Text(text)))) => text,
        Ok(Some(Err(e))) => return read_error_code(&e).map_or(Ok(()), Err),
        Ok(None) | Ok(Some(Ok(Message::Close(_)))) => return Ok(()),
        Ok(Some(Ok(_))) | Err(_) => return Err(close::BAD_HELLO),
    };
    let (token, last_seq) = match serde_json::from_str::<Hello>(&text) {
        Ok(Hello::Hello { token, last_seq }) => (token, last_seq),
        Err(e) => {
            let frame = error_frame(None, ErrorCode::Invalid, &format!("bad hello: {e}"));
            let _peer_may_be_gone =
                timeout(limits.write_timeout, sink.send(Message::Text(frame.into()))).await;
            return Err(close::BAD_HELLO);
        }
    };
    // Boxed: the look-up is a large future (it may read the store) needed only once; kept
    // inline, it would size every connection's task for its whole life (3.2 KB of 4.3 KB).
    let (workshop, participant) = Box::pin(hub.authenticate(&token)).await.map_err(refusal)?;
    let Some(_slot) = hub.guards.connect(participant) else {
        crate::metrics::flood_closed();
        tracing::info!(%participant, "refused: too many connections");
        return Err(close::TOO_MANY_CONNECTIONS);
    };
    let (outbox, inbox) = Outbox::new();
    let conn = hub.next_conn_id();
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
        .map_err(refusal)?;
    subscribed
        .await
        .map_err(|_| close::RESTARTING)?
        .map_err(refusal)?;
    tracing::info!("connected");

    let ping_interval = hub.guards.limits.ping_interval;
    let mut writing = Box::pin(write_loop(sink, inbox, ping_interval, limits.write_timeout));
    let reading = read_loop(hub, stream, &workshop, participant, &outbox, shutdown);
    let mut close_code = None;
    tokio::select! {
        end = reading => {
            // Every command this connection sent is answered before it closes.
            let (done, unsubscribed) = oneshot::channel();
            if workshop.send(Msg::Unsubscribe { conn, done }).await.is_ok() {
                let _actor_may_be_gone = unsubscribed.await;
            }
            outbox.kick().close_with(end);
            close_code = outbox.kick().code();
            let _stalled_writer = timeout(DRAIN_TIMEOUT, &mut writing).await;
        }
        () = &mut writing => {
            let (done, _) = oneshot::channel();
            let _actor_may_be_gone = workshop.send(Msg::Unsubscribe { conn, done }).await;
        }
    }
    let close = close_code.or_else(|| outbox.kick().code());
    tracing::info!(close, "disconnected");
    Ok(())
}

fn refusal(e: HubError) -> u16 {
    match e.code {
        ErrorCode::Unauthorized | ErrorCode::NotFound => close::UNAUTHORIZED,
        _ => close::RESTARTING,
    }
}

/// Reads client frames until the client leaves, misbehaves or the server stops.
/// Returns the close code to end the connection with.
async fn read_loop(
    hub: &Hub,
    stream: &mut Stream,
    workshop: &WorkshopHandle,
    participant: ParticipantId,
    outbox: &Outbox,
    shutdown: &mut watch::Receiver<bool>,
) -> u16 {
    let idle_timeout = hub.guards.limits.idle_timeout;
    let mut limiter = ConnectionLimiter::new(&hub.guards.limits);
    // This connection's audio, opened by its first audio message.
    let mut audio = None;
    loop {
        let next = tokio::select! {
            next = timeout(idle_timeout, stream.next()) => next,
            _ = shutdown.changed() => return close::RESTARTING,
            () = outbox.kick().wait(Side::Reader) => return outbox.kick().code().unwrap_or(close::RESTARTING),
        };
        let message = match next {
            Err(_) => return close::IDLE,
            Ok(None) | Ok(Some(Ok(Message::Close(_)))) => return 1000,
            Ok(Some(Err(e))) => return read_error_code(&e).unwrap_or(1000),
            Ok(Some(Ok(message))) => message,
        };
        // Every frame counts against the rates, whatever it carries.
        let verdict = limiter.check(&hub.guards, participant);
        let text = match message {
            Message::Text(text) => text,
            Message::Binary(_) => {
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
                Utf8Bytes::from_static("")
            }
            _ping_pong_or_raw => {
                if let Verdict::Close(_) = verdict {
                    crate::metrics::flood_closed();
                    tracing::info!(%participant, "closed: flooding");
                    return close::FLOODING;
                }
                // Not answered: an error frame for each would amplify the flood.
                continue;
            }
        };
        let parsed = protocol::parse_message(&text);
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
                return close::FLOODING;
            }
            continue;
        }
        match parsed {
            Ok((id, protocol::ClientMessage::Audio(message))) => {
                let on = crate::audio::on_message;
                on(hub, &mut audio, workshop, participant, outbox, id, message).await;
            }
            Ok((id, protocol::ClientMessage::Command(command))) => {
                let msg = Msg::Command {
                    from: participant,
                    id,
                    command: command.into_domain(now_ms()),
                    reply: Reply::Socket(outbox.clone()),
                };
                if workshop.send(msg).await.is_err() {
                    return close::RESTARTING;
                }
            }
            Err(rejected) => {
                let frame = error_frame(rejected.id.as_deref(), rejected.code, &rejected.message);
                outbox.send(frame.into());
            }
        }
    }
}

/// Writes queued frames, flushing once per burst, until kicked. Each write has
/// `write_timeout` to finish.
async fn write_loop(
    sink: &mut Sink,
    inbox: Inbox,
    ping_interval: Duration,
    write_timeout: Duration,
) {
    let mut ping = tokio::time::interval(ping_interval);
    ping.tick().await;
    let mut frames = VecDeque::new();
    loop {
        let queued = tokio::select! {
            biased;
            queued = inbox.recv_all(&mut frames) => queued,
            _ = ping.tick() => {
                if !write(sink, Message::Ping(Default::default()), write_timeout).await { return; }
                continue;
            }
        };
        if !queued {
            break;
        }
        if !feed_burst(sink, &mut frames, write_timeout).await {
            return;
        }
    }
    let code = inbox.kick().code().unwrap_or(1000);
    // Deliver what is already queued (the last acks) before saying goodbye.
    if code != close::TOO_SLOW
        && inbox.take(&mut frames)
        && !feed_burst(sink, &mut frames, write_timeout).await
    {
        return;
    }
    let _peer_may_be_gone = timeout(
        write_timeout,
        sink.send(close_message(code, close_reason(code))),
    )
    .await;
}

/// Feeds every frame of `frames` (leaving it empty), then flushes once. Each write (a
/// piece of a frame, the flush) has `write_timeout`: the timeout measures progress, not the
/// length of the burst.
async fn feed_burst(
    sink: &mut Sink,
    frames: &mut VecDeque<Frame>,
    write_timeout: Duration,
) -> bool {
    while let Some(frame) = frames.pop_front() {
        if !feed(sink, frame, write_timeout).await {
            return false;
        }
    }
    matches!(timeout(write_timeout, sink.flush()).await, Ok(Ok(())))
}

/// One write with its timeout: whether it finished in time.
async fn timed_feed(sink: &mut Sink, message: Message, write_timeout: Duration) -> bool {
    matches!(timeout(write_timeout, sink.feed(message)).await, Ok(Ok(())))
}

/// Feeds one text frame, in pieces of `FRAGMENT` bytes when it is longer: a text frame
/// that is not final, continuation frames, the last one final. Pieces may split a UTF-8
/// character; the receiver checks the text of the whole message (RFC 6455 §5.4).
async fn feed(sink: &mut Sink, frame: Frame, write_timeout: Duration) -> bool {
    if frame.len() <= FRAGMENT {
        return timed_feed(sink, Message::Text(frame), write_timeout).await;
    }
    let bytes = Bytes::from(frame);
    let mut start = 0;
    while start < bytes.len() {
        let end = (start + FRAGMENT).min(bytes.len());
        let opcode = if start == 0 {
            Data::Text
        } else {
            Data::Continue
        };
        let piece = WireFrame::message(
            bytes.slice(start..end),
            OpCode::Data(opcode),
            end == bytes.len(),
        );
        if !timed_feed(sink, Message::Frame(piece), write_timeout).await {
            return false;
        }
        start = end;
    }
    true
}

async fn write(sink: &mut Sink, message: Message, write_timeout: Duration) -> bool {
    matches!(timeout(write_timeout, sink.send(message)).await, Ok(Ok(())))
}
