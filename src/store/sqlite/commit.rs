//! The group commit: the writer thread (`writer.rs`) writes the batches of every workshop
//! waiting at that moment in one transaction, with a share of the snapshots owed
//! (`parts.rs`); and the checkpoints that keep the WAL short without delaying those
//! commits.

use super::parts::{self, Chore, Owed, Progress};
use super::writer::Writer;
use crate::domain::WorkshopId;
use crate::store::{outcome_columns, Batch, Snapshot, StoreError};
use rusqlite::{params, Connection, TransactionBehavior};
use sqlx::sqlite::SqlitePool;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

/// Who to tell once a write is durable (or refused).
pub(super) type Done = oneshot::Sender<Result<(), StoreError>>;

/// The batches one workshop hands on without waiting for the one before
/// (`Store::submit`) share a chain: once one of them fails, the writer refuses every
/// later one (`StoreError::EarlierFailed`), so the log never holds a batch decided on a
/// state that was not stored, nor a gap in a workshop's `seq`.
#[derive(Clone, Debug, Default)]
pub struct Chain(Arc<AtomicBool>);

impl Chain {
    fn broken(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    fn break_off(&self) {
        self.0.store(true, Ordering::Release);
    }
}

/// What the group commit is handed (`writer::Job::Append`).
pub(super) enum Append {
    /// One workshop's batch; with a chain when handed on without waiting.
    Batch {
        workshop: WorkshopId,
        batch: Batch,
        chain: Option<Chain>,
        done: Done,
    },
    /// A snapshot of a workshop's state, stored in the next group commits (`parts.rs`).
    Snapshot {
        workshop: WorkshopId,
        snapshot: Snapshot,
        done: Done,
    },
}

/// How often the checkpointer copies the WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Most workshop batches written in one transaction.
pub(super) const MAX_APPENDS_PER_COMMIT: usize = 256;

/// Copies the WAL into the database file every `CHECKPOINT_EVERY`, until the store closes.
/// `PASSIVE` copies what it can without waiting for the writer or readers; the writer then
/// starts the WAL over once everything in it has been copied. Not after every commit: a
/// checkpoint syncs the database file, and one per commit (tried, issue #19) cost 10–30 %
/// more CPU per delivery in the steady fan-out and raised its median latency
/// (docs/benchmarks/issue-19-2026-12-04.md).
pub(super) async fn checkpoint_regularly(checkpointer: SqlitePool) {
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        match sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&checkpointer)
            .await
        {
            Ok(_) => {}
            Err(sqlx::Error::PoolClosed) => return,
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed; retrying"),
        }
    }
}

/// A batch or snapshot taken from the channel, with its workshop's id.
pub(super) struct Item<T> {
    id: String,
    value: T,
    chain: Option<Chain>,
    done: Done,
}

impl<T> Item<T> {
    pub(super) fn new(workshop: WorkshopId, value: T, done: Done) -> Self {
        Item {
            id: workshop.to_string(),
            value,
            chain: None,
            done,
        }
    }

    pub(super) fn id(&self) -> &str {
        &self.id
    }

    pub(super) fn value(&self) -> &T {
        &self.value
    }

    pub(super) fn chained(mut self, chain: Option<Chain>) -> Self {
        self.chain = chain;
        self
    }

    /// Whether an earlier batch of its chain failed: then it is refused, not written.
    fn refused(&self) -> bool {
        self.chain.as_ref().is_some_and(Chain::broken)
    }

    /// Tells the caller; a failure first breaks the item's chain, before anything after
    /// it is written.
    pub(super) fn answer(self, result: Result<(), StoreError>) {
        if let (Err(_), Some(chain)) = (&result, &self.chain) {
            chain.break_off();
        }
        let _caller_may_be_gone = self.done.send(result);
    }
}

