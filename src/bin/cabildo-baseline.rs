//! `cabildo-baseline`: the raw broadcast server the benchmarks compare Cabildo against.
//!
//! Same stack as the real server (axum WebSocket on tokio, serde_json, `Utf8Bytes` frames
//! encoded once, one bounded queue and one writer per connection that flushes once per
//! burst, the same socket buffer sizes) but no domain, no persistence, no authentication.
//! It speaks just enough of the protocol's shape for `cabildo-load` to run the same
//! scenarios against it:
//!
//! - `hello` with a token `w<workshop>.r<room>.m<member>` (made up by the generator) is
//!   answered with `welcome`; with `last_seq`, the missed events of the room are replayed
//!   in `welcome.events`, as Cabildo's resume does;
//! - `post_card` and `edit_card` produce one `event` frame (`card_posted` / `card_edited`)
//!   for every connection in the sender's room, then an `ack` to the sender;
//! - a connection arriving or leaving sends a `presence` frame to its whole workshop.
//!
//! Nothing is stored: an ack here means "fanned out", not "durable".

use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Events kept per workshop for resuming connections (Cabildo keeps 10,000 too).
const REPLAY_WINDOW: usize = 10_000;
/// Frames that may wait for one connection (Cabildo's `QUEUE_CAPACITY`).
const QUEUE_CAPACITY: usize = 1024;

#[derive(Parser, Debug)]
#[command(name = "cabildo-baseline", about = "Raw WebSocket broadcast baseline")]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8090")]
    addr: String,
    /// WebSocket read buffer per connection, bytes (Cabildo's value by default).
    #[arg(long, default_value_t = 1024)]
    read_buffer: usize,
    /// WebSocket write buffer per connection, bytes (Cabildo's value by default).
    #[arg(long, default_value_t = 1024)]
    write_buffer: usize,
}

type Tx = mpsc::Sender<Utf8Bytes>;

#[derive(Default)]
struct Workshop {
    seq: u64,
    /// Connections by room: (connection id, queue).
    rooms: HashMap<u32, Vec<(u64, Tx)>>,
    recent: VecDeque<(u64, u32, Utf8Bytes)>,
}

impl Workshop {
    /// Tells every connection of the workshop that `who` came or went.
    fn announce(&self, who: &str, online: bool) {
        let presence: Utf8Bytes = format!(
            r#"{{"online":{online},"participant":{},"type":"presence"}}"#,
            quoted(who)
        )
        .into();
        for (_, other) in self.rooms.values().flatten() {
            let _full_or_gone = other.try_send(presence.clone());
        }
    }
}

struct Shared {
    workshops: Mutex<HashMap<u32, Arc<Mutex<Workshop>>>>,
    next_conn: AtomicU64,
    read_buffer: usize,
    write_buffer: usize,
}

#[derive(Deserialize)]
struct Hello {
    token: String,
    last_seq: Option<u64>,
}

#[derive(Deserialize)]
struct Command<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    #[serde(borrow)]
    id: &'a str,
    #[serde(default, borrow)]
    card: Option<&'a str>,
    #[serde(default, borrow)]
    column: Option<&'a str>,
    #[serde(default)]
    text: String,
}

fn parse_token(token: &str) -> Option<(u32, u32, u32)> {
    let mut parts = token.split('.');
    let w = parts.next()?.strip_prefix('w')?.parse().ok()?;
    let r = parts.next()?.strip_prefix('r')?.parse().ok()?;
    let m = parts.next()?.strip_prefix('m')?.parse().ok()?;
    parts.next().is_none().then_some((w, r, m))
}

fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let shared = Arc::new(Shared {
        workshops: Mutex::default(),
        next_conn: AtomicU64::new(1),
        read_buffer: args.read_buffer,
        write_buffer: args.write_buffer,
    });
    let app = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/ws", get(upgrade))
        .with_state(shared);
    let listener = tokio::net::TcpListener::bind(&args.addr).await?;
    println!("Baseline listening on http://{}", listener.local_addr()?);
    // The same socket settings as Cabildo's, so the ratio compares like with like.
    axum::serve(cabildo::without_nagle(listener), app).await?;
    Ok(())
}

async fn upgrade(ws: WebSocketUpgrade, State(shared): State<Arc<Shared>>) -> Response {
    ws.max_message_size(64 * 1024)
        .max_frame_size(64 * 1024)
        .read_buffer_size(shared.read_buffer)
        .write_buffer_size(shared.write_buffer)
        .on_upgrade(move |socket| serve(socket, shared))
}

