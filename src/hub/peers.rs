//! The hub's side of a cluster: what other nodes say (`follow`, `Hub::hear`), the leases
//! of the workshops this node owns (`leases`), and the poll of the store that stands in
//! for Redis while it is unreachable.

use super::*;
use crate::cluster::{Cluster, Envelope, Incoming, Wire};

/// In a cluster: hands the other nodes' messages to the live actors (and runs the requests
/// forwarded to this node as owner), and polls the store every `POLL_INTERVAL` while Redis
/// is unreachable (and once each time the listener subscribes again) for what was missed.
/// It goes on while the node shuts down (the owner's answers to what its closing
/// connections sent still arrive) and stops with the hub.
pub(super) async fn follow(hub: std::sync::Weak<Hub>, mut incoming: mpsc::Receiver<Incoming>) {
    let mut poll = tokio::time::interval(POLL_INTERVAL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let poll_now = tokio::select! {
            _ = poll.tick() => {
                let Some(hub) = hub.upgrade() else { return };
                !hub.cluster().is_some_and(|c| c.is_listening())
            }
            note = incoming.recv() => match note {
                None => return,
                Some(Incoming::Subscribed) => true,
                Some(Incoming::Message(envelope)) => {
                    let Some(hub) = hub.upgrade() else { return };
                    hub.hear(envelope);
                    false
                }
            },
        };
        if poll_now {
            let Some(hub) = hub.upgrade() else { return };
            hub.poll().await;
        }
    }
}

