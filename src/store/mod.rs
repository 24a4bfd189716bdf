//! Durable storage: the event log, credentials and command outcomes, behind one interface.
//!
//! `Store` is an enum: SQLite (one node, one file) or PostgreSQL (one node or several), without
//! generics spreading through the hub. Every write of a batch happens in one transaction:
//! events, command outcomes and credentials become durable together or not at all.
//!
//! Every commit of a workshop has a number, its `rev`. `append` is a compare-and-set on it:
//! it stores the batch only if the workshop is still at the rev the batch was decided on, and
//! answers `StoreError::Conflict` otherwise (another node committed first). SQLite has one
//! writer process, so there it never conflicts.
//!
//! Architecture invariant: nothing here knows the domain's rules; events are stored as the
//! JSON text the hub hands over, so the bytes stored are the bytes clients receive.

mod postgres;
mod snapshots;
mod sqlite;

use crate::domain::{ParticipantId, WorkshopId};
use crate::protocol::{ErrorCode, Outcome};
pub use postgres::PostgresStore;
pub use snapshots::{Snapshot, ToWake};
pub use sqlite::{Chain, Durable, SqliteStore};
use std::future::Future;
use std::time::Instant;

/// Runs one store operation and records how long it took in `cabildo_store_seconds`.
async fn timed<T>(op: &'static str, f: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let out = f.await;
    crate::metrics::store_latency(op, started.elapsed());
    out
}

use std::path::PathBuf;

/// Where the data lives: a SQLite file, or a PostgreSQL database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    /// A `postgres://` or `postgresql://` URL (it may hold a password: never print it whole).
    Postgres(String),
}

impl Database {
    /// `--db`: a `postgres://` or `postgresql://` URL selects PostgreSQL, anything else is
    /// a SQLite file.
    pub fn parse(db: &str) -> Database {
        if db.starts_with("postgres://") || db.starts_with("postgresql://") {
            Database::Postgres(db.to_string())
        } else {
            Database::Sqlite(PathBuf::from(db))
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Database::Postgres(_))
    }

    /// Opens the database (creating a SQLite file if needed) and runs its migrations.
    pub async fn open(&self) -> Result<Store, StoreError> {
        Ok(match self {
            Database::Sqlite(path) => Store::Sqlite(SqliteStore::open(path).await?),
            Database::Postgres(url) => Store::Postgres(PostgresStore::open(url).await?),
        })
    }

    /// How to name it in output: the file, or the URL without its password.
    pub fn display(&self) -> String {
        match self {
            Database::Sqlite(path) => path.display().to_string(),
            Database::Postgres(url) => redact_url(url),
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, None), |(a, p)| (a, Some(p)));
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    match path {
        Some(p) => format!("{scheme}://{authority}/{p}"),
        None => format!("{scheme}://{authority}"),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// From the SQLite writer's connection (`store::sqlite::writer`).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("cannot start the SQLite writer: {0}")]
    WriterThread(std::io::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("corrupt record: {0}")]
    Corrupt(String),
    #[error("a join code is already taken")]
    CodeTaken,
    #[error("{0}")]
    Backup(String),
    /// Another node committed to the workshop first: catch up and decide again.
    #[error("another node changed the workshop first")]
    Conflict,
    /// Refused unwritten: an earlier batch of the same chain (`Chain`) failed.
    #[error("an earlier batch of the workshop was not stored")]
    EarlierFailed,
}

/// One event as stored: its `seq`, when it happened (ms since the Unix epoch), who caused
/// it, and its JSON body.
#[derive(Clone, Debug)]
pub struct StoredEvent {
    pub seq: u64,
    pub at: i64,
    pub actor: Option<ParticipantId>,
    pub body: String,
}

/// The recorded outcome of one client command.
#[derive(Clone, Debug)]
pub struct CommandRecord {
    pub participant: ParticipantId,
    pub command_id: String,
    pub outcome: Outcome,
}

/// A participant's token, hashed.
#[derive(Clone, Debug)]
pub struct Credential {
    pub token_hash: String,
    pub participant: ParticipantId,
}

/// The join codes of a workshop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Codes {
    pub facilitator: String,
    pub delegate: String,
}

