//! Snapshots: the state of a workshop at one `seq`, stored so that loading a workshop reads
//! one row and the log's tail, not the whole log. The store keeps the bytes the hub hands
//! over (`hub/workshop/load.rs` encodes and decodes them); one row per workshop, the
//! latest. The log stays the truth: a snapshot may always be ignored (another format
//! version, unreadable) and the log replayed instead.

use super::sqlite::parts::{joined, PART_BYTES};
use super::{parse_id, PostgresStore, SqliteStore, Store, StoreError};
use crate::domain::WorkshopId;

/// One stored snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The format's version (`hub::workshop::load::VERSION` when written).
    pub version: i64,
    /// The `seq` of the last event folded in.
    pub seq: u64,
    /// When the state's next timer warning or ending is due (ms since the Unix epoch).
    pub next_due: Option<i64>,
    pub body: String,
}

/// Keeps the newer of two snapshots (a late write of an older state never wins), and
/// always replaces one of another format version.
const UPSERT_TAIL: &str = "ON CONFLICT (workshop_id) DO UPDATE SET version = excluded.version, \
     seq = excluded.seq, next_due = excluded.next_due, body = excluded.body \
     WHERE excluded.seq >= snapshots.seq OR snapshots.version <> excluded.version";

/// SQLite's: the same, and where the body is (`parts` 0: in the row; else in that many
/// parts, `sqlite/parts.rs`).
pub(super) const SQLITE_UPSERT_TAIL: &str =
    "ON CONFLICT (workshop_id) DO UPDATE SET version = excluded.version, \
     seq = excluded.seq, next_due = excluded.next_due, body = excluded.body, \
     parts = excluded.parts \
     WHERE excluded.seq >= snapshots.seq OR snapshots.version <> excluded.version";

static SQLITE_UPSERT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "INSERT INTO snapshots (workshop_id, version, seq, next_due, body, parts) \
         VALUES (?, ?, ?, ?, ?, 0) {SQLITE_UPSERT_TAIL}"
    )
});

static POSTGRES_UPSERT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "INSERT INTO snapshots (workshop_id, version, seq, next_due, body) \
         VALUES ($1, $2, $3, $4, $5) {UPSERT_TAIL}"
    )
});

type Upsert<'q, DB> = sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>;

fn postgres_upsert<'q>(
    sql: &'q str,
    workshop: WorkshopId,
    snapshot: &'q Snapshot,
) -> Upsert<'q, sqlx::Postgres> {
    sqlx::query(sql)
        .bind(workshop.to_string())
        .bind(i32::try_from(snapshot.version).unwrap_or(i32::MAX))
        .bind(snapshot.seq as i64)
        .bind(snapshot.next_due)
        .bind(snapshot.body.as_str())
}

impl Store {
    /// The latest snapshot of `workshop`, if any.
    pub async fn snapshot(&self, workshop: WorkshopId) -> Result<Option<Snapshot>, StoreError> {
        match self {
            Store::Sqlite(s) => s.stored_snapshot(workshop).await,
            Store::Postgres(s) => s.stored_snapshot(workshop).await,
        }
    }

