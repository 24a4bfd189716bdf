//! The workshop actor: the one writer of one workshop's state.
//!
//! It drains whatever messages wait in its inbox, decides every command against the state,
//! appends all resulting events, command outcomes and credentials in one transaction (group
//! commit), and only then acks, fans out and registers new subscribers. No lock guards the
//! state: only this task touches it.
//!
//! In a cluster (several nodes on one PostgreSQL database), other nodes may hold an actor of
//! the same workshop, but only the owner's (`forward.rs`) decides and commits: the others
//! forward their commands to it and catch up on its commits. The store's compare-and-set on
//! the workshop's commit number (`rev`) stays the safety net: should two actors commit for
//! a moment (a takeover, Redis down), the loser catches up (applies and fans out what the
//! winner committed) and decides its batch again. Before a `hello`, a report or an export
//! the actor always catches up, so a participant who joined elsewhere is known.
//!
//! Architecture invariant: nothing leaves the actor before the store said it is durable.
//!
//! The actor's parts, one file each:
//!
//! | File | What |
//! |---|---|
//! | `workshop.rs` | messages and the actor's state |
//! | `workshop/run.rs` | the actor's loop and batching: its inbox, the store's answers, the clock |
//! | `workshop/commit.rs` | deciding a batch, the group commit, catching up with other nodes |
//! | `workshop/pipeline.rs` | one node on SQLite: deciding the next batch while the one before is written, and settling each in order |
//! | `workshop/delivery.rs` | applying a committed event and fanning it out (`apply_and_fan_out`: the one place every committed event, local or from another node, passes through), queueing frames, kicks, presence |
//! | `workshop/subscription.rs` | read-only messages: `hello` and its welcome, reports, exports, code lookups |
//! | `workshop/load.rs` | loading (snapshot and the log's tail), storing snapshots, eviction when idle |
//! | `workshop/erase.rs` | erasing the workshop |
//! | `workshop/forward.rs` | ownership in a cluster: forwarding to the owner, presence across nodes, taking over |
//! | `workshop/roster.rs` | joining with a roster person's personal link |

mod commit;
mod delivery;
mod erase;
mod forward;
pub mod load;
mod pipeline;
mod roster;
mod run;
mod subscription;

pub use forward::{Answer, Decider, BEAT, LEASE};

