//! Ownership in a cluster: the owner decides and commits; a follower forwards its
//! connections' commands and joins to the owner, mirrors the owner's presence, and takes
//! the workshop over when the owner goes silent (see `cluster`).

use super::*;
use crate::cluster::wire::{JoinedWire, Wire};
use std::collections::HashSet;

/// How long a lease runs without renewal: ownership moves this long after an owner dies
/// (plus up to one `BEAT`).
pub const LEASE: Duration = Duration::from_secs(3);
/// How often the hub renews this node's leases and beats every live actor.
pub const BEAT: Duration = Duration::from_secs(1);
/// A forwarded request unanswered this long makes the follower check the lease again and
/// resend it (to the new owner, or to itself after taking over).
const FORWARD_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest a follower holds a connection's close for the owner's answers to the commands
/// it forwarded for that participant: room for a takeover (`LEASE` + one `BEAT`) and a
/// resend.
pub const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Who decides this workshop.
pub enum Decider {
    /// This node (always, on a single node).
    Owner,
    /// Node `owner` (unknown: find out at the next beat), last heard from at `heard`.
    Follower {
        owner: Option<String>,
        heard: Instant,
    },
}

/// A request sent to the owner and not answered yet.
pub(super) struct Forward {
    /// When it was first sent: once it waited `FORWARD_TIMEOUT`, the follower checks the
    /// lease at every beat until it is answered.
    sent: Instant,
    /// When it was last sent (resent at most every `FORWARD_TIMEOUT` to the same owner).
    resent: Instant,
    what: Forwarding,
}

pub(super) enum Forwarding {
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
}

/// The owner's answer to a forwarded request.
pub enum Answer {
    Outcome(Outcome),
    Joined(Result<Joined, HubError>),
}

/// A close a follower holds until the owner answered every command it forwarded for
/// `participant` (or `until`), so the connection's last answers come before its close
/// frame, as on a single node.
pub(super) struct Closing {
    participant: ParticipantId,
    until: Instant,
    /// Closes when dropped.
    _what: Close,
}

/// How a connection closes; dropping it does.
pub(super) enum Close {
    /// The connection's reader asked to be let go (`Msg::Unsubscribe`): dropping the
    /// sender lets it close the socket.
    Release { _done: oneshot::Sender<()> },
    /// The participant was removed: its connection closes with this code.
    Kick(Outbox, u16),
}

impl Drop for Close {
    fn drop(&mut self) {
        if let Close::Kick(outbox, code) = self {
            outbox.kick().close_with(*code);
        }
    }
}

/// A follower's side of ownership.
pub(super) struct Ownership {
    pub(super) role: Decider,
    forwarded: HashMap<u64, Forward>,
    next_req: u64,
    /// The owner's presence list (what a follower shows).
    mirror: Vec<ParticipantId>,
    /// Closes waiting for the owner's answers.
    closing: Vec<Closing>,
}

impl Ownership {
    pub(super) fn new(role: Decider) -> Self {
        Ownership {
            role,
            forwarded: HashMap::new(),
            next_req: 1,
            mirror: Vec::new(),
            closing: Vec::new(),
        }
    }

    /// The participants with a forwarded command not answered yet.
    fn waiting(&self) -> HashSet<ParticipantId> {
        self.forwarded
            .values()
            .filter_map(|f| match &f.what {
                Forwarding::Command { from, .. } => Some(*from),
                Forwarding::Join { .. } => None,
            })
            .collect()
    }

    /// Closes now, or once the owner answered what `participant` sent through this node.
    pub(super) fn close_after_answers(&mut self, participant: Option<ParticipantId>, what: Close) {
        let Some(participant) = participant.filter(|p| self.waiting().contains(p)) else {
            return; // `what` is dropped: closes now
        };
        self.closing.push(Closing {
            participant,
            until: Instant::now() + CLOSE_WAIT,
            _what: what,
        });
    }

    /// Closes what no longer waits: answered, or waited `CLOSE_WAIT`.
    pub(super) fn release_closes(&mut self) {
        if self.closing.is_empty() {
            return;
        }
        let waiting = self.waiting();
        let now = Instant::now();
        self.closing
            .retain(|c| c.until > now && waiting.contains(&c.participant));
    }

