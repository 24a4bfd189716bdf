-- What start-up reads of each snapshot (format version, `seq`, due timer), apart from its
-- body: `Store::workshops_to_wake` scans this covering index, a few bytes per workshop,
-- instead of the snapshots' own B-tree, whose rows hold the bodies (~37 KB for a
-- reference workshop).
CREATE INDEX snapshots_wake ON snapshots (workshop_id, version, seq, next_due);
