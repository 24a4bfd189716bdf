//! The workshop actor: the one writer of one workshop's state.
//!
//! It drains whatever messages wait in its inbox, decides every command against the state,
//! appends all resulting events, command outcomes and credentials in one transaction (group
//! commit), and only then acks, fans out and registers new subscribers. No lock guards the
//! state: only this task touches it.
//!
//! In a cluster (several nodes on one PostgreSQL database), another node may hold an actor
//! of the same workshop. The store's compare-and-set on the workshop's commit number (`rev`)
//! decides which commit goes first; the loser catches up (applies and fans out what the
//! winner committed) and decides its batch again. Notifications from other nodes make the
//! actor catch up between batches, and before a `hello`, a report or an export it always
//! does, so a participant who joined elsewhere is known.
//!
//! Architecture invariant: nothing leaves the actor before the store said it is durable.

use super::audiences::RoomAudiences;
use super::outbox::{Frame, Outbox};
use super::presence::Presence;
use super::{now_ms, HubError};
use crate::auth;
use crate::cluster::Cluster;
use crate::domain::reports;
use crate::domain::timers;
use crate::domain::visibility::{self, Audience, Reshape};
use crate::domain::{
    decide, Actor, Command, Event, Participant, ParticipantId, Role, Workshop, WorkshopId,
};
use crate::metrics;
use crate::protocol::{event_frame, ErrorCode, Outcome, ServerFrame, SnapshotReason};
use crate::store::{
    Batch, Codes, CommandRecord, Credential, LoadedWorkshop, Store, StoreError, StoredEvent,
};
use serde_json::value::RawValue;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Duration, Instant};

/// How many recent events each workshop keeps for resuming clients. A client further
/// behind gets a fresh snapshot (`reason: "too_far_behind"`).
pub const REPLAY_WINDOW: usize = 10_000;
/// Shortest wait before the clock acts on a due timer (ms).
const MIN_CLOCK_WAIT_MS: u64 = 20;
/// Most inbox messages handled in one group commit.
const MAX_BATCH: usize = 512;
/// Inbox capacity: senders wait (back-pressure) when the actor is this far behind.
pub const INBOX_CAPACITY: usize = 4096;
/// How often a batch is decided again after losing the race to another node before its
/// senders are told `unavailable`.
const MAX_CONFLICTS: usize = 64;
/// Longest pause (ms) before deciding again after losing a race: the pause is random and
/// grows with each loss, so that nodes busy on one workshop take turns instead of the
/// slowest one losing every time.
const MAX_CONFLICT_PAUSE_MS: u64 = 50;

/// Where the answer to a command goes.
pub enum Reply {
    /// Into a connection's queue, as an `ack`/`error` frame.
    Socket(Outbox),
    /// Back to an in-process caller (the demo loader).
    Direct(oneshot::Sender<Outcome>),
}

/// A request to join, already past the REST layer's parsing.
#[derive(Clone)]
pub struct JoinRequest {
    pub code: String,
    pub name: String,
    pub country: Option<String>,
    pub language: String,
}

/// A participant who just joined, with the token they must keep.
pub struct Joined {
    pub participant: Participant,
    pub token: String,
}

pub enum Msg {
    Command {
        from: ParticipantId,
        id: String,
        command: Command,
        reply: Reply,
    },
    Join {
        request: JoinRequest,
        reply: oneshot::Sender<Result<Joined, HubError>>,
    },
    Subscribe {
        conn: u64,
        participant: ParticipantId,
        last_seq: Option<u64>,
        outbox: Outbox,
        reply: oneshot::Sender<Result<(), HubError>>,
    },
    /// A read-only report for a staff member.
    Query {
        participant: ParticipantId,
        query: Query,
        reply: oneshot::Sender<Result<String, HubError>>,
    },
    /// The clock: announce due timer warnings and endings (sent by the actor to itself).
    Tick,
    /// A copy of the state for an export, for a staff member. The export is rendered from
    /// the copy outside the actor, so a large document never delays the workshop's commands.
    Export {
        participant: ParticipantId,
        reply: oneshot::Sender<Result<Box<Workshop>, HubError>>,
    },
    /// Forget a connection. Answered once every earlier message of it was handled, so its
    /// last acks are already queued when the reply arrives.
    Unsubscribe {
        conn: u64,
        done: oneshot::Sender<()>,
    },
    /// Another node committed: the workshop is at commit `rev` (catch up if behind it).
    Notify { rev: u64 },
    /// What a join code opens here: the role it gives, the title and the languages (for the
    /// join page's lookup); `None` when the code is neither of this workshop's codes.
    Describe {
        code: String,
        reply: oneshot::Sender<Option<CodeInfo>>,
    },
    /// Delete the workshop for good: every stored row, then close every connection with
    /// `close::ERASED` and stop. `by` is the participant asking; it must be the organizer.
    Erase {
        by: ParticipantId,
        reply: oneshot::Sender<Result<(), HubError>>,
    },
    /// Run a read-only look at the state between commits (the audio service's).
    Inspect(Box<dyn FnOnce(&Workshop) + Send>),
}

