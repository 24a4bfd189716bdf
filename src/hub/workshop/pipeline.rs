//! Pipelined commits (SQLite, one node): the actor decides its next batch while the one
//! before is being written, so that at saturation a post waits for the group commit it
//! rides in, not for the one under way first.
//!
//! Nothing leaves the actor before it is durable: each batch's acks and frames wait in its
//! `InFlight` and go out in order, once it and every batch before it are stored. A batch
//! that fails fails every batch after it (they were decided on its state): the store's
//! `Chain` refuses them unwritten, their senders are told `unavailable`, and the state is
//! rebuilt from the log. Only board batches (`RoomAudiences::survives`: nobody's place,
//! role or presence changes) let the next be decided before they settle; anything else,
//! and every message that reads the state (a `hello`, a report, an export), waits until
//! the pipeline is empty.

use super::*;
use crate::store::{Chain, Durable};

/// Most batches of one workshop in flight at once.
const MAX_IN_FLIGHT: usize = 4;

/// A batch handed to the store, not yet settled.
pub(super) struct InFlight {
    /// Answers once it is durable or refused; `None`: nothing to store (a query), settled
    /// once the batches before it are.
    durable: Option<Durable>,
    pending: Vec<Pending>,
    deliveries: Vec<Delivery>,
    /// Commands decided in it: (type, outcome), for the metrics.
    decided: Vec<(&'static str, &'static str)>,
    events: usize,
    /// The state's `seq` before it: where a rebuild starts if it fails.
    seq_before: u64,
    /// Only board events: what is decided next need not wait for it.
    board_only: bool,
    handed_on: Instant,
}

/// A workshop's batches in flight, oldest first.
#[derive(Default)]
pub(super) struct Pipeline {
    in_flight: VecDeque<InFlight>,
    chain: Chain,
    /// Set while deciding a batch once an event in it is not a board event.
    pub(super) barrier: bool,
}

impl Pipeline {
    pub(super) fn is_empty(&self) -> bool {
        self.in_flight.is_empty()
    }

    /// Whether the next batch may be decided before those in flight settle.
    pub(super) fn accepts(&self) -> bool {
        self.in_flight.len() < MAX_IN_FLIGHT && self.board_only()
    }

    /// Whether every batch in flight holds board events only: the state differs from the
    /// log by cards and votes alone.
    fn board_only(&self) -> bool {
        self.in_flight.iter().all(|f| f.board_only)
    }

    /// The answer for the oldest batch in flight (`Ok` at once for one with nothing to
    /// store). Call only while a batch is in flight.
    pub(super) async fn oldest_settled(&mut self) -> Result<(), StoreError> {
        match self.in_flight.front_mut().and_then(|f| f.durable.as_mut()) {
            Some(durable) => durable
                .await
                .unwrap_or(Err(StoreError::Db(sqlx::Error::PoolClosed))),
            None => Ok(()),
        }
    }

    /// The answer for the oldest batch in flight if it came already.
    fn settled_now(&mut self) -> Option<Result<(), StoreError>> {
        let front = self.in_flight.front_mut()?;
        let Some(durable) = front.durable.as_mut() else {
            return Some(Ok(()));
        };
        match durable.try_recv() {
            Ok(result) => Some(result),
            Err(oneshot::error::TryRecvError::Empty) => None,
            Err(oneshot::error::TryRecvError::Closed) => {
                Some(Err(StoreError::Db(sqlx::Error::PoolClosed)))
            }
        }
    }
}

impl WorkshopActor {
    /// Whether batches are handed on without waiting: SQLite on one node. (Several nodes
    /// decide against the `rev` each commit returns, so they wait for every answer.)
    pub(super) fn pipelines(&self) -> bool {
        self.store.pipelines() && self.cluster.is_none()
    }

