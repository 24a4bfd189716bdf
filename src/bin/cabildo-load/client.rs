//! One simulated participant: connects from a chosen source address, says `hello`, posts
//! at the rate the scenario sets, and checks every card event it receives.
//!
//! Every post carries `slot:n:t_us` in its text: the sender's place in its room, its own
//! post counter and the send time. A receiver marks `(slot, n)` in a bit set, so at the end
//! each receiver's bits are compared with each sender's acknowledged posts: a missing bit
//! is a lost delivery, a bit seen twice a duplicate.

use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::time::{sleep_until, timeout, Instant};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::shared::{Bits, Shared, HISTOGRAM_SHARDS};

type Ws = WebSocketStream<TcpStream>;

/// What every connection does right now; set by the scenario, watched by all.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    /// Connected, reading, not posting.
    Idle,
    /// Post `per_s` times a second; each connection leaves and resumes about
    /// `churn_per_min` times a minute (0: never).
    Rate { per_s: f64, churn_per_min: f64 },
    /// Post once, at a random moment within the next second (the number tells bursts apart).
    Burst(u32),
    /// Keep this many posts in flight: post again as soon as one is acknowledged.
    Closed(u32),
    /// Close and finish.
    Stop,
}

/// One connection to open: who, and where in its room.
pub struct Spec {
    pub id: u64,
    pub token: String,
    pub room_id: Arc<str>,
    /// Index of the room among all rooms of this process.
    pub room: u32,
    pub slot: u32,
    pub room_size: u32,
    /// Members of this room connected now (for the live expected count).
    pub room_connected: Arc<AtomicU32>,
    /// Cards to post before editing the last one instead (a room holds 2,000 cards).
    pub card_budget: u32,
}

/// What a connection saw, for the final check.
pub struct Outcome {
    pub room: u32,
    pub slot: u32,
    pub connected: bool,
    /// Closed by the server (not by the generator) before the end.
    pub dropped: bool,
    pub acked: Bits,
    pub received: Vec<Bits>,
}

#[derive(Deserialize)]
struct Incoming<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(default)]
    seq: Option<u64>,
    #[serde(default, borrow)]
    code: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    event: Option<Event<'a>>,
    #[serde(default, borrow)]
    events: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    resumed: Option<bool>,
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    card: Option<Cow<'a, str>>,
}

fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// The per-connection state that survives reconnects.
struct Conn {
    spec: Spec,
    shared: Arc<Shared>,
    acked: Bits,
    received: Vec<Bits>,
    last_seq: Option<u64>,
    next_n: u32,
    cards_posted: u32,
    my_card: Option<String>,
    pending: HashMap<u32, Instant>,
    padding: String,
}

enum End {
    Stop,
    Churn,
    Closed(String),
}

pub async fn run(spec: Spec, shared: Arc<Shared>, mut mode: watch::Receiver<Mode>) -> Outcome {
    let padding = "x".repeat(shared.payload.saturating_sub(24));
    let mut c = Conn {
        received: vec![Bits::default(); spec.room_size as usize],
        spec,
        shared,
        acked: Bits::default(),
        last_seq: None,
        next_n: 0,
        cards_posted: 0,
        my_card: None,
        pending: HashMap::new(),
        padding,
    };
    let first = c.connect().await;
    c.shared.settled.fetch_add(1, Ordering::Relaxed);
    let mut ws = match first {
        Ok(ws) => ws,
        Err(why) => {
            c.shared.connect_failed(why);
            return c.outcome(false, false);
        }
    };
    c.shared.connected.fetch_add(1, Ordering::Relaxed);
    c.spec.room_connected.fetch_add(1, Ordering::Relaxed);
    let dropped = loop {
        match c.session(&mut ws, &mut mode).await {
            End::Stop => {
                let _closing = timeout(Duration::from_secs(5), ws.close(None)).await;
                break false;
            }
            End::Closed(code) => {
                Shared::count(&c.shared.closed_by_server, &code);
                break true;
            }
            End::Churn => {
                let _closing = timeout(Duration::from_secs(5), ws.close(None)).await;
                drop(ws);
                c.shared.away.fetch_add(1, Ordering::Relaxed);
                let pause = rand::thread_rng().gen_range(1000..3000);
                tokio::time::sleep(Duration::from_millis(pause)).await;
                let again = c.connect().await;
                c.shared.away.fetch_sub(1, Ordering::Relaxed);
                c.shared.reconnects.fetch_add(1, Ordering::Relaxed);
                match again {
                    Ok(next) => ws = next,
                    Err(why) => {
                        c.shared.connect_failed(format!("reconnect: {why}"));
                        break true;
                    }
                }
            }
        }
    };
    c.spec.room_connected.fetch_sub(1, Ordering::Relaxed);
    let leftover = c.pending.len() as i64;
    c.shared.inflight.fetch_sub(leftover, Ordering::Relaxed);
    c.outcome(true, dropped)
}

