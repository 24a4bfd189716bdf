-- Join idempotency: a retried join with the same key gets the same participant and token.
-- The key is stored only as a hash; the token only sealed with the key (see auth::seal).
CREATE TABLE joins (
    workshop_id    TEXT NOT NULL REFERENCES workshops(id),
    key_hash       TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    sealed_token   TEXT NOT NULL,
    PRIMARY KEY (workshop_id, key_hash)
);
