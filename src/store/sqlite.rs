//! The SQLite backend: one file, WAL journal, `synchronous=FULL`, one writer connection.
//!
//! A single writer connection serialises writes without `SQLITE_BUSY` storms; readers use a
//! separate small pool so token look-ups never queue behind a group commit.

use super::{
    outcome_columns, outcome_from_columns, parse_id, Batch, CatchUp, Codes, CommandRecord,
    LoadedWorkshop, StoreError, StoredEvent,
};
use crate::domain::{ParticipantId, WorkshopId};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};
use std::path::Path;
use std::time::Duration;

#[derive(Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

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
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("src/store/migrations/sqlite")
            .run(&writer)
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await?;
        Ok(SqliteStore { writer, reader })
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

    pub async fn append(&self, workshop: WorkshopId, batch: &Batch) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        write_batch(&mut tx, workshop, batch).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn load(&self, workshop: WorkshopId) -> Result<Option<LoadedWorkshop>, StoreError> {
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
        let events = self.events_after(&id, 0).await?;
        let commands = self.commands(&id).await?;
        Ok(Some(LoadedWorkshop {
            codes,
            rev: 0,
            events,
            commands,
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
        let row =
            sqlx::query("SELECT workshop_id, participant_id FROM credentials WHERE token_hash = ?")
                .bind(token_hash)
                .fetch_optional(&self.reader)
                .await?;
        match row {
            None => Ok(None),
            Some(row) => {
                let w: String = row.try_get(0)?;
                let p: String = row.try_get(1)?;
                Ok(Some((parse_id(&w)?, parse_id(&p)?)))
            }
        }
    }

    pub async fn erase_workshop(&self, workshop: WorkshopId) -> Result<bool, StoreError> {
        let id = workshop.to_string();
        let mut tx = self.writer.begin().await?;
        for table in ["events", "commands", "credentials"] {
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

async fn write_batch(
    tx: &mut Transaction<'_, Sqlite>,
    workshop: WorkshopId,
    batch: &Batch,
) -> Result<(), StoreError> {
    let id = workshop.to_string();
    for e in &batch.events {
        sqlx::query(
            "INSERT INTO events (workshop_id, seq, at, actor, body) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(e.seq as i64)
        .bind(e.at)
        .bind(e.actor.map(|a| a.to_string()))
        .bind(&e.body)
        .execute(&mut **tx)
        .await?;
    }
    for c in &batch.credentials {
        sqlx::query(
            "INSERT INTO credentials (token_hash, workshop_id, participant_id) VALUES (?, ?, ?)",
        )
        .bind(&c.token_hash)
        .bind(&id)
        .bind(c.participant.to_string())
        .execute(&mut **tx)
        .await?;
    }
    for c in &batch.commands {
        let (seq, code, message, version) = outcome_columns(&c.outcome);
        sqlx::query(
            "INSERT INTO commands (workshop_id, participant_id, command_id, seq, error_code, error_message, error_version) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(c.participant.to_string())
        .bind(&c.command_id)
        .bind(seq)
        .bind(code)
        .bind(message)
        .bind(version)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