    /// Stores `snapshot` unless a newer one of the same version is stored already; its
    /// `seq` must be one the log holds. SQLite: written in the writer's next group
    /// commit, not in a transaction of its own competing with it for the one writer; left
    /// out (no error) when the log holds no event at its `seq`, as when the workshop was
    /// erased meanwhile. PostgreSQL: in a transaction of its own (the database takes many
    /// writers); fails (a foreign-key error) when the workshop was erased meanwhile.
    pub async fn save_snapshot(
        &self,
        workshop: WorkshopId,
        snapshot: Snapshot,
    ) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => {
                super::timed("snapshot", s.commit_snapshot(workshop, snapshot)).await
            }
            Store::Postgres(s) => {
                super::timed("snapshot", s.save_snapshot(workshop, &snapshot)).await
            }
        }
    }

    /// Stores several snapshots in one transaction of their own (one `fsync`; start-up's
    /// wake), each unless a newer one of the same version is stored already. If the
    /// transaction fails (a workshop was erased meanwhile), each is stored alone; the last
    /// failure is returned.
    pub async fn save_snapshots(
        &self,
        snapshots: &[(WorkshopId, Snapshot)],
    ) -> Result<(), StoreError> {
        let together = match self {
            Store::Sqlite(s) => super::timed("snapshot", s.save_snapshots(snapshots)).await,
            Store::Postgres(s) => super::timed("snapshot", s.save_snapshots(snapshots)).await,
        };
        if together.is_ok() || snapshots.len() < 2 {
            return together;
        }
        let mut result = Ok(());
        for (workshop, snapshot) in snapshots {
            let alone = match self {
                Store::Sqlite(s) => s.save_snapshot(*workshop, snapshot).await,
                Store::Postgres(s) => s.save_snapshot(*workshop, snapshot).await,
            };
            if let Err(e) = alone {
                result = Err(e);
            }
        }
        result
    }

    /// The workshops start-up must fold: those with a snapshot of format `version` that is
    /// behind their log (a crash before the actor's last snapshot) or has a timer due
    /// (`next_due`), and those with no snapshot of that format. The others wait on disk
    /// until someone asks for them.
    pub async fn workshops_to_wake(&self, version: i64) -> Result<ToWake, StoreError> {
        match self {
            Store::Sqlite(s) => s.workshops_to_wake(version).await,
            Store::Postgres(s) => s.workshops_to_wake(version).await,
        }
    }

    /// Every workshop with its creation time (ms since the Unix epoch), oldest first.
    pub async fn workshop_list(&self) -> Result<Vec<(WorkshopId, i64)>, StoreError> {
        let query = "SELECT id, created_at FROM workshops ORDER BY created_at";
        let rows: Vec<(String, i64)> = match self {
            Store::Sqlite(s) => sqlx::query_as(query).fetch_all(&s.reader).await?,
            Store::Postgres(s) => sqlx::query_as(query).fetch_all(&s.pool).await?,
        };
        rows.into_iter()
            .map(|(id, created)| Ok((parse_id(&id)?, created)))
            .collect()
    }

    /// Gives up `node`'s lease of one workshop (its actor was evicted). SQLite: nothing.
    pub async fn release_workshop(
        &self,
        workshop: WorkshopId,
        node: &str,
    ) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(_) => Ok(()),
            Store::Postgres(s) => {
                sqlx::query("DELETE FROM workshop_owners WHERE workshop_id = $1 AND node = $2")
                    .bind(workshop.to_string())
                    .bind(node)
                    .execute(&s.pool)
                    .await?;
                Ok(())
            }
        }
    }
}

fn snapshot_row(
    row: Option<(i64, i64, Option<i64>, String)>,
) -> Result<Option<Snapshot>, StoreError> {
    Ok(row.map(|(version, seq, next_due, body)| Snapshot {
        version,
        seq: u64::try_from(seq).unwrap_or(0),
        next_due,
        body,
    }))
}

/// The workshops start-up's wake folds (`Store::workshops_to_wake`).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ToWake {
    /// A current snapshot that is behind the log or has a timer due: folded before the
    /// server is ready, so that their timers end on time.
    pub first: Vec<WorkshopId>,
    /// No snapshot of the current format (a database written before snapshots, or by
    /// another format): folded after the server is ready; each loads from its log if
    /// asked for meanwhile.
    pub unsnapshotted: Vec<WorkshopId>,
}

/// Sorts the listing's rows (`(id, whether its snapshot is current)`).
fn to_wake(rows: Vec<(String, bool)>) -> Result<ToWake, StoreError> {
    let mut listed = ToWake::default();
    for (id, current) in rows {
        let id = parse_id(&id)?;
        if current {
            listed.first.push(id);
        } else {
            listed.unsnapshotted.push(id);
        }
    }
    Ok(listed)
}

