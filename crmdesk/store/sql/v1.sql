-- crmdesk local store, schema version 1 (frozen: later changes go in v2.sql, v3.sql, ...)

CREATE TABLE meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
INSERT INTO meta(key, value) VALUES ('next_local_id', -1);

-- Deflate dictionaries of record JSON blobs (see codec.py); never changed once written.
CREATE TABLE zdicts (id INTEGER PRIMARY KEY, entity TEXT NOT NULL, data BLOB NOT NULL);

-- One row per user intent, in order. Removed only on a server confirmation or a discard.
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id TEXT NOT NULL UNIQUE,
    entity TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    patch TEXT NOT NULL,
    base TEXT NOT NULL,
    base_updated_at TEXT,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL,
    last_error TEXT,
    created_at REAL NOT NULL,
    sent_at REAL,
    parent_id INTEGER,
    deps TEXT,
    snapshot TEXT
);
CREATE INDEX outbox_by_record ON outbox(entity, record_id, seq);

-- Creates: local id -> server id, with what identifies the record if the reply was lost.
CREATE TABLE ledger (
    local_id INTEGER PRIMARY KEY,
    entity TEXT NOT NULL,
    op_id TEXT NOT NULL,
    server_id INTEGER,
    state TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at REAL NOT NULL,
    first_sent_at REAL,
    confirmed_at REAL
);
CREATE INDEX ledger_by_op ON ledger(op_id);

-- What a discard removed, so that it can be undone.
CREATE TABLE undo_log (token INTEGER PRIMARY KEY AUTOINCREMENT, created_at REAL NOT NULL,
                       payload TEXT NOT NULL);

CREATE TABLE lookups (
    kind TEXT NOT NULL,
    id INTEGER NOT NULL,
    name TEXT,
    position INTEGER,
    percent INTEGER,
    hex_color TEXT,
    parent_id INTEGER,
    json TEXT NOT NULL,
    PRIMARY KEY (kind, id)
) WITHOUT ROWID;

CREATE TABLE custom_field_labels (
    id INTEGER PRIMARY KEY,
    entity TEXT NOT NULL,
    name TEXT NOT NULL,
    field_type TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    is_required INTEGER NOT NULL DEFAULT 0,
    group_id INTEGER,
    json TEXT NOT NULL
);

CREATE TABLE saved_searches (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
                             search_type TEXT NOT NULL, json TEXT NOT NULL);

-- Singletons such as the profile and the account.
CREATE TABLE singletons (key TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;

-- Sync cursors and other engine bookkeeping.
CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT, updated_at REAL NOT NULL)
    WITHOUT ROWID;


