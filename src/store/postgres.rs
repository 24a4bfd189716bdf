//! The PostgreSQL backend: one database shared by every node.
//!
//! A commit is one transaction that first moves the workshop's `rev` on with a
//! compare-and-set (`UPDATE workshops … WHERE rev = $expected`), then inserts the batch's
//! events, credentials and command outcomes with one `UNNEST` insert each. Two nodes that
//! decided on the same rev cannot both commit: the second `UPDATE` waits for the first
//! transaction's row lock, then finds the rev moved and matches no row, and the batch is
//! refused with `StoreError::Conflict`. The primary keys on (workshop, seq) and (workshop,
//! participant, command id) back this up. Reads that must be consistent (loading, catching
//! up) run in one `REPEATABLE READ` snapshot, so the rev they report matches the rows.

use super::{
    id_pair, join_record, outcome_columns, outcome_from_columns, parse_id, Batch, CatchUp, Codes,
    CommandRecord, LoadedWorkshop, StoreError, StoredEvent,
};
use crate::domain::{ParticipantId, WorkshopId};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{PgConnection, Postgres, Row, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// Connections per node. Commits of one workshop are serial (its actor waits for each), so
/// this bounds how many workshops commit at once on one node.
const MAX_CONNECTIONS: u32 = 16;
/// How long a request waits for a connection before it is answered `unavailable`.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct PostgresStore {
    pub(super) pool: PgPool,
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

impl PostgresStore {
    /// Connects and runs the migrations (several nodes starting at once take turns: sqlx
    /// holds an advisory lock while migrating).
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)?.application_name("cabildo");
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        sqlx::migrate!("src/store/migrations/postgres")
            .run(&pool)
            .await?;
        Ok(PostgresStore { pool })
    }

    pub async fn create_workshop(
        &self,
        id: WorkshopId,
        codes: &Codes,
        batch: &Batch,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let created_at = batch.events.first().map_or(0, |e| e.at);
        let seq = batch.events.last().map_or(0, |e| e.seq);
        let inserted = sqlx::query(
            "INSERT INTO workshops (id, facilitator_code, delegate_code, created_at, rev, seq) VALUES ($1, $2, $3, $4, 1, $5)",
        )
        .bind(id.to_string())
        .bind(&codes.facilitator)
        .bind(&codes.delegate)
        .bind(created_at)
        .bind(seq as i64)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Err(StoreError::CodeTaken),
            Err(e) => return Err(e.into()),
        }
        write_batch(&mut tx, id, 1, batch).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn append(
        &self,
        workshop: WorkshopId,
        rev: u64,
        batch: &Batch,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id = workshop.to_string();
        let new_rev = rev + 1;
        let moved = sqlx::query(
            "UPDATE workshops SET rev = $3, seq = COALESCE($4, seq) WHERE id = $1 AND rev = $2",
        )
        .bind(&id)
        .bind(rev as i64)
        .bind(new_rev as i64)
        .bind(batch.events.last().map(|e| e.seq as i64))
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() == 0 {
            return Err(StoreError::Conflict);
        }
        match write_batch(&mut tx, workshop, new_rev, batch).await {
            Ok(()) => {}
            Err(StoreError::Db(e)) if is_unique_violation(&e) => return Err(StoreError::Conflict),
            Err(e) => return Err(e),
        }
        tx.commit().await?;
        Ok(new_rev)
    }

    /// A read-only transaction that sees one snapshot of the database.
    async fn snapshot(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    /// The workshop with its events after `after` (0: the whole log).
    pub async fn load(
        &self,
        workshop: WorkshopId,
        after: u64,
    ) -> Result<Option<LoadedWorkshop>, StoreError> {
        let id = workshop.to_string();
        let mut tx = self.snapshot().await?;
        let Some(row) =
            sqlx::query("SELECT facilitator_code, delegate_code, rev FROM workshops WHERE id = $1")
                .bind(&id)
                .fetch_optional(&mut *tx)
                .await?
        else {
            return Ok(None);
        };
        let codes = Codes {
            facilitator: row.try_get(0)?,
            delegate: row.try_get(1)?,
        };
        let rev = row.try_get::<i64, _>(2)? as u64;
        let events = events_after(&mut tx, &id, after).await?;
        let commands = commands_after(&mut tx, &id, 0).await?;
        let joins = sqlx::query(
            "SELECT key_hash, participant_id, sealed_token FROM joins WHERE workshop_id = $1",
        )
        .bind(&id)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|row| join_record(row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
        .collect::<Result<_, StoreError>>()?;
        tx.commit().await?;
        Ok(Some(LoadedWorkshop {
            codes,
            rev,
            events,
            commands,
            joins,
        }))
    }

    pub async fn catch_up(
        &self,
        workshop: WorkshopId,
        seq: u64,
        rev: u64,
    ) -> Result<CatchUp, StoreError> {
        let id = workshop.to_string();
        let mut tx = self.snapshot().await?;
        let now: i64 = sqlx::query_scalar("SELECT rev FROM workshops WHERE id = $1")
            .bind(&id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("workshop {id} is gone")))?;
        let (events, commands) = if now as u64 > rev {
            (
                events_after(&mut tx, &id, seq).await?,
                commands_after(&mut tx, &id, rev).await?,
            )
        } else {
            (Vec::new(), Vec::new())
        };
        tx.commit().await?;
        Ok(CatchUp {
            rev: now as u64,
            events,
            commands,
        })
    }

    pub async fn revs(
        &self,
        workshops: &[WorkshopId],
    ) -> Result<Vec<(WorkshopId, u64)>, StoreError> {
        let ids: Vec<String> = workshops.iter().map(ToString::to_string).collect();
        sqlx::query("SELECT id, rev FROM workshops WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|row| {
                Ok((
                    parse_id(&row.try_get::<String, _>(0)?)?,
                    row.try_get::<i64, _>(1)? as u64,
                ))
            })
            .collect()
    }

    pub async fn workshop_by_code(&self, code: &str) -> Result<Option<WorkshopId>, StoreError> {
        let id: Option<String> = sqlx::query_scalar(
            "SELECT id FROM workshops WHERE facilitator_code = $1 OR delegate_code = $1",
        )
        .bind(code)
        .fetch_optional(&self.pool)
        .await?;
        id.as_deref().map(parse_id).transpose()
    }

    pub async fn workshop_ids(&self) -> Result<Vec<WorkshopId>, StoreError> {
        sqlx::query("SELECT id FROM workshops ORDER BY created_at, id")
            .fetch_all(&self.pool)
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
            "SELECT workshop_id, participant_id FROM credentials WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        id_pair(row)
    }

    /// Deletes every row of the workshop in one transaction; returns whether it existed.
    pub async fn set_projector_token(
        &self,
        workshop: WorkshopId,
        token_hash: &str,
        by: ParticipantId,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO projector_tokens (workshop_id, token_hash, created_by, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (workshop_id) DO UPDATE SET \
             token_hash = excluded.token_hash, created_by = excluded.created_by, \
             created_at = excluded.created_at",
        )
        .bind(workshop.to_string())
        .bind(token_hash)
        .bind(by.to_string())
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn projector_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<(WorkshopId, ParticipantId)>, StoreError> {
        let row = sqlx::query_as::<_, (String, String)>(
            "SELECT workshop_id, created_by FROM projector_tokens WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        id_pair(row)
    }

    pub async fn agenda_templates(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        Ok(sqlx::query_as::<_, (String, String, i64)>(
            "SELECT name, segments, created_at FROM agenda_templates ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn save_agenda_template(
        &self,
        name: &str,
        segments: &str,
        at: i64,
        max: usize,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("LOCK TABLE agenda_templates IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
        let others: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM agenda_templates WHERE name <> $1")
                .bind(name)
                .fetch_one(&mut *tx)
                .await?;
        if usize::try_from(others).unwrap_or(usize::MAX) >= max {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO agenda_templates (name, segments, created_at) VALUES ($1, $2, $3) \
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
        let done = sqlx::query("DELETE FROM agenda_templates WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn erase_workshop(&self, workshop: WorkshopId) -> Result<bool, StoreError> {
        let id = workshop.to_string();
        let mut tx = self.pool.begin().await?;
        for table in [
            "snapshots",
            "commands",
            "credentials",
            "events",
            "joins",
            "projector_tokens",
            "workshop_owners",
        ] {
            sqlx::query(&format!("DELETE FROM {table} WHERE workshop_id = $1"))
                .bind(&id)
                .execute(&mut *tx)
                .await?;
        }
        let existed = sqlx::query("DELETE FROM workshops WHERE id = $1")
            .bind(&id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        tx.commit().await?;
        Ok(existed)
    }

    /// Takes the lease of `workshop` for `node` when nobody holds it, it ran out, or `node`
    /// holds it already (then it is renewed); returns who owns the workshop now and since
    /// which takeover (`epoch`).
    pub async fn claim(
        &self,
        workshop: WorkshopId,
        node: &str,
        lease_ms: i64,
    ) -> Result<(String, u64), StoreError> {
        let row = sqlx::query(
            "WITH taken AS (
                INSERT INTO workshop_owners (workshop_id, node, epoch, lease_until)
                VALUES ($1, $2, 1, clock_timestamp() + $3 * interval '1 millisecond')
                ON CONFLICT (workshop_id) DO UPDATE
                    SET node = EXCLUDED.node,
                        epoch = workshop_owners.epoch
                            + CASE WHEN workshop_owners.node = EXCLUDED.node THEN 0 ELSE 1 END,
                        lease_until = EXCLUDED.lease_until
                    WHERE workshop_owners.node = EXCLUDED.node
                       OR workshop_owners.lease_until < clock_timestamp()
                RETURNING node, epoch
            )
            SELECT node, epoch FROM taken
            UNION ALL
            SELECT node, epoch FROM workshop_owners
                WHERE workshop_id = $1 AND NOT EXISTS (SELECT 1 FROM taken)",
        )
        .bind(workshop.to_string())
        .bind(node)
        .bind(lease_ms)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get(0)?, row.try_get::<i64, _>(1)? as u64))
    }

    /// Renews every lease `node` holds, in one statement; returns those workshops.
    pub async fn renew(&self, node: &str, lease_ms: i64) -> Result<Vec<WorkshopId>, StoreError> {
        sqlx::query(
            "UPDATE workshop_owners SET lease_until = clock_timestamp() + $2 * interval '1 millisecond'
             WHERE node = $1 RETURNING workshop_id",
        )
        .bind(node)
        .bind(lease_ms)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|row| parse_id(&row.try_get::<String, _>(0)?))
        .collect()
    }

    /// Gives up every lease `node` holds (a clean shutdown).
    pub async fn release(&self, node: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM workshop_owners WHERE node = $1")
            .bind(node)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

async fn events_after(
    conn: &mut PgConnection,
    id: &str,
    seq: u64,
) -> Result<Vec<StoredEvent>, StoreError> {
    sqlx::query(
        "SELECT seq, at, actor, body FROM events WHERE workshop_id = $1 AND seq > $2 ORDER BY seq",
    )
    .bind(id)
    .bind(seq as i64)
    .fetch_all(conn)
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

async fn commands_after(
    conn: &mut PgConnection,
    id: &str,
    rev: u64,
) -> Result<Vec<CommandRecord>, StoreError> {
    sqlx::query(
        "SELECT participant_id, command_id, seq, error_code, error_message, error_version FROM commands WHERE workshop_id = $1 AND rev > $2",
    )
    .bind(id)
    .bind(rev as i64)
    .fetch_all(conn)
    .await?
    .iter()
    .map(command_record)
    .collect()
}

fn command_record(row: &PgRow) -> Result<CommandRecord, StoreError> {
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
}

/// Inserts a batch's rows, one statement per table whatever the batch's size.
async fn write_batch(
    tx: &mut Transaction<'_, Postgres>,
    workshop: WorkshopId,
    rev: u64,
    batch: &Batch,
) -> Result<(), StoreError> {
    let id = workshop.to_string();
    let rev = rev as i64;
    if !batch.events.is_empty() {
        let seqs: Vec<i64> = batch.events.iter().map(|e| e.seq as i64).collect();
        let ats: Vec<i64> = batch.events.iter().map(|e| e.at).collect();
        let actors: Vec<Option<String>> = batch
            .events
            .iter()
            .map(|e| e.actor.map(|a| a.to_string()))
            .collect();
        let bodies: Vec<&str> = batch.events.iter().map(|e| e.body.as_str()).collect();
        sqlx::query(
            "INSERT INTO events (workshop_id, seq, at, actor, body) SELECT $1, * FROM UNNEST($2::BIGINT[], $3::BIGINT[], $4::TEXT[], $5::TEXT[])",
        )
        .bind(&id)
        .bind(&seqs)
        .bind(&ats)
        .bind(&actors)
        .bind(&bodies)
        .execute(&mut **tx)
        .await?;
    }
    if !batch.credentials.is_empty() {
        let hashes: Vec<&str> = batch
            .credentials
            .iter()
            .map(|c| c.token_hash.as_str())
            .collect();
        let participants: Vec<String> = batch
            .credentials
            .iter()
            .map(|c| c.participant.to_string())
            .collect();
        sqlx::query(
            "INSERT INTO credentials (token_hash, workshop_id, participant_id, rev) SELECT h, $1, p, $4 FROM UNNEST($2::TEXT[], $3::TEXT[]) AS t(h, p)",
        )
        .bind(&id)
        .bind(&hashes)
        .bind(&participants)
        .bind(rev)
        .execute(&mut **tx)
        .await?;
    }
    if !batch.commands.is_empty() {
        let mut participants = Vec::with_capacity(batch.commands.len());
        let mut command_ids = Vec::with_capacity(batch.commands.len());
        let mut seqs = Vec::with_capacity(batch.commands.len());
        let mut codes = Vec::with_capacity(batch.commands.len());
        let mut messages = Vec::with_capacity(batch.commands.len());
        let mut versions = Vec::with_capacity(batch.commands.len());
        for c in &batch.commands {
            let (seq, code, message, version) = outcome_columns(&c.outcome);
            participants.push(c.participant.to_string());
            command_ids.push(c.command_id.as_str());
            seqs.push(seq);
            codes.push(code);
            messages.push(message);
            versions.push(version);
        }
        sqlx::query(
            "INSERT INTO commands (workshop_id, rev, participant_id, command_id, seq, error_code, error_message, error_version) SELECT $1, $2, * FROM UNNEST($3::TEXT[], $4::TEXT[], $5::BIGINT[], $6::TEXT[], $7::TEXT[], $8::BIGINT[])",
        )
        .bind(&id)
        .bind(rev)
        .bind(&participants)
        .bind(&command_ids)
        .bind(&seqs)
        .bind(&codes)
        .bind(&messages)
        .bind(&versions)
        .execute(&mut **tx)
        .await?;
    }
    for j in &batch.joins {
        sqlx::query(
            "INSERT INTO joins (workshop_id, key_hash, participant_id, sealed_token) VALUES ($1, $2, $3, $4)",
        )
        .bind(&id)
        .bind(&j.key_hash)
        .bind(j.participant.to_string())
        .bind(&j.sealed_token)
        .execute(&mut **tx)
        .await?;
    }
    if let Some(c) = &batch.codes {
        sqlx::query("UPDATE workshops SET facilitator_code = $2, delegate_code = $3 WHERE id = $1")
            .bind(&id)
            .bind(&c.facilitator)
            .bind(&c.delegate)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