/// What `Msg::Describe` answers.
#[derive(Clone, Debug)]
pub struct CodeInfo {
    pub role: Role,
    pub title: String,
    pub languages: Vec<String>,
}

/// The reports staff can ask for over REST.
#[derive(Clone, Copy, Debug)]
pub enum Query {
    /// Per country: its delegates' cards and the conclusions citing them.
    Overview,
    /// Every room's cards by theme and column, with votes, groups and citing conclusions.
    Consolidation,
}

/// A handle to a live workshop actor.
#[derive(Clone)]
pub struct WorkshopHandle {
    pub id: WorkshopId,
    tx: mpsc::Sender<Msg>,
}

impl WorkshopHandle {
    pub async fn send(&self, msg: Msg) -> Result<(), HubError> {
        self.tx.send(msg).await.map_err(|_| HubError::unavailable())
    }

    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Tells the actor the workshop reached commit `rev` elsewhere. Never waits: a busy
    /// actor misses it and the next poll tells it again.
    pub fn notify(&self, rev: u64) {
        let _dropped_when_full = self.tx.try_send(Msg::Notify { rev });
    }
}

/// A message that changes the workshop, held until its batch is durable (or refused), so
/// that the batch can be decided again after losing a race to another node.
enum Pending {
    Command {
        from: ParticipantId,
        id: String,
        command: Command,
        reply: Option<Reply>,
    },
    Join {
        request: JoinRequest,
        reply: Option<oneshot::Sender<Result<Joined, HubError>>>,
    },
    Tick,
}

/// How bringing the state up to date went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Progress {
    Done,
    /// The store could not be read; the state is as it was.
    Unavailable,
    /// The state could not be rebuilt: the actor must stop (the hub reloads it later).
    Broken,
}

/// One recent event, kept for replay to resuming clients.
struct Recent {
    seq: u64,
    audience: Audience,
    /// Whose view this event changed wholesale: they need a snapshot instead of a replay.
    reshape: Reshape,
    frame: Frame,
}

struct Subscriber {
    participant: ParticipantId,
    outbox: Outbox,
}

/// What to send once the batch is durable. Answers name their message by its index in the
/// batch's `Pending` list.
enum Delivery {
    Answer(usize, Outcome),
    Joined(usize, Result<Joined, HubError>),
    Event {
        frame: Frame,
        to: Vec<u64>,
    },
    Snapshot {
        to: u64,
        frame: Frame,
    },
    /// Close the connections of a participant just removed.
    Kick(ParticipantId),
}

pub struct WorkshopActor {
    state: Workshop,
    /// The number of the last commit `state` includes.
    rev: u64,
    codes: Codes,
    store: Store,
    /// Set in a cluster: where to announce commits.
    cluster: Option<Arc<Cluster>>,
    /// Outcome of every command ever sent, by (participant, command id): the idempotency record.
    done: HashMap<(ParticipantId, String), Outcome>,
    subscribers: HashMap<u64, Subscriber>,
    /// Connections by room, for board events; `None` until needed again after a change.
    audiences: Option<RoomAudiences>,
    recent: VecDeque<Recent>,
    inbox: mpsc::Receiver<Msg>,
    presence: Presence,
    /// Commands decided in the batch being committed: (type, outcome), for the metrics.
    decided: Vec<(&'static str, &'static str)>,
    audio: crate::audio::AudioHook,
}

impl WorkshopActor {
    /// Rebuilds a workshop from its stored log and spawns its actor.
    pub fn spawn(
        id: WorkshopId,
        store: Store,
        loaded: LoadedWorkshop,
        tasks: &tokio_util::task::TaskTracker,
        cluster: Option<Arc<Cluster>>,
        audio: crate::audio::AudioHook,
    ) -> Result<WorkshopHandle, HubError> {
        let (tx, inbox) = mpsc::channel(INBOX_CAPACITY);
        let mut actor = WorkshopActor {
            state: Workshop::empty(id),
            rev: loaded.rev,
            codes: loaded.codes,
            store,
            cluster,
            done: HashMap::new(),
            subscribers: HashMap::new(),
            audiences: None,
            recent: VecDeque::new(),
            inbox,
            presence: Presence::default(),
            decided: Vec::new(),
            audio,
        };
        actor.replay(loaded.events, loaded.commands)?;
        tasks.spawn(actor.run());
        Ok(WorkshopHandle { id, tx })
    }

