//! The snapshots the writer thread owes the store, and how each is written: whole, in the
//! next group commit, when it is at most `PART_BYTES`; in parts, one per group commit,
//! when it is larger. A large workshop's snapshot (every card: megabytes) written in one
//! commit held that commit, and every post of every workshop riding in it or queued
//! behind it, for 16–23 ms (issue #19); in parts, no commit carries more than
//! `BYTES_PER_COMMIT` of snapshots.
//!
//! A snapshot in parts (migration `0009_snapshot_parts.sql`):
//! 1. its bytes go to `snapshot_parts` under (workshop, version, seq, part), one part per
//!    commit, while the workshop's row in `snapshots` still names the snapshot before;
//! 2. the commit of the last part points the row at them (empty `body`, `parts` = their
//!    number), only if every part is there and the log holds the snapshot's `seq`;
//! 3. the parts no row names any more are then deleted, one per commit (`secure_delete`
//!    overwrites each freed page, so deleting megabytes at once costs what writing them
//!    does).
//!
//! Start-up's wake hands its large snapshots here too (`SqliteStore::save_snapshots`).
//! A reader takes the row and its parts in one read transaction and ignores a snapshot
//! whose parts are not all there (the log is replayed instead). Parts are written in
//! order, one snapshot at a time: the one being written stays first in line.

use super::commit::Item;
use crate::store::snapshots::SQLITE_UPSERT_TAIL;
use crate::store::{Snapshot, StoreError};
use rusqlite::{params, Connection};
use std::collections::VecDeque;

/// Bytes of one part of a snapshot written in parts.
pub(in crate::store) const PART_BYTES: usize = 256 << 10;

/// Bytes of snapshots written in one commit, at most (but always one snapshot or part):
/// many snapshots at once (at shutdown) are spread over the next commits too.
pub(super) const BYTES_PER_COMMIT: usize = PART_BYTES;

/// A whole snapshot, written only if the log holds the event at its `seq`: a snapshot
/// never gets ahead of the log, and one of a workshop erased meanwhile is left out instead
/// of failing the commit of every batch with it.
static WHOLE_IF_LOGGED: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "INSERT INTO snapshots (workshop_id, version, seq, next_due, body, parts) \
         SELECT ?1, ?2, ?3, ?4, ?5, 0 \
         WHERE EXISTS (SELECT 1 FROM events WHERE workshop_id = ?1 AND seq = ?3) \
         {SQLITE_UPSERT_TAIL}"
    )
});

/// Points the row at the parts of a snapshot, if they are all there and the log holds
/// its `seq`.
static FINISH_IF_WHOLE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "INSERT INTO snapshots (workshop_id, version, seq, next_due, body, parts) \
         SELECT ?1, ?2, ?3, ?4, '', ?5 \
         WHERE EXISTS (SELECT 1 FROM events WHERE workshop_id = ?1 AND seq = ?3) \
         AND (SELECT count(*) FROM snapshot_parts \
              WHERE workshop_id = ?1 AND version = ?2 AND seq = ?3) = ?5 \
         {SQLITE_UPSERT_TAIL}"
    )
});

/// One part; nothing if the workshop was erased meanwhile. `OR REPLACE`: a part left by a
/// write that a crash cut short is overwritten.
const PART: &str = "INSERT OR REPLACE INTO snapshot_parts (workshop_id, version, seq, part, body) \
     SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM workshops WHERE id = ?1)";

/// Deletes one part of the workshop that its row does not name.
const SWEEP_ONE: &str = "DELETE FROM snapshot_parts WHERE rowid = (\
     SELECT p.rowid FROM snapshot_parts p WHERE p.workshop_id = ?1 AND NOT EXISTS (\
         SELECT 1 FROM snapshots s WHERE s.workshop_id = ?1 AND s.parts > 0 \
         AND s.version = p.version AND s.seq = p.seq) \
     LIMIT 1)";

/// Whether the store holds a snapshot of this version at this `seq` or later, or the log
/// lacks the event at `seq` (then the snapshot is left out, as `WHOLE_IF_LOGGED` does).
const NEEDLESS: &str = "SELECT EXISTS (SELECT 1 FROM snapshots \
         WHERE workshop_id = ?1 AND version = ?2 AND seq >= ?3) \
     OR NOT EXISTS (SELECT 1 FROM events WHERE workshop_id = ?1 AND seq = ?3)";

/// What the writer owes: a snapshot to store (`written` bytes of it so far: its parts
/// before `written / PART_BYTES`), or the parts of a workshop no row names to delete.
pub(super) enum Chore {
    Store {
        item: Item<Snapshot>,
        written: usize,
    },
    Sweep(String),
}

/// What a chore's step did, once its commit is durable.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Progress {
    /// A part, up to this byte of the body: the next part is owed.
    Wrote(usize),
    /// Stored or left out; parts no row names may be left to delete.
    Stored { sweep: bool },
    /// Parts deleted (0: none was left).
    Swept(usize),
}

/// The chores owed, the oldest first.
#[derive(Default)]
pub(super) struct Owed(VecDeque<Chore>);