/// A join made with an idempotency key: the key's hash, who joined, and their token
/// sealed with the key (`auth::seal`), so that only a retry with the key recovers it.
#[derive(Clone, Debug)]
pub struct JoinRecord {
    pub key_hash: String,
    pub participant: ParticipantId,
    pub sealed_token: String,
}

/// Everything one group commit writes for one workshop.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    pub events: Vec<StoredEvent>,
    pub commands: Vec<CommandRecord>,
    pub credentials: Vec<Credential>,
    pub joins: Vec<JoinRecord>,
    /// The workshop's join codes, when the batch changed one.
    pub codes: Option<Codes>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
            && self.commands.is_empty()
            && self.credentials.is_empty()
            && self.joins.is_empty()
            && self.codes.is_none()
    }
}

/// What the hub needs to bring a workshop back to life.
pub struct LoadedWorkshop {
    pub codes: Codes,
    /// The number of the last commit included.
    pub rev: u64,
    pub events: Vec<StoredEvent>,
    pub commands: Vec<CommandRecord>,
    /// Every join made with an idempotency key.
    pub joins: Vec<JoinRecord>,
}

/// What other nodes committed to a workshop after a given point.
pub struct CatchUp {
    /// The workshop's rev now.
    pub rev: u64,
    /// The events after the given `seq`, in order.
    pub events: Vec<StoredEvent>,
    /// The command outcomes recorded after the given rev.
    pub commands: Vec<CommandRecord>,
}

/// A command outcome as stored: the seq of an ack, or an error's code, message and version.
type OutcomeColumns<'a> = (i64, Option<&'a str>, Option<&'a str>, Option<i64>);

fn outcome_columns(outcome: &Outcome) -> OutcomeColumns<'_> {
    match outcome {
        Outcome::Ack { seq } => (*seq as i64, None, None, None),
        Outcome::Error {
            code,
            message,
            current_version,
        } => (
            0,
            Some(code.as_str()),
            Some(message.as_str()),
            current_version.map(|v| v as i64),
        ),
    }
}

fn outcome_from_columns(
    seq: i64,
    code: Option<String>,
    message: Option<String>,
    version: Option<i64>,
) -> Result<Outcome, StoreError> {
    Ok(match code {
        None => Outcome::Ack { seq: seq as u64 },
        Some(code) => Outcome::Error {
            code: ErrorCode::parse(&code)
                .ok_or_else(|| StoreError::Corrupt(format!("error code {code:?}")))?,
            message: message.unwrap_or_default(),
            current_version: version.map(|v| v as u64),
        },
    })
}

/// A `joins` row: key hash, participant id, sealed token.
fn join_record(
    key_hash: String,
    participant: String,
    sealed_token: String,
) -> Result<JoinRecord, StoreError> {
    Ok(JoinRecord {
        key_hash,
        participant: parse_id(&participant)?,
        sealed_token,
    })
}

/// A (workshop id, participant id) row, parsed.
fn id_pair(
    row: Option<(String, String)>,
) -> Result<Option<(WorkshopId, ParticipantId)>, StoreError> {
    row.map(|(w, p)| Ok((parse_id(&w)?, parse_id(&p)?)))
        .transpose()
}

fn parse_id<T: std::str::FromStr>(s: &str) -> Result<T, StoreError> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("bad id {s:?}")))
}