    fn replay(
        &mut self,
        events: Vec<StoredEvent>,
        commands: Vec<CommandRecord>,
    ) -> Result<(), HubError> {
        self.state = Workshop::empty(self.state.id);
        self.audiences = None;
        self.recent.clear();
        for stored in events {
            let event: Event = serde_json::from_str(&stored.body).map_err(|e| {
                tracing::error!(workshop = %self.state.id, seq = stored.seq, error = %e, "unreadable event in the log");
                HubError::unavailable()
            })?;
            self.apply_and_remember(&stored, &event);
        }
        self.done = commands
            .into_iter()
            .map(|c| ((c.participant, c.command_id), c.outcome))
            .collect();
        Ok(())
    }

    /// Applies a stored event and keeps it for replay, with who may see it (judged on the
    /// state before it) and whose view it reshapes.
    fn apply_and_remember(
        &mut self,
        stored: &StoredEvent,
        event: &Event,
    ) -> (Frame, Audience, Reshape) {
        let audience = Audience::of(&self.state, event);
        let reshape = Reshape::of(self.state.settings.as_ref(), event);
        self.state.apply(stored.seq, event);
        let frame: Frame = event_frame(stored.seq, stored.at, stored.actor, &stored.body).into();
        if self.recent.len() == REPLAY_WINDOW {
            self.recent.pop_front();
        }
        self.recent.push_back(Recent {
            seq: stored.seq,
            audience,
            reshape: reshape.clone(),
            frame: frame.clone(),
        });
        (frame, audience, reshape)
    }

    async fn run(mut self) {
        let mut msgs = Vec::with_capacity(MAX_BATCH);
        loop {
            let wake = self.next_wake();
            tokio::select! {
                n = self.inbox.recv_many(&mut msgs, MAX_BATCH) => {
                    if n == 0 || !self.handle(std::mem::take(&mut msgs)).await {
                        break;
                    }
                }
                () = tokio::time::sleep_until(wake.unwrap_or_else(Instant::now)), if wake.is_some() => {
                    if !self.on_clock().await {
                        break;
                    }
                }
            }
        }
        tracing::debug!(workshop = %self.state.id, "workshop actor stopped");
    }