impl Owed {
    pub(super) fn push(&mut self, item: Item<Snapshot>) {
        self.0.push_back(Chore::Store { item, written: 0 });
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The chores the next commit takes: the oldest whole snapshots up to
    /// `BYTES_PER_COMMIT` (one at least), or else one part, or one deletion.
    pub(super) fn take(&mut self) -> Vec<Chore> {
        let mut bytes = 0;
        let mut taken = Vec::new();
        while let Some(next) = self.0.front() {
            match next.whole_bytes() {
                Some(n) => {
                    bytes += n;
                    if !taken.is_empty() && bytes > BYTES_PER_COMMIT {
                        break;
                    }
                }
                None if taken.is_empty() => {
                    taken.extend(self.0.pop_front());
                    break;
                }
                None => break,
            }
            taken.extend(self.0.pop_front());
        }
        taken
    }

    /// After the commit that carried `chore`: answers a snapshot stored (or refused), and
    /// puts what is still owed of it first in line.
    pub(super) fn settle(&mut self, chore: Chore, result: Result<Progress, StoreError>) {
        match (chore, result) {
            (Chore::Store { item, .. }, Ok(Progress::Wrote(written))) => {
                self.0.push_front(Chore::Store { item, written });
            }
            (Chore::Store { item, written }, result) => {
                let sweep = match &result {
                    Ok(Progress::Stored { sweep }) => *sweep,
                    // A part may be stored: delete what no row names.
                    _ => written > 0,
                };
                if sweep {
                    self.0.push_front(Chore::Sweep(item.id().to_owned()));
                }
                item.answer(result.map(|_| ()));
            }
            (Chore::Sweep(id), Ok(Progress::Swept(n))) if n > 0 => {
                self.0.push_front(Chore::Sweep(id));
            }
            (Chore::Sweep(_), Ok(_)) => {}
            (Chore::Sweep(id), Err(e)) => {
                tracing::warn!(error = %e, workshop = %id, "could not delete old snapshot parts");
            }
        }
    }
}

impl Chore {
    /// The bytes of a snapshot written whole; `None` for a part or a deletion.
    fn whole_bytes(&self) -> Option<usize> {
        match self {
            Chore::Store {
                item, written: 0, ..
            } if item.value().body.len() <= PART_BYTES => Some(item.value().body.len()),
            _ => None,
        }
    }
}

/// Does one step of `chore` on `conn`, inside the caller's transaction.
pub(super) fn write(conn: &Connection, chore: &Chore) -> rusqlite::Result<Progress> {
    let (item, written) = match chore {
        Chore::Sweep(id) => {
            return Ok(Progress::Swept(
                conn.prepare_cached(SWEEP_ONE)?.execute([id])?,
            ))
        }
        Chore::Store { item, written } => (item, *written),
    };
    // Every part but the last holds `PART_BYTES`.
    let part = (written / PART_BYTES) as i64;
    let (id, s) = (item.id(), item.value());
    if chore.whole_bytes().is_some() {
        conn.prepare_cached(&WHOLE_IF_LOGGED)?.execute(params![
            id,
            s.version,
            s.seq as i64,
            s.next_due,
            s.body
        ])?;
        let sweep = conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM snapshot_parts WHERE workshop_id = ?)")?
            .query_row([id], |r| r.get(0))?;
        return Ok(Progress::Stored { sweep });
    }
    if written == 0
        && conn
            .prepare_cached(NEEDLESS)?
            .query_row(params![id, s.version, s.seq as i64], |r| r.get(0))?
    {
        return Ok(Progress::Stored { sweep: false });
    }
    let end = (written + PART_BYTES).min(s.body.len());
    let wrote = conn.prepare_cached(PART)?.execute(params![
        id,
        s.version,
        s.seq as i64,
        part,
        &s.body.as_bytes()[written..end]
    ])?;
    if wrote == 0 {
        // The workshop was erased meanwhile (with its parts).
        return Ok(Progress::Stored { sweep: false });
    }
    if end < s.body.len() {
        return Ok(Progress::Wrote(end));
    }
    conn.prepare_cached(&FINISH_IF_WHOLE)?.execute(params![
        id,
        s.version,
        s.seq as i64,
        s.next_due,
        part + 1
    ])?;
    Ok(Progress::Stored { sweep: true })
}

/// The body of a snapshot stored in `parts` parts, from its parts' rows `(part, bytes)`
/// in order (read in the transaction that read its row); `None` unless parts `0..parts`
/// are all there and together form UTF-8.
pub(in crate::store) fn joined(parts: i64, rows: Vec<(i64, Vec<u8>)>) -> Option<String> {
    if i64::try_from(rows.len()).ok() != Some(parts)
        || rows
            .iter()
            .enumerate()
            .any(|(i, (part, _))| i64::try_from(i).ok() != Some(*part))
    {
        return None;
    }
    let mut body = Vec::with_capacity(rows.iter().map(|(_, b)| b.len()).sum());
    for (_, part) in rows {
        body.extend_from_slice(&part);
    }
    String::from_utf8(body).ok()
}

#[cfg(test)]
mod tests;
