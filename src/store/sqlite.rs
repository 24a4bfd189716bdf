//! The SQLite backend: one file, WAL journal, `synchronous=FULL`, one writer connection.
//!
//! A single writer connection serialises writes without `SQLITE_BUSY` storms; readers use a
//! separate small pool so token look-ups never queue behind a group commit.
//!
//! Appends go through one committer task that writes the batches of every workshop waiting
//! at that moment in one transaction: one `fsync` for all of them. With `synchronous=FULL`
//! an `fsync` costs milliseconds, so one commit per workshop would cap the whole server at
//! a few hundred commits per second, shared by every workshop (see docs/BENCHMARKS.md).
//!
//! The WAL is checkpointed twice over. Its own connection runs a `PASSIVE` checkpoint once
//! a second, which never blocks the writer and keeps the WAL short while writes pause now
//! and then. And the writer checkpoints after a commit that leaves more than
//! `WAL_AUTOCHECKPOINT_PAGES` pages in the WAL (SQLite's own auto-checkpoint): under writes
//! that never pause, the other connection's checkpoint never catches up with the writer, so
//! the WAL could never start over and grew without end (~37 MB/s at 2,200 posts/s), each
//! commit extending the file. Checkpointed by the writer, the WAL stays near 4 MB and is
//! overwritten in place, and the commits' `fsync`s got shorter, not longer (measured in
//! docs/BENCHMARKS.md).

use super::{
    id_pair, join_record, outcome_columns, outcome_from_columns, parse_id, Batch, CatchUp, Codes,
    CommandRecord, LoadedWorkshop, StoreError, StoredEvent,
};
use crate::domain::{ParticipantId, WorkshopId};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite, Transaction};
use std::path::Path;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

#[derive(Clone)]
pub struct SqliteStore {
    pub(super) writer: SqlitePool,
    pub(super) reader: SqlitePool,
    checkpointer: SqlitePool,
    commits: mpsc::Sender<Append>,
}

