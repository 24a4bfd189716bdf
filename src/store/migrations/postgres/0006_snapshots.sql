-- The state of a workshop at event `seq`, so that loading it reads this row and the log's
-- tail instead of the whole log (hub/workshop/snapshot.rs). One row per workshop, the
-- latest. `version` is the snapshot format's: a row of another version is ignored (the
-- log is replayed instead). `next_due`: when the state's next timer warning or ending is
-- due (ms since the Unix epoch), NULL when no timer runs; start-up loads those workshops.
CREATE TABLE snapshots (
    workshop_id TEXT PRIMARY KEY REFERENCES workshops(id),
    version     INTEGER NOT NULL,
    seq         BIGINT NOT NULL,
    next_due    BIGINT,
    body        TEXT NOT NULL
);