    /// When the actor must act without a message: a timer warning or ending, or a
    /// participant's presence grace period running out.
    fn next_wake(&self) -> Option<Instant> {
        let timer = timers::next_due(&self.state).map(|due| {
            // At least a short pause, so a clock that cannot make progress (a failing
            // store) never spins.
            let wait = u64::try_from(due - now_ms())
                .unwrap_or(0)
                .max(MIN_CLOCK_WAIT_MS);
            Instant::now() + Duration::from_millis(wait)
        });
        [timer, self.presence.next_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    async fn on_clock(&mut self) -> bool {
        for p in self.presence.gone(Instant::now()) {
            self.announce_presence(p, false);
        }
        let due = timers::next_due(&self.state).is_some_and(|d| d <= now_ms());
        if !due {
            return true;
        }
        self.handle(vec![Msg::Tick]).await
    }

    /// Tells every connection that `p` came online or went offline (not an event: no seq).
    fn announce_presence(&mut self, p: ParticipantId, online: bool) {
        let frame: Frame =
            serde_json::json!({"type": "presence", "participant": p, "online": online})
                .to_string()
                .into();
        let gone: Vec<u64> = self
            .subscribers
            .iter()
            .filter(|(_, sub)| !sub.outbox.send(frame.clone()))
            .map(|(conn, _)| *conn)
            .collect();
        for conn in gone {
            self.drop_subscriber(conn);
        }
    }

    fn drop_subscriber(&mut self, conn: u64) {
        self.audiences = None;
        if let Some(sub) = self.subscribers.remove(&conn) {
            self.presence.depart(sub.participant, Instant::now());
        }
    }

    /// Handles one batch. Returns `false` if the actor cannot go on (its store failed and
    /// the state could not be rebuilt).
    async fn handle(&mut self, msgs: Vec<Msg>) -> bool {
        let mut pending = Vec::new();
        let mut later = Vec::new();
        let mut notified = 0;
        let mut msgs = msgs.into_iter();
        let mut erase = None;
        for msg in msgs.by_ref() {
            match msg {
                Msg::Command {
                    from,
                    id,
                    command,
                    reply,
                } => pending.push(Pending::Command {
                    from,
                    id,
                    command,
                    reply: Some(reply),
                }),
                Msg::Join { request, reply } => pending.push(Pending::Join {
                    request,
                    reply: Some(reply),
                }),
                Msg::Tick => pending.push(Pending::Tick),
                Msg::Notify { rev } => notified = notified.max(rev),
                Msg::Erase { by, reply } => match self.may_erase(by) {
                    // What came before is committed first; what comes after is refused.
                    Ok(()) => {
                        erase = Some(reply);
                        break;
                    }
                    Err(e) => {
                        let _caller_may_be_gone = reply.send(Err(e));
                    }
                },
                other => later.push(other),
            }
        }
        // In a cluster, a hello, a report or an export sees what other nodes committed.
        let must_be_fresh =
            self.cluster.is_some() && later.iter().any(|m| !matches!(m, Msg::Unsubscribe { .. }));
        let mut fresh = true;
        if notified > self.rev || must_be_fresh {
            match self.catch_up().await {
                Progress::Done => {}
                Progress::Unavailable => fresh = false,
                Progress::Broken => {
                    fail_all(&mut pending);
                    return false;
                }
            }
        }
        if !pending.is_empty() && !self.commit(&mut pending).await {
            return false;
        }
        for msg in later {
            self.subscription(msg, fresh || !must_be_fresh);
        }
        match erase {
            Some(reply) => self.erase(reply, msgs.collect()).await,
            None => true,
        }
    }

    /// Whether `by` may erase this workshop: only its organizer may.
    fn may_erase(&self, by: ParticipantId) -> Result<(), HubError> {
        match self.state.participants.get(&by) {
            Some(p) if p.removed => Err(HubError::new(
                ErrorCode::Unauthorized,
                "unknown or removed participant",
            )),
            Some(p) if p.role == Role::Organizer => Ok(()),
            Some(_) => Err(HubError::new(
                ErrorCode::Forbidden,
                "only the organizer erases a workshop",
            )),
            None => Err(HubError::new(
                ErrorCode::Unauthorized,
                "unknown participant",
            )),
        }
    }

    /// Deletes every stored row of the workshop, closes its connections with
    /// `close::ERASED` and refuses whatever else waits in the inbox. Returns whether the
    /// actor goes on (only when the store failed to erase).
    async fn erase(
        &mut self,
        reply: oneshot::Sender<Result<(), HubError>>,
        rest: Vec<Msg>,
    ) -> bool {
        let id = self.state.id;
        match self.store.erase_workshop(id).await {
            Ok(_) => {
                self.audiences = None;
                for (_, sub) in self.subscribers.drain() {
                    sub.outbox.kick().close_with(crate::protocol::close::ERASED);
                }
                self.inbox.close();
                let mut rest = rest;
                while let Ok(msg) = self.inbox.try_recv() {
                    rest.push(msg);
                }
                for msg in rest {
                    refuse(msg, HubError::not_found());
                }
                self.audio.erased();
                tracing::info!(workshop = %id, "workshop erased");
                let _caller_may_be_gone = reply.send(Ok(()));
                false
            }
            Err(e) => {
                tracing::error!(workshop = %id, error = %e, "erasing the workshop failed");
                for msg in rest {
                    refuse(msg, HubError::unavailable());
                }
                let _caller_may_be_gone = reply.send(Err(HubError::unavailable()));
                true
            }
        }
    }

    /// Decides every pending message and commits the batch; after losing a race to another
    /// node, catches up and decides again. Answers every message. `false`: the actor must stop.
    async fn commit(&mut self, pending: &mut [Pending]) -> bool {
        let mut conflicts = 0;
        loop {
            let seq_before = self.state.seq;
            let now = now_ms();
            let mut batch = Batch::default();
            let mut deliveries = Vec::new();
            self.decided.clear();
            for (i, p) in pending.iter().enumerate() {
                self.decide(i, p, now, &mut batch, &mut deliveries);
            }
            if batch.is_empty() {
                self.deliver_all(deliveries, pending);
                return true;
            }
            let appended = self.store.append(self.state.id, self.rev, &batch).await;
            // Losing a race to another node is no failure: the batch is decided again.
            metrics::commit(appended.is_ok() || matches!(appended, Err(StoreError::Conflict)));
            match appended {
                Ok(rev) => {
                    self.rev = rev;
                    metrics::events_committed(batch.events.len());
                    for (kind, outcome) in self.decided.drain(..) {
                        metrics::command(kind, outcome);
                    }
                    if let Some(cluster) = &self.cluster {
                        cluster.notify(self.state.id, rev);
                    }
                    self.deliver_all(deliveries, pending);
                    return true;
                }
                Err(StoreError::Conflict) if conflicts < MAX_CONFLICTS => {
                    conflicts += 1;
                    tracing::debug!(workshop = %self.state.id, conflicts, "another node committed first; deciding again");
                    let ceiling = (1u64 << conflicts.min(6)).min(MAX_CONFLICT_PAUSE_MS);
                    let pause = rand::Rng::gen_range(&mut rand::thread_rng(), 0..=ceiling);
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                    if self.rebuild(seq_before).await != Progress::Done {
                        fail_all(pending);
                        return false;
                    }
                }
                Err(e) => {
                    for (kind, _) in self.decided.drain(..) {
                        metrics::command(kind, ErrorCode::Unavailable.as_str());
                    }
                    tracing::error!(workshop = %self.state.id, error = %e, "group commit failed; nothing of it is acknowledged");
                    fail_all(pending);
                    return self.rebuild(seq_before).await == Progress::Done;
                }
            }
        }
    }

    /// Decides the `i`th pending message into the batch.
    fn decide(
        &mut self,
        i: usize,
        pending: &Pending,
        now: i64,
        batch: &mut Batch,
        deliveries: &mut Vec<Delivery>,
    ) {
        match pending {
            Pending::Command {
                from, id, command, ..
            } => {
                let outcome = self.command(*from, id, command, now, batch, deliveries);
                deliveries.push(Delivery::Answer(i, outcome));
            }
            Pending::Join { request, .. } => {
                let joined = self.join(request.clone(), now, batch, deliveries);
                deliveries.push(Delivery::Joined(i, joined));
            }
            Pending::Tick => match decide(&self.state, Actor::Server, &Command::Tick { now }) {
                Ok(events) => self.record(events, None, now, batch, deliveries),
                Err(e) => tracing::warn!(error = %e, "timer tick refused"),
            },
        }
    }

    /// Between batches (the state holds only what is durable): applies and fans out what
    /// other nodes committed since.
    async fn catch_up(&mut self) -> Progress {
        let seq = self.state.seq;
        let news = match self.store.catch_up(self.state.id, seq, self.rev).await {
            Ok(news) => news,
            Err(e) => {
                tracing::warn!(workshop = %self.state.id, error = %e, "could not catch up with other nodes");
                return Progress::Unavailable;
            }
        };
        let contiguous = news
            .events
            .iter()
            .enumerate()
            .all(|(i, e)| e.seq == seq + 1 + i as u64);
        if !contiguous {
            return self.rebuild(seq).await;
        }
        for c in news.commands {
            self.done.insert((c.participant, c.command_id), c.outcome);
        }
        let mut deliveries = Vec::new();
        for stored in news.events {
            if self.apply_stored(stored, &mut deliveries).is_err() {
                return Progress::Broken;
            }
        }
        self.rev = self.rev.max(news.rev);
        self.deliver_all(deliveries, &mut []);
        Progress::Done
    }

    /// Re-reads the whole log: the state drops whatever was decided after `seq_before` but
    /// not stored, and takes on (and fans out) what other nodes stored after it instead.
    async fn rebuild(&mut self, seq_before: u64) -> Progress {
        let loaded = match self.store.load(self.state.id).await {
            Ok(Some(loaded)) => loaded,
            Ok(None) => return Progress::Broken,
            Err(e) => {
                tracing::warn!(workshop = %self.state.id, error = %e, "could not re-read the workshop");
                return Progress::Broken;
            }
        };
        self.codes = loaded.codes;
        self.rev = loaded.rev;
        let (known, news): (Vec<_>, Vec<_>) =
            loaded.events.into_iter().partition(|e| e.seq <= seq_before);
        if self.replay(known, loaded.commands).is_err() {
            return Progress::Broken;
        }
        let mut deliveries = Vec::new();
        for stored in news {
            if self.apply_stored(stored, &mut deliveries).is_err() {
                return Progress::Broken;
            }
        }
        self.deliver_all(deliveries, &mut []);
        Progress::Done
    }

    /// Applies an event another node stored, and fans it out.
    fn apply_stored(
        &mut self,
        stored: StoredEvent,
        deliveries: &mut Vec<Delivery>,
    ) -> Result<(), HubError> {
        let event: Event = serde_json::from_str(&stored.body).map_err(|e| {
            tracing::error!(workshop = %self.state.id, seq = stored.seq, error = %e, "unreadable event in the log");
            HubError::unavailable()
        })?;
        self.apply_and_fan_out(&stored, event, deliveries);
        Ok(())
    }

    fn command(
        &mut self,
        from: ParticipantId,
        id: &str,
        command: &Command,
        now: i64,
        batch: &mut Batch,
        deliveries: &mut Vec<Delivery>,
    ) -> Outcome {
        let key = (from, id.to_string());
        if let Some(outcome) = self.done.get(&key) {
            return outcome.clone();
        }
        let outcome = match decide(&self.state, Actor::Participant(from), command) {
            Ok(events) => {
                self.record(events, Some(from), now, batch, deliveries);
                Outcome::Ack {
                    seq: self.state.seq,
                }
            }
            Err(e) => Outcome::rejected(&e),
        };
        let label = match &outcome {
            Outcome::Ack { .. } => "ok",
            Outcome::Error { code, .. } => code.as_str(),
        };
        self.decided.push((command.kind(), label));
        batch.commands.push(CommandRecord {
            participant: from,
            command_id: key.1.clone(),
            outcome: outcome.clone(),
        });
        self.done.insert(key, outcome.clone());
        outcome
    }

    fn join(
        &mut self,
        request: JoinRequest,
        now: i64,
        batch: &mut Batch,
        deliveries: &mut Vec<Delivery>,
    ) -> Result<Joined, HubError> {
        let code = auth::normalize_code(&request.code);
        let role = if auth::secrets_match(&code, &self.codes.delegate) {
            Role::Delegate
        } else if auth::secrets_match(&code, &self.codes.facilitator) {
            Role::Facilitator
        } else {
            return Err(HubError::new(
                ErrorCode::Unauthorized,
                "that code does not open this workshop",
            ));
        };
        let participant = ParticipantId::random();
        let command = Command::Join {
            participant,
            name: request.name,
            country: request.country,
            language: request.language,
            role,
        };
        let events = decide(&self.state, Actor::Server, &command)?;
        self.record(events, None, now, batch, deliveries);
        let token = auth::new_token();
        batch.credentials.push(Credential {
            token_hash: auth::hash_token(&token),
            participant,
        });
        let participant = self.state.participant(participant)?.clone();
        Ok(Joined { participant, token })
    }

    /// Applies new events, stages them for the store, and works out who receives each one
    /// from the state right after it (so a move earlier in the batch counts for later events).
    fn record(
        &mut self,
        events: Vec<Event>,
        actor: Option<ParticipantId>,
        at: i64,
        batch: &mut Batch,
        deliveries: &mut Vec<Delivery>,
    ) {
        for event in events {
            let seq = self.state.seq + 1;
            let body = match serde_json::to_string(&event) {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "an event could not be encoded; it is dropped");
                    continue;
                }
            };
            let stored = StoredEvent {
                seq,
                at,
                actor,
                body,
            };
            self.apply_and_fan_out(&stored, event, deliveries);
            batch.events.push(stored);
        }
    }

