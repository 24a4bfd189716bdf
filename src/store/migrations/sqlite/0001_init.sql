-- The event log, the credentials and the idempotency record of Cabildo.

CREATE TABLE workshops (
    id               TEXT PRIMARY KEY NOT NULL,
    facilitator_code TEXT NOT NULL UNIQUE,
    delegate_code    TEXT NOT NULL UNIQUE,
    created_at       INTEGER NOT NULL
);

-- One row per event; `seq` strictly increases per workshop.
CREATE TABLE events (
    workshop_id TEXT NOT NULL REFERENCES workshops(id),
    seq         INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    actor       TEXT,
    body        TEXT NOT NULL,
    PRIMARY KEY (workshop_id, seq)
) WITHOUT ROWID;

-- Tokens are stored only as SHA-256 hashes.
CREATE TABLE credentials (
    token_hash     TEXT PRIMARY KEY NOT NULL,
    workshop_id    TEXT NOT NULL REFERENCES workshops(id),
    participant_id TEXT NOT NULL
) WITHOUT ROWID;

-- The outcome of every command a participant sent, keyed by the client's command id.
CREATE TABLE commands (
    workshop_id    TEXT NOT NULL REFERENCES workshops(id),
    participant_id TEXT NOT NULL,
    command_id     TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    error_code     TEXT,
    error_message  TEXT,
    PRIMARY KEY (workshop_id, participant_id, command_id)
) WITHOUT ROWID;
