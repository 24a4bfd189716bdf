-- The event log, the credentials and the idempotency record of Cabildo, on PostgreSQL.
--
-- Several nodes may write one workshop at once. Every commit of a workshop bumps its `rev`
-- with a compare-and-set (`UPDATE … WHERE rev = <the rev the node decided on>`), so the
-- commits of one workshop form one gap-free sequence; the loser of a race catches up and
-- decides again. The primary key (workshop_id, seq) of `events` backs that up: no `seq` is
-- ever stored twice.

CREATE TABLE workshops (
    id               TEXT PRIMARY KEY,
    facilitator_code TEXT NOT NULL UNIQUE,
    delegate_code    TEXT NOT NULL UNIQUE,
    created_at       BIGINT NOT NULL,
    -- How many commits the workshop has had, and the `seq` of its last event.
    rev              BIGINT NOT NULL,
    seq              BIGINT NOT NULL
);

CREATE TABLE events (
    workshop_id TEXT NOT NULL REFERENCES workshops(id),
    seq         BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    actor       TEXT,
    body        TEXT NOT NULL,
    PRIMARY KEY (workshop_id, seq)
);

-- Tokens are stored only as SHA-256 hashes. `rev`: the commit that created it.
CREATE TABLE credentials (
    token_hash     TEXT PRIMARY KEY,
    workshop_id    TEXT NOT NULL REFERENCES workshops(id),
    participant_id TEXT NOT NULL,
    rev            BIGINT NOT NULL
);
CREATE INDEX credentials_by_workshop ON credentials (workshop_id, rev);

-- The outcome of every command a participant sent, keyed by the client's command id.
-- `rev`: the commit that recorded it, so a node catching up loads only the new ones.
CREATE TABLE commands (
    workshop_id    TEXT NOT NULL REFERENCES workshops(id),
    participant_id TEXT NOT NULL,
    command_id     TEXT NOT NULL,
    rev            BIGINT NOT NULL,
    seq            BIGINT NOT NULL,
    error_code     TEXT,
    error_message  TEXT,
    error_version  BIGINT,
    PRIMARY KEY (workshop_id, participant_id, command_id)
);
CREATE INDEX commands_by_rev ON commands (workshop_id, rev);