    /// Applies an event and works out who receives it, from the state right after it.
    fn apply_and_fan_out(
        &mut self,
        stored: &StoredEvent,
        event: Event,
        deliveries: &mut Vec<Delivery>,
    ) {
        let seq = stored.seq;
        let (frame, audience, reshape) = self.apply_and_remember(stored, &event);
        if !RoomAudiences::survives(&event) {
            self.audiences = None;
        } else if let (Audience::Room(room), Reshape::Nobody) = (audience, &reshape) {
            let (subscribers, state) = (&self.subscribers, &self.state);
            let to = self
                .audiences
                .get_or_insert_with(|| {
                    let subs = subscribers.iter().map(|(c, s)| (*c, &s.participant));
                    RoomAudiences::build(subs, state)
                })
                .of_room(room);
            deliveries.push(Delivery::Event { frame, to });
            return;
        }
        let mut to = Vec::new();
        let mut snapshots = Vec::new();
        for (conn, sub) in &self.subscribers {
            let Some(viewer) = self.state.participants.get(&sub.participant) else {
                continue;
            };
            if audience.admits(viewer) {
                to.push(*conn);
            }
            if reshape.affects(viewer) {
                let snapshot = ServerFrame::Snapshot {
                    seq,
                    reason: snapshot_reason(&reshape),
                    snapshot: visibility::view(&self.state, viewer),
                };
                snapshots.push(Delivery::Snapshot {
                    to: *conn,
                    frame: snapshot.encode().into(),
                });
            }
        }
        // The event first, then the fresh snapshots it calls for.
        deliveries.push(Delivery::Event { frame, to });
        deliveries.extend(snapshots);
        if let Event::ParticipantRemoved { participant } = event {
            deliveries.push(Delivery::Kick(participant));
        }
    }