CREATE TABLE deals (
    id INTEGER PRIMARY KEY,
    sync TEXT,
    gone INTEGER,
    name TEXT COLLATE NOCASE,
    value REAL,
    currency TEXT,
    pipeline_id INTEGER,
    stage_id INTEGER,
    status INTEGER,
    probability INTEGER,
    close_date INTEGER,
    closed_at INTEGER,
    owner_id INTEGER,
    company_id INTEGER,
    contact_id INTEGER,
    source_id INTEGER,
    archived INTEGER,
    created_at INTEGER,
    updated_at INTEGER,
    company_name TEXT COLLATE NOCASE,
    owner_name TEXT COLLATE NOCASE,
    stage_pos INTEGER,
    server BLOB,
    local BLOB
);
CREATE INDEX deals_pending ON deals(sync) WHERE sync IS NOT NULL;
CREATE INDEX deals_by_name ON deals(name);
CREATE INDEX deals_by_value ON deals(value);
CREATE INDEX deals_stage_id ON deals(stage_id);
CREATE INDEX deals_by_status ON deals(status);
CREATE INDEX deals_by_probability ON deals(probability);
CREATE INDEX deals_by_close_date ON deals(close_date);
CREATE INDEX deals_owner_id ON deals(owner_id);
CREATE INDEX deals_company_id ON deals(company_id);
CREATE INDEX deals_by_created_at ON deals(created_at);
CREATE INDEX deals_by_updated_at ON deals(updated_at);
CREATE INDEX deals_by_company_name ON deals(company_name);
CREATE INDEX deals_by_owner_name ON deals(owner_name);
CREATE INDEX deals_by_stage_pos ON deals(stage_pos);
CREATE VIRTUAL TABLE deals_fts USING fts5(name, company_name, content='deals', content_rowid='id',
    prefix='2 3', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER deals_fts_insert AFTER INSERT ON deals BEGIN
    INSERT INTO deals_fts(rowid, name, company_name) VALUES (new.id, new.name, new.company_name);
END;
CREATE TRIGGER deals_fts_delete AFTER DELETE ON deals BEGIN
    INSERT INTO deals_fts(deals_fts, rowid, name, company_name) VALUES ('delete', old.id, old.name, old.company_name);
END;
CREATE TRIGGER deals_fts_update AFTER UPDATE ON deals WHEN old.name IS NOT new.name OR old.company_name IS NOT new.company_name OR old.id != new.id BEGIN
    INSERT INTO deals_fts(deals_fts, rowid, name, company_name) VALUES ('delete', old.id, old.name, old.company_name);
    INSERT INTO deals_fts(rowid, name, company_name) VALUES (new.id, new.name, new.company_name);
END;

CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    sync TEXT,
    gone INTEGER,
    name TEXT COLLATE NOCASE,
    type TEXT,
    position TEXT,
    email TEXT COLLATE NOCASE,
    phone TEXT,
    city TEXT,
    company_id INTEGER,
    owner_id INTEGER,
    lead_status_id INTEGER,
    lead_source_id INTEGER,
    created_at INTEGER,
    updated_at INTEGER,
    contact TEXT,
    company_name TEXT COLLATE NOCASE,
    owner_name TEXT COLLATE NOCASE,
    server BLOB,
    local BLOB
);
CREATE INDEX people_pending ON people(sync) WHERE sync IS NOT NULL;
CREATE INDEX people_by_name ON people(name);
CREATE INDEX people_by_email ON people(email);
CREATE INDEX people_company_id ON people(company_id);
CREATE INDEX people_owner_id ON people(owner_id);
CREATE INDEX people_lead_status_id ON people(lead_status_id);
CREATE INDEX people_by_created_at ON people(created_at);
CREATE INDEX people_by_updated_at ON people(updated_at);
CREATE INDEX people_by_company_name ON people(company_name);
CREATE INDEX people_by_owner_name ON people(owner_name);
CREATE VIRTUAL TABLE people_fts USING fts5(name, company_name, contact, content='people', content_rowid='id',
    prefix='2 3', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER people_fts_insert AFTER INSERT ON people BEGIN
    INSERT INTO people_fts(rowid, name, company_name, contact) VALUES (new.id, new.name, new.company_name, new.contact);
END;
CREATE TRIGGER people_fts_delete AFTER DELETE ON people BEGIN
    INSERT INTO people_fts(people_fts, rowid, name, company_name, contact) VALUES ('delete', old.id, old.name, old.company_name, old.contact);
END;
CREATE TRIGGER people_fts_update AFTER UPDATE ON people WHEN old.name IS NOT new.name OR old.company_name IS NOT new.company_name OR old.contact IS NOT new.contact OR old.id != new.id BEGIN
    INSERT INTO people_fts(people_fts, rowid, name, company_name, contact) VALUES ('delete', old.id, old.name, old.company_name, old.contact);
    INSERT INTO people_fts(rowid, name, company_name, contact) VALUES (new.id, new.name, new.company_name, new.contact);
END;

CREATE TABLE companies (
    id INTEGER PRIMARY KEY,
    sync TEXT,
    gone INTEGER,
    name TEXT COLLATE NOCASE,
    email TEXT,
    phone TEXT,
    web TEXT,
    city TEXT COLLATE NOCASE,
    country TEXT,
    owner_id INTEGER,
    is_customer INTEGER,
    created_at INTEGER,
    updated_at INTEGER,
    contact TEXT,
    owner_name TEXT COLLATE NOCASE,
    server BLOB,
    local BLOB
);
CREATE INDEX companies_pending ON companies(sync) WHERE sync IS NOT NULL;
CREATE INDEX companies_by_name ON companies(name);
CREATE INDEX companies_by_city ON companies(city);
CREATE INDEX companies_owner_id ON companies(owner_id);
CREATE INDEX companies_by_created_at ON companies(created_at);
CREATE INDEX companies_by_updated_at ON companies(updated_at);
CREATE INDEX companies_by_owner_name ON companies(owner_name);
CREATE VIRTUAL TABLE companies_fts USING fts5(name, contact, content='companies', content_rowid='id',
    prefix='2 3', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER companies_fts_insert AFTER INSERT ON companies BEGIN
    INSERT INTO companies_fts(rowid, name, contact) VALUES (new.id, new.name, new.contact);
END;
CREATE TRIGGER companies_fts_delete AFTER DELETE ON companies BEGIN
    INSERT INTO companies_fts(companies_fts, rowid, name, contact) VALUES ('delete', old.id, old.name, old.contact);
END;
CREATE TRIGGER companies_fts_update AFTER UPDATE ON companies WHEN old.name IS NOT new.name OR old.contact IS NOT new.contact OR old.id != new.id BEGIN
    INSERT INTO companies_fts(companies_fts, rowid, name, contact) VALUES ('delete', old.id, old.name, old.contact);
    INSERT INTO companies_fts(rowid, name, contact) VALUES (new.id, new.name, new.contact);
END;

CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    sync TEXT,
    gone INTEGER,
    title TEXT,
    content TEXT,
    deal_id INTEGER,
    person_id INTEGER,
    company_id INTEGER,
    user_id INTEGER,
    category_id INTEGER,
    created_at INTEGER,
    updated_at INTEGER,
    server BLOB,
    local BLOB
);
CREATE INDEX notes_pending ON notes(sync) WHERE sync IS NOT NULL;
CREATE INDEX notes_deal_id ON notes(deal_id);
CREATE INDEX notes_person_id ON notes(person_id);
CREATE INDEX notes_company_id ON notes(company_id);
CREATE INDEX notes_by_created_at ON notes(created_at);
CREATE VIRTUAL TABLE notes_fts USING fts5(title, content, content='notes', content_rowid='id',
    prefix='2 3', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER notes_fts_insert AFTER INSERT ON notes BEGIN
    INSERT INTO notes_fts(rowid, title, content) VALUES (new.id, new.title, new.content);
END;
CREATE TRIGGER notes_fts_delete AFTER DELETE ON notes BEGIN
    INSERT INTO notes_fts(notes_fts, rowid, title, content) VALUES ('delete', old.id, old.title, old.content);
END;
CREATE TRIGGER notes_fts_update AFTER UPDATE ON notes WHEN old.title IS NOT new.title OR old.content IS NOT new.content OR old.id != new.id BEGIN
    INSERT INTO notes_fts(notes_fts, rowid, title, content) VALUES ('delete', old.id, old.title, old.content);
    INSERT INTO notes_fts(rowid, title, content) VALUES (new.id, new.title, new.content);
END;

CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    sync TEXT,
    gone INTEGER,
    note_id INTEGER,
    user_id INTEGER,
    created_at INTEGER,
    updated_at INTEGER,
    server BLOB,
    local BLOB
);
CREATE INDEX comments_pending ON comments(sync) WHERE sync IS NOT NULL;
CREATE INDEX comments_note_id ON comments(note_id);

CREATE TABLE calendar_entries (
    id INTEGER PRIMARY KEY,
    sync TEXT,
    gone INTEGER,
    type TEXT,
    name TEXT,
    owner_id INTEGER,
    start_at INTEGER,
    end_at INTEGER,
    due_date INTEGER,
    complete INTEGER,
    active INTEGER,
    association_type TEXT,
    association_id INTEGER,
    company_id INTEGER,
    base_entry_id INTEGER,
    updated_at INTEGER,
    server BLOB,
    local BLOB
);
CREATE INDEX calendar_entries_pending ON calendar_entries(sync) WHERE sync IS NOT NULL;
CREATE INDEX calendar_entries_owner_id ON calendar_entries(owner_id);
CREATE INDEX calendar_entries_by_start_at ON calendar_entries(start_at);
CREATE INDEX calendar_entries_by_due_date ON calendar_entries(due_date);
CREATE INDEX calendar_entries_association_id ON calendar_entries(association_id);
CREATE INDEX calendar_entries_base_entry_id ON calendar_entries(base_entry_id);

CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    sync TEXT,
    gone INTEGER,
    title TEXT,
    deal_id INTEGER,
    person_id INTEGER,
    company_id INTEGER,
    calendar_entry_id INTEGER,
    owner_id INTEGER,
    upload_state TEXT,
    updated_at INTEGER,
    server BLOB,
    local BLOB
);
CREATE INDEX documents_pending ON documents(sync) WHERE sync IS NOT NULL;
CREATE INDEX documents_deal_id ON documents(deal_id);
CREATE INDEX documents_person_id ON documents(person_id);
CREATE INDEX documents_company_id ON documents(company_id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    sync TEXT,
    gone INTEGER,
    name TEXT COLLATE NOCASE,
    email TEXT,
    active INTEGER,
    server BLOB,
    local BLOB
);
CREATE INDEX users_pending ON users(sync) WHERE sync IS NOT NULL;
CREATE INDEX users_by_name ON users(name);

