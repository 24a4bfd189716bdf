-- The state of a workshop at event `seq`, so that loading it reads this row and the log's
-- tail instead of the whole log (hub/workshop/load.rs). One row per workshop, the
-- latest. `version` is the snapshot format's: a row of another version is ignored (the
-- log is replayed instead). `next_due`: when the state's next timer warning or ending is
-- due (ms since the Unix epoch), NULL when no timer runs; start-up loads those workshops.
-- ON DELETE CASCADE: a snapshot stored while the workshop is being erased goes with it.
CREATE TABLE snapshots (
    workshop_id TEXT PRIMARY KEY NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    next_due    INTEGER,
    body        TEXT NOT NULL
) WITHOUT ROWID;
