-- crmdesk local store, schema version 2: conflicts, the history of chosen-away values, and
-- the field errors of a change the server refused.

ALTER TABLE outbox ADD COLUMN field_errors TEXT;

-- A field changed both here and on the server. "mine" stays visible locally until resolved.
CREATE TABLE conflicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    field TEXT NOT NULL,
    base TEXT,
    mine TEXT,
    theirs TEXT,
    theirs_updated_at TEXT,
    changed_by TEXT,
    changed_at TEXT,
    op_id TEXT,
    state TEXT NOT NULL DEFAULT 'open',
    resolution TEXT,
    created_at REAL NOT NULL,
    resolved_at REAL
);
CREATE INDEX conflicts_open ON conflicts(entity, record_id) WHERE state = 'open';

-- Every value that lost (a conflict resolved the other way, a discarded change), so it can
-- be looked at and restored.
CREATE TABLE history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    field TEXT NOT NULL,
    value TEXT,
    reason TEXT NOT NULL,
    detail TEXT,
    created_at REAL NOT NULL,
    undo_token INTEGER,
    restored_at REAL
);
CREATE INDEX history_by_record ON history(entity, record_id);