impl SqliteStore {
    /// The row, and its parts if it names some (`sqlite/parts.rs`), in one read
    /// transaction; a snapshot whose parts are not all there is ignored.
    async fn stored_snapshot(&self, workshop: WorkshopId) -> Result<Option<Snapshot>, StoreError> {
        let id = workshop.to_string();
        let mut read = self.reader.begin().await?;
        let row: Option<(i64, i64, Option<i64>, String, i64)> = sqlx::query_as(
            "SELECT version, seq, next_due, body, parts FROM snapshots WHERE workshop_id = ?",
        )
        .bind(&id)
        .fetch_optional(&mut *read)
        .await?;
        let Some((version, seq, next_due, body, parts)) = row else {
            return Ok(None);
        };
        let body = if parts == 0 {
            body
        } else {
            let rows = sqlx::query_as(
                "SELECT part, body FROM snapshot_parts \
                 WHERE workshop_id = ? AND version = ? AND seq = ? ORDER BY part",
            )
            .bind(&id)
            .bind(version)
            .bind(seq)
            .fetch_all(&mut *read)
            .await?;
            match joined(parts, rows) {
                Some(body) => body,
                None => return Ok(None),
            }
        };
        snapshot_row(Some((version, seq, next_due, body)))
    }

    /// Stores `snapshot` in a transaction of its own (start-up's wake, one by one after its
    /// shared transaction failed).
    async fn save_snapshot(
        &self,
        workshop: WorkshopId,
        snapshot: &Snapshot,
    ) -> Result<(), StoreError> {
        self.save_snapshots(&[(workshop, snapshot.clone())]).await
    }