#[derive(Clone)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl Store {
    /// Creates a workshop: its codes and its first batch, atomically.
    pub async fn create_workshop(
        &self,
        id: WorkshopId,
        codes: &Codes,
        batch: &Batch,
    ) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => timed("create", s.create_workshop(id, codes, batch)).await,
            Store::Postgres(s) => timed("create", s.create_workshop(id, codes, batch)).await,
        }
    }

    /// Appends one group commit decided on the workshop as of commit `rev`. Returns the
    /// new rev once the batch is durable, or `Conflict` if the workshop moved on meanwhile.
    pub async fn append(
        &self,
        workshop: WorkshopId,
        rev: u64,
        batch: &Batch,
    ) -> Result<u64, StoreError> {
        match self {
            Store::Sqlite(s) => timed("append", s.append(workshop, batch))
                .await
                .map(|()| rev + 1),
            Store::Postgres(s) => timed("append", s.append(workshop, rev, batch)).await,
        }
    }

    /// Whether `submit` hands batches on without waiting: SQLite, whose one writer
    /// writes them in the order handed over. PostgreSQL's compare-and-set on `rev` needs
    /// each commit's answer before the next (`append`).
    pub fn pipelines(&self) -> bool {
        matches!(self, Store::Sqlite(_))
    }

    /// SQLite: hands a batch to the writer thread and returns once it is queued; the
    /// answer comes once it is durable or refused. A workshop's batches are written in the
    /// order handed on, and none after one of its `chain` that failed. PostgreSQL does not
    /// take batches this way (`pipelines`; use `append`): its answer is at once that
    /// nothing was written.
    pub async fn submit(&self, workshop: WorkshopId, batch: Batch, chain: &Chain) -> Durable {
        match self {
            Store::Sqlite(s) => s.submit(workshop, batch, chain).await,
            Store::Postgres(_) => tokio::sync::oneshot::channel().1,
        }
    }

    /// What was committed to a workshop after event `seq` and commit `rev`.
    pub async fn catch_up(
        &self,
        workshop: WorkshopId,
        seq: u64,
        rev: u64,
    ) -> Result<CatchUp, StoreError> {
        match self {
            Store::Sqlite(s) => s.catch_up(workshop, seq, rev).await,
            Store::Postgres(s) => s.catch_up(workshop, seq, rev).await,
        }
    }

    /// The current rev of each of these workshops (unknown ones are left out).
    pub async fn revs(
        &self,
        workshops: &[WorkshopId],
    ) -> Result<Vec<(WorkshopId, u64)>, StoreError> {
        match self {
            // One writer: nothing changes behind the actors' backs.
            Store::Sqlite(_) => Ok(Vec::new()),
            // Timed as `poll`: its count shows whether a node polls (only while Redis is away).
            Store::Postgres(s) => timed("poll", s.revs(workshops)).await,
        }
    }

    /// Takes (or renews) the lease of `workshop` for `node` if it is free, ran out or is
    /// `node`'s; returns the owner now and its epoch. SQLite: one node owns everything.
    pub async fn claim(
        &self,
        workshop: WorkshopId,
        node: &str,
        lease_ms: i64,
    ) -> Result<(String, u64), StoreError> {
        match self {
            Store::Sqlite(_) => Ok((node.to_string(), 1)),
            Store::Postgres(s) => timed("claim", s.claim(workshop, node, lease_ms)).await,
        }
    }

    /// Renews every lease `node` holds; returns the workshops it still owns.
    pub async fn renew(&self, node: &str, lease_ms: i64) -> Result<Vec<WorkshopId>, StoreError> {
        match self {
            Store::Sqlite(_) => Ok(Vec::new()),
            Store::Postgres(s) => timed("renew", s.renew(node, lease_ms)).await,
        }
    }

    /// Gives up every lease `node` holds.
    pub async fn release(&self, node: &str) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(_) => Ok(()),
            Store::Postgres(s) => s.release(node).await,
        }
    }

    /// Loads a workshop's codes, whole event log and command outcomes; `None` if unknown.
    pub async fn load(&self, workshop: WorkshopId) -> Result<Option<LoadedWorkshop>, StoreError> {
        match self {
            Store::Sqlite(s) => timed("load", s.load(workshop, 0)).await,
            Store::Postgres(s) => timed("load", s.load(workshop, 0)).await,
        }
    }

    /// As `load`, with only the events after `seq` (the tail after a snapshot).
    pub async fn load_after(
        &self,
        workshop: WorkshopId,
        seq: u64,
    ) -> Result<Option<LoadedWorkshop>, StoreError> {
        match self {
            Store::Sqlite(s) => timed("load", s.load(workshop, seq)).await,
            Store::Postgres(s) => timed("load", s.load(workshop, seq)).await,
        }
    }

    /// Every workshop in the database, oldest first.
    pub async fn workshop_ids(&self) -> Result<Vec<WorkshopId>, StoreError> {
        match self {
            Store::Sqlite(s) => s.workshop_ids().await,
            Store::Postgres(s) => s.workshop_ids().await,
        }
    }

    /// Finds whose token this is.
    pub async fn credential(
        &self,
        token_hash: &str,
    ) -> Result<Option<(WorkshopId, ParticipantId)>, StoreError> {
        match self {
            Store::Sqlite(s) => s.credential(token_hash).await,
            Store::Postgres(s) => s.credential(token_hash).await,
        }
    }

    /// Deletes every row of workshop `id` (events, snapshot, command outcomes, credentials, joins, codes) in
    /// one transaction. Returns whether it existed.
    pub async fn erase_workshop(&self, id: WorkshopId) -> Result<bool, StoreError> {
        match self {
            Store::Sqlite(s) => timed("erase", s.erase_workshop(id)).await,
            Store::Postgres(s) => timed("erase", s.erase_workshop(id)).await,
        }
    }

    /// Makes `token_hash` the projector token of `workshop`, made by staff member `by`
    /// (replacing the workshop's previous one).
    pub async fn set_projector_token(
        &self,
        workshop: WorkshopId,
        token_hash: &str,
        by: ParticipantId,
        at: i64,
    ) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.set_projector_token(workshop, token_hash, by, at).await,
            Store::Postgres(s) => s.set_projector_token(workshop, token_hash, by, at).await,
        }
    }

    /// The workshop a projector token shows, and who made it.
    pub async fn projector_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<(WorkshopId, ParticipantId)>, StoreError> {
        match self {
            Store::Sqlite(s) => s.projector_token(token_hash).await,
            Store::Postgres(s) => s.projector_token(token_hash).await,
        }
    }

    /// The saved agenda templates, by name: `(name, segments JSON, created_at)`.
    pub async fn agenda_templates(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        match self {
            Store::Sqlite(s) => s.agenda_templates().await,
            Store::Postgres(s) => s.agenda_templates().await,
        }
    }

    /// Saves an agenda template (replacing one of the same name) unless `max` others are
    /// saved already; `false`: refused, the store is full.
    pub async fn save_agenda_template(
        &self,
        name: &str,
        segments: &str,
        at: i64,
        max: usize,
    ) -> Result<bool, StoreError> {
        match self {
            Store::Sqlite(s) => s.save_agenda_template(name, segments, at, max).await,
            Store::Postgres(s) => s.save_agenda_template(name, segments, at, max).await,
        }
    }

    /// Deletes the saved agenda template `name`; `false`: none of that name is saved.
    pub async fn delete_agenda_template(&self, name: &str) -> Result<bool, StoreError> {
        match self {
            Store::Sqlite(s) => s.delete_agenda_template(name).await,
            Store::Postgres(s) => s.delete_agenda_template(name).await,
        }
    }

    /// Checks that the database answers (for `GET /readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.ping().await,
            Store::Postgres(s) => s.ping().await,
        }
    }

    /// The workshop a join code opens (delegate or facilitator code), already normalized
    /// (`auth::normalize_code`); `None` when no workshop has it.
    pub async fn workshop_by_code(&self, code: &str) -> Result<Option<WorkshopId>, StoreError> {
        match self {
            Store::Sqlite(s) => s.workshop_by_code(code).await,
            Store::Postgres(s) => s.workshop_by_code(code).await,
        }
    }

    /// Flushes and closes the database (for SQLite: checkpoints the WAL).
    pub async fn close(&self) {
        match self {
            Store::Sqlite(s) => s.close().await,
            Store::Postgres(s) => s.close().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_url_selects_postgres_and_anything_else_is_a_file() {
        assert!(Database::parse("postgres://u@h/db").is_postgres());
        assert!(Database::parse("postgresql://h/db").is_postgres());
        assert_eq!(
            Database::parse("cabildo.db"),
            Database::Sqlite(PathBuf::from("cabildo.db"))
        );
        assert_eq!(
            Database::parse("./postgres/x.db"),
            Database::Sqlite(PathBuf::from("./postgres/x.db"))
        );
    }

    #[test]
    fn passwords_are_not_displayed() {
        let d = Database::parse("postgres://cabildo:s3cret@db.example:5432/cabildo");
        assert_eq!(
            d.display(),
            "postgres://cabildo:***@db.example:5432/cabildo"
        );
        let d = Database::parse("postgresql://cabildo@db.example/cabildo");
        assert_eq!(d.display(), "postgresql://cabildo@db.example/cabildo");
        let d = Database::parse("postgres://a:b@h");
        assert_eq!(d.display(), "postgres://a:***@h");
    }
}
