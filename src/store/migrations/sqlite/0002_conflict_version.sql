-- A `conflict` outcome remembers the version the conclusion was at, so a retry gets it too.
ALTER TABLE commands ADD COLUMN error_version INTEGER;
