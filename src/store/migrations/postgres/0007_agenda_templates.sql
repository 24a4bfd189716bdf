-- Agenda templates saved by organizers, reusable in any workshop of this server (see
-- docs/protocol/agenda.md#templates). `segments` is the JSON list of segment plans as
-- `set_agenda` takes it; saving under an existing name replaces that template. Bounded by
-- the server (at most 100 templates of at most 40 segments each).
CREATE TABLE agenda_templates (
    name       TEXT PRIMARY KEY,
    segments   TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