    /// Whether the actor takes its next messages now: not while its pipeline is full or
    /// holds a batch that moves people, nor while a snapshot due waits for it to empty.
    pub(super) fn takes_messages(&self) -> bool {
        self.pipeline.accepts() && (self.pipeline.is_empty() || !self.snapshot_due())
    }

    /// Decides the pending messages into one batch and hands it to the store without
    /// waiting for it to be durable.
    pub(super) async fn hand_on(&mut self, pending: Vec<Pending>) {
        let seq_before = self.state.seq;
        self.pipeline.barrier = false;
        let (batch, deliveries) = self.decide_all(&pending);
        let events = batch.events.len();
        let durable = if batch.is_empty() {
            None
        } else {
            Some(
                self.store
                    .submit(self.state.id, batch, &self.pipeline.chain)
                    .await,
            )
        };
        self.pipeline.in_flight.push_back(InFlight {
            durable,
            pending,
            deliveries,
            decided: std::mem::take(&mut self.decided),
            events,
            seq_before,
            board_only: !self.pipeline.barrier,
            handed_on: Instant::now(),
        });
    }

    /// Waits until every batch in flight is settled. `false`: the actor must stop.
    pub(super) async fn drain(&mut self) -> bool {
        while !self.pipeline.is_empty() {
            let result = self.pipeline.oldest_settled().await;
            if !self.settle(result).await {
                return false;
            }
        }
        true
    }

    /// Settles the oldest batch in flight with its store's answer, and every batch after
    /// it whose answer came already (one group commit answers them together), delivering
    /// what they carry with one write per connection. `false`: the actor must stop.
    pub(super) async fn settle(&mut self, mut result: Result<(), StoreError>) -> bool {
        let mut stored = Vec::new();
        let mut failed = None;
        while let Some(batch) = self.pipeline.in_flight.pop_front() {
            match result {
                Ok(()) => {
                    self.committed(&batch);
                    stored.push(batch);
                }
                Err(e) => {
                    failed = Some((batch, e));
                    break;
                }
            }
            match self.pipeline.settled_now() {
                Some(next) => result = next,
                None => break,
            }
        }
        if !stored.is_empty() {
            self.deliver_batches(
                stored
                    .iter_mut()
                    .map(|b| (std::mem::take(&mut b.deliveries), b.pending.as_mut_slice())),
            );
            // Not while a batch that moves people is in flight: the seats follow it once
            // it is durable.
            if self.pipeline.board_only() {
                self.audio_follows();
            }
        }
        match failed {
            Some((batch, e)) => self.abandon(batch, e).await,
            None => true,
        }
    }

    fn committed(&mut self, batch: &InFlight) {
        if batch.durable.is_some() {
            metrics::store_latency("append", batch.handed_on.elapsed());
            metrics::commit(true);
            self.rev += 1;
        }
        metrics::events_committed(batch.events);
        for (kind, outcome) in &batch.decided {
            metrics::command(kind, outcome);
        }
    }

    /// A batch failed: it and every batch after it are refused, and the state goes back
    /// to what the log holds.
    async fn abandon(&mut self, failed: InFlight, e: StoreError) -> bool {
        // The batches after it, refused unwritten, are named by `refused_after`.
        let refused_after = self.pipeline.in_flight.len();
        tracing::error!(workshop = %self.state.id, error = %e, refused_after,
            "group commit failed; nothing of it is acknowledged");
        metrics::commit(false);
        let seq_before = failed.seq_before;
        let rest: Vec<InFlight> = self.pipeline.in_flight.drain(..).collect();
        for mut batch in std::iter::once(failed).chain(rest) {
            for (kind, _) in batch.decided.drain(..) {
                metrics::command(kind, ErrorCode::Unavailable.as_str());
            }
            fail_all(&mut batch.pending);
        }
        // The store refuses what is still queued on the old chain; a new one starts.
        self.pipeline.chain = Chain::default();
        self.rebuild(seq_before).await == Progress::Done
    }
}
