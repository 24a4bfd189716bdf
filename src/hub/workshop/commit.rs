//! Deciding and committing a batch (group commit), and catching up with other nodes.

use super::*;

impl WorkshopActor {
    /// Decides every pending message and commits the batch; after losing a race to another
    /// node, catches up and decides again. Answers every message. `false`: the actor must stop.
    pub(super) async fn commit(&mut self, pending: &mut [Pending]) -> bool {
        let mut conflicts = 0;
        loop {
            let seq_before = self.state.seq;
            let (batch, deliveries) = self.decide_all(pending);
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

    /// Decides every pending message, in order, into one batch: what to store and what to
    /// deliver once it is durable. `decided` holds the batch's commands for the metrics.
    pub(super) fn decide_all(&mut self, pending: &[Pending]) -> (Batch, Vec<Delivery>) {
        let now = now_ms();
        let mut batch = Batch::default();
        let mut deliveries = Vec::new();
        self.decided.clear();
        for (i, p) in pending.iter().enumerate() {
            self.decide(i, p, now, &mut batch, &mut deliveries);
        }
        (batch, deliveries)
    }

    /// Decides the `i`th pending message into the batch.
    pub(super) fn decide(
        &mut self,
        i: usize,
        pending: &Pending,
        now: i64,
        batch: &mut Batch,
        deliveries: &mut Vec<Delivery>,
    ) {
        match pending {
            Pending::Command {
                from,
                id,
                command: Command::CardHistory { card },
                ..
            } => {
                // A query: answered from the state as of its place in the batch, stores nothing.
                let answer = decide(
                    &self.state,
                    Actor::Participant(*from),
                    &Command::CardHistory { card: *card },
                )
                .and_then(|_| {
                    let viewer = self.state.participant(*from)?;
                    visibility::card_history(&self.state, viewer, *card)
                        .map(|h| crate::protocol::card_history_frame(id, &h))
                });
                match answer {
                    Ok(frame) => {
                        deliveries.push(Delivery::Reply(i, frame.into()));
                        let seq = self.state.seq;
                        deliveries.push(Delivery::Answer(i, Outcome::Ack { seq }));
                    }
                    Err(e) => deliveries.push(Delivery::Answer(i, Outcome::rejected(&e))),
                }
            }
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
    pub(super) async fn catch_up(&mut self) -> Progress {
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
    pub(super) async fn rebuild(&mut self, seq_before: u64) -> Progress {
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
        self.joins = loaded
            .joins
            .into_iter()
            .map(|j| (j.key_hash.clone(), j))
            .collect();
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
    pub(super) fn apply_stored(
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

    pub(super) fn command(
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
        let command = command.stamped(now);
        let outcome = match decide(&self.state, Actor::Participant(from), &command) {
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

    pub(super) fn join(
        &mut self,
        request: JoinRequest,
        now: i64,
        batch: &mut Batch,
        deliveries: &mut Vec<Delivery>,
    ) -> Result<Joined, HubError> {
        if let Some(link) = &request.personal_link {
            return self.join_by_link(link, request.language, now, batch, deliveries);
        }
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
        let scope = self.state.id.to_string();
        let key = match request.idempotency_key.as_deref() {
            Some(key) => {
                let len = key.chars().count();
                let printable = key.chars().all(|c| c.is_ascii_graphic());
                if !(auth::IDEMPOTENCY_KEY_MIN..=auth::IDEMPOTENCY_KEY_MAX).contains(&len)
                    || !printable
                {
                    return Err(HubError::new(
                        ErrorCode::Invalid,
                        format!(
                            "`idempotency_key` must be {}-{} printable ASCII characters (a UUID will do)",
                            auth::IDEMPOTENCY_KEY_MIN,
                            auth::IDEMPOTENCY_KEY_MAX
                        ),
                    ));
                }
                let hash = auth::hash_idempotency_key(&scope, key);
                if let Some(done) = self.joins.get(&hash) {
                    return self.rejoined(&scope, key, done.clone());
                }
                Some((key.to_string(), hash))
            }
            None => None,
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
        let token = auth::new_token();
        let sealed = match &key {
            Some((key, hash)) => Some(JoinRecord {
                key_hash: hash.clone(),
                participant,
                sealed_token: auth::seal(&scope, key, &token).ok_or_else(HubError::unavailable)?,
            }),
            None => None,
        };
        self.record(events, None, now, batch, deliveries);
        batch.credentials.push(Credential {
            token_hash: auth::hash_token(&token),
            participant,
        });
        if let Some(record) = sealed {
            self.joins.insert(record.key_hash.clone(), record.clone());
            batch.joins.push(record);
        }
        let participant = self.state.participant(participant)?.clone();
        Ok(Joined { participant, token })
    }

    /// The answer to a join retried with the key of an earlier one: the same participant
    /// (as they are now) and token. Nothing is stored.
    fn rejoined(&self, scope: &str, key: &str, done: JoinRecord) -> Result<Joined, HubError> {
        let participant = self.state.participant(done.participant)?;
        if participant.removed {
            return Err(HubError::new(
                ErrorCode::Unauthorized,
                "the participant that join made was removed",
            ));
        }
        let token =
            auth::unseal(scope, key, &done.sealed_token).ok_or_else(HubError::unavailable)?;
        Ok(Joined {
            participant: participant.clone(),
            token,
        })
    }

    /// Applies new events, stages them for the store, and works out who receives each one
    /// from the state right after it (so a move earlier in the batch counts for later events).
    pub(super) fn record(
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
            let rotated = matches!(event, Event::CodeRotated { .. });
            self.pipeline.barrier |= !RoomAudiences::survives(&event);
            self.apply_and_fan_out(&stored, event, deliveries);
            batch.events.push(stored);
            if rotated {
                // The new code is stored with the event that announces it.
                batch.codes = Some(self.codes.clone());
            }
        }
    }
}

/// Tells every side still waiting that its command or join did not happen.
pub(super) fn fail_all(pending: &mut [Pending]) {
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
