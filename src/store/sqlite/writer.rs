//! The writer: one OS thread owning the database's one writing connection (rusqlite).
//! Every write goes through it: the group commits of the workshops' batches and snapshots
//! (`commit.rs`) and the few other writes (`SqliteStore::write`).
//!
//! Why a thread of its own rather than sqlx's connection and a committer task: a batch's
//! caller hands it over once and is answered from this thread once it is durable. Through
//! sqlx, each commit woke a committer task, sent the query to sqlx's own SQLite thread,
//! and woke the task again for each statement's result; each wake-up queued behind
//! thousands of connection tasks on a busy server. sqlx also copied every bound value and
//! parsed each commit's statements anew; here they are prepared once and cached. Against
//! the committer task, 16 % less CPU per delivery in the steady fan-out
//! (docs/benchmarks/issue-19.md, "The writer on a thread of its own").

use super::commit::{commit, Append, Item, MAX_APPENDS_PER_COMMIT};
use super::parts::Owed;
use crate::store::StoreError;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// What the writer thread is handed, in order.
pub(super) enum Job {
    /// A batch or snapshot, written in the next group commit.
    Append(Append),
    /// Any other write, run alone between group commits.
    Run(Box<dyn FnOnce(&mut Connection) + Send>),
    /// Checkpoint the whole WAL into the database file, then stop.
    Close(oneshot::Sender<()>),
}

/// The writer connection's settings; `wal_autocheckpoint` and `journal_size_limit` are
/// explained beside their values in `sqlite.rs`.
pub(super) struct Settings {
    path: PathBuf,
    autocheckpoint_pages: u32,
    wal_file_limit: u64,
}

/// Opens the writing connection. The file exists: sqlx created it and ran the migrations.
fn connect(settings: &Settings) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        &settings.path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; \
         PRAGMA synchronous = FULL; \
         PRAGMA foreign_keys = ON; \
         PRAGMA secure_delete = ON; \
         PRAGMA wal_autocheckpoint = {}; \
         PRAGMA journal_size_limit = {};",
        settings.autocheckpoint_pages, settings.wal_file_limit
    ))?;
    // A group commit's `INSERT`s each keep a statement journal (to undo that statement
    // alone if it fails). On disk, that is a temp file created and unlinked in every
    // commit; in memory, it is a buffer.
    conn.execute_batch("PRAGMA temp_store = MEMORY;")?;
    Ok(conn)
}

/// The writing connection, with what it takes to open it again.
pub(super) struct Writer {
    pub conn: Connection,
    settings: Settings,
}

impl Writer {
    pub(super) fn open(settings: Settings) -> Result<Self, StoreError> {
        Ok(Writer {
            conn: connect(&settings)?,
            settings,
        })
    }

    /// After a write that failed, leaves the connection with no transaction open: rolls
    /// back what a failed statement left open, or opens the connection again if even that
    /// fails, so that the next write starts clean whatever state this one left.
    pub(super) fn recover(&mut self) {
        if self.conn.is_autocommit() {
            return;
        }
        if self.conn.execute_batch("ROLLBACK").is_ok() && self.conn.is_autocommit() {
            return;
        }
        match connect(&self.settings) {
            Ok(fresh) => self.conn = fresh,
            Err(e) => tracing::error!(error = %e, "the SQLite writer cannot reopen its connection"),
        }
    }
}

/// Opens the connection and starts the thread; fails when the connection cannot be opened.
pub(super) fn start(settings: Settings) -> Result<mpsc::Sender<Job>, StoreError> {
    let writer = Writer::open(settings)?;
    let (jobs, pending) = mpsc::channel(4 * MAX_APPENDS_PER_COMMIT);
    std::thread::Builder::new()
        .name("sqlite-writer".into())
        .spawn(move || run(writer, pending))
        .map_err(StoreError::WriterThread)?;
    Ok(jobs)
}

/// The thread: takes every job waiting, writes the batches among them in one group commit
/// with the next share of the snapshots owed (`parts.rs`), then runs the other writes, in
/// a loop until `Close` or until every sender is gone. While snapshots are owed it does
/// not wait for a job: each turn writes their next share.
fn run(mut writer: Writer, mut pending: mpsc::Receiver<Job>) {
    let mut received = Vec::with_capacity(MAX_APPENDS_PER_COMMIT);
    let mut owed = Owed::default();
    loop {
        if owed.is_empty() {
            // Nothing owed: sleep until a job comes.
            match pending.blocking_recv() {
                Some(job) => received.push(job),
                None => return,
            }
        }
        while received.len() < MAX_APPENDS_PER_COMMIT {
            let Ok(job) = pending.try_recv() else {
                break;
            };
            received.push(job);
        }
        let mut batches = Vec::with_capacity(received.len());
        let mut runs = Vec::new();
        let mut close = None;
        for job in received.drain(..) {
            match job {
                Job::Append(Append::Batch {
                    workshop,
                    batch,
                    chain,
                    done,
                }) => batches.push(Item::new(workshop, batch, done).chained(chain)),
                Job::Append(Append::Snapshot {
                    workshop,
                    snapshot,
                    done,
                }) => owed.push(Item::new(workshop, snapshot, done)),
                Job::Run(f) => runs.push(f),
                Job::Close(done) => close = Some(done),
            }
        }
        commit(&mut writer, batches, &mut owed);
        for f in runs {
            f(&mut writer.conn);
            writer.recover();
        }
        if let Some(done) = close {
            // Whatever was queued before `Close` is written; later jobs find the channel
            // closed. Snapshots still owed are written first.
            while !owed.is_empty() {
                commit(&mut writer, Vec::new(), &mut owed);
            }
            checkpoint_all(&writer.conn);
            drop(writer);
            let _caller_may_be_gone = done.send(());
            return;
        }
    }
}

/// Copies the whole WAL into the database file and empties it (shutdown, erasure).
/// Best effort: a reader holding an old snapshot keeps part of the WAL alive.
pub(super) fn checkpoint_all(conn: &Connection) {
    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
        tracing::warn!(error = %e, "WAL checkpoint failed");
    }
}

impl Settings {
    pub(super) fn new(path: &Path, autocheckpoint_pages: u32, wal_file_limit: u64) -> Self {
        Settings {
            path: path.to_path_buf(),
            autocheckpoint_pages,
            wal_file_limit,
        }
    }
}