/// One workshop's batch waiting for the committer, and who to tell when it is durable.
struct Append {
    workshop: WorkshopId,
    batch: Batch,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// How often the checkpointer copies the WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// WAL pages after which the writer checkpoints once its commit is done (SQLite's default).
const WAL_AUTOCHECKPOINT_PAGES: u32 = 1000;

/// Most workshop batches written in one transaction.
const MAX_APPENDS_PER_COMMIT: usize = 256;

impl SqliteStore {
    /// Opens (creating if needed) the database file and runs the migrations.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // Erased workshops are overwritten with zeros, not merely unlinked.
            .pragma("secure_delete", "ON");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(
                options
                    .clone()
                    .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string()),
            )
            .await?;
        sqlx::migrate!("src/store/migrations/sqlite")
            .run(&writer)
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.clone().read_only(true))
            .await?;
        let checkpointer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        let (commits, pending) = mpsc::channel(4 * MAX_APPENDS_PER_COMMIT);
        tokio::spawn(committer(writer.clone(), pending));
        tokio::spawn(checkpoint_regularly(checkpointer.clone()));
        Ok(SqliteStore {
            writer,
            reader,
            checkpointer,
            commits,
        })
    }

    pub async fn create_workshop(
        &self,
        id: WorkshopId,
        codes: &Codes,
        batch: &Batch,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let created_at = batch.events.first().map_or(0, |e| e.at);
        let inserted = sqlx::query(
            "INSERT INTO workshops (id, facilitator_code, delegate_code, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(&codes.facilitator)
        .bind(&codes.delegate)
        .bind(created_at)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(StoreError::CodeTaken)
            }
            Err(e) => return Err(e.into()),
        }
        write_batch(&mut tx, id, batch).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Appends one workshop's batch; returns once it is durable (or refused).
    pub async fn append(&self, workshop: WorkshopId, batch: &Batch) -> Result<(), StoreError> {
        let (done, durable) = oneshot::channel();
        let append = Append {
            workshop,
            batch: batch.clone(),
            done,
        };
        if self.commits.send(append).await.is_err() {
            return Err(StoreError::Db(sqlx::Error::PoolClosed));
        }
        durable
            .await
            .unwrap_or(Err(StoreError::Db(sqlx::Error::PoolClosed)))
    }

    /// The workshop with its events after `after` (0: the whole log).
    pub async fn load(
        &self,
        workshop: WorkshopId,
        after: u64,
    ) -> Result<Option<LoadedWorkshop>, StoreError> {
        let id = workshop.to_string();
        let Some(row) =
            sqlx::query("SELECT facilitator_code, delegate_code FROM workshops WHERE id = ?")
                .bind(&id)
                .fetch_optional(&self.reader)
                .await?
        else {
            return Ok(None);
        };
        let codes = Codes {
            facilitator: row.try_get(0)?,
            delegate: row.try_get(1)?,
        };
        let events = self.events_after(&id, after).await?;
        let commands = self.commands(&id).await?;
        let joins = sqlx::query(
            "SELECT key_hash, participant_id, sealed_token FROM joins WHERE workshop_id = ?",
        )
        .bind(&id)
        .fetch_all(&self.reader)
        .await?
        .into_iter()
        .map(|row| join_record(row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
        .collect::<Result<_, StoreError>>()?;
        Ok(Some(LoadedWorkshop {
            codes,
            rev: 0,
            events,
            commands,
            joins,
        }))
    }

    async fn events_after(&self, id: &str, seq: u64) -> Result<Vec<StoredEvent>, StoreError> {
        sqlx::query(
            "SELECT seq, at, actor, body FROM events WHERE workshop_id = ? AND seq > ? ORDER BY seq",
        )
        .bind(id)
        .bind(seq as i64)
        .fetch_all(&self.reader)
        .await?
        .into_iter()
        .map(|row| {
            let actor: Option<String> = row.try_get(2)?;
            Ok(StoredEvent {
                seq: row.try_get::<i64, _>(0)? as u64,
                at: row.try_get(1)?,
                actor: actor.as_deref().map(parse_id).transpose()?,
                body: row.try_get(3)?,
            })
        })
        .collect()
    }

    async fn commands(&self, id: &str) -> Result<Vec<CommandRecord>, StoreError> {
        sqlx::query(
            "SELECT participant_id, command_id, seq, error_code, error_message, error_version FROM commands WHERE workshop_id = ?",
        )
        .bind(id)
        .fetch_all(&self.reader)
        .await?
        .into_iter()
        .map(|row| {
            let participant: String = row.try_get(0)?;
            Ok(CommandRecord {
                participant: parse_id(&participant)?,
                command_id: row.try_get(1)?,
                outcome: outcome_from_columns(
                    row.try_get(2)?,
                    row.try_get(3)?,
                    row.try_get(4)?,
                    row.try_get(5)?,
                )?,
            })
        })
        .collect()
    }

    /// SQLite keeps no commit numbers (one writer process never races itself): the events
    /// after `seq` and every command outcome, which is always correct, if not the least.
    pub async fn catch_up(
        &self,
        workshop: WorkshopId,
        seq: u64,
        rev: u64,
    ) -> Result<CatchUp, StoreError> {
        let id = workshop.to_string();
        Ok(CatchUp {
            rev,
            events: self.events_after(&id, seq).await?,
            commands: self.commands(&id).await?,
        })
    }

    pub async fn workshop_by_code(&self, code: &str) -> Result<Option<WorkshopId>, StoreError> {
        let row =
            sqlx::query("SELECT id FROM workshops WHERE facilitator_code = ? OR delegate_code = ?")
                .bind(code)
                .bind(code)
                .fetch_optional(&self.reader)
                .await?;
        row.map(|row| parse_id(&row.try_get::<String, _>(0)?))
            .transpose()
    }

    pub async fn workshop_ids(&self) -> Result<Vec<WorkshopId>, StoreError> {
        sqlx::query("SELECT id FROM workshops ORDER BY created_at")
            .fetch_all(&self.reader)
            .await?
            .into_iter()
            .map(|row| parse_id(&row.try_get::<String, _>(0)?))
            .collect()
    }

    pub async fn credential(
        &self,
        token_hash: &str,
    ) -> Result<Option<(WorkshopId, ParticipantId)>, StoreError> {
        let row = sqlx::query_as::<_, (String, String)>(
            "SELECT workshop_id, participant_id FROM credentials WHERE token_hash = ?",
        )
        .bind(token_hash)
        .fetch_optional(&self.reader)
        .await?;
        id_pair(row)
    }

    pub async fn set_projector_token(
        &self,
        workshop: WorkshopId,
        token_hash: &str,
        by: ParticipantId,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO projector_tokens (workshop_id, token_hash, created_by, created_at) \
             VALUES (?, ?, ?, ?) ON CONFLICT (workshop_id) DO UPDATE SET \
             token_hash = excluded.token_hash, created_by = excluded.created_by, \
             created_at = excluded.created_at",
        )
        .bind(workshop.to_string())
        .bind(token_hash)
        .bind(by.to_string())
        .bind(at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn projector_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<(WorkshopId, ParticipantId)>, StoreError> {
        let row = sqlx::query_as::<_, (String, String)>(
            "SELECT workshop_id, created_by FROM projector_tokens WHERE token_hash = ?",
        )
        .bind(token_hash)
        .fetch_optional(&self.reader)
        .await?;
        id_pair(row)
    }

    pub async fn agenda_templates(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        Ok(sqlx::query_as::<_, (String, String, i64)>(
            "SELECT name, segments, created_at FROM agenda_templates ORDER BY name",
        )
        .fetch_all(&self.reader)
        .await?)
    }

    pub async fn save_agenda_template(
        &self,
        name: &str,
        segments: &str,
        at: i64,
        max: usize,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await?;
        let others: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM agenda_templates WHERE name <> ?")
                .bind(name)
                .fetch_one(&mut *tx)
                .await?;
        if usize::try_from(others).unwrap_or(usize::MAX) >= max {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO agenda_templates (name, segments, created_at) VALUES (?, ?, ?) \
             ON CONFLICT (name) DO UPDATE SET segments = excluded.segments, \
             created_at = excluded.created_at",
        )
        .bind(name)
        .bind(segments)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn delete_agenda_template(&self, name: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM agenda_templates WHERE name = ?")
            .bind(name)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn erase_workshop(&self, workshop: WorkshopId) -> Result<bool, StoreError> {
        let id = workshop.to_string();
        let mut tx = self.writer.begin().await?;
        for table in [
            "snapshots",
            "events",
            "commands",
            "credentials",
            "joins",
            "projector_tokens",
        ] {
            sqlx::query(&format!("DELETE FROM {table} WHERE workshop_id = ?"))
                .bind(&id)
                .execute(&mut *tx)
                .await?;
        }
        let existed = sqlx::query("DELETE FROM workshops WHERE id = ?")
            .bind(&id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        tx.commit().await?;
        // Copy the zeroed pages into the database file and empty the WAL, so the erased
        // rows do not linger in the log either. Best effort: readers may hold it open.
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.writer)
            .await
        {
            tracing::warn!(error = %e, "WAL checkpoint after erasing failed");
        }
        Ok(existed)
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT count(*) FROM sqlite_master")
            .fetch_one(&self.reader)
            .await?;
        Ok(())
    }

    /// Writes a consistent, compacted copy of the database to `out` (`VACUUM INTO`), while
    /// the database may be in use. `out` must not exist yet.
    pub async fn backup(&self, out: &Path) -> Result<(), StoreError> {
        if out.exists() {
            return Err(StoreError::Backup(format!(
                "{} already exists; choose a new file",
                out.display()
            )));
        }
        let out = out
            .to_str()
            .ok_or_else(|| StoreError::Backup("the output path is not UTF-8".into()))?;
        sqlx::query("VACUUM INTO ?")
            .bind(out)
            .execute(&self.reader)
            .await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.checkpointer.close().await;
        self.reader.close().await;
        // Closing the last connection of a WAL database checkpoints it.
        if let Ok(mut conn) = self.writer.acquire().await {
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&mut *conn)
                .await
            {
                tracing::warn!(error = %e, "WAL checkpoint at shutdown failed");
            }
        }
        self.writer.close().await;
    }
}

/// Copies the WAL into the database file every `CHECKPOINT_EVERY`, until the store closes.
/// `PASSIVE` copies what it can without waiting for the writer or readers; the writer then
/// starts the WAL over once everything in it has been copied.
async fn checkpoint_regularly(checkpointer: SqlitePool) {
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
async fn committer(writer: SqlitePool, mut pending: mpsc::Receiver<Append>) {
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
async fn write_batch(
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
mod tests {
    use super::*;

    fn one_command(id: &str, seq: u64) -> Batch {
        Batch {
            events: vec![StoredEvent {
                seq,
                at: 0,
                actor: None,
                body: format!("event {seq}"),
            }],
            commands: vec![CommandRecord {
                participant: ParticipantId(uuid::Uuid::nil()),
                command_id: id.into(),
                outcome: crate::protocol::Outcome::Ack { seq },
            }],
            ..Batch::default()
        }
    }

    /// Creates an empty workshop whose codes end in `n`.
    async fn new_workshop(store: &SqliteStore, n: u32) -> WorkshopId {
        let w = WorkshopId::random();
        let codes = Codes {
            facilitator: format!("FAC-{n}"),
            delegate: format!("DEL-{n}"),
        };
        store
            .create_workshop(w, &codes, &Batch::default())
            .await
            .expect("created");
        w
    }

    #[tokio::test]
    async fn a_failed_shared_commit_leaves_nothing_behind_and_the_next_commit_works() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join("c.db"))
            .await
            .expect("opens");
        let (a, b) = (new_workshop(&store, 1).await, new_workshop(&store, 2).await);
        store
            .append(b, &one_command("c1", 1))
            .await
            .expect("stored");
        // B repeats a command id: its `commands` row fails after A's and B's events
        // were inserted by the statement before, in the same transaction.
        let good = one_command("c1", 1);
        let bad = one_command("c1", 2);
        let together = [(a.to_string(), &good), (b.to_string(), &bad)];
        let failed = commit_together(&store.writer, &together).await;
        assert!(
            failed.is_err(),
            "a repeated command id must fail the commit"
        );
        // Nothing of it stayed, and the writer is usable again.
        commit_alone(&store.writer, a, &good)
            .await
            .expect("A's batch commits alone");
        let loaded_a = store.load(a, 0).await.expect("loads").expect("exists");
        let loaded_b = store.load(b, 0).await.expect("loads").expect("exists");
        assert_eq!(loaded_a.events.len(), 1);
        assert_eq!(loaded_a.commands.len(), 1);
        assert_eq!(
            loaded_b.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [1]
        );
        store.close().await;
    }

    /// Writes that never pause: the WAL must still start over (the writer's own checkpoint)
    /// instead of growing with every commit. 16 workshops append 250 commits each, 1 KiB
    /// per event, as fast as the committer takes them (without the writer's checkpoint the
    /// WAL reached 87 MB here).
    #[tokio::test]
    async fn the_wal_stays_bounded_under_writes_that_never_pause() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("w.db");
        let store = SqliteStore::open(&path).await.expect("opens");
        let mut writers = tokio::task::JoinSet::new();
        for n in 0..16 {
            let store = store.clone();
            writers.spawn(async move {
                let w = new_workshop(&store, n).await;
                for seq in 1..=250u64 {
                    let mut batch = one_command(&format!("c{seq}"), seq);
                    batch.events[0].body = format!("{seq:>1024}");
                    store.append(w, &batch).await.expect("stored");
                }
            });
        }
        while let Some(done) = writers.join_next().await {
            done.expect("writer task");
        }
        let wal = std::fs::metadata(dir.path().join("w.db-wal"))
            .expect("the WAL exists while the store is open")
            .len();
        // 1,000 pages of 4 KiB before the writer checkpoints, plus one shared commit of at
        // most 16 batches (a few dozen pages), plus headers: well under 8 MB.
        assert!(
            wal < 8 << 20,
            "the WAL grew to {wal} bytes: it never started over"
        );
        store.close().await;
    }
}