/// Commits the batches with the next share of the snapshots owed, answering each; after a
/// failure, each alone. A batch whose chain broke before is refused without being tried.
pub(super) fn commit(writer: &mut Writer, batches: Vec<Item<Batch>>, owed: &mut Owed) {
    let (refused, batches): (Vec<_>, Vec<_>) = batches.into_iter().partition(Item::refused);
    for i in refused {
        i.answer(Err(StoreError::EarlierFailed));
    }
    let chores = owed.take();
    if batches.is_empty() && chores.is_empty() {
        return;
    }
    let together = {
        let b: Vec<_> = batches.iter().map(|i| (i.id.as_str(), &i.value)).collect();
        commit_together(writer, &b, &chores)
    };
    match together {
        Ok(progress) => {
            for i in batches {
                i.answer(Ok(()));
            }
            for (chore, progress) in chores.into_iter().zip(progress) {
                owed.settle(chore, Ok(progress));
            }
        }
        Err(e) if batches.len() + chores.len() == 1 => {
            if let Some(i) = batches.into_iter().next() {
                i.answer(Err(e));
            } else if let Some(chore) = chores.into_iter().next() {
                owed.settle(chore, Err(e));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, batches = batches.len(), snapshots = chores.len(),
                "a shared commit failed; committing each workshop alone");
            for i in batches {
                // An earlier batch of its workshop may have failed alone just now.
                let result = if i.refused() {
                    Err(StoreError::EarlierFailed)
                } else {
                    commit_together(writer, &[(&i.id, &i.value)], &[]).map(drop)
                };
                i.answer(result);
            }
            for chore in chores {
                // One step in, one `Progress` out.
                let result = commit_together(writer, &[], std::slice::from_ref(&chore))
                    .map(|mut done| done.swap_remove(0));
                owed.settle(chore, result);
            }
        }
    }
}

/// Commits the batches of several workshops and steps of the snapshots owed in one
/// transaction (one `fsync`), with statements prepared once and cached by the connection;
/// returns what each step did. After a failure the connection is left with no
/// transaction open (`Writer::recover`).
pub(super) fn commit_together(
    writer: &mut Writer,
    batches: &[(&str, &Batch)],
    chores: &[Chore],
) -> Result<Vec<Progress>, StoreError> {
    let done = write_together(&mut writer.conn, batches, chores);
    if done.is_err() {
        writer.recover();
    }
    done
}

fn write_together(
    conn: &mut Connection,
    batches: &[(&str, &Batch)],
    chores: &[Chore],
) -> Result<Vec<Progress>, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for &(id, batch) in batches {
        write_batch(&tx, id, batch)?;
    }
    let progress = chores
        .iter()
        .map(|chore| parts::write(&tx, chore))
        .collect::<Result<Vec<_>, _>>()?;
    tx.commit()?;
    Ok(progress)
}

/// Writes one workshop's batch (its events, credentials, commands, joins and codes) on
/// `conn`, inside the caller's transaction.
pub(super) fn write_batch(conn: &Connection, id: &str, batch: &Batch) -> rusqlite::Result<()> {
    if !batch.events.is_empty() {
        let mut insert = conn.prepare_cached(
            "INSERT INTO events (workshop_id, seq, at, actor, body) VALUES (?, ?, ?, ?, ?)",
        )?;
        for e in &batch.events {
            insert.execute(params![
                id,
                e.seq as i64,
                e.at,
                e.actor.map(|a| a.to_string()),
                e.body,
            ])?;
        }
    }
    if !batch.credentials.is_empty() {
        let mut insert = conn.prepare_cached(
            "INSERT INTO credentials (token_hash, workshop_id, participant_id) VALUES (?, ?, ?)",
        )?;
        for c in &batch.credentials {
            insert.execute(params![c.token_hash, id, c.participant.to_string()])?;
        }
    }
    if !batch.commands.is_empty() {
        let mut insert = conn.prepare_cached(
            "INSERT INTO commands (workshop_id, participant_id, command_id, seq, error_code, \
             error_message, error_version) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )?;
        for c in &batch.commands {
            let (seq, code, message, version) = outcome_columns(&c.outcome);
            insert.execute(params![
                id,
                c.participant.to_string(),
                c.command_id,
                seq,
                code,
                message,
                version,
            ])?;
        }
    }
    if !batch.joins.is_empty() {
        let mut insert = conn.prepare_cached(
            "INSERT INTO joins (workshop_id, key_hash, participant_id, sealed_token) \
             VALUES (?, ?, ?, ?)",
        )?;
        for j in &batch.joins {
            insert.execute(params![
                id,
                j.key_hash,
                j.participant.to_string(),
                j.sealed_token
            ])?;
        }
    }
    if let Some(c) = &batch.codes {
        conn.prepare_cached(
            "UPDATE workshops SET facilitator_code = ?, delegate_code = ? WHERE id = ?",
        )?
        .execute(params![c.facilitator, c.delegate, id])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