impl Conn {
    fn outcome(self, connected: bool, dropped: bool) -> Outcome {
        Outcome {
            room: self.spec.room,
            slot: self.spec.slot,
            connected,
            dropped,
            acked: self.acked,
            received: self.received,
        }
    }

    /// Opens the socket from this connection's source address, sends `hello` (resuming
    /// from the last `seq` seen, if any) and waits for `welcome`.
    async fn connect(&mut self) -> Result<Ws, String> {
        let shared = self.shared.clone();
        let source = shared.sources[self.spec.id as usize % shared.sources.len()];
        let node = self.spec.id as usize % (shared.spread.len() + 1);
        let server = match node {
            0 => shared.server,
            n => shared.spread[n - 1],
        };
        let socket = TcpSocket::new_v4().map_err(|e| format!("socket: {e}"))?;
        socket
            .bind(SocketAddr::new(source, 0))
            .map_err(|e| format!("bind {source}: {e}"))?;
        let stream = timeout(Duration::from_secs(15), socket.connect(server))
            .await
            .map_err(|_| "tcp connect timed out".to_string())?
            .map_err(|e| format!("tcp connect: {e}"))?;
        let _no_nagle = stream.set_nodelay(true);
        let config = WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(0);
        let url = format!("ws://{server}/ws");
        let (mut ws, _) = timeout(
            Duration::from_secs(15),
            tokio_tungstenite::client_async_with_config(url, stream, Some(config)),
        )
        .await
        .map_err(|_| "upgrade timed out".to_string())?
        .map_err(|e| format!("upgrade: {e}"))?;
        let hello = serde_json::json!({"type": "hello", "token": self.spec.token, "last_seq": self.last_seq});
        ws.send(Message::text(hello.to_string()))
            .await
            .map_err(|e| format!("hello: {e}"))?;
        let welcomed = timeout(Duration::from_secs(30), async {
            loop {
                match ws.next().await {
                    Some(Ok(Message::Text(text))) => {
                        if self.on_frame(&text) {
                            return Ok(());
                        }
                    }
                    Some(Ok(Message::Close(frame))) => {
                        return Err(format!(
                            "closed before welcome: {}",
                            frame.map_or("-".into(), |f| u16::from(f.code).to_string())
                        ))
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(format!("before welcome: {e}")),
                    None => return Err("ended before welcome".into()),
                }
            }
        })
        .await
        .map_err(|_| "welcome timed out".to_string())?;
        welcomed.map(|()| ws)
    }

    async fn session(&mut self, ws: &mut Ws, mode: &mut watch::Receiver<Mode>) -> End {
        let far = || Instant::now() + Duration::from_secs(86_400);
        let mut current = *mode.borrow_and_update();
        let mut next_post: Option<Instant> = None;
        let mut churn_at: Option<Instant> = None;
        let mut leaving = false;
        let plan = |m: Mode, next_post: &mut Option<Instant>, churn_at: &mut Option<Instant>| {
            let mut rng = rand::thread_rng();
            *next_post = None;
            *churn_at = None;
            match m {
                Mode::Rate {
                    per_s,
                    churn_per_min,
                } if per_s > 0.0 => {
                    let interval = 1.0 / per_s;
                    *next_post =
                        Some(Instant::now() + Duration::from_secs_f64(interval * rng.gen::<f64>()));
                    if churn_per_min > 0.0 {
                        let wait = -(rng.gen::<f64>().max(1e-9)).ln() * 60.0 / churn_per_min;
                        *churn_at = Some(Instant::now() + Duration::from_secs_f64(wait));
                    }
                }
                Mode::Burst(_) => {
                    *next_post = Some(Instant::now() + Duration::from_secs_f64(rng.gen::<f64>()));
                }
                _ => {}
            }
        };
        plan(current, &mut next_post, &mut churn_at);
        if let Mode::Closed(k) = current {
            for _ in self.pending.len()..k as usize {
                if !self.post(ws).await {
                    return End::Closed("send failed".into());
                }
            }
        }
        loop {
            if current == Mode::Stop {
                return End::Stop;
            }
            if leaving && self.pending.is_empty() {
                return End::Churn;
            }
            tokio::select! {
                biased;
                changed = mode.changed() => {
                    if changed.is_err() {
                        return End::Stop;
                    }
                    let was = current;
                    current = *mode.borrow_and_update();
                    leaving = false;
                    if matches!((was, current), (Mode::Burst(_), Mode::Idle)) && next_post.is_some() {
                        // A burst post still due is sent anyway: every member posts once.
                        continue;
                    }
                    if matches!((was, current), (Mode::Burst(_), _)) && next_post.is_some() {
                        self.shared.scheduled.fetch_sub(1, Ordering::Relaxed);
                    }
                    plan(current, &mut next_post, &mut churn_at);
                    if matches!(current, Mode::Burst(_)) {
                        self.shared.scheduled.fetch_add(1, Ordering::Relaxed);
                    }
                    if let Mode::Closed(k) = current {
                        for _ in self.pending.len()..k as usize {
                            if !self.post(ws).await {
                                return End::Closed("send failed".into());
                            }
                        }
                    }
                }
                frame = ws.next() => match frame {
                    Some(Ok(Message::Text(text))) => {
                        let before = self.pending.len();
                        self.on_frame(&text);
                        if let Mode::Closed(k) = current {
                            if self.pending.len() < before {
                                for _ in self.pending.len()..k as usize {
                                    if !self.post(ws).await {
                                        return End::Closed("send failed".into());
                                    }
                                }
                            }
                        }
                    }
                    Some(Ok(Message::Close(frame))) => {
                        return End::Closed(frame.map_or("none".into(), |f| u16::from(f.code).to_string()));
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return End::Closed(format!("error: {e}")),
                    None => return End::Closed("eof".into()),
                },
                () = sleep_until(next_post.unwrap_or_else(far)), if next_post.is_some() && !leaving => {
                    if matches!(current, Mode::Burst(_)) || matches!(current, Mode::Idle) {
                        self.shared.scheduled.fetch_sub(1, Ordering::Relaxed);
                    }
                    next_post = match current {
                        Mode::Rate { per_s, .. } => next_post.map(|t| t + Duration::from_secs_f64(1.0 / per_s)),
                        _ => None,
                    };
                    if !self.post(ws).await {
                        return End::Closed("send failed".into());
                    }
                }
                () = sleep_until(churn_at.unwrap_or_else(far)), if churn_at.is_some() && !leaving => {
                    // Leave once every post in flight is acknowledged: a retry protocol is
                    // not what this measures.
                    leaving = true;
                }
            }
        }
    }

    /// Sends the next post: a new card while the room has space, else an edit of the
    /// last card this connection posted.
    async fn post(&mut self, ws: &mut Ws) -> bool {
        let n = self.next_n;
        self.next_n += 1;
        let text = format!("{}:{}:{} {}", self.spec.slot, n, now_us(), self.padding);
        let command = match &self.my_card {
            Some(card) if self.cards_posted >= self.spec.card_budget => {
                serde_json::json!({"type": "edit_card", "id": n.to_string(), "card": card, "text": text})
            }
            _ => {
                self.cards_posted += 1;
                serde_json::json!({"type": "post_card", "id": n.to_string(), "room": &*self.spec.room_id, "column": "strengths", "text": text})
            }
        };
        self.pending.insert(n, Instant::now());
        self.shared.inflight.fetch_add(1, Ordering::Relaxed);
        self.shared.sent.fetch_add(1, Ordering::Relaxed);
        ws.send(Message::text(command.to_string())).await.is_ok()
    }

    /// Handles one server frame; returns whether it was a `welcome`.
    fn on_frame(&mut self, text: &str) -> bool {
        let Ok(frame) = serde_json::from_str::<Incoming>(text) else {
            self.shared.other_frames.fetch_add(1, Ordering::Relaxed);
            return false;
        };
        match &*frame.kind {
            "event" => {
                if let (Some(seq), Some(event)) = (frame.seq, frame.event) {
                    self.on_event(seq, event, true);
                }
            }
            "ack" | "error" => {
                let n = frame.id.and_then(|id| id.parse::<u32>().ok());
                let sent = n.and_then(|n| self.pending.remove(&n));
                if let (Some(n), Some(sent)) = (n, sent) {
                    self.shared.inflight.fetch_sub(1, Ordering::Relaxed);
                    if frame.kind == "ack" {
                        if !self.acked.set(n) {
                            self.shared.acked.fetch_add(1, Ordering::Relaxed);
                            let members = self.spec.room_connected.load(Ordering::Relaxed);
                            self.shared
                                .expected
                                .fetch_add(u64::from(members), Ordering::Relaxed);
                        }
                        let us = sent.elapsed().as_micros() as u64;
                        let shard = self.spec.id as usize % HISTOGRAM_SHARDS;
                        let _saturated = self.shared.ack_latency[shard]
                            .lock()
                            .expect("histogram lock")
                            .record(us.max(1));
                    }
                }
                if frame.kind == "error" {
                    Shared::count(&self.shared.errors, frame.code.as_deref().unwrap_or("?"));
                }
            }
            "welcome" => {
                let events = frame.events.unwrap_or_default();
                if self.last_seq.is_some() && frame.resumed == Some(false) {
                    self.shared.snapshot_resyncs.fetch_add(1, Ordering::Relaxed);
                }
                self.shared
                    .resumed_events
                    .fetch_add(events.len() as u64, Ordering::Relaxed);
                for raw in events {
                    if let Ok(Incoming {
                        seq: Some(seq),
                        event: Some(event),
                        ..
                    }) = serde_json::from_str::<Incoming>(raw.get())
                    {
                        self.on_event(seq, event, false);
                    }
                }
                if let Some(seq) = frame.seq {
                    self.last_seq = Some(self.last_seq.map_or(seq, |s| s.max(seq)));
                }
                return true;
            }
            "presence" => {
                self.shared.presence.fetch_add(1, Ordering::Relaxed);
            }
            "snapshot" => {
                self.shared.snapshot_resyncs.fetch_add(1, Ordering::Relaxed);
            }
            _ => {
                self.shared.other_frames.fetch_add(1, Ordering::Relaxed);
            }
        }
        false
    }

    /// Marks a card event as delivered. `live`: pushed as it happened (its latency counts),
    /// not replayed to a resuming connection.
    fn on_event(&mut self, seq: u64, event: Event, live: bool) {
        self.last_seq = Some(self.last_seq.map_or(seq, |s| s.max(seq)));
        if event.kind != "card_posted" && event.kind != "card_edited" {
            self.shared.other_frames.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let Some(text) = event.text else { return };
        let mut parts = text.splitn(3, [':', ' ']);
        let (Some(Ok(slot)), Some(Ok(n)), Some(t)) = (
            parts.next().map(str::parse::<u32>),
            parts.next().map(str::parse::<u32>),
            parts
                .next()
                .and_then(|rest| rest.split(' ').next())
                .and_then(|t| t.parse::<u64>().ok()),
        ) else {
            self.shared.other_frames.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let Some(bits) = self.received.get_mut(slot as usize) else {
            self.shared.other_frames.fetch_add(1, Ordering::Relaxed);
            return;
        };
        if bits.set(n) {
            self.shared.duplicates.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.shared.delivered.fetch_add(1, Ordering::Relaxed);
        if live {
            let us = now_us().saturating_sub(t).max(1);
            let shard = self.spec.id as usize % HISTOGRAM_SHARDS;
            let _saturated = self.shared.latency[shard]
                .lock()
                .expect("histogram lock")
                .record(us);
        }
        if slot == self.spec.slot && event.kind == "card_posted" {
            if let Some(card) = event.card {
                self.my_card = Some(card.into_owned());
            }
        }
    }
}
