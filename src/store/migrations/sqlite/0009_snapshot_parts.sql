-- Snapshots larger than one part are written in parts, one per group commit, so that no
-- commit (and no post riding in it) waits for megabytes of one workshop's state (issue
-- #19; store/sqlite/parts.rs). The row in `snapshots` of such a snapshot has an empty
-- `body` and `parts` > 0: its bytes are the parts 0 .. parts-1 of its version and seq,
-- in order. `parts` 0: the body is in the row, as before.
ALTER TABLE snapshots ADD COLUMN parts INTEGER NOT NULL DEFAULT 0;
-- A rowid table: each row holds up to 256 KiB, overflow pages that a WITHOUT ROWID
-- table's B-tree handles poorly; the key is a separate index.
CREATE TABLE snapshot_parts (
    workshop_id TEXT NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    part        INTEGER NOT NULL,
    body        BLOB NOT NULL,
    UNIQUE (workshop_id, version, seq, part)
);
