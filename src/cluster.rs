//! Notifications between nodes: Redis pub/sub, used only to say "workshop W is at commit R".
//!
//! Redis carries no data and decides nothing. PostgreSQL decides every commit (see
//! `store::postgres`); a notification only tells the other nodes to catch up now rather than
//! at their next poll. A lost notification (Redis restarting, a full queue) costs latency,
//! never correctness: every node also polls PostgreSQL for the revs of the workshops it
//! serves, and catching up always loads everything after what the node has.
//!
//! Both loops reconnect on their own, with a growing pause (up to `MAX_BACKOFF`).

use crate::domain::WorkshopId;
use futures_util::StreamExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::timeout;

/// The one channel every node publishes to and listens on.
pub const CHANNEL: &str = "cabildo:commits";
/// Longest pause between two attempts to reach Redis.
const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// A connection attempt or a publish taking longer than this counts as failed.
const REDIS_TIMEOUT: Duration = Duration::from_secs(5);
/// Notifications waiting to be published; more are dropped (the poll covers them).
const QUEUE: usize = 4096;

/// A commit another node made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Note {
    pub workshop: WorkshopId,
    pub rev: u64,
}

/// What the listening loop hands to the hub.
#[derive(Debug)]
pub enum Incoming {
    /// Another node committed to a workshop.
    Commit(Note),
    /// The listener (re)subscribed: notifications may have been missed while it was away.
    Subscribed,
}

pub struct Cluster {
    /// This node's random name, so it can skip its own notifications.
    node: String,
    publish: mpsc::Sender<Note>,
    listening: Arc<AtomicBool>,
}

impl Cluster {
    /// Checks the URL and starts the publishing and listening loops. Redis need not be up
    /// yet: the loops keep trying. Returns the notifications from other nodes.
    pub fn start(url: &str) -> Result<(Arc<Cluster>, mpsc::Receiver<Incoming>), redis::RedisError> {
        let client = redis::Client::open(url)?;
        let node = uuid::Uuid::new_v4().simple().to_string();
        let (publish, outgoing) = mpsc::channel(QUEUE);
        let (incoming_tx, incoming) = mpsc::channel(QUEUE);
        let listening = Arc::new(AtomicBool::new(false));
        tokio::spawn(publisher(client.clone(), node.clone(), outgoing));
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

    /// Tells the other nodes that `workshop` is at commit `rev` (never waits).
    pub fn notify(&self, workshop: WorkshopId, rev: u64) {
        let _dropped_when_full = self.publish.try_send(Note { workshop, rev });
    }

    /// Whether this node currently hears the other nodes' notifications.
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Relaxed)
    }

    pub fn node(&self) -> &str {
        &self.node
    }
}

/// `node workshop rev`, space-separated.
fn encode(node: &str, note: Note) -> String {
    format!("{node} {} {}", note.workshop, note.rev)
}

fn decode(payload: &str) -> Option<(&str, Note)> {
    let mut parts = payload.split(' ');
    let node = parts.next()?;
    let workshop = parts.next()?.parse().ok()?;
    let rev = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    Some((node, Note { workshop, rev }))
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

async fn publisher(client: redis::Client, node: String, mut outgoing: mpsc::Receiver<Note>) {
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
            let Some(note) = outgoing.recv().await else {
                return;
            };
            let published = within(
                redis::cmd("PUBLISH")
                    .arg(CHANNEL)
                    .arg(encode(&node, note))
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
        if let Err(e) = within(pubsub.subscribe(CHANNEL)).await {
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
            match decode(&payload) {
                Some((from, _)) if from == node => {}
                Some((_, note)) => {
                    // A full queue drops the notification; the poll catches up instead.
                    let _dropped_when_full = incoming.try_send(Incoming::Commit(note));
                }
                None => tracing::warn!("ignoring a malformed notification on {CHANNEL}"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_round_trip_and_garbage_is_refused() {
        let note = Note {
            workshop: WorkshopId::random(),
            rev: 42,
        };
        let payload = encode("n1", note);
        assert_eq!(decode(&payload), Some(("n1", note)));
        assert_eq!(decode("n1"), None);
        assert_eq!(decode("n1 not-a-uuid 3"), None);
        assert_eq!(decode(&format!("n1 {} x", note.workshop)), None);
        assert_eq!(decode(&format!("{payload} extra")), None);
    }
}
