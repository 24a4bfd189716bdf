//! A real WebSocket client that speaks the documented protocol, and helpers for a raw
//! socket that does not.

use super::{QUIET, WAIT};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Sends `hello` with `token` on a raw socket.
pub async fn raw_hello(ws: &mut Socket, token: &str) {
    let hello = json!({"type": "hello", "token": token}).to_string();
    ws.send(Message::text(hello)).await.expect("hello");
}

/// The next text frame of a raw socket as JSON; `None` when the socket closes or nothing
/// comes within `WAIT`.
pub async fn raw_json(ws: &mut Socket) -> Option<Value> {
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.ok()??.ok()? {
            Message::Text(t) => return Some(serde_json::from_str(&t).expect("JSON")),
            Message::Close(_) => return None,
            _ => continue,
        }
    }
}

/// Reads a raw socket until its close frame; returns the close code.
pub async fn raw_close_code(ws: &mut Socket) -> Option<u16> {
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.ok()?? {
            Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
}

/// A real WebSocket client. Events and other frames that arrive while waiting for an
/// answer are kept, in order, for `next_event`.
pub struct TestClient {
    socket: Socket,
    pub welcome: Value,
    /// The last `seq` seen (from welcome, events or snapshots).
    pub seq: u64,
    pending: std::collections::VecDeque<Value>,
    counter: u64,
    /// The close code, once `recv` met the close frame.
    pub closed_with: Option<u16>,
}

impl TestClient {
    pub async fn connect(url: &str, token: &str, last_seq: Option<u64>) -> TestClient {
        Self::try_connect(url, token, last_seq)
            .await
            .expect("welcome")
    }

    /// Like `connect`, but `None` when the server closes instead of welcoming.
    pub async fn try_connect(url: &str, token: &str, last_seq: Option<u64>) -> Option<TestClient> {
        let (mut socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("ws connect");
        let mut hello = json!({"type": "hello", "token": token});
        if let Some(s) = last_seq {
            hello["last_seq"] = json!(s);
        }
        socket
            .send(Message::text(hello.to_string()))
            .await
            .expect("send hello");
        let mut client = TestClient {
            socket,
            welcome: Value::Null,
            seq: 0,
            pending: Default::default(),
            counter: 0,
            closed_with: None,
        };
        let welcome = client.recv().await?;
        assert_eq!(welcome["type"], "welcome", "{welcome}");
        client.seq = welcome["seq"].as_u64().expect("seq");
        client.welcome = welcome;
        Some(client)
    }

    /// Opens a socket without sending anything.
    pub async fn raw(url: &str) -> Socket {
        tokio_tungstenite::connect_async(url)
            .await
            .expect("ws connect")
            .0
    }

    /// The next JSON frame, or `None` when the socket closes or nothing comes within `WAIT`.
    pub async fn recv(&mut self) -> Option<Value> {
        self.recv_within(WAIT).await
    }

    pub async fn recv_within(&mut self, wait: Duration) -> Option<Value> {
        loop {
            let msg = tokio::time::timeout(wait, self.socket.next())
                .await
                .ok()??;
            match msg.ok()? {
                Message::Text(t) => {
                    let v: Value = serde_json::from_str(&t).expect("server sends JSON");
                    if let Some(s) = v["seq"].as_u64() {
                        if v["type"] == "event" || v["type"] == "snapshot" {
                            self.seq = self.seq.max(s);
                        }
                    }
                    return Some(v);
                }
                Message::Close(frame) => {
                    self.closed_with = frame.map(|f| u16::from(f.code));
                    return None;
                }
                _ => continue,
            }
        }
    }

    /// Waits for the close frame; returns its code.
    pub async fn close_code(&mut self) -> Option<u16> {
        if self.closed_with.is_some() {
            return self.closed_with;
        }
        loop {
            let msg = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .ok()??;
            match msg {
                Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }

    pub async fn send_text(&mut self, text: &str) {
        self.socket
            .send(Message::text(text.to_string()))
            .await
            .expect("send");
    }

    pub async fn send(&mut self, v: Value) {
        self.send_text(&v.to_string()).await;
    }

    pub fn fresh_id(&mut self) -> String {
        self.counter += 1;
        format!("cmd-{}-{}", self.counter, uuid_like())
    }

    /// Sends a command (adding a fresh `id` when it has none) and returns its `ack` or
    /// `error`, keeping any events that arrive meanwhile.
    pub async fn command(&mut self, mut v: Value) -> Value {
        if v.get("id").is_none() {
            v["id"] = json!(self.fresh_id());
        }
        let id = v["id"].clone();
        self.send(v).await;
        self.answer_to(&id).await
    }

    /// Waits for the `ack`/`error` with this id.
    pub async fn answer_to(&mut self, id: &Value) -> Value {
        loop {
            let v = self
                .recv()
                .await
                .unwrap_or_else(|| panic!("no answer to {id}"));
            if (v["type"] == "ack" || v["type"] == "error") && &v["id"] == id {
                return v;
            }
            self.pending.push_back(v);
        }
    }

    /// Sends every command (each must carry its `id`) without waiting, then collects their
    /// answers, in the order the commands were sent. `None` for a command left unanswered
    /// when the connection closed.
    pub async fn pipeline(&mut self, commands: &[Value]) -> Vec<Option<Value>> {
        for c in commands {
            self.send(c.clone()).await;
        }
        let mut answers: std::collections::HashMap<String, Value> = Default::default();
        while answers.len() < commands.len() {
            let Some(v) = self.recv().await else { break };
            if (v["type"] == "ack" || v["type"] == "error") && v["id"].is_string() {
                answers.insert(v["id"].as_str().unwrap_or_default().to_string(), v);
            } else {
                self.pending.push_back(v);
            }
        }
        commands
            .iter()
            .map(|c| answers.remove(c["id"].as_str().expect("command id")))
            .collect()
    }

    /// Sends a command that must be acknowledged; returns the ack's seq.
    pub async fn ok(&mut self, v: Value) -> u64 {
        let answer = self.command(v).await;
        assert_eq!(answer["type"], "ack", "{answer}");
        answer["seq"].as_u64().expect("ack seq")
    }

    /// Sends a command that must fail with `code`; returns the error frame.
    pub async fn refused(&mut self, v: Value, code: &str) -> Value {
        let answer = self.command(v).await;
        assert_eq!(answer["type"], "error", "{answer}");
        assert_eq!(answer["code"], code, "{answer}");
        answer
    }

    /// The next frame of type `event` or `snapshot` (acks are skipped).
    pub async fn next_update(&mut self) -> Option<Value> {
        loop {
            let v = match self.pending.pop_front() {
                Some(v) => v,
                None => self.recv().await?,
            };
            if v["type"] == "event" || v["type"] == "snapshot" {
                return Some(v);
            }
        }
    }

    /// The next `event` frame's inner event, skipping anything else.
    pub async fn next_event(&mut self) -> Value {
        loop {
            let v = self.next_update().await.expect("an event");
            if v["type"] == "event" {
                return v;
            }
        }
    }

    /// Waits for an event of this type; returns the whole frame.
    pub async fn event_of_type(&mut self, ty: &str) -> Value {
        loop {
            let v = self.next_event().await;
            if v["event"]["type"] == ty {
                return v;
            }
        }
    }

    /// Every frame up to and including the event (or snapshot) at `seq`.
    pub async fn through_seq(&mut self, seq: u64) -> Vec<Value> {
        let mut frames = Vec::new();
        loop {
            let v = match self.pending.pop_front() {
                Some(v) => v,
                None => self
                    .recv()
                    .await
                    .unwrap_or_else(|| panic!("the update at seq {seq} never arrived")),
            };
            let is_update = v["type"] == "event" || v["type"] == "snapshot";
            let reached = is_update && v["seq"].as_u64().is_some_and(|s| s >= seq);
            frames.push(v);
            if reached {
                return frames;
            }
        }
    }

    /// Every frame that arrives before the event (or snapshot) at `barrier`, which is
    /// consumed: an ordering barrier. The server delivers a connection's updates in `seq`
    /// order, so a test proves that an update did not reach this client by sending a later
    /// one that must reach it (its `seq` is the barrier) and looking at what came before.
    pub async fn until_seq(&mut self, barrier: u64) -> Vec<Value> {
        let mut before = Vec::new();
        loop {
            let v = match self.pending.pop_front() {
                Some(v) => v,
                None => self
                    .recv()
                    .await
                    .unwrap_or_else(|| panic!("the barrier at seq {barrier} never arrived")),
            };
            let is_update = v["type"] == "event" || v["type"] == "snapshot";
            if is_update && v["seq"].as_u64().is_some_and(|s| s >= barrier) {
                assert_eq!(v["seq"].as_u64(), Some(barrier), "the barrier itself: {v}");
                return before;
            }
            before.push(v);
        }
    }

    /// The next frame of any type (kept ones first), or `None` when the socket closes or
    /// nothing comes within `wait`.
    pub async fn next_frame_within(&mut self, wait: Duration) -> Option<Value> {
        match self.pending.pop_front() {
            Some(v) => Some(v),
            None => self.recv_within(wait).await,
        }
    }

    /// Everything that arrives within `QUIET` (events, snapshots, acks).
    pub async fn drain(&mut self) -> Vec<Value> {
        let mut out: Vec<Value> = self.pending.drain(..).collect();
        while let Some(v) = self.recv_within(QUIET).await {
            out.push(v);
        }
        out
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }

    /// Closes and reads up to the server's close frame: the server answers a client's close
    /// only once its workshop has let the connection go (presence counted, commands
    /// answered), so what the test does next comes after that.
    pub async fn close_acknowledged(mut self) {
        self.socket.close(None).await.expect("send close");
        let answered = tokio::time::timeout(WAIT, async {
            while let Some(Ok(msg)) = self.socket.next().await {
                if matches!(msg, Message::Close(_)) {
                    return true;
                }
            }
            false
        })
        .await;
        assert_eq!(answered, Ok(true), "the server answers the close");
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}
