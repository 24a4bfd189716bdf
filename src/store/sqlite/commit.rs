//! The group committer: one task that writes the batches of every workshop waiting at that
//! moment in one transaction, with the snapshots waiting to be stored; and the checkpoints
//! that keep the WAL short without delaying those commits.

use crate::domain::WorkshopId;
use crate::store::snapshots::UPSERT_TAIL;
use crate::store::{outcome_columns, Batch, Snapshot, StoreError};
use sqlx::sqlite::SqlitePool;
use sqlx::{QueryBuilder, Sqlite, Transaction};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Who to tell once a write is durable (or refused).
pub(super) type Done = oneshot::Sender<Result<(), StoreError>>;

/// The batches one workshop hands on without waiting for the one before
/// (`Store::submit`) share a chain: once one of them fails, the committer refuses every
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

/// What the committer is handed.
pub(super) enum Append {
    /// One workshop's batch; with a chain when handed on without waiting.
    Batch {
        workshop: WorkshopId,
        batch: Batch,
        chain: Option<Chain>,
        done: Done,
    },
    /// A snapshot of a workshop's state, stored in the next group commit.
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

/// Bytes of snapshots written in one transaction, at most (but always one snapshot): the
/// rest wait for the next commits, so that many snapshots at once (at shutdown) never make
/// one commit, and the posts in it, wait for all of them.
const SNAPSHOT_BYTES_PER_COMMIT: usize = 1 << 20;

/// Copies the WAL into the database file every `CHECKPOINT_EVERY`, until the store closes.
/// `PASSIVE` copies what it can without waiting for the writer or readers; the writer then
/// starts the WAL over once everything in it has been copied. Not after every commit: a
/// checkpoint syncs the database file, and one per commit (tried, issue #19) cost 10–30 %
/// more CPU per delivery in the steady fan-out and raised its median latency
/// (docs/benchmarks/issue-19.md).
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
struct Item<T> {
    id: String,
    value: T,
    chain: Option<Chain>,
    done: Done,
}

impl<T> Item<T> {
    fn new(workshop: WorkshopId, value: T, done: Done) -> Self {
        Item {
            id: workshop.to_string(),
            value,
            chain: None,
            done,
        }
    }

    fn chained(mut self, chain: Option<Chain>) -> Self {
        self.chain = chain;
        self
    }

    /// Whether an earlier batch of its chain failed: then it is refused, not written.
    fn refused(&self) -> bool {
        self.chain.as_ref().is_some_and(Chain::broken)
    }

