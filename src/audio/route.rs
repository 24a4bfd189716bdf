//! Several nodes: a workshop's audio is seated by the workshop's owner, on the owner's Janus
//! (issue 20). Each node keeps, per workshop, the route its actor last told it (`Route`):
//! here, or node N. A connection's audio (`AudioConn`) follows that route message by message:
//!
//! - here: its seat is on this node's Janus (`seat.rs`), as on a single node;
//! - node N: its messages go to N (`Wire::Audio`), which seats it like one of its own
//!   connections (a remote seat, whose frames go back as `Wire::AudioFrame`); the follower
//!   only relays them to the socket. N drops the seat when the connection ends
//!   (`Wire::AudioGone`), when the follower stops listing it (`Wire::AudioAlive`, every
//!   second) or when the follower goes silent for `REMOTE_EXPIRY`.
//!
//! When the route changes (a takeover, the lease moving, Redis lost or back), every
//! connection of the workshop leaves its old seat: its page gets `audio_ended` (reason
//! `unavailable`, if it was in audio) and an `audio_roster` saying audio is unavailable,
//! then the roster of its new seat, available again, on which the web client rejoins by
//! itself. Moves, closes, `set_audio`, kicks and erases reach every seat through the owner's
//! actor (`AudioHook::after_commit`), as on one node.

use super::seat::{self, LocalConn};
use super::{lock, Audio};
use crate::cluster::wire::Wire;
use crate::cluster::Cluster;
use crate::domain::{ParticipantId, WorkshopId};
use crate::hub::outbox::{Burst, Inbox, Outbox};
use crate::hub::{Hub, WorkshopHandle};
use crate::protocol::{error_frame, AudioCommand, ErrorCode};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Where a workshop's audio is seated: here (`None`), or on node `Some(node)`, its owner.
pub type Route = Option<String>;

/// How often a follower lists its relayed connections to their owners.
const ALIVE_EVERY: Duration = Duration::from_secs(1);
/// A remote seat whose follower said nothing this long is dropped (the follower died).
const REMOTE_EXPIRY: Duration = Duration::from_secs(3);
/// Longest a first audio message waits for its workshop's route (its actor's first beat).
const ROUTE_WAIT: Duration = Duration::from_secs(3);
/// Messages of one remote connection waiting for its seat.
const REMOTE_QUEUE: usize = 16;
/// Prefix of the ids of the roster requests the server makes itself after a move.
const REWATCH: &str = "cabildo-rewatch-";

/// The audio service's side of several nodes.
#[derive(Default)]
pub(super) struct Routing {
    routes: Mutex<HashMap<WorkshopId, Route>>,
    /// This node's connections that use audio, by id.
    conns: Mutex<HashMap<u64, Weak<Entry>>>,
    /// Seats of other nodes' connections, by (node, connection).
    remote: Mutex<HashMap<(String, u64), Remote>>,
    next: AtomicU64,
    ticking: OnceLock<()>,
    /// Janus rooms other nodes created as owners, with their secrets: destroyed on a
    /// takeover (at most `FOREIGN_ROOMS` per workshop, the latest).
    foreign: Mutex<HashMap<WorkshopId, VecDeque<(u64, String)>>>,
}

/// Rooms of other owners remembered per workshop (its places, several times over).
const FOREIGN_ROOMS: usize = 512;

/// One connection's audio, on the node that holds its socket.
struct Entry {
    id: u64,
    participant: ParticipantId,
    outbox: Outbox,
    workshop: WorkshopHandle,
    cluster: Option<Arc<Cluster>>,
    /// Its seat when seated here; the async lock keeps the connection's messages (and a
    /// move between nodes) in order.
    local: tokio::sync::Mutex<Option<LocalConn>>,
    relay: Mutex<Relay>,
}

#[derive(Default)]
struct Relay {
    /// The route its audio uses now; `None` before its first message.
    current: Option<Route>,
    /// Whether the page asked for rosters, and (relayed) whether it is in audio.
    watching: bool,
    joined: bool,
    /// Ids of the roster requests the server made itself: their answers are not relayed.
    internal: HashSet<String>,
}

/// A connection's audio, opened by its first audio message; dropping it (the connection
/// ended) takes its participant out of Janus, here or on the owner.
pub struct AudioConn {
    entry: Arc<Entry>,
    audio: Arc<Audio>,
}

impl Drop for AudioConn {
    fn drop(&mut self) {
        lock(&self.audio.routing.conns).remove(&self.entry.id);
        let current = lock(&self.entry.relay).current.clone();
        if let (Some(Some(node)), Some(cluster)) = (current, &self.entry.cluster) {
            let conn = self.entry.id;
            cluster.tell(&node, self.entry.workshop.id, Wire::AudioGone { conn });
        }
    }
}