    /// Those larger than a part go in parts through the group commits (`sqlite/parts.rs`),
    /// one after the other; the others whole, in one transaction.
    async fn save_snapshots(&self, snapshots: &[(WorkshopId, Snapshot)]) -> Result<(), StoreError> {
        let (large, small): (Vec<_>, Vec<_>) = snapshots
            .iter()
            .cloned()
            .partition(|(_, s)| s.body.len() > PART_BYTES);
        for (workshop, s) in large {
            self.commit_snapshot(workshop, s).await?;
        }
        if small.is_empty() {
            return Ok(());
        }
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            for (workshop, s) in &small {
                // Written whole: the parts of an earlier, larger one go (rare).
                tx.prepare_cached("DELETE FROM snapshot_parts WHERE workshop_id = ?")?
                    .execute([workshop.to_string()])?;
                tx.prepare_cached(&SQLITE_UPSERT)?
                    .execute(rusqlite::params![
                        workshop.to_string(),
                        s.version,
                        s.seq as i64,
                        s.next_due,
                        s.body,
                    ])?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn workshops_to_wake(&self, version: i64) -> Result<ToWake, StoreError> {
        // Reads the covering index `snapshots_wake` (never the snapshots' bodies) and one
        // key per workshop of the events' primary key.
        let rows: Vec<(String, bool)> = sqlx::query_as(
            "SELECT w.id, 0 FROM workshops w WHERE NOT EXISTS \
                (SELECT 1 FROM snapshots s INDEXED BY snapshots_wake WHERE s.workshop_id = w.id) \
             UNION ALL \
             SELECT s.workshop_id, s.version = ?1 FROM snapshots s INDEXED BY snapshots_wake \
             WHERE s.version <> ?1 OR s.next_due IS NOT NULL \
                OR s.seq < (SELECT e.seq FROM events e WHERE e.workshop_id = s.workshop_id \
                            ORDER BY e.seq DESC LIMIT 1)",
        )
        .bind(version)
        .fetch_all(&self.reader)
        .await?;
        to_wake(rows)
    }
}

impl PostgresStore {
    async fn stored_snapshot(&self, workshop: WorkshopId) -> Result<Option<Snapshot>, StoreError> {
        let row = sqlx::query_as(
            "SELECT version::BIGINT, seq, next_due, body FROM snapshots WHERE workshop_id = $1",
        )
        .bind(workshop.to_string())
        .fetch_optional(&self.pool)
        .await?;
        snapshot_row(row)
    }

    async fn save_snapshot(
        &self,
        workshop: WorkshopId,
        snapshot: &Snapshot,
    ) -> Result<(), StoreError> {
        postgres_upsert(&POSTGRES_UPSERT, workshop, snapshot)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn save_snapshots(&self, snapshots: &[(WorkshopId, Snapshot)]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for (workshop, snapshot) in snapshots {
            postgres_upsert(&POSTGRES_UPSERT, *workshop, snapshot)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn workshops_to_wake(&self, version: i64) -> Result<ToWake, StoreError> {
        let rows: Vec<(String, bool)> = sqlx::query_as(
            "SELECT w.id, COALESCE(s.version = $1, FALSE) FROM workshops w \
             LEFT JOIN snapshots s ON s.workshop_id = w.id \
             WHERE s.workshop_id IS NULL OR s.version <> $1 OR s.next_due IS NOT NULL \
                OR s.seq < w.seq \
             ORDER BY w.created_at",
        )
        .bind(version)
        .fetch_all(&self.pool)
        .await?;
        to_wake(rows)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::store::{Batch, Codes, Database, StoredEvent};

    /// A snapshot at `seq` (of version 1).
    pub(crate) fn snapshot(seq: u64) -> Snapshot {
        Snapshot {
            version: 1,
            seq,
            next_due: None,
            body: format!("state at {seq}"),
        }
    }

    /// A log of events 1 to `last`.
    pub(crate) fn log(last: u64) -> Batch {
        Batch {
            events: (1..=last)
                .map(|seq| StoredEvent {
                    seq,
                    at: 0,
                    actor: None,
                    body: format!("event {seq}"),
                })
                .collect(),
            ..Batch::default()
        }
    }

    /// A fresh SQLite store in `dir` holding `n` workshops, each with events 1 to 9.
    async fn workshops(dir: &tempfile::TempDir, n: usize) -> (Store, Vec<WorkshopId>) {
        let store = Database::Sqlite(dir.path().join("s.db"))
            .open()
            .await
            .expect("opens");
        let mut ids = Vec::new();
        for n in 0..n {
            let id = WorkshopId::random();
            let codes = Codes {
                facilitator: format!("FAC-{n}"),
                delegate: format!("DEL-{n}"),
            };
            store
                .create_workshop(id, &codes, &log(9))
                .await
                .expect("created");
            ids.push(id);
        }
        (store, ids)
    }

    /// A batch with a workshop erased meanwhile (its snapshot fails the foreign key) still
    /// stores the others' snapshots; an older snapshot never replaces a newer one.
    #[tokio::test]
    async fn a_batch_with_an_erased_workshop_stores_the_others_and_keeps_newer_rows() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, ids) = workshops(&dir, 3).await;
        store
            .save_snapshot(ids[2], snapshot(9))
            .await
            .expect("stored");
        assert!(store.erase_workshop(ids[1]).await.expect("erased"));
        let batch: Vec<_> = ids.iter().map(|&id| (id, snapshot(5))).collect();
        assert!(
            store.save_snapshots(&batch).await.is_err(),
            "the erased workshop's snapshot fails"
        );
        assert_eq!(
            store.snapshot(ids[0]).await.expect("read"),
            Some(snapshot(5))
        );
        assert_eq!(store.snapshot(ids[1]).await.expect("read"), None);
        assert_eq!(
            store.snapshot(ids[2]).await.expect("read"),
            Some(snapshot(9))
        );
        store.close().await;
    }

    /// The wake's listing: a current snapshot behind the log or with a timer due comes
    /// first; a missing or older-format snapshot after; a current snapshot at the log's
    /// end with no timer not at all.
    #[tokio::test]
    async fn the_wake_lists_timers_and_lagging_snapshots_first_and_unsnapshotted_workshops_after() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (store, ids) = workshops(&dir, 6).await;
        let timed = Snapshot {
            next_due: Some(1),
            ..snapshot(9)
        };
        let old = Snapshot {
            version: 0,
            ..snapshot(9)
        };
        // 0: current, at the end, no timer; 1: behind; 2: a timer due; 3: none;
        // 4: older format; 5: current, at the end.
        for (n, s) in [
            (0, snapshot(9)),
            (1, snapshot(5)),
            (2, timed),
            (4, old),
            (5, snapshot(9)),
        ] {
            store.save_snapshot(ids[n], s).await.expect("stored");
        }
        let mut listed = store.workshops_to_wake(1).await.expect("listed");
        listed.first.sort();
        listed.unsnapshotted.sort();
        let mut first = vec![ids[1], ids[2]];
        first.sort();
        let mut unsnapshotted = vec![ids[3], ids[4]];
        unsnapshotted.sort();
        assert_eq!(
            listed,
            ToWake {
                first,
                unsnapshotted
            }
        );
        store.close().await;
    }
}