-- Derived columns follow renames (a company, a user, a stage) without touching the JSON.
CREATE TRIGGER companies_name_insert AFTER INSERT ON companies BEGIN
    UPDATE deals SET company_name = new.name
        WHERE company_id = new.id AND company_name IS NOT new.name COLLATE BINARY;
    UPDATE people SET company_name = new.name
        WHERE company_id = new.id AND company_name IS NOT new.name COLLATE BINARY;
END;
CREATE TRIGGER companies_name_update AFTER UPDATE OF name ON companies
    WHEN old.name IS NOT new.name COLLATE BINARY BEGIN
    UPDATE deals SET company_name = new.name WHERE company_id = new.id;
    UPDATE people SET company_name = new.name WHERE company_id = new.id;
END;
CREATE TRIGGER users_name_insert AFTER INSERT ON users BEGIN
    UPDATE deals SET owner_name = new.name
        WHERE owner_id = new.id AND owner_name IS NOT new.name COLLATE BINARY;
    UPDATE people SET owner_name = new.name
        WHERE owner_id = new.id AND owner_name IS NOT new.name COLLATE BINARY;
    UPDATE companies SET owner_name = new.name
        WHERE owner_id = new.id AND owner_name IS NOT new.name COLLATE BINARY;
END;
CREATE TRIGGER users_name_update AFTER UPDATE OF name ON users
    WHEN old.name IS NOT new.name COLLATE BINARY BEGIN
    UPDATE deals SET owner_name = new.name WHERE owner_id = new.id;
    UPDATE people SET owner_name = new.name WHERE owner_id = new.id;
    UPDATE companies SET owner_name = new.name WHERE owner_id = new.id;
END;
CREATE TRIGGER stages_insert AFTER INSERT ON lookups WHEN new.kind = 'deal_stages' BEGIN
    UPDATE deals SET stage_pos = new.percent
        WHERE stage_id = new.id AND stage_pos IS NOT new.percent;
END;
CREATE TRIGGER stages_update AFTER UPDATE ON lookups WHEN new.kind = 'deal_stages' BEGIN
    UPDATE deals SET stage_pos = new.percent
        WHERE stage_id = new.id AND stage_pos IS NOT new.percent;
END;