    /// When the oldest held close runs out.
    pub(super) fn next_close(&self) -> Option<Instant> {
        self.closing.iter().map(|c| c.until).min()
    }
}

impl WorkshopActor {
    pub(super) fn owns(&self) -> bool {
        matches!(self.own.role, Decider::Owner)
    }

    /// Whether this actor's commands go to another node now (not while Redis is
    /// unreachable: then every node commits its own, the compare-and-set deciding).
    pub(super) fn forwarding(&self) -> bool {
        !self.owns() && self.cluster.as_ref().is_some_and(|c| c.is_listening())
    }

    /// Who is shown online: the owner's count, or (on a follower) the owner's list.
    pub(super) fn online(&self) -> Vec<ParticipantId> {
        if self.owns() {
            self.presence.online()
        } else {
            self.own.mirror.clone()
        }
    }

    /// Moves every command and join of `pending` to the owner; card histories (read-only)
    /// stay to be answered here; ticks are the owner's.
    pub(super) fn forward(&mut self, pending: &mut Vec<Pending>) {
        for p in std::mem::take(pending) {
            let what = match p {
                Pending::Command {
                    command: Command::CardHistory { .. },
                    ..
                } => {
                    pending.push(p);
                    continue;
                }
                Pending::Command {
                    from,
                    id,
                    command,
                    reply: Some(reply),
                } => Forwarding::Command {
                    from,
                    id,
                    command,
                    reply,
                },
                Pending::Join {
                    request,
                    reply: Some(reply),
                } => Forwarding::Join { request, reply },
                Pending::Command { reply: None, .. }
                | Pending::Join { reply: None, .. }
                | Pending::Tick => continue,
            };
            let req = self.own.next_req;
            self.own.next_req += 1;
            metrics::command_forwarded();
            let forward = Forward {
                sent: Instant::now(),
                resent: Instant::now(),
                what,
            };
            self.send_forward(req, &forward);
            self.own.forwarded.insert(req, forward);
        }
    }

    fn send_forward(&self, req: u64, forward: &Forward) {
        let (
            Some(cluster),
            Decider::Follower {
                owner: Some(owner), ..
            },
        ) = (&self.cluster, &self.own.role)
        else {
            return;
        };
        let body = match &forward.what {
            Forwarding::Command {
                from, id, command, ..
            } => Wire::Command {
                req,
                participant: *from,
                id: id.clone(),
                command: command.clone(),
            },
            Forwarding::Join { request, .. } => Wire::Join {
                req,
                request: request.clone(),
            },
        };
        cluster.tell(owner, self.state.id, body);
    }

    /// The owner's answers: the state catches up to what they acknowledge first, so the
    /// sender sees its own change before its ack, as on a single node.
    pub(super) async fn answered(&mut self, answers: Vec<(u64, Answer)>) -> Progress {
        let behind = answers.iter().any(|(_, a)| match a {
            Answer::Outcome(Outcome::Ack { seq }) => *seq > self.state.seq,
            Answer::Outcome(Outcome::Error { .. }) => false,
            Answer::Joined(joined) => joined.is_ok(),
        });
        let progress = if behind {
            self.catch_up().await
        } else {
            Progress::Done
        };
        if progress == Progress::Broken {
            return progress;
        }
        for (req, a) in answers {
            let Some(forward) = self.own.forwarded.remove(&req) else {
                continue; // answered already (a resent request is answered twice)
            };
            match (forward.what, a) {
                (Forwarding::Command { id, reply, .. }, Answer::Outcome(outcome)) => {
                    answer(&id, Some(reply), outcome);
                }
                (Forwarding::Join { reply, .. }, Answer::Joined(joined)) => {
                    let _caller_may_be_gone = reply.send(joined);
                }
                (what, _) => {
                    // An answer of the wrong kind: keep waiting (a resend will fix it).
                    let now = Instant::now();
                    let forward = Forward {
                        sent: now,
                        resent: now,
                        what,
                    };
                    self.own.forwarded.insert(req, forward);
                }
            }
        }
        progress
    }

