//! Durable storage: the event log, credentials and command outcomes, behind one interface.
//!
//! `Store` is an enum so that a second backend (PostgreSQL, for scale-out) slots in beside
//! SQLite without generics spreading through the hub. Every write of a batch happens in one
//! transaction: events, command outcomes and credentials become durable together or not at all.
//!
//! Architecture invariant: nothing here knows the domain's rules; events are stored as the
//! JSON text the hub hands over, so the bytes stored are the bytes clients receive.

mod sqlite;

use crate::domain::{ParticipantId, WorkshopId};
use crate::protocol::Outcome;
pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("corrupt record: {0}")]
    Corrupt(String),
    #[error("a join code is already taken")]
    CodeTaken,
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

/// Everything one group commit writes for one workshop.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    pub events: Vec<StoredEvent>,
    pub commands: Vec<CommandRecord>,
    pub credentials: Vec<Credential>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.commands.is_empty() && self.credentials.is_empty()
    }
}

/// What the hub needs to bring a workshop back to life.
pub struct LoadedWorkshop {
    pub codes: Codes,
    pub events: Vec<StoredEvent>,
    pub commands: Vec<CommandRecord>,
}

#[derive(Clone)]
pub enum Store {
    Sqlite(SqliteStore),
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
            Store::Sqlite(s) => s.create_workshop(id, codes, batch).await,
        }
    }

    /// Appends one group commit. Returns once it is durable.
    pub async fn append(&self, workshop: WorkshopId, batch: &Batch) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(s) => s.append(workshop, batch).await,
        }
    }

    /// Loads a workshop's codes, whole event log and command outcomes; `None` if unknown.
    pub async fn load(&self, workshop: WorkshopId) -> Result<Option<LoadedWorkshop>, StoreError> {
        match self {
            Store::Sqlite(s) => s.load(workshop).await,
        }
    }

    /// Every workshop in the database, oldest first.
    pub async fn workshop_ids(&self) -> Result<Vec<WorkshopId>, StoreError> {
        match self {
            Store::Sqlite(s) => s.workshop_ids().await,
        }
    }

    /// Finds whose token this is.
    pub async fn credential(
        &self,
        token_hash: &str,
    ) -> Result<Option<(WorkshopId, ParticipantId)>, StoreError> {
        match self {
            Store::Sqlite(s) => s.credential(token_hash).await,
        }
    }

    /// Flushes and closes the database (for SQLite: checkpoints the WAL).
    pub async fn close(&self) {
        match self {
            Store::Sqlite(s) => s.close().await,
        }
    }
}