use commit::fail_all;
use delivery::{answer, snapshot_reason};

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
use crate::protocol::{ErrorCode, Outcome, ServerFrame, SnapshotReason};
use crate::store::{
    Batch, Codes, CommandRecord, Credential, JoinRecord, Store, StoreError, StoredEvent,
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
/// Inbox capacity by default (`--workshop-inbox`): senders wait (back-pressure) when the
/// actor is this far behind.
pub const INBOX_CAPACITY: usize = 4096;
/// How long an idle workshop stays in memory by default (`--workshop-idle-evict`).
pub const IDLE_EVICT: Duration = Duration::from_secs(600);
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
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JoinRequest {
    pub code: String,
    pub name: String,
    pub country: Option<String>,
    pub language: String,
    /// A retry with the same key gets the same participant and token (issue 21, item 9).
    pub idempotency_key: Option<String>,
    /// A roster person's personal link instead of a code: name, country and role come
    /// from the roster (`code`, `name` and `country` are not used).
    pub personal_link: Option<String>,
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
    /// A command a follower node forwarded to this node, the owner (dropped unanswered
    /// when this node does not own the workshop: the follower then asks the lease again).
    Forwarded {
        from: ParticipantId,
        id: String,
        command: Command,
        reply: oneshot::Sender<Outcome>,
    },
    /// A join a follower node forwarded to this node, the owner.
    ForwardedJoin {
        request: JoinRequest,
        reply: oneshot::Sender<Result<Joined, HubError>>,
    },
    /// The owner's answer to request `req` this follower forwarded.
    Answered { req: u64, answer: Answer },
    /// Follower node `node` has these participants connected (for the owner's presence).
    Here {
        node: String,
        participants: Vec<ParticipantId>,
    },
    /// The owner `node`'s presence list (for a follower).
    OwnerPresence {
        node: String,
        online: Vec<ParticipantId>,
    },
    /// Once a second in a cluster. `lease`: whether this node's lease renewal included the
    /// workshop (`None`: the renewal failed).
    Beat { lease: Option<bool> },
    /// Another node erased the workshop: close the connections with `close::ERASED`, stop.
    Erased,
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
    /// The review by delegations as the asker sees it; for every participant.
    Review,
}

/// A handle to a live workshop actor.
#[derive(Clone)]
pub struct WorkshopHandle {
    pub id: WorkshopId,
    tx: mpsc::Sender<Msg>,
    /// Which actor of the workshop this is (a reloaded workshop gets a new one).
    serial: u64,
}

/// A handle that does not keep the actor running.
pub struct WeakHandle {
    id: WorkshopId,
    tx: mpsc::WeakSender<Msg>,
    serial: u64,
}

impl WeakHandle {
    pub fn upgrade(&self) -> Option<WorkshopHandle> {
        let tx = self.tx.upgrade()?;
        Some(WorkshopHandle {
            id: self.id,
            tx,
            serial: self.serial,
        })
    }
}

impl WorkshopHandle {
    pub fn downgrade(&self) -> WeakHandle {
        WeakHandle {
            id: self.id,
            tx: self.tx.downgrade(),
            serial: self.serial,
        }
    }

    /// Queues `msg`; when the inbox is full, counts it (`cabildo_inbox_full_total`) and
    /// waits for room.
    pub async fn send(&self, msg: Msg) -> Result<(), HubError> {
        let msg = match self.tx.try_send(msg) {
            Ok(()) => return Ok(()),
            Err(mpsc::error::TrySendError::Full(msg)) => msg,
            Err(mpsc::error::TrySendError::Closed(_)) => return Err(HubError::unavailable()),
        };
        metrics::inbox_full();
        self.tx.send(msg).await.map_err(|_| HubError::unavailable())
    }

    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Whether this is the handle of actor `serial` and nobody else holds one.
    pub(super) fn is_only_handle_of(&self, serial: u64) -> bool {
        self.serial == serial && self.tx.strong_count() == 1
    }

    /// Tells the actor the workshop reached commit `rev` elsewhere. Never waits: a busy
    /// actor misses it and the next poll tells it again.
    pub fn notify(&self, rev: u64) {
        self.tell(Msg::Notify { rev });
    }

    /// Sends without waiting; a full inbox drops the message (what the cluster sends is
    /// sent again or covered by a resend).
    pub fn tell(&self, msg: Msg) {
        let _dropped_when_full = self.tx.try_send(msg);
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
    /// A frame for the sender of a query, before its answer.
    Reply(usize, Frame),
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
    /// Joins made with an idempotency key, by the key's hash.
    joins: HashMap<String, JoinRecord>,
    subscribers: HashMap<u64, Subscriber>,
    /// Connections by room, for board events; `None` until needed again after a change.
    audiences: Option<RoomAudiences>,
    recent: VecDeque<Recent>,
    inbox: mpsc::Receiver<Msg>,
    presence: Presence,
    /// Commands decided in the batch being committed: (type, outcome), for the metrics.
    decided: Vec<(&'static str, &'static str)>,
    /// Batches handed to the store and not yet settled (`pipeline.rs`).
    pipeline: pipeline::Pipeline,
    audio: crate::audio::AudioHook,
    /// Who decides this workshop, and what waits for the owner's answer.
    own: forward::Ownership,
    /// The `seq` of the last snapshot stored (0: none).
    snapshot_seq: u64,
    /// The encoded length of the last snapshot stored or loaded (0: none).
    snapshot_bytes: usize,
    /// This actor's number (`WorkshopHandle::serial`).
    serial: u64,
    /// Asks the registry to let this actor go when idle; `None`: never evicted.
    evictor: Option<super::Evictor>,
    /// When the last message other than a cluster heartbeat arrived.
    last_active: Instant,
    /// Set once the registry dropped this actor's handle.
    evicted: bool,
    /// Loaded from a snapshot: `recent` holds only the log's tail, not every event of the
    /// replay window.
    window_partial: bool,
}

/// What a new actor is given besides its stored log.
pub struct ActorSetup {
    pub store: Store,
    pub cluster: Option<Arc<Cluster>>,
    pub audio: crate::audio::AudioHook,
    /// Who decides the workshop: this node, or the owner it forwards to.
    pub role: Decider,
    /// Messages its inbox holds before senders wait (`--workshop-inbox`).
    pub inbox_capacity: usize,
    /// Lets the actor go after its idle period (`--workshop-idle-evict`).
    pub evictor: Option<super::Evictor>,
}
