//! Fan-out: who receives each committed event, and queueing frames to connections.

use super::*;
use crate::hub::outbox::Held;

impl WorkshopActor {
    /// Applies an event and works out who receives it, from the state right after it.
    pub(super) fn apply_and_fan_out(
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

    /// Delivers a batch's outcomes. The frames for each connection are held back and
    /// written together at the end (`Held`): at saturation a batch carries several events
    /// to every member of a room, and one send per frame would cost more than the
    /// writer's batching it replaces.
    pub(super) fn deliver_all(&mut self, deliveries: Vec<Delivery>, pending: &mut [Pending]) {
        self.deliver_batches([(deliveries, pending)]);
        self.audio_follows();
    }

    /// Delivers the outcomes of several batches, in order, with one write per connection.
    pub(super) fn deliver_batches<'p>(
        &mut self,
        batches: impl IntoIterator<Item = (Vec<Delivery>, &'p mut [Pending])>,
    ) {
        let mut held = Held::default();
        for (deliveries, pending) in batches {
            for d in deliveries {
                self.deliver(d, pending, &mut held);
            }
        }
        held.flush();
    }

    /// Lets the workshop's audio rooms follow the state (call it only while the state is
    /// durable, or differs from it by board events alone).
    pub(super) fn audio_follows(&mut self) {
        // Only the owner drives the workshop's audio rooms; other nodes move their seats.
        if self.owns() {
            self.audio.after_commit(&self.state);
        } else {
            self.audio.seats_follow(&self.state);
        }
    }

    fn deliver(&mut self, delivery: Delivery, pending: &mut [Pending], held: &mut Held) {
        match delivery {
            Delivery::Answer(i, outcome) => {
                if let Some(Pending::Command { id, reply, .. }) = pending.get_mut(i) {
                    answer_in(id, reply.take(), outcome, held);
                }
            }
            Delivery::Reply(i, frame) => {
                if let Some(Pending::Command {
                    reply: Some(Reply::Socket(outbox)),
                    ..
                }) = pending.get(i)
                {
                    let _queued_or_kicked = held.send(outbox, frame);
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
                    delivered += usize::from(self.send_to(conn, frame.clone(), held));
                }
                metrics::events_delivered(delivered);
            }
            Delivery::Snapshot { to, frame } => {
                self.send_to(to, frame, held);
            }
            Delivery::Kick(p) => self.kick_participant(p),
        }
    }

    /// Queues a frame for one connection; returns whether it was queued.
    fn send_to(&mut self, conn: u64, frame: Frame, held: &mut Held) -> bool {
        let Some(sub) = self.subscribers.get(&conn) else {
            return false;
        };
        let queued = held.send(&sub.outbox, frame);
        if !queued {
            self.drop_subscriber(conn);
        }
        queued
    }

    /// Closes every connection of a removed participant.
    pub(super) fn kick_participant(&mut self, p: ParticipantId) {
        let conns: Vec<u64> = self
            .subscribers
            .iter()
            .filter(|(_, sub)| sub.participant == p)
            .map(|(conn, _)| *conn)
            .collect();
        self.audiences = None;
        for conn in conns {
            if let Some(sub) = self.subscribers.remove(&conn) {
                // On a follower, once the owner answered what `p` sent through this node.
                let kick = forward::Close::Kick(sub.outbox, crate::protocol::close::REMOVED);
                self.own.close_after_answers(Some(p), kick);
            }
        }
        if self.presence.forget(p) {
            self.announce_presence(p, false);
        }
    }

    /// `p` came online or went offline. The owner tells every connection here and every
    /// other node; a follower tells the owner who is connected here instead (the owner
    /// decides, and its list comes back to `owner_presence`).
    pub(super) fn announce_presence(&mut self, p: ParticipantId, online: bool) {
        if !self.owns() {
            self.tell_owner_here();
            return;
        }
        self.send_presence(p, online);
        self.publish_presence();
    }

    /// Tells every connection here that `p` came online or went offline (not an event: no seq).
    pub(super) fn send_presence(&mut self, p: ParticipantId, online: bool) {
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

    pub(super) fn drop_subscriber(&mut self, conn: u64) {
        self.audiences = None;
        if let Some(sub) = self.subscribers.remove(&conn) {
            self.presence.depart(sub.participant, Instant::now());
            if !self.owns() {
                self.tell_owner_here();
            }
        }
    }
}

pub(super) fn snapshot_reason(reshape: &Reshape) -> SnapshotReason {
    match reshape {
        Reshape::Participant(_) | Reshape::Participants(_) => SnapshotReason::Moved,
        Reshape::RoomDelegates(_) | Reshape::Nobody => SnapshotReason::ViewChanged,
    }
}

/// Sends a command's outcome to whoever waits for it.
pub(super) fn answer(id: &str, reply: Option<Reply>, outcome: Outcome) {
    answer_in(id, reply, outcome, &mut Held::default());
}

/// `answer`, the frame held back with the others of a batch's fan-out.
fn answer_in(id: &str, reply: Option<Reply>, outcome: Outcome, held: &mut Held) {
    match reply {
        Some(Reply::Socket(outbox)) => {
            outbox.answered();
            let _queued_or_kicked = held.send(&outbox, outcome.frame(id).into());
        }
        Some(Reply::Direct(tx)) => {
            let _caller_may_be_gone = tx.send(outcome);
        }
        None => {}
    }
}