/// Handles one audio message of a connection (`audio_join`, `audio_leave`, `audio_mute`,
/// `audio_watch`, `audio_announce`, `audio_config`): seated here, or forwarded to the
/// workshop's owner; answers go into the connection's queue.
pub async fn on_message(
    hub: &Hub,
    conn: &mut Option<AudioConn>,
    workshop: &WorkshopHandle,
    participant: ParticipantId,
    outbox: &Outbox,
    id: String,
    message: AudioCommand,
) {
    let Some(audio) = hub.audio() else {
        let frame = error_frame(
            Some(&id),
            ErrorCode::Unavailable,
            "this server has no audio (no --janus-url)",
        );
        outbox.send(frame.into());
        return;
    };
    let cluster = hub.cluster().cloned();
    let me = conn.get_or_insert_with(|| {
        let entry = Arc::new(Entry {
            id: audio.routing.next.fetch_add(1, Ordering::Relaxed),
            participant,
            outbox: outbox.clone(),
            workshop: workshop.clone(),
            cluster: cluster.clone(),
            local: tokio::sync::Mutex::new(None),
            relay: Mutex::new(Relay::default()),
        });
        lock(&audio.routing.conns).insert(entry.id, Arc::downgrade(&entry));
        AudioConn {
            entry,
            audio: audio.clone(),
        }
    });
    let route = match &cluster {
        None => None,
        Some(cluster) => {
            audio.start_ticking(cluster);
            audio.route_of(workshop.id).await
        }
    };
    me.entry.handle(audio, route, id, message).await;
}

impl Entry {
    async fn handle(&self, audio: &Arc<Audio>, route: Route, id: String, message: AudioCommand) {
        let mut local = self.local.lock().await;
        if self.switch(&mut local, &route) {
            self.rewatch(audio, &mut local, &route).await;
        }
        match &message {
            AudioCommand::AudioWatch {} => lock(&self.relay).watching = true,
            AudioCommand::AudioLeave {} => lock(&self.relay).joined = false,
            _ => {}
        }
        match &route {
            None => {
                let (workshop, outbox) = (&self.workshop, &self.outbox);
                let p = self.participant;
                seat::handle(audio, &mut local, workshop, p, outbox, id, message, true).await;
            }
            Some(node) => self.forward(node, id, message),
        }
    }

    fn forward(&self, node: &str, id: String, message: AudioCommand) {
        if let Some(cluster) = &self.cluster {
            let body = Wire::Audio {
                conn: self.id,
                participant: self.participant,
                id,
                message: message.into(),
            };
            cluster.tell(node, self.workshop.id, body);
        }
    }

    /// Takes the connection's audio to `route` if it is elsewhere: leaves the old seat and
    /// tells the page. Returns whether it moved (then the page's rosters must be asked for
    /// again on the new route).
    fn switch(&self, local: &mut Option<LocalConn>, route: &Route) -> bool {
        let mut relay = lock(&self.relay);
        let old = match &relay.current {
            None => {
                relay.current = Some(route.clone());
                return false;
            }
            Some(current) if current == route => return false,
            Some(current) => current.clone(),
        };
        relay.current = Some(route.clone());
        relay.internal.clear();
        let was_joined = match &old {
            Some(node) => {
                if let Some(cluster) = &self.cluster {
                    let conn = self.id;
                    cluster.tell(node, self.workshop.id, Wire::AudioGone { conn });
                }
                relay.joined
            }
            None => local.as_ref().is_some_and(LocalConn::joined),
        };
        relay.joined = false;
        let watching = relay.watching;
        drop(relay);
        // Dropped: the seat here hangs up.
        *local = None;
        if was_joined {
            let ended = json!({"type": "audio_ended", "reason": "unavailable"});
            self.outbox.send(ended.to_string().into());
        }
        if watching {
            let roster = json!({"type": "audio_roster", "available": false, "joined": null,
                "rooms": [], "announcing": []});
            self.outbox.send(roster.to_string().into());
        }
        watching
    }

    /// Asks the new route for the page's rosters (without an ack to the page).
    async fn rewatch(&self, audio: &Arc<Audio>, local: &mut Option<LocalConn>, route: &Route) {
        let watch = AudioCommand::AudioWatch {};
        match route {
            None => {
                let (workshop, outbox) = (&self.workshop, &self.outbox);
                let p = self.participant;
                let id = String::new();
                seat::handle(audio, local, workshop, p, outbox, id, watch, false).await;
            }
            Some(node) => {
                let n = audio.routing.next.fetch_add(1, Ordering::Relaxed);
                let id = format!("{REWATCH}{n}");
                lock(&self.relay).internal.insert(id.clone());
                self.forward(node, id, watch);
            }
        }
    }

