//! The actor's loop: what it waits for (its inbox, the store's answers, the clock,
//! eviction) and handling each batch of messages.

use super::*;

impl WorkshopActor {
    pub(super) async fn run(mut self) {
        let mut msgs = Vec::with_capacity(MAX_BATCH);
        let whole = loop {
            let wake = self.next_wake();
            let evict = self.evict_at();
            let takes = self.takes_messages();
            tokio::select! {
                settled = self.pipeline.oldest_settled(), if !self.pipeline.is_empty() => {
                    if !self.settle(settled).await {
                        break false;
                    }
                    self.snapshot_if_due();
                }
                n = self.inbox.recv_many(&mut msgs, MAX_BATCH), if takes => {
                    if n == 0 {
                        break self.drain().await;
                    }
                    self.note_activity(&msgs);
                    if !self.handle(std::mem::take(&mut msgs)).await {
                        break false;
                    }
                    self.snapshot_if_due();
                }
                () = tokio::time::sleep_until(wake.unwrap_or_else(Instant::now)), if wake.is_some() => {
                    if !self.on_clock().await {
                        break false;
                    }
                }
                () = tokio::time::sleep_until(evict.unwrap_or_else(Instant::now)), if evict.is_some() => {
                    self.try_evict();
                }
            }
        };
        // Only a state known whole is stored (not after a failed rebuild or an erase).
        if whole {
            self.stopped_cleanly().await;
        }
        tracing::debug!(workshop = %self.state.id, "workshop actor stopped");
    }

    /// When the actor must act without a message: a timer warning or ending, or a
    /// participant's presence grace period running out.
    fn next_wake(&self) -> Option<Instant> {
        // Timers are the owner's: followers never tick.
        let timer = timers::next_due(&self.state)
            .filter(|_| self.owns())
            .map(|due| {
                // At least a short pause, so a clock that cannot make progress (a failing
                // store) never spins.
                let wait = u64::try_from(due - now_ms())
                    .unwrap_or(0)
                    .max(MIN_CLOCK_WAIT_MS);
                Instant::now() + Duration::from_millis(wait)
            });
        [timer, self.presence.next_deadline(), self.own.next_close()]
            .into_iter()
            .flatten()
            .min()
    }

    async fn on_clock(&mut self) -> bool {
        // Presence frames go to the rooms the log holds.
        if !self.drain().await {
            return false;
        }
        self.own.release_closes();
        for p in self.presence.gone(Instant::now()) {
            self.announce_presence(p, false);
        }
        let due = self.owns() && timers::next_due(&self.state).is_some_and(|d| d <= now_ms());
        if !due {
            return true;
        }
        self.handle(vec![Msg::Tick]).await
    }

    /// Handles one batch. Returns `false` if the actor cannot go on (its store failed and
    /// the state could not be rebuilt).
    async fn handle(&mut self, msgs: Vec<Msg>) -> bool {
        let mut pending = Vec::new();
        let mut later = Vec::new();
        let mut notified = 0;
        let mut msgs = msgs.into_iter();
        let mut erase = None;
        let mut answers = Vec::new();
        let mut beat = None;
        let mut erased_elsewhere = false;
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
                Msg::Forwarded {
                    from,
                    id,
                    command,
                    reply,
                } if self.owns() => pending.push(Pending::Command {
                    from,
                    id,
                    command,
                    reply: Some(Reply::Direct(reply)),
                }),
                Msg::ForwardedJoin { request, reply } if self.owns() => {
                    pending.push(Pending::Join {
                        request,
                        reply: Some(reply),
                    })
                }
                Msg::Forwarded { .. } | Msg::ForwardedJoin { .. } => {}
                Msg::Answered { req, answer } => answers.push((req, answer)),
                Msg::Here { node, participants } => self.here(node, participants),
                Msg::OwnerPresence { node, online } => self.owner_presence(node, online),
                Msg::Beat { lease } => beat = Some(lease),
                Msg::Erased => {
                    erased_elsewhere = true;
                    break;
                }
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
        if self.forwarding() {
            self.forward(&mut pending);
        }
        if !pending.is_empty() {
            if self.pipelines() {
                self.hand_on(pending).await;
            } else if !self.commit(&mut pending).await {
                return false;
            }
        }
        // Commands alone go on while their batch is written; whatever else came reads
        // the state as durable.
        let alone = later.is_empty()
            && answers.is_empty()
            && beat.is_none()
            && erase.is_none()
            && !erased_elsewhere;
        if !alone && !self.drain().await {
            return false;
        }
        if !answers.is_empty() && self.answered(answers).await == Progress::Broken {
            return false;
        }
        if self.window_partial && self.resumes_before_window(&later) && !self.widen_window().await {
            return false;
        }
        for msg in later {
            self.subscription(msg, fresh || !must_be_fresh);
        }
        if let Some(lease) = beat {
            if !self.beat(lease).await {
                return false;
            }
        }
        self.own.release_closes();
        if erased_elsewhere {
            self.close_erased(msgs.collect());
            return false;
        }
        match erase {
            Some(reply) => self.erase(reply, msgs.collect()).await,
            None => true,
        }
    }
}
