-- Command outcomes in the order they were decided (issue #19). The old key (workshop,
-- participant, command id) put each new row at a random leaf of the workshop's part of the
-- B-tree: one more page read and written per command in every group commit. Keyed by the
-- outcome's `seq` first, an ack's row goes to its workshop's last leaf, as its events do
-- (an error keeps `seq` 0 and sits at the first; errors are rare). Nothing looks a row up
-- by its command id: loading a workshop reads all of its rows (`SqliteStore::commands`)
-- and the actor answers a retried command from memory, so no index keeps the old order.
CREATE TABLE commands_in_order (
    workshop_id    TEXT NOT NULL REFERENCES workshops(id),
    seq            INTEGER NOT NULL,
    participant_id TEXT NOT NULL,
    command_id     TEXT NOT NULL,
    error_code     TEXT,
    error_message  TEXT,
    error_version  INTEGER,
    PRIMARY KEY (workshop_id, seq, participant_id, command_id)
) WITHOUT ROWID;
INSERT INTO commands_in_order
    SELECT workshop_id, seq, participant_id, command_id, error_code, error_message, error_version
    FROM commands;
DROP TABLE commands;
ALTER TABLE commands_in_order RENAME TO commands;