    /// The route of the workshop changed: the connection's audio follows at once.
    async fn reroute(self: Arc<Self>, audio: Arc<Audio>, route: Route) {
        let mut local = self.local.lock().await;
        if self.switch(&mut local, &route) {
            self.rewatch(&audio, &mut local, &route).await;
        }
    }
}

/// The owner's seat of another node's connection.
struct Remote {
    workshop: WorkshopId,
    participant: ParticipantId,
    queue: mpsc::Sender<(String, AudioCommand)>,
    created: Instant,
    alive: Instant,
    outbox: Outbox,
}

impl Drop for Remote {
    fn drop(&mut self) {
        // Stops the relay of its frames; its seat hangs up when its queue's task ends.
        self.outbox.kick().close_with(1000);
    }
}

impl Audio {
    /// Called by the workshop's actor (several nodes): where its audio is seated now.
    pub(super) fn set_route(self: &Arc<Audio>, workshop: WorkshopId, route: Route) {
        {
            let mut routes = lock(&self.routing.routes);
            if routes.get(&workshop) == Some(&route) {
                return;
            }
            routes.insert(workshop, route.clone());
        }
        let entries: Vec<Arc<Entry>> = lock(&self.routing.conns)
            .values()
            .filter_map(Weak::upgrade)
            .filter(|e| e.workshop.id == workshop)
            .collect();
        for entry in entries {
            tokio::spawn(entry.reroute(self.clone(), route.clone()));
        }
    }

    pub(super) fn forget_route(&self, workshop: WorkshopId) {
        lock(&self.routing.routes).remove(&workshop);
        lock(&self.routing.foreign).remove(&workshop);
    }