    /// Tells the caller; a failure first breaks the item's chain, before anything after
    /// it is written.
    fn answer(self, result: Result<(), StoreError>) {
        if let (Err(_), Some(chain)) = (&result, &self.chain) {
            chain.break_off();
        }
        let _caller_may_be_gone = self.done.send(result);
    }
}

/// Writes every batch waiting at once in one transaction, with the snapshots waiting
/// (up to `SNAPSHOT_BYTES_PER_COMMIT`). A snapshot waiting alone is written alone, without
/// waiting for a batch. If that transaction fails, each batch and each snapshot is tried
/// again alone, so one workshop's bad batch never fails another's.
pub(super) async fn committer(writer: SqlitePool, mut pending: mpsc::Receiver<Append>) {
    let mut received = Vec::with_capacity(MAX_APPENDS_PER_COMMIT);
    let mut snapshots = VecDeque::new();
    loop {
        if snapshots.is_empty() {
            if pending
                .recv_many(&mut received, MAX_APPENDS_PER_COMMIT)
                .await
                == 0
            {
                return;
            }
        } else {
            // Snapshots wait: commit now, with whatever batches wait.
            while received.len() < MAX_APPENDS_PER_COMMIT {
                let Ok(append) = pending.try_recv() else {
                    break;
                };
                received.push(append);
            }
        }
        let mut batches = Vec::with_capacity(received.len());
        for append in received.drain(..) {
            match append {
                Append::Batch {
                    workshop,
                    batch,
                    chain,
                    done,
                } => batches.push(Item::new(workshop, batch, done).chained(chain)),
                Append::Snapshot {
                    workshop,
                    snapshot,
                    done,
                } => snapshots.push_back(Item::new(workshop, snapshot, done)),
            }
        }
        let riding = take_snapshots(&mut snapshots);
        commit(&writer, batches, riding).await;
    }
}

/// The snapshots the next commit writes: the oldest waiting, up to
/// `SNAPSHOT_BYTES_PER_COMMIT` of them (one at least).
fn take_snapshots(waiting: &mut VecDeque<Item<Snapshot>>) -> Vec<Item<Snapshot>> {
    let mut bytes = 0;
    let mut taken = Vec::new();
    while let Some(next) = waiting.front() {
        bytes += next.value.body.len();
        if !taken.is_empty() && bytes > SNAPSHOT_BYTES_PER_COMMIT {
            break;
        }
        taken.extend(waiting.pop_front());
    }
    taken
}

/// Commits the batches and snapshots together, answering each; after a failure, each
/// alone. A batch whose chain broke before is refused without being tried.
async fn commit(writer: &SqlitePool, batches: Vec<Item<Batch>>, snapshots: Vec<Item<Snapshot>>) {
    let (refused, batches): (Vec<_>, Vec<_>) = batches.into_iter().partition(Item::refused);
    for i in refused {
        i.answer(Err(StoreError::EarlierFailed));
    }
    if batches.is_empty() && snapshots.is_empty() {
        return;
    }
    let together = {
        let b: Vec<_> = batches.iter().map(|i| (i.id.as_str(), &i.value)).collect();
        let s: Vec<_> = snapshots
            .iter()
            .map(|i| (i.id.as_str(), &i.value))
            .collect();
        commit_together(writer, &b, &s).await
    };
    match together {
        Ok(()) => {
            for i in batches {
                i.answer(Ok(()));
            }
            for i in snapshots {
                i.answer(Ok(()));
            }
        }
        Err(e) if batches.len() + snapshots.len() == 1 => {
            if let Some(i) = batches.into_iter().next() {
                i.answer(Err(e));
            } else if let Some(i) = snapshots.into_iter().next() {
                i.answer(Err(e));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, batches = batches.len(), snapshots = snapshots.len(),
                "a shared commit failed; committing each workshop alone");
            for i in batches {
                // An earlier batch of its workshop may have failed alone just now.
                let result = if i.refused() {
                    Err(StoreError::EarlierFailed)
                } else {
                    commit_together(writer, &[(&i.id, &i.value)], &[]).await
                };
                i.answer(result);
            }
            for i in snapshots {
                let result = commit_together(writer, &[], &[(&i.id, &i.value)]).await;
                i.answer(result);
            }
        }
    }
}

/// Commits the batches and snapshots of several workshops in one transaction, sent to
/// SQLite as one query of several statements (`BEGIN IMMEDIATE; INSERT …; INSERT …;
/// COMMIT;`, sqlx binds the values across them): one round trip to sqlx's SQLite thread
/// instead of one per statement. On a busy server each round trip waits for the committer
/// task to be scheduled again among thousands of connection tasks, while the SQLite thread
/// idles.
async fn commit_together(
    writer: &SqlitePool,
    batches: &[(&str, &Batch)],
    snapshots: &[(&str, &Snapshot)],
) -> Result<(), StoreError> {
    let mut query = QueryBuilder::<Sqlite>::new("BEGIN IMMEDIATE; ");
    push_inserts(&mut query, batches);
    for (id, snapshot) in snapshots {
        push_snapshot(&mut query, id, snapshot);
    }
    query.push("COMMIT;");
    let mut conn = writer.acquire().await?;
    // Not cached: the text differs with every number of rows.
    let done = query.build().persistent(false).execute(&mut *conn).await;
    if let Err(e) = done {
        // A statement failed inside the transaction, which may still be open: the
        // connection is closed (SQLite rolls the transaction back) and the pool opens
        // another, so the next commit starts clean whatever state this one left.
        conn.close_on_drop();
        return Err(e.into());
    }
    Ok(())
}

/// Appends to `query` the upsert of one snapshot, kept (as `Store::save_snapshot` says)
/// unless a newer one of the same version is stored. It is written only if the log holds
/// the event at its `seq`: a snapshot never gets ahead of the log, and one of a workshop
/// erased meanwhile is left out instead of failing the commit of every batch with it.
fn push_snapshot<'a>(query: &mut QueryBuilder<'a, Sqlite>, id: &'a str, snapshot: &'a Snapshot) {
    let seq = snapshot.seq as i64;
    query
        .push("INSERT INTO snapshots (workshop_id, version, seq, next_due, body) SELECT ")
        .push_bind(id)
        .push(", ")
        .push_bind(snapshot.version)
        .push(", ")
        .push_bind(seq)
        .push(", ")
        .push_bind(snapshot.next_due)
        .push(", ")
        .push_bind(snapshot.body.as_str())
        .push(" WHERE EXISTS (SELECT 1 FROM events WHERE workshop_id = ")
        .push_bind(id)
        .push(" AND seq = ")
        .push_bind(seq)
        .push(") ")
        .push(UPSERT_TAIL)
        .push("; ");
}

