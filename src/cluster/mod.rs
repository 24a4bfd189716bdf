//! Several nodes on one PostgreSQL database, talking through Redis pub/sub.
//!
//! Each workshop has one owner node at a time (a lease in PostgreSQL: `Store::claim`); the
//! owner alone decides and commits its commands. The other nodes that serve participants of
//! the workshop (followers) forward their commands and joins to the owner on its channel
//! and get the outcome back on their own (see `wire.rs` for every message). The owner
//! announces each commit, the workshop's presence and an erase to every node.
//!
//! Redis decides nothing: PostgreSQL holds the leases and its compare-and-set on the
//! workshop's commit number stays the safety net (two owners for a moment only retry). A
//! lost message costs latency, never correctness: a follower resends a request that got no
//! answer (command ids make that safe), and while Redis is unreachable every node commits
//! its own participants' commands and polls PostgreSQL instead (`hub::follow`).
//!
//! Both loops reconnect on their own, with a growing pause (up to `MAX_BACKOFF`).

pub mod wire;

use crate::domain::WorkshopId;
use futures_util::StreamExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::timeout;
pub use wire::{Envelope, Wire};

/// Longest pause between two attempts to reach Redis.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// A connection attempt or a publish taking longer than this counts as failed.
const REDIS_TIMEOUT: Duration = Duration::from_secs(5);
/// Messages waiting to be published; more are dropped (resends and polls cover them).
const QUEUE: usize = 4096;

/// What the listening loop hands to the hub.
#[derive(Debug)]
pub enum Incoming {
    /// Another node said something about a workshop.
    Message(Envelope),
    /// The listener (re)subscribed: messages may have been missed while it was away.
    Subscribed,
}

pub struct Cluster {
    /// This node's random name: its channel, and its name in the owners' table.
    node: String,
    publish: mpsc::Sender<(String, String)>,
    listening: Arc<AtomicBool>,
}

impl Cluster {
    /// Checks the URL and starts the publishing and listening loops. Redis need not be up
    /// yet: the loops keep trying. Returns the messages from other nodes.
    pub fn start(url: &str) -> Result<(Arc<Cluster>, mpsc::Receiver<Incoming>), redis::RedisError> {
        let client = redis::Client::open(url)?;
        let node = uuid::Uuid::new_v4().simple().to_string();
        let (publish, outgoing) = mpsc::channel(QUEUE);
        let (incoming_tx, incoming) = mpsc::channel(QUEUE);
        let listening = Arc::new(AtomicBool::new(false));
        tokio::spawn(publisher(client.clone(), outgoing));
        tokio::spawn(listener(
            client,
            node.clone(),
            incoming_tx,
            listening.clone(),
        ));
        Ok((
            Arc::new(Cluster {
                node,
                publish,
                listening,
            }),
            incoming,
        ))
    }

    /// Tells every other node `body` about `workshop` (never waits).
    pub fn broadcast(&self, workshop: WorkshopId, body: Wire) {
        self.send(wire::BROADCAST.to_string(), workshop, body);
    }

    /// Tells node `to` `body` about `workshop` (never waits).
    pub fn tell(&self, to: &str, workshop: WorkshopId, body: Wire) {
        self.send(wire::node_channel(to), workshop, body);
    }

    fn send(&self, channel: String, workshop: WorkshopId, body: Wire) {
        let envelope = Envelope {
            from: self.node.clone(),
            workshop,
            body,
        };
        if let Some(payload) = wire::encode(&envelope) {
            let _dropped_when_full = self.publish.try_send((channel, payload));
        }
    }

    /// Tells the other nodes that `workshop` is at commit `rev` (never waits).
    pub fn notify(&self, workshop: WorkshopId, rev: u64) {
        self.broadcast(workshop, Wire::Commit { rev });
    }

    /// Whether this node currently hears the other nodes.
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Relaxed)
    }

    pub fn node(&self) -> &str {
        &self.node
    }
}

/// A pause that doubles after each failure, up to `MAX_BACKOFF`, and resets on success.
struct Backoff {
    next: Duration,
    /// Whether the outage was already logged (one warning per outage, not per attempt).
    logged: bool,
}

impl Backoff {
    fn new() -> Self {
        Backoff {
            next: Duration::from_millis(100),
            logged: false,
        }
    }

    async fn failed(&mut self, what: &str, error: String) {
        if !self.logged {
            tracing::warn!(error = %error, "Redis unreachable ({what}); retrying until it is back");
            self.logged = true;
        }
        tokio::time::sleep(self.next).await;
        self.next = (self.next * 2).min(MAX_BACKOFF);
    }

    fn succeeded(&mut self, what: &str) {
        if self.logged {
            tracing::info!("Redis reachable again ({what})");
        }
        *self = Backoff::new();
    }
}

/// A Redis call that must finish within `REDIS_TIMEOUT`.
async fn within<T>(
    call: impl std::future::Future<Output = redis::RedisResult<T>>,
) -> Result<T, String> {
    match timeout(REDIS_TIMEOUT, call).await {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".into()),
    }
}

async fn publisher(client: redis::Client, mut outgoing: mpsc::Receiver<(String, String)>) {
    let mut backoff = Backoff::new();
    loop {
        let mut conn = match within(client.get_multiplexed_async_connection()).await {
            Ok(conn) => conn,
            Err(e) => {
                backoff.failed("publishing", e).await;
                continue;
            }
        };
        backoff.succeeded("publishing");
        loop {
            let Some((channel, payload)) = outgoing.recv().await else {
                return;
            };
            let published = within(
                redis::cmd("PUBLISH")
                    .arg(channel)
                    .arg(payload)
                    .query_async::<i64>(&mut conn),
            )
            .await;
            if let Err(e) = published {
                backoff.failed("publishing", e).await;
                break;
            }
        }
    }
}

async fn listener(
    client: redis::Client,
    node: String,
    incoming: mpsc::Sender<Incoming>,
    listening: Arc<AtomicBool>,
) {
    let mut backoff = Backoff::new();
    loop {
        let mut pubsub = match within(client.get_async_pubsub()).await {
            Ok(pubsub) => pubsub,
            Err(e) => {
                backoff.failed("listening", e).await;
                continue;
            }
        };
        let channels = [wire::BROADCAST.to_string(), wire::node_channel(&node)];
        if let Err(e) = within(pubsub.subscribe(&channels)).await {
            backoff.failed("listening", e).await;
            continue;
        }
        backoff.succeeded("listening");
        listening.store(true, Ordering::Relaxed);
        if incoming.send(Incoming::Subscribed).await.is_err() {
            return;
        }
        let mut messages = pubsub.on_message();
        while let Some(msg) = messages.next().await {
            let Ok(payload) = msg.get_payload::<String>() else {
                continue;
            };
            match wire::decode(&payload) {
                Some(envelope) if envelope.from == node => {}
                Some(envelope) => {
                    // A full queue drops the message; resends and catch-ups cover it.
                    let _dropped_when_full = incoming.try_send(Incoming::Message(envelope));
                }
                None => tracing::warn!("ignoring a malformed message from another node"),
            }
        }
        listening.store(false, Ordering::Relaxed);
        if incoming.is_closed() {
            return;
        }
        backoff
            .failed("listening", "the subscription connection closed".into())
            .await;
    }
}
