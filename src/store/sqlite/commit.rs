//! The group committer: one task that writes the batches of every workshop waiting at that
//! moment in one transaction, and the checkpoints that keep the WAL short.

use crate::domain::WorkshopId;
use crate::store::{outcome_columns, Batch, StoreError};
use sqlx::sqlite::SqlitePool;
use sqlx::{QueryBuilder, Sqlite, Transaction};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// One workshop's batch waiting for the committer, and who to tell when it is durable.
pub(super) struct Append {
    pub(super) workshop: WorkshopId,
    pub(super) batch: Batch,
    pub(super) done: oneshot::Sender<Result<(), StoreError>>,
}

/// How often the checkpointer copies the WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// WAL pages after which the writer checkpoints once its commit is done (SQLite's default).
pub(super) const WAL_AUTOCHECKPOINT_PAGES: u32 = 1000;

/// Most workshop batches written in one transaction.
pub(super) const MAX_APPENDS_PER_COMMIT: usize = 256;

/// Copies the WAL into the database file every `CHECKPOINT_EVERY`, until the store closes.
/// `PASSIVE` copies what it can without waiting for the writer or readers; the writer then
/// starts the WAL over once everything in it has been copied.
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

/// Writes every batch waiting at once in one transaction. If that transaction fails, each
/// batch is tried again alone, so one workshop's bad batch never fails another's.
pub(super) async fn committer(writer: SqlitePool, mut pending: mpsc::Receiver<Append>) {
    let mut appends = Vec::with_capacity(MAX_APPENDS_PER_COMMIT);
    while pending
        .recv_many(&mut appends, MAX_APPENDS_PER_COMMIT)
        .await
        > 0
    {
        let batches: Vec<_> = appends
            .iter()
            .map(|a| (a.workshop.to_string(), &a.batch))
            .collect();
        let together = commit_together(&writer, &batches).await;
        match together {
            Ok(()) => {
                for a in appends.drain(..) {
                    let _caller_may_be_gone = a.done.send(Ok(()));
                }
            }
            Err(e) if appends.len() == 1 => {
                if let Some(a) = appends.pop() {
                    let _caller_may_be_gone = a.done.send(Err(e));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, batches = appends.len(), "a shared commit failed; committing each workshop alone");
                for a in appends.drain(..) {
                    let result = commit_alone(&writer, a.workshop, &a.batch).await;
                    let _caller_may_be_gone = a.done.send(result);
                }
            }
        }
    }
}

async fn commit_alone(
    writer: &SqlitePool,
    workshop: WorkshopId,
    batch: &Batch,
) -> Result<(), StoreError> {
    commit_together(writer, &[(workshop.to_string(), batch)]).await
}

/// Commits the batches of several workshops in one transaction, sent to SQLite as one
/// query of several statements (`BEGIN IMMEDIATE; INSERT …; INSERT …; COMMIT;`, sqlx binds
/// the values across them): one round trip to sqlx's SQLite thread instead of one per
/// statement. On a busy server each round trip waits for the committer task to be
/// scheduled again among thousands of connection tasks, while the SQLite thread idles.
async fn commit_together(
    writer: &SqlitePool,
    batches: &[(String, &Batch)],
) -> Result<(), StoreError> {
    let mut query = QueryBuilder::<Sqlite>::new("BEGIN IMMEDIATE; ");
    push_inserts(&mut query, batches);
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

/// Rows per multi-row `INSERT` (SQLite allows 32,766 bound values per statement).
const ROWS_PER_INSERT: usize = 500;

/// Writes one workshop's batch inside `tx`.
pub(super) async fn write_batch(
    tx: &mut Transaction<'_, Sqlite>,
    workshop: WorkshopId,
    batch: &Batch,
) -> Result<(), StoreError> {
    let batches = [(workshop.to_string(), batch)];
    let mut query = QueryBuilder::<Sqlite>::new("");
    if push_inserts(&mut query, &batches) {
        query.build().persistent(false).execute(&mut **tx).await?;
    }
    Ok(())
}

/// One part of every batch (its events, credentials or commands), each row with its
/// workshop's id.
fn rows_of<'a, T>(
    batches: &'a [(String, &'a Batch)],
    part: impl Fn(&'a Batch) -> &'a [T],
) -> Vec<(&'a String, &'a T)> {
    batches
        .iter()
        .flat_map(|(id, b)| part(b).iter().map(move |row| (id, row)))
        .collect()
}

/// Appends to `query` the `INSERT`s of the batches of several workshops: one multi-row
/// `INSERT` per table (per 500 rows), whatever the number of workshops, each ended by `;`.
/// Returns whether there was any row.
fn push_inserts<'a>(
    query: &mut QueryBuilder<'a, Sqlite>,
    batches: &'a [(String, &'a Batch)],
) -> bool {
    let events = rows_of(batches, |b| &b.events);
    for rows in events.chunks(ROWS_PER_INSERT) {
        query
            .push("INSERT INTO events (workshop_id, seq, at, actor, body) ")
            .push_values(rows, |mut row, (id, e)| {
                row.push_bind(id.as_str())
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
                    .push_bind(id.as_str())
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
                row.push_bind(id.as_str())
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
                row.push_bind(id.as_str())
                    .push_bind(j.key_hash.as_str())
                    .push_bind(j.participant.to_string())
                    .push_bind(j.sealed_token.as_str());
            })
            .push("; ");
    }
    let mut codes = false;
    for (id, b) in batches {
        if let Some(c) = &b.codes {
            codes = true;
            query
                .push("UPDATE workshops SET facilitator_code = ")
                .push_bind(c.facilitator.as_str())
                .push(", delegate_code = ")
                .push_bind(c.delegate.as_str())
                .push(" WHERE id = ")
                .push_bind(id.as_str())
                .push("; ");
        }
    }
    !(events.is_empty() && credentials.is_empty() && commands.is_empty() && joins.is_empty())
        || codes
}

#[cfg(test)]
mod tests;
