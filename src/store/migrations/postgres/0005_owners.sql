-- Which node owns each live workshop (several nodes, issue 20): the owner alone decides and
-- commits the workshop's commands; the other nodes forward theirs to it through Redis. A
-- lease: the owner renews `lease_until` about every second; once it has passed, any node
-- may take the workshop over (`epoch` counts the owners it has had). No row: nobody owns it.
CREATE TABLE workshop_owners (
    workshop_id TEXT PRIMARY KEY,
    node        TEXT NOT NULL,
    epoch       BIGINT NOT NULL,
    lease_until TIMESTAMPTZ NOT NULL
);
CREATE INDEX workshop_owners_node ON workshop_owners (node);