async fn serve(socket: WebSocket, shared: Arc<Shared>) {
    let (mut sink, mut stream) = socket.split();
    let Some(Ok(Message::Text(first))) = stream.next().await else {
        return;
    };
    let Some((hello, (w, room, member))) = serde_json::from_str::<Hello>(&first)
        .ok()
        .and_then(|h| parse_token(&h.token).map(|t| (h, t)))
    else {
        let _gone = sink.send(Message::Close(None)).await;
        return;
    };
    let workshop = shared
        .workshops
        .lock()
        .expect("workshops lock")
        .entry(w)
        .or_default()
        .clone();
    let conn = shared.next_conn.fetch_add(1, Ordering::Relaxed);
    let me = format!("w{w}.r{room}.m{member}");
    let (tx, mut rx) = mpsc::channel::<Utf8Bytes>(QUEUE_CAPACITY);
    {
        let mut ws = workshop.lock().expect("workshop lock");
        let welcome = match hello.last_seq {
            Some(last) => {
                let events: Vec<&str> = ws
                    .recent
                    .iter()
                    .filter(|(seq, r, _)| *seq > last && *r == room)
                    .map(|(_, _, f)| f.as_str())
                    .collect();
                format!(
                    r#"{{"type":"welcome","seq":{},"resumed":true,"events":[{}]}}"#,
                    ws.seq,
                    events.join(",")
                )
            }
            None => format!(
                r#"{{"type":"welcome","seq":{},"resumed":false,"snapshot":{{}}}}"#,
                ws.seq
            ),
        };
        let _full = tx.try_send(welcome.into());
        ws.announce(&me, true);
        ws.rooms.entry(room).or_default().push((conn, tx.clone()));
    }
    let writer = async {
        while let Some(first) = rx.recv().await {
            if sink.feed(Message::Text(first)).await.is_err() {
                return;
            }
            while let Ok(next) = rx.try_recv() {
                if sink.feed(Message::Text(next)).await.is_err() {
                    return;
                }
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
    };
    let reader = async {
        while let Some(Ok(message)) = stream.next().await {
            match message {
                Message::Text(text) => handle(&text, &workshop, room, &me, &tx),
                Message::Close(_) => return,
                _ => {}
            }
        }
    };
    tokio::select! {
        () = writer => {}
        () = reader => {}
    }
    let mut ws = workshop.lock().expect("workshop lock");
    if let Some(members) = ws.rooms.get_mut(&room) {
        members.retain(|(c, _)| *c != conn);
    }
    ws.announce(&me, false);
}

/// One command: the event to the room (encoded once), then the ack to the sender.
fn handle(text: &str, workshop: &Mutex<Workshop>, room: u32, me: &str, tx: &Tx) {
    let command: Command = match serde_json::from_str(text) {
        Ok(c) => c,
        Err(e) => {
            let error = format!(
                r#"{{"code":"invalid","id":null,"message":{},"type":"error"}}"#,
                quoted(&e.to_string())
            );
            let _full = tx.try_send(error.into());
            return;
        }
    };
    let mut ws = workshop.lock().expect("workshop lock");
    let seq = ws.seq + 1;
    let body = match command.kind {
        "post_card" => format!(
            r#"{{"type":"card_posted","card":"c{seq}","room":"r{room}","column":{},"text":{},"author":{}}}"#,
            quoted(command.column.unwrap_or("strengths")),
            quoted(&command.text),
            quoted(me)
        ),
        "edit_card" => format!(
            r#"{{"type":"card_edited","card":{},"room":"r{room}","text":{},"by":{}}}"#,
            quoted(command.card.unwrap_or("")),
            quoted(&command.text),
            quoted(me)
        ),
        _ => {
            let error = format!(
                r#"{{"code":"invalid","id":{},"message":"the baseline knows post_card and edit_card","type":"error"}}"#,
                quoted(command.id)
            );
            let _full = tx.try_send(error.into());
            return;
        }
    };
    ws.seq = seq;
    let frame: Utf8Bytes = format!(
        r#"{{"type":"event","seq":{seq},"at":{},"by":{},"event":{body}}}"#,
        now_ms(),
        quoted(me)
    )
    .into();
    if let Some(members) = ws.rooms.get(&room) {
        for (_, member) in members {
            let _full_or_gone = member.try_send(frame.clone());
        }
    }
    if ws.recent.len() == REPLAY_WINDOW {
        ws.recent.pop_front();
    }
    ws.recent.push_back((seq, room, frame));
    let ack = format!(
        r#"{{"id":{},"seq":{seq},"type":"ack"}}"#,
        quoted(command.id)
    );
    let _full = tx.try_send(ack.into());
}