impl Hub {
    /// Asks the store how far every live workshop is, and tells the actors.
    pub(super) async fn poll(&self) {
        let ids: Vec<WorkshopId> = self.live.iter().map(|e| *e.key()).collect();
        if ids.is_empty() {
            return;
        }
        match self.store.revs(&ids).await {
            Ok(revs) => {
                for (id, rev) in revs {
                    if let Some(handle) = self.live_handle(id) {
                        handle.notify(rev);
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not poll the database for other nodes' commits")
            }
        }
    }

    /// A workshop let go at shutdown whose actor still runs: it may wait for the owner's
    /// answers to what its closing connections sent.
    fn released_handle(&self, id: WorkshopId) -> Option<WorkshopHandle> {
        self.released.get(&id).and_then(|weak| weak.upgrade())
    }

    /// One message from another node.
    fn hear(self: &Arc<Hub>, envelope: Envelope) {
        let Envelope {
            from,
            workshop,
            body,
        } = envelope;
        let live = self.live_handle(workshop);
        match body {
            Wire::Commit { rev } => {
                if let Some(handle) = live {
                    handle.notify(rev);
                }
            }
            Wire::Presence { online } => {
                if let Some(handle) = live {
                    handle.tell(Msg::OwnerPresence { node: from, online });
                }
            }
            Wire::Here { participants } => {
                if let Some(handle) = live {
                    handle.tell(Msg::Here {
                        node: from,
                        participants,
                    });
                }
            }
            Wire::Erased => {
                if let Some((_, cell)) = self.live.remove(&workshop) {
                    if let Some(handle) = cell.get() {
                        handle.tell(Msg::Erased);
                    }
                }
            }
            Wire::Outcome { req, outcome } => {
                if let Some(handle) = live.or_else(|| self.released_handle(workshop)) {
                    let answer = Answer::Outcome(outcome.into());
                    handle.tell(Msg::Answered { req, answer });
                }
            }
            Wire::Joined { req, result } => {
                if let Some(handle) = live.or_else(|| self.released_handle(workshop)) {
                    let answer = Answer::Joined(result.map(Into::into).map_err(Into::into));
                    handle.tell(Msg::Answered { req, answer });
                }
            }
            Wire::Audio {
                conn,
                participant,
                id,
                message,
            } => {
                let Some(cluster) = self.cluster() else {
                    return;
                };
                match self.audio() {
                    Some(audio) => {
                        let message = message.into();
                        let at = (from, workshop, conn);
                        audio.remote_message(self, cluster, at, participant, id, message);
                    }
                    None => {
                        let frame = crate::protocol::error_frame(
                            Some(&id),
                            ErrorCode::Unavailable,
                            "this server has no audio (no --janus-url)",
                        );
                        cluster.tell(&from, workshop, Wire::AudioFrame { conn, frame });
                    }
                }
            }
            Wire::AudioFrame { conn, frame } => {
                if let Some(audio) = self.audio() {
                    audio.relay(&from, conn, frame);
                }
            }
            Wire::AudioGone { conn } => {
                if let Some(audio) = self.audio() {
                    audio.remote_gone(&from, conn);
                }
            }
            Wire::AudioRoom { room, secret } => {
                if let Some(audio) = self.audio() {
                    audio.foreign_room(workshop, room, secret);
                }
            }
            Wire::AudioAlive { conns } => {
                if let Some(audio) = self.audio() {
                    audio.remote_alive(&from, workshop, &conns);
                }
            }
            Wire::Command {
                req,
                participant,
                id,
                command,
            } => {
                let hub = self.clone();
                tokio::spawn(async move {
                    let (reply, answer) = oneshot::channel();
                    let msg = Msg::Forwarded {
                        from: participant,
                        id,
                        command,
                        reply,
                    };
                    let outcome = match hub.workshop(workshop).await {
                        Ok(handle) => {
                            if handle.send(msg).await.is_err() {
                                return;
                            }
                            match answer.await {
                                Ok(outcome) => outcome,
                                // Not the owner here: the follower asks the lease again.
                                Err(_) => return,
                            }
                        }
                        Err(e) if e.code == ErrorCode::NotFound => Outcome::Error {
                            code: e.code,
                            message: e.message,
                            current_version: None,
                        },
                        Err(_) => return,
                    };
                    if let Some(cluster) = hub.cluster() {
                        let outcome = (&outcome).into();
                        cluster.tell(&from, workshop, Wire::Outcome { req, outcome });
                    }
                });
            }
            Wire::Join { req, request } => {
                let hub = self.clone();
                tokio::spawn(async move {
                    let (reply, answer) = oneshot::channel();
                    let joined = match hub.workshop(workshop).await {
                        Ok(handle) => {
                            let msg = Msg::ForwardedJoin { request, reply };
                            if handle.send(msg).await.is_err() {
                                return;
                            }
                            match answer.await {
                                Ok(joined) => joined,
                                Err(_) => return,
                            }
                        }
                        Err(e) if e.code == ErrorCode::NotFound => Err(e),
                        Err(_) => return,
                    };
                    if let Some(cluster) = hub.cluster() {
                        let result = joined
                            .map(|j| crate::cluster::wire::JoinedWire {
                                participant: j.participant,
                                token: j.token,
                            })
                            .map_err(|e| (&e).into());
                        cluster.tell(&from, workshop, Wire::Joined { req, result });
                    }
                });
            }
        }
    }
}

/// In a cluster: renews this node's leases every `BEAT` (one statement for all of them),
/// beats every live actor with whether its workshop's lease is still this node's, and gives
/// every lease up when the node shuts down.
pub(super) async fn leases(
    hub: std::sync::Weak<Hub>,
    cluster: Arc<Cluster>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut beat = tokio::time::interval(workshop::BEAT);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let lease = workshop::LEASE.as_millis() as i64;
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = beat.tick() => {}
        }
        let Some(hub) = hub.upgrade() else { return };
        let owned: Option<std::collections::HashSet<WorkshopId>> =
            match hub.store.renew(cluster.node(), lease).await {
                Ok(owned) => Some(owned.into_iter().collect()),
                Err(e) => {
                    tracing::warn!(error = %e, "could not renew this node's workshop leases");
                    None
                }
            };
        for entry in hub.live.iter() {
            if let Some(handle) = entry.value().get() {
                let lease = owned.as_ref().map(|o| o.contains(entry.key()));
                handle.tell(Msg::Beat { lease });
            }
        }
    }
    if let Some(hub) = hub.upgrade() {
        if let Err(e) = hub.store.release(cluster.node()).await {
            tracing::warn!(error = %e, "could not give up this node's workshop leases");
        }
    }
}