/// Rows per multi-row `INSERT` (SQLite allows 32,766 bound values per statement).
const ROWS_PER_INSERT: usize = 500;

/// Writes one workshop's batch inside `tx`.
pub(super) async fn write_batch(
    tx: &mut Transaction<'_, Sqlite>,
    workshop: WorkshopId,
    batch: &Batch,
) -> Result<(), StoreError> {
    let id = workshop.to_string();
    let batches = [(id.as_str(), batch)];
    let mut query = QueryBuilder::<Sqlite>::new("");
    if push_inserts(&mut query, &batches) {
        query.build().persistent(false).execute(&mut **tx).await?;
    }
    Ok(())
}

/// One part of every batch (its events, credentials or commands), each row with its
/// workshop's id.
fn rows_of<'a, T>(
    batches: &[(&'a str, &'a Batch)],
    part: impl Fn(&'a Batch) -> &'a [T],
) -> Vec<(&'a str, &'a T)> {
    batches
        .iter()
        .flat_map(|&(id, b)| part(b).iter().map(move |row| (id, row)))
        .collect()
}

/// Appends to `query` the `INSERT`s of the batches of several workshops: one multi-row
/// `INSERT` per table (per 500 rows), whatever the number of workshops, each ended by `;`.
/// Returns whether there was any row.
fn push_inserts<'a>(
    query: &mut QueryBuilder<'a, Sqlite>,
    batches: &[(&'a str, &'a Batch)],
) -> bool {
    let events = rows_of(batches, |b| &b.events);
    for rows in events.chunks(ROWS_PER_INSERT) {
        query
            .push("INSERT INTO events (workshop_id, seq, at, actor, body) ")
            .push_values(rows, |mut row, (id, e)| {
                row.push_bind(*id)
                    .push_bind(e.seq as i64)
                    .push_bind(e.at)
                    .push_bind(e.actor.map(|a| a.to_string()))
                    .push_bind(e.body.as_str());
            })
            .push("; ");
    }
    let credentials = rows_of(batches, |b| &b.credentials);
    for rows in credentials.chunks(ROWS_PER_INSERT) {
        query
            .push("INSERT INTO credentials (token_hash, workshop_id, participant_id) ")
            .push_values(rows, |mut row, (id, c)| {
                row.push_bind(c.token_hash.as_str())
                    .push_bind(*id)
                    .push_bind(c.participant.to_string());
            })
            .push("; ");
    }
    let commands = rows_of(batches, |b| &b.commands);
    for rows in commands.chunks(ROWS_PER_INSERT) {
        query
            .push("INSERT INTO commands (workshop_id, participant_id, command_id, seq, error_code, error_message, error_version) ")
            .push_values(rows, |mut row, (id, c)| {
                let (seq, code, message, version) = outcome_columns(&c.outcome);
                row.push_bind(*id)
                    .push_bind(c.participant.to_string())
                    .push_bind(c.command_id.as_str())
                    .push_bind(seq)
                    .push_bind(code)
                    .push_bind(message)
                    .push_bind(version);
            })
            .push("; ");
    }
    let joins = rows_of(batches, |b| &b.joins);
    for rows in joins.chunks(ROWS_PER_INSERT) {
        query
            .push("INSERT INTO joins (workshop_id, key_hash, participant_id, sealed_token) ")
            .push_values(rows, |mut row, (id, j)| {
                row.push_bind(*id)
                    .push_bind(j.key_hash.as_str())
                    .push_bind(j.participant.to_string())
                    .push_bind(j.sealed_token.as_str());
            })
            .push("; ");
    }
    let mut codes = false;
    for &(id, b) in batches {
        if let Some(c) = &b.codes {
            codes = true;
            query
                .push("UPDATE workshops SET facilitator_code = ")
                .push_bind(c.facilitator.as_str())
                .push(", delegate_code = ")
                .push_bind(c.delegate.as_str())
                .push(" WHERE id = ")
                .push_bind(id)
                .push("; ");
        }
    }
    !(events.is_empty() && credentials.is_empty() && commands.is_empty() && joins.is_empty())
        || codes
}

#[cfg(test)]
mod tests;