    fn deliver_all(&mut self, deliveries: Vec<Delivery>, pending: &mut [Pending]) {
        for d in deliveries {
            self.deliver(d, pending);
        }
        self.audio.after_commit(&self.state);
    }

    fn deliver(&mut self, delivery: Delivery, pending: &mut [Pending]) {
        match delivery {
            Delivery::Answer(i, outcome) => {
                if let Some(Pending::Command { id, reply, .. }) = pending.get_mut(i) {
                    answer(id, reply.take(), outcome);
                }
            }
            Delivery::Joined(i, joined) => {
                if let Some(Pending::Join { reply, .. }) = pending.get_mut(i) {
                    if let Some(tx) = reply.take() {
                        let _caller_may_be_gone = tx.send(joined);
                    }
                }
            }
            Delivery::Event { frame, to } => {
                let mut delivered = 0;
                for conn in to {
                    delivered += usize::from(self.send_to(conn, frame.clone()));
                }
                metrics::events_delivered(delivered);
            }
            Delivery::Snapshot { to, frame } => {
                self.send_to(to, frame);
            }
            Delivery::Kick(p) => self.kick_participant(p),
        }
    }

    /// Queues a frame for one connection; returns whether it was queued.
    fn send_to(&mut self, conn: u64, frame: Frame) -> bool {
        let Some(sub) = self.subscribers.get(&conn) else {
            return false;
        };
        let queued = sub.outbox.send(frame);
        if !queued {
            self.drop_subscriber(conn);
        }
        queued
    }

