//! Read-only messages: `hello` (subscription and welcome), reports, exports, code lookups.

use super::*;

impl WorkshopActor {
    /// Answers a message that changes nothing. `fresh`: whether the state is known to be up
    /// to date (in a cluster, it may not be while the store is unreachable).
    pub(super) fn subscription(&mut self, msg: Msg, fresh: bool) {
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
                let participant = self.subscribers.get(&conn).map(|s| s.participant);
                self.drop_subscriber(conn);
                // On a follower, once the owner answered what this participant sent here.
                let release = forward::Close::Release { _done: done };
                self.own.close_after_answers(participant, release);
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
                    // The review is for every participant (`domain::review::view`).
                    Some(p) if matches!(query, Query::Review) => {
                        match crate::domain::review::view(&self.state, p, super::now_ms()) {
                            Some(v) => {
                                serde_json::to_string(&v).map_err(|_| HubError::unavailable())
                            }
                            None => Err(HubError::new(
                                ErrorCode::NotFound,
                                "this workshop has no review",
                            )),
                        }
                    }
                    Some(p) if p.role.is_staff() => {
                        let encoded =
                            match query {
                                Query::Overview => {
                                    serde_json::to_string(&reports::country_overview(&self.state))
                                }
                                Query::Consolidation => {
                                    serde_json::to_string(&reports::consolidation(&self.state))
                                }
                                Query::Review => serde_json::to_string(
                                    &crate::domain::review::view(&self.state, p, super::now_ms()),
                                ),
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
            | Msg::Erase { .. }
            | Msg::Forwarded { .. }
            | Msg::ForwardedJoin { .. }
            | Msg::Answered { .. }
            | Msg::Here { .. }
            | Msg::OwnerPresence { .. }
            | Msg::Beat { .. }
            | Msg::Erased => {}
        }
    }

    /// The answer to `hello`: the missed events when they can be replayed, else a snapshot.
    pub(super) fn welcome(&self, me: &Participant, last_seq: Option<u64>) -> String {
        let seq = self.state.seq;
        let snapshot = |reason| {
            ServerFrame::Welcome {
                seq,
                you: me,
                online: self.online(),
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
            online: self.online(),
            resumed: true,
            reason: None,
            snapshot: None,
            events: Some(events),
        }
        .encode()
    }
}
