-- The read-only projector link of a workshop: one token per workshop (making a new link
-- replaces the old one), stored only as a SHA-256 hash, with the staff member who made it
-- (the link shows what that person may read, and stops working if they are removed).
CREATE TABLE projector_tokens (
    workshop_id TEXT PRIMARY KEY REFERENCES workshops(id),
    token_hash  TEXT NOT NULL UNIQUE,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