    /// Closes every connection of a removed participant.
    fn kick_participant(&mut self, p: ParticipantId) {
        let conns: Vec<u64> = self
            .subscribers
            .iter()
            .filter(|(_, sub)| sub.participant == p)
            .map(|(conn, _)| *conn)
            .collect();
        self.audiences = None;
        for conn in conns {
            if let Some(sub) = self.subscribers.remove(&conn) {
                sub.outbox
                    .kick()
                    .close_with(crate::protocol::close::REMOVED);
            }
        }
        if self.presence.forget(p) {
            self.announce_presence(p, false);
        }
    }

    /// Answers a message that changes nothing. `fresh`: whether the state is known to be up
    /// to date (in a cluster, it may not be while the store is unreachable).
    fn subscription(&mut self, msg: Msg, fresh: bool) {
        if !fresh {
            let unavailable = Err(HubError::unavailable());
            match msg {
                Msg::Subscribe { reply, .. } => {
                    let _connection_may_be_gone = reply.send(unavailable);
                }
                Msg::Query { reply, .. } => {
                    let _caller_may_be_gone = reply.send(unavailable.map(|()| String::new()));
                }
                Msg::Export { reply, .. } => {
                    let _caller_may_be_gone = reply.send(Err(HubError::unavailable()));
                }
                other => self.subscription(other, true),
            }
            return;
        }
        match msg {
            Msg::Subscribe {
                conn,
                participant,
                last_seq,
                outbox,
                reply,
            } => {
                let result = match self.state.participants.get(&participant) {
                    Some(me) if !me.removed => {
                        let came_online = self.presence.arrive(participant);
                        let welcome = self.welcome(me, last_seq);
                        if came_online {
                            self.announce_presence(participant, true);
                        }
                        if outbox.send(welcome.into()) {
                            self.audiences = None;
                            self.subscribers.insert(
                                conn,
                                Subscriber {
                                    participant,
                                    outbox,
                                },
                            );
                        } else {
                            self.presence.depart(participant, Instant::now());
                        }
                        Ok(())
                    }
                    _ => Err(HubError::new(
                        ErrorCode::Unauthorized,
                        "unknown or removed participant",
                    )),
                };
                let _connection_may_be_gone = reply.send(result);
            }
            Msg::Unsubscribe { conn, done } => {
                self.drop_subscriber(conn);
                let _connection_may_be_gone = done.send(());
            }
            Msg::Query {
                participant,
                query,
                reply,
            } => {
                let report = match self.state.participants.get(&participant) {
                    Some(p) if p.removed => Err(HubError::new(
                        ErrorCode::Unauthorized,
                        "unknown or removed participant",
                    )),
                    Some(p) if p.role.is_staff() => {
                        let encoded = match query {
                            Query::Overview => {
                                serde_json::to_string(&reports::country_overview(&self.state))
                            }
                            Query::Consolidation => {
                                serde_json::to_string(&reports::consolidation(&self.state))
                            }
                        };
                        encoded.map_err(|_| HubError::unavailable())
                    }
                    Some(_) => Err(HubError::new(
                        ErrorCode::Forbidden,
                        "only facilitators and the organizer see reports",
                    )),
                    None => Err(HubError::new(
                        ErrorCode::Unauthorized,
                        "unknown participant",
                    )),
                };
                let _caller_may_be_gone = reply.send(report);
            }
            Msg::Export { participant, reply } => {
                let snapshot = match self.state.participants.get(&participant) {
                    Some(p) if p.removed => Err(HubError::new(
                        ErrorCode::Unauthorized,
                        "unknown or removed participant",
                    )),
                    Some(p) if p.role.is_staff() => Ok(Box::new(self.state.clone())),
                    Some(_) => Err(HubError::new(
                        ErrorCode::Forbidden,
                        "only facilitators and the organizer export a workshop",
                    )),
                    None => Err(HubError::new(
                        ErrorCode::Unauthorized,
                        "unknown participant",
                    )),
                };
                let _caller_may_be_gone = reply.send(snapshot);
            }
            Msg::Describe { code, reply } => {
                let code = auth::normalize_code(&code);
                let role = if auth::secrets_match(&code, &self.codes.delegate) {
                    Some(Role::Delegate)
                } else if auth::secrets_match(&code, &self.codes.facilitator) {
                    Some(Role::Facilitator)
                } else {
                    None
                };
                let info = role
                    .zip(self.state.settings.as_ref())
                    .map(|(role, s)| CodeInfo {
                        role,
                        title: s.title.clone(),
                        languages: s.languages.clone(),
                    });
                let _caller_may_be_gone = reply.send(info);
            }
            Msg::Inspect(look) => look(&self.state),
            // Handled in `handle` before the commit; never deferred to here.
            Msg::Command { .. }
            | Msg::Join { .. }
            | Msg::Tick
            | Msg::Notify { .. }
            | Msg::Erase { .. } => {}
        }
    }