    /// Once a second. The owner publishes presence (its heartbeat to the followers) and
    /// steps down if the lease is no longer its own; a follower reports its connections,
    /// and checks the lease when the owner went silent or a request went unanswered.
    /// Returns `false` if the actor must stop.
    pub(super) async fn beat(&mut self, lease: Option<bool>) -> bool {
        let going_on = self.beat_role(lease).await;
        self.route_audio();
        going_on
    }

    /// Tells the audio service where the workshop's audio is seated: here when this node
    /// owns the workshop (or cannot reach the others), else on the owner's Janus; nothing
    /// while the owner is not known yet.
    fn route_audio(&self) {
        let Some(cluster) = &self.cluster else { return };
        if self.owns() || !cluster.is_listening() {
            self.audio.route(None);
        } else if let Decider::Follower {
            owner: Some(owner), ..
        } = &self.own.role
        {
            self.audio.route(Some(owner.clone()));
        }
    }

    async fn beat_role(&mut self, lease: Option<bool>) -> bool {
        let Some(cluster) = self.cluster.clone() else {
            return true;
        };
        match &self.own.role {
            Decider::Owner if lease == Some(false) => {
                tracing::info!(workshop = %self.state.id, "lost the lease; following the new owner");
                self.own.mirror = self.presence.online();
                self.own.role = Decider::Follower {
                    owner: None,
                    heard: Instant::now(),
                };
            }
            Decider::Owner => {
                self.publish_presence();
                return true;
            }
            Decider::Follower { .. } if lease == Some(true) => return self.take_over().await,
            Decider::Follower { .. } => {}
        }
        let (owner, heard) = match &self.own.role {
            Decider::Follower { owner, heard } => (owner.clone(), *heard),
            Decider::Owner => return true,
        };
        if !cluster.is_listening() {
            // No way to reach the owner: what waits is committed here instead.
            return self.commit_forwarded().await;
        }
        let stuck = self
            .own
            .forwarded
            .values()
            .any(|f| f.sent.elapsed() >= FORWARD_TIMEOUT);
        if owner.is_none() || heard.elapsed() >= LEASE || stuck {
            match self
                .store
                .claim(self.state.id, cluster.node(), LEASE.as_millis() as i64)
                .await
            {
                Ok((node, _)) if node == cluster.node() => return self.take_over().await,
                Ok((node, _)) => {
                    // A new owner gets everything that waits; the same one, what waited long.
                    let moved = owner.as_deref() != Some(node.as_str());
                    self.own.role = Decider::Follower {
                        owner: Some(node),
                        heard: Instant::now(),
                    };
                    let now = Instant::now();
                    let due: Vec<u64> = self
                        .own
                        .forwarded
                        .iter()
                        .filter(|(_, f)| moved || f.resent.elapsed() >= FORWARD_TIMEOUT)
                        .map(|(req, _)| *req)
                        .collect();
                    for req in due {
                        if let Some(f) = self.own.forwarded.get(&req) {
                            self.send_forward(req, f);
                        }
                        if let Some(f) = self.own.forwarded.get_mut(&req) {
                            f.resent = now;
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(workshop = %self.state.id, error = %e, "could not check who owns the workshop");
                }
            }
        }
        self.tell_owner_here();
        true
    }

    /// Sends every request still waiting to the owner again.
    fn resend_all(&mut self) {
        let now = Instant::now();
        let mut reqs: Vec<u64> = self.own.forwarded.keys().copied().collect();
        reqs.sort_unstable();
        for req in reqs {
            if let Some(f) = self.own.forwarded.get(&req) {
                self.send_forward(req, f);
            }
            if let Some(f) = self.own.forwarded.get_mut(&req) {
                f.resent = now;
            }
        }
    }

    /// Becomes the owner: catches up with the log, then decides what waited for the old
    /// owner (command ids make a request the old owner committed answer the same again).
    async fn take_over(&mut self) -> bool {
        tracing::info!(workshop = %self.state.id, "taking the workshop over");
        metrics::takeover();
        self.own.role = Decider::Owner;
        // Before the presence that tells the others: their audio comes here next.
        self.route_audio();
        self.audio.took_over();
        let mirror = std::mem::take(&mut self.own.mirror);
        self.presence.seed(&mirror, Instant::now());
        match self.catch_up().await {
            Progress::Broken => {
                let mut pending = self.forwarded_as_pending();
                fail_all(&mut pending);
                return false;
            }
            Progress::Done | Progress::Unavailable => {}
        }
        let ok = self.commit_forwarded().await;
        self.audio.after_commit(&self.state);
        self.publish_presence();
        ok
    }

    pub(super) fn forwarded_as_pending(&mut self) -> Vec<Pending> {
        let mut waiting: Vec<(u64, Forward)> = self.own.forwarded.drain().collect();
        waiting.sort_by_key(|(req, _)| *req);
        waiting
            .into_iter()
            .map(|(_, f)| match f.what {
                Forwarding::Command {
                    from,
                    id,
                    command,
                    reply,
                } => Pending::Command {
                    from,
                    id,
                    command,
                    reply: Some(reply),
                },
                Forwarding::Join { request, reply } => Pending::Join {
                    request,
                    reply: Some(reply),
                },
            })
            .collect()
    }

    /// Decides and commits here whatever was forwarded and not answered.
    async fn commit_forwarded(&mut self) -> bool {
        let mut pending = self.forwarded_as_pending();
        if pending.is_empty() {
            return true;
        }
        if self.catch_up().await == Progress::Broken {
            fail_all(&mut pending);
            return false;
        }
        self.commit(&mut pending).await
    }

    /// The owner tells every node who is online.
    pub(super) fn publish_presence(&self) {
        if let (Some(cluster), true) = (&self.cluster, self.owns()) {
            cluster.broadcast(
                self.state.id,
                Wire::Presence {
                    online: self.presence.online(),
                },
            );
        }
    }

    /// A follower tells the owner who is connected here.
    pub(super) fn tell_owner_here(&self) {
        if let (
            Some(cluster),
            Decider::Follower {
                owner: Some(owner), ..
            },
        ) = (&self.cluster, &self.own.role)
        {
            cluster.tell(
                owner,
                self.state.id,
                Wire::Here {
                    participants: self.presence.local(),
                },
            );
        }
    }

    /// The owner hears who is connected to node `node`.
    pub(super) fn here(&mut self, node: String, participants: Vec<ParticipantId>) {
        if !self.owns() {
            return; // sent to an owner that stepped down: the sender will find the new one
        }
        let now = Instant::now();
        let known: HashSet<ParticipantId> = participants
            .into_iter()
            .filter(|p| self.state.participants.get(p).is_some_and(|p| !p.removed))
            .collect();
        let came = self.presence.remote(&node, known, now, now + LEASE);
        for p in came {
            self.announce_presence(p, true);
        }
    }

    /// A follower hears the owner's presence list; its connections see what changed.
    pub(super) fn owner_presence(&mut self, node: String, online: Vec<ParticipantId>) {
        if self.owns() {
            return; // another node thinks it owns the workshop: the lease will decide
        }
        let moved =
            !matches!(&self.own.role, Decider::Follower { owner: Some(o), .. } if *o == node);
        self.own.role = Decider::Follower {
            owner: Some(node),
            heard: Instant::now(),
        };
        if moved {
            // A new owner (it took over): what waited for the old one goes to it now.
            self.resend_all();
            self.route_audio();
        }
        let before: HashSet<ParticipantId> = self.own.mirror.iter().copied().collect();
        let after: HashSet<ParticipantId> = online.iter().copied().collect();
        self.own.mirror = online;
        let mut changes: Vec<(ParticipantId, bool)> = after
            .difference(&before)
            .map(|p| (*p, true))
            .chain(before.difference(&after).map(|p| (*p, false)))
            .collect();
        changes.sort();
        for (p, on) in changes {
            self.send_presence(p, on);
        }
    }
}

impl From<JoinedWire> for Joined {
    fn from(j: JoinedWire) -> Self {
        Joined {
            participant: j.participant,
            token: j.token,
        }
    }
}
