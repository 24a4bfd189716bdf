//! The SQLite backend: one file, WAL journal, `synchronous=FULL`, one writer connection.
//!
//! A single writer connection serialises writes without `SQLITE_BUSY` storms; readers use a
//! separate small pool so token look-ups never queue behind a group commit.
//!
//! Every write goes through one thread owning the writing connection (`writer.rs`), which
//! writes the batches of every workshop waiting at that moment in one transaction
//! (`commit.rs`): one `fsync` for all of them. With
//! `synchronous=FULL` an `fsync` costs milliseconds, so one commit per workshop would cap
//! the whole server at a few hundred commits per second, shared by every workshop (see
//! docs/BENCHMARKS.md). Snapshots ride in those commits too, rather than competing with
//! them for the one writer in transactions of their own.
//!
//! The WAL is checkpointed twice over. Its own connection runs a `PASSIVE` checkpoint once
//! a second, which never blocks the writer and keeps the WAL short while writes pause now
//! and then. And the writer checkpoints after a commit that leaves more than
//! `WAL_AUTOCHECKPOINT_PAGES` pages in the WAL (SQLite's own auto-checkpoint): under writes
//! that never pause, the other connection's checkpoint never catches up with the writer, so
//! the WAL could never start over and grew without end (~37 MB/s at 2,200 posts/s), each
//! commit extending the file. `journal_size_limit` cuts the WAL file back to
//! `WAL_FILE_LIMIT` when it starts over after a burst (or a long read) made it grow.

mod commit;
pub(super) mod parts;
mod writer;

use super::{
    id_pair, join_record, outcome_from_columns, parse_id, Batch, CatchUp, Codes, CommandRecord,
    LoadedWorkshop, Snapshot, StoreError, StoredEvent,
};
use crate::domain::{ParticipantId, WorkshopId};
pub use commit::Chain;
use commit::{checkpoint_regularly, write_batch, Append, Done};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Row;
use std::path::Path;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use writer::{Job, Settings};

/// Answers once a batch handed on with `submit` is durable, or refused; a closed channel
/// means the writer stopped first and nothing was written.
pub type Durable = oneshot::Receiver<Result<(), StoreError>>;

#[derive(Clone)]
pub struct SqliteStore {
    pub(super) reader: SqlitePool,
    checkpointer: SqlitePool,
    /// The writer thread's queue (`writer.rs`).
    writes: mpsc::Sender<Job>,
}

/// Bytes the WAL file is cut back to when the WAL starts over (`journal_size_limit`):
/// above what `WAL_AUTOCHECKPOINT_PAGES` lets it reach, so that steady writes overwrite
/// the file in place instead of cutting it back and growing it again each time.
const WAL_FILE_LIMIT: u64 = 64 << 20;