    /// The answer to `hello`: the missed events when they can be replayed, else a snapshot.
    fn welcome(&self, me: &Participant, last_seq: Option<u64>) -> String {
        let seq = self.state.seq;
        let snapshot = |reason| {
            ServerFrame::Welcome {
                seq,
                you: me,
                online: self.presence.online(),
                resumed: false,
                reason: Some(reason),
                snapshot: Some(visibility::view(&self.state, me)),
                events: None,
            }
            .encode()
        };
        let Some(last) = last_seq else {
            return snapshot(SnapshotReason::Initial);
        };
        if last > seq {
            return snapshot(SnapshotReason::Unknown);
        }
        let covered = last == seq || self.recent.front().is_some_and(|r| r.seq <= last + 1);
        if !covered {
            return snapshot(SnapshotReason::TooFarBehind);
        }
        let missed = self.recent.iter().filter(|r| r.seq > last);
        if let Some(r) = missed.clone().find(|r| r.reshape.affects(me)) {
            return snapshot(snapshot_reason(&r.reshape));
        }
        let events = missed
            .filter(|r| r.audience.admits(me))
            .filter_map(|r| RawValue::from_string(r.frame.as_str().to_owned()).ok())
            .collect();
        ServerFrame::Welcome {
            seq,
            you: me,
            online: self.presence.online(),
            resumed: true,
            reason: None,
            snapshot: None,
            events: Some(events),
        }
        .encode()
    }
}

fn snapshot_reason(reshape: &Reshape) -> SnapshotReason {
    match reshape {
        Reshape::Participant(_) | Reshape::Participants(_) => SnapshotReason::Moved,
        Reshape::RoomDelegates(_) | Reshape::Nobody => SnapshotReason::ViewChanged,
    }
}

/// Sends a command's outcome to whoever waits for it.
fn answer(id: &str, reply: Option<Reply>, outcome: Outcome) {
    match reply {
        Some(Reply::Socket(outbox)) => {
            let _queued_or_kicked = outbox.send(outcome.frame(id).into());
        }
        Some(Reply::Direct(tx)) => {
            let _caller_may_be_gone = tx.send(outcome);
        }
        None => {}
    }
}

/// Tells every side still waiting that its command or join did not happen.
fn fail_all(pending: &mut [Pending]) {
    for p in pending {
        match p {
            Pending::Command { id, reply, .. } => {
                let outcome = Outcome::Error {
                    code: ErrorCode::Unavailable,
                    message: "the change could not be stored; retry with the same id".into(),
                    current_version: None,
                };
                answer(id, reply.take(), outcome);
            }
            Pending::Join { reply, .. } => {
                if let Some(tx) = reply.take() {
                    let _caller_may_be_gone = tx.send(Err(HubError::unavailable()));
                }
            }
            Pending::Tick => {}
        }
    }
}

/// Answers a message the actor will not handle (the workshop was just erased, or erasing
/// it failed) with `error`.
fn refuse(msg: Msg, error: HubError) {
    match msg {
        Msg::Command { id, reply, .. } => {
            let outcome = Outcome::Error {
                code: error.code,
                message: error.message,
                current_version: None,
            };
            answer(&id, Some(reply), outcome);
        }
        Msg::Join { reply, .. } => {
            let _caller_may_be_gone = reply.send(Err(error));
        }
        Msg::Subscribe { reply, .. } | Msg::Erase { reply, .. } => {
            let _caller_may_be_gone = reply.send(Err(error));
        }
        Msg::Query { reply, .. } => {
            let _caller_may_be_gone = reply.send(Err(error));
        }
        Msg::Export { reply, .. } => {
            let _caller_may_be_gone = reply.send(Err(error));
        }
        Msg::Describe { reply, .. } => {
            // An erased workshop opens no code.
            let _caller_may_be_gone = reply.send(None);
        }
        Msg::Unsubscribe { done, .. } => {
            let _caller_may_be_gone = done.send(());
        }
        Msg::Tick | Msg::Notify { .. } | Msg::Inspect(_) => {}
    }
}
