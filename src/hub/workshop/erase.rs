//! Erasing a workshop for good: who may, and what happens to its connections and inbox.

use super::*;

impl WorkshopActor {
    /// Whether `by` may erase this workshop: only its organizer may.
    pub(super) fn may_erase(&self, by: ParticipantId) -> Result<(), HubError> {
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
    pub(super) async fn erase(
        &mut self,
        reply: oneshot::Sender<Result<(), HubError>>,
        rest: Vec<Msg>,
    ) -> bool {
        let id = self.state.id;
        match self.store.erase_workshop(id).await {
            Ok(_) => {
                if let Some(cluster) = &self.cluster {
                    cluster.broadcast(id, crate::cluster::Wire::Erased);
                }
                self.close_erased(rest);
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
}

impl WorkshopActor {
    /// The workshop is gone (erased here or on another node): closes its connections with
    /// `close::ERASED` and refuses whatever waits, `rest` first. The actor stops after.
    pub(super) fn close_erased(&mut self, rest: Vec<Msg>) {
        // What waits for the owner is answered first: those answers come before the close.
        for forward in self.forwarded_as_pending() {
            if let Pending::Command {
                id,
                reply: Some(reply),
                ..
            } = forward
            {
                let gone = HubError::not_found();
                let outcome = Outcome::Error {
                    code: gone.code,
                    message: gone.message,
                    current_version: None,
                };
                answer(&id, Some(reply), outcome);
            } else if let Pending::Join {
                reply: Some(reply), ..
            } = forward
            {
                let _caller_may_be_gone = reply.send(Err(HubError::not_found()));
            }
        }
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
        // Only the owner drives the workshop's audio rooms.
        if self.owns() {
            self.audio.erased();
        }
    }
}

/// Answers a message the actor will not handle (the workshop was just erased, or erasing
/// it failed) with `error`.
pub(super) fn refuse(msg: Msg, error: HubError) {
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
        Msg::ForwardedJoin { reply, .. } => {
            let _caller_may_be_gone = reply.send(Err(error));
        }
        Msg::Forwarded { .. }
        | Msg::Answered { .. }
        | Msg::Here { .. }
        | Msg::OwnerPresence { .. }
        | Msg::Beat { .. }
        | Msg::Erased
        | Msg::Tick
        | Msg::Notify { .. }
        | Msg::Inspect(_) => {}
    }
}