/// WAL pages (of 4 KiB) after which the writer checkpoints once its commit is done: ten
/// times SQLite's default. That checkpoint holds the commits queued behind it, and it
/// copies each page once however often the WAL rewrote it (a workshop's last leaves are
/// rewritten by every commit), so a longer WAL holds the commits more rarely: against
/// 1,000, the delivery p99 at saturation fell by about 30 %
/// (docs/benchmarks/issue-19.md).
const WAL_AUTOCHECKPOINT_PAGES: u32 = 10_000;

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
        // The migrations run on a connection of their own, closed before the writer
        // thread opens the one that writes from then on.
        let migrating = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("src/store/migrations/sqlite")
            .run(&migrating)
            .await?;
        migrating.close().await;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.clone().read_only(true))
            .await?;
        let checkpointer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        let writes = writer::start(Self::settings(path))?;
        tokio::spawn(checkpoint_regularly(checkpointer.clone()));
        Ok(SqliteStore {
            reader,
            checkpointer,
            writes,
        })
    }

    /// The writing connection's settings (SQLite's auto-checkpoint runs inside the COMMIT
    /// that crosses `WAL_AUTOCHECKPOINT_PAGES`: that commit's callers wait for it; the
    /// checkpointer's connection has usually copied most frames already).
    fn settings(path: &Path) -> Settings {
        Settings::new(path, WAL_AUTOCHECKPOINT_PAGES, WAL_FILE_LIMIT)
    }

    /// Runs `write` on the writer thread, between its group commits; returns its result.
    /// A write that fails leaves no transaction open behind it (`Writer::recover`).
    pub(super) async fn write<T: Send + 'static>(
        &self,
        write: impl FnOnce(&mut rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (done, result) = oneshot::channel();
        let job = Job::Run(Box::new(move |conn| {
            let _caller_may_be_gone = done.send(write(conn));
        }));
        if self.writes.send(job).await.is_err() {
            return Err(closed());
        }
        result.await.unwrap_or_else(|_| Err(closed()))
    }

    pub async fn create_workshop(
        &self,
        id: WorkshopId,
        codes: &Codes,
        batch: &Batch,
    ) -> Result<(), StoreError> {
        let created_at = batch.events.first().map_or(0, |e| e.at);
        let (id, codes, batch) = (id.to_string(), codes.clone(), batch.clone());
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let inserted = tx.execute(
                "INSERT INTO workshops (id, facilitator_code, delegate_code, created_at) \
                 VALUES (?, ?, ?, ?)",
                rusqlite::params![id, codes.facilitator, codes.delegate, created_at],
            );
            match inserted {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => return Err(StoreError::CodeTaken),
                Err(e) => return Err(e.into()),
            }
            write_batch(&tx, &id, &batch)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// Appends one workshop's batch; returns once it is durable (or refused).
    pub async fn append(&self, workshop: WorkshopId, batch: &Batch) -> Result<(), StoreError> {
        self.hand_to_writer(|done| Append::Batch {
            workshop,
            batch: batch.clone(),
            chain: None,
            done,
        })
        .await
    }

    /// Hands a batch to the writer thread and returns once it is queued (`Store::submit`).
    pub async fn submit(&self, workshop: WorkshopId, batch: Batch, chain: &Chain) -> Durable {
        let (done, durable) = oneshot::channel();
        let append = Append::Batch {
            workshop,
            batch,
            chain: Some(chain.clone()),
            done,
        };
        // Closed (the runtime is stopping): `done` is dropped with it, and `durable`
        // answers that nothing was written.
        let _closed = self.writes.send(Job::Append(append)).await;
        durable
    }

    /// Stores a snapshot in the writer's next group commit; returns once it is
    /// durable. Left out, as `commit::SNAPSHOT_IF_LOGGED` says, when the log lacks its `seq`.
    pub(super) async fn commit_snapshot(
        &self,
        workshop: WorkshopId,
        snapshot: Snapshot,
    ) -> Result<(), StoreError> {
        self.hand_to_writer(|done| Append::Snapshot {
            workshop,
            snapshot,
            done,
        })
        .await
    }

    async fn hand_to_writer(&self, append: impl FnOnce(Done) -> Append) -> Result<(), StoreError> {
        let (done, durable) = oneshot::channel();
        if self.writes.send(Job::Append(append(done))).await.is_err() {
            return Err(closed());
        }
        // The writer is gone (the store was closed): nothing was written.
        durable.await.unwrap_or_else(|_| Err(closed()))
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
        let (workshop, token_hash, by) =
            (workshop.to_string(), token_hash.to_owned(), by.to_string());
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT INTO projector_tokens (workshop_id, token_hash, created_by, created_at) \
                 VALUES (?, ?, ?, ?) ON CONFLICT (workshop_id) DO UPDATE SET \
                 token_hash = excluded.token_hash, created_by = excluded.created_by, \
                 created_at = excluded.created_at",
            )?
            .execute(rusqlite::params![workshop, token_hash, by, at])?;
            Ok(())
        })
        .await
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
        let (name, segments) = (name.to_owned(), segments.to_owned());
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let others: i64 = tx.query_row(
                "SELECT COUNT(*) FROM agenda_templates WHERE name <> ?",
                [&name],
                |row| row.get(0),
            )?;
            if usize::try_from(others).unwrap_or(usize::MAX) >= max {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO agenda_templates (name, segments, created_at) VALUES (?, ?, ?) \
                 ON CONFLICT (name) DO UPDATE SET segments = excluded.segments, \
                 created_at = excluded.created_at",
                rusqlite::params![name, segments, at],
            )?;
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    pub async fn delete_agenda_template(&self, name: &str) -> Result<bool, StoreError> {
        let name = name.to_owned();
        self.write(move |conn| {
            Ok(conn.execute("DELETE FROM agenda_templates WHERE name = ?", [&name])? > 0)
        })
        .await
    }

    pub async fn erase_workshop(&self, workshop: WorkshopId) -> Result<bool, StoreError> {
        let id = workshop.to_string();
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            for table in [
                "snapshots",
                "events",
                "commands",
                "credentials",
                "joins",
                "projector_tokens",
            ] {
                tx.execute(&format!("DELETE FROM {table} WHERE workshop_id = ?"), [&id])?;
            }
            let existed = tx.execute("DELETE FROM workshops WHERE id = ?", [&id])? > 0;
            tx.commit()?;
            // Copy the zeroed pages into the database file and empty the WAL, so the
            // erased rows do not linger in the log either. Best effort: readers may hold
            // it open.
            writer::checkpoint_all(conn);
            Ok(existed)
        })
        .await
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

    /// Closes the readers, then has the writer write what was handed to it before,
    /// checkpoint the whole WAL into the database file and stop; later writes fail.
    pub async fn close(&self) {
        self.checkpointer.close().await;
        self.reader.close().await;
        let (done, stopped) = oneshot::channel();
        if self.writes.send(Job::Close(done)).await.is_ok() {
            let _already_stopped = stopped.await;
        }
    }
}

/// What a write gets once the writer has stopped (the store was closed): nothing was written.
fn closed() -> StoreError {
    StoreError::Db(sqlx::Error::PoolClosed)
}

/// Whether `e` is a `UNIQUE` or primary key violation.
fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

#[cfg(test)]
mod tests;