    /// The workshop's route; waits for its actor to tell it (at its first beat), and seats
    /// here if it never does.
    async fn route_of(&self, workshop: WorkshopId) -> Route {
        let deadline = tokio::time::Instant::now() + ROUTE_WAIT;
        loop {
            if let Some(route) = lock(&self.routing.routes).get(&workshop) {
                return route.clone();
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn start_ticking(self: &Arc<Audio>, cluster: &Arc<Cluster>) {
        self.routing.ticking.get_or_init(|| {
            tokio::spawn(tick(Arc::downgrade(self), cluster.clone()));
            let cluster = cluster.clone();
            self.rooms.on_create(Box::new(move |workshop, room| {
                let (room, secret) = (room.id, room.secret.clone());
                cluster.broadcast(workshop, Wire::AudioRoom { room, secret });
            }));
        });
    }

    /// Another node created a Janus room for `workshop`, as its owner.
    pub fn foreign_room(&self, workshop: WorkshopId, room: u64, secret: String) {
        let mut foreign = lock(&self.routing.foreign);
        let rooms = foreign.entry(workshop).or_default();
        if rooms.len() >= FOREIGN_ROOMS {
            rooms.pop_front();
        }
        rooms.push_back((room, secret));
    }

    /// This node took `workshop` over: the rooms its earlier owners created go, and with
    /// them whoever they still seat (a dead owner's Janus handles).
    pub(super) fn destroy_foreign(&self, workshop: WorkshopId) {
        let rooms = lock(&self.routing.foreign).remove(&workshop);
        let (Some(rooms), Some(link)) = (rooms, self.link()) else {
            return;
        };
        tokio::spawn(async move {
            for (id, secret) in rooms {
                let room = super::rooms::JanusRoom {
                    id,
                    pin: String::new(),
                    secret,
                };
                super::rooms::Rooms::destroy_now(&link, &room).await;
            }
        });
    }

    /// The owner: an audio message of node `from`'s connection `conn`.
    pub fn remote_message(
        self: &Arc<Audio>,
        hub: &Arc<Hub>,
        cluster: &Arc<Cluster>,
        (from, workshop, conn): (String, WorkshopId, u64),
        participant: ParticipantId,
        id: String,
        message: AudioCommand,
    ) {
        self.start_ticking(cluster);
        let refuse = |message: &str| {
            let frame = error_frame(Some(&id), ErrorCode::Unavailable, message);
            cluster.tell(&from, workshop, Wire::AudioFrame { conn, frame });
        };
        if matches!(lock(&self.routing.routes).get(&workshop), Some(Some(_))) {
            // This node follows the workshop now: the sender will learn the new owner.
            return refuse("the workshop's audio is moving to another node: try again");
        }
        let mut remote = lock(&self.routing.remote);
        let seat = remote.entry((from.clone(), conn)).or_insert_with(|| {
            let (outbox, inbox) = Outbox::new();
            let (queue, requests) = mpsc::channel(REMOTE_QUEUE);
            let hub = Arc::downgrade(hub);
            let served = (self.clone(), workshop, participant, outbox.clone());
            tokio::spawn(serve(hub, served, requests));
            tokio::spawn(pump(inbox, cluster.clone(), from.clone(), workshop, conn));
            let now = Instant::now();
            Remote {
                workshop,
                participant,
                queue,
                created: now,
                alive: now,
                outbox,
            }
        });
        if seat.workshop != workshop || seat.participant != participant {
            return; // a connection never changes either: not a message of this one
        }
        seat.alive = Instant::now();
        if seat.queue.try_send((id.clone(), message)).is_err() {
            let message = "too many audio requests at once: wait for the answers";
            let frame = error_frame(Some(&id), ErrorCode::RateLimited, message);
            seat.outbox.send(frame.into());
        }
    }

    /// The owner: node `from`'s connection `conn` ended.
    pub fn remote_gone(&self, from: &str, conn: u64) {
        lock(&self.routing.remote).remove(&(from.to_string(), conn));
    }

    /// The owner: the connections of `workshop` node `from` still relays.
    pub fn remote_alive(&self, from: &str, workshop: WorkshopId, conns: &[u64]) {
        let now = Instant::now();
        lock(&self.routing.remote).retain(|(node, conn), seat| {
            if node != from || seat.workshop != workshop {
                true
            } else if conns.contains(conn) {
                seat.alive = now;
                true
            } else {
                // Listed before it was opened, perhaps: only a seat older than a beat goes.
                now.duration_since(seat.created) < ALIVE_EVERY
            }
        });
    }

    /// A follower: a frame the owner `from` sent for connection `conn`.
    pub fn relay(&self, from: &str, conn: u64, frame: String) {
        let entry = lock(&self.routing.conns).get(&conn).and_then(Weak::upgrade);
        let Some(entry) = entry else { return };
        let mut relay = lock(&entry.relay);
        if relay.current.as_ref().and_then(|r| r.as_deref()) != Some(from) {
            return; // from a node this connection's audio left
        }
        let parsed: Value = serde_json::from_str(&frame).unwrap_or_default();
        if parsed["id"]
            .as_str()
            .is_some_and(|id| relay.internal.remove(id))
        {
            return; // the answer to a roster request the server made itself
        }
        match parsed["type"].as_str() {
            Some("audio_answer") => relay.joined = true,
            Some("audio_ended") => relay.joined = false,
            _ => {}
        }
        drop(relay);
        entry.outbox.send(frame.into());
    }
}

/// The owner: handles the messages of one remote connection in order, on its own seat.
async fn serve(
    hub: Weak<Hub>,
    (audio, workshop, participant, outbox): (Arc<Audio>, WorkshopId, ParticipantId, Outbox),
    mut requests: mpsc::Receiver<(String, AudioCommand)>,
) {
    let Some(strong) = hub.upgrade() else { return };
    let handle = strong.workshop(workshop).await;
    drop(strong);
    let mut local = None;
    while let Some((id, message)) = requests.recv().await {
        match &handle {
            Ok(handle) => {
                let p = participant;
                seat::handle(&audio, &mut local, handle, p, &outbox, id, message, true).await
            }
            Err(e) => {
                outbox.send(error_frame(Some(&id), e.code, &e.message).into());
            }
        }
    }
}

/// The owner: sends a remote seat's frames to the node of its connection.
async fn pump(inbox: Inbox, cluster: Arc<Cluster>, to: String, workshop: WorkshopId, conn: u64) {
    let mut burst = Burst::default();
    while inbox.recv_all(&mut burst).await {
        for frame in burst.frames.drain(..) {
            let frame = frame.as_str().to_string();
            cluster.tell(&to, workshop, Wire::AudioFrame { conn, frame });
        }
    }
}

/// Every `ALIVE_EVERY`: a follower lists its relayed connections to their owners; an owner
/// drops the seats of followers that went silent.
async fn tick(audio: Weak<Audio>, cluster: Arc<Cluster>) {
    let mut every = tokio::time::interval(ALIVE_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let Some(audio) = audio.upgrade() else { return };
        let entries: Vec<Arc<Entry>> = lock(&audio.routing.conns)
            .values()
            .filter_map(Weak::upgrade)
            .collect();
        let mut relayed: HashMap<(String, WorkshopId), Vec<u64>> = HashMap::new();
        for entry in entries {
            if let Some(Some(node)) = lock(&entry.relay).current.clone() {
                let key = (node, entry.workshop.id);
                relayed.entry(key).or_default().push(entry.id);
            }
        }
        for ((node, workshop), conns) in relayed {
            cluster.tell(&node, workshop, Wire::AudioAlive { conns });
        }
        let now = Instant::now();
        lock(&audio.routing.remote)
            .retain(|_, seat| now.duration_since(seat.alive) < REMOTE_EXPIRY);
    }
}
