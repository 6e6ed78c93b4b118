"""The sandbox's SQLite schema and the first id of each table.

Ids start at realistic, distinct bases (a deal id is never a valid person id), are never
reused (AUTOINCREMENT) and survive restarts together with the tombstones of deletions.
"""

from __future__ import annotations

SCHEMA_VERSION = 1

#: First id of each table (the sequence is set just below it).
ID_BASES: dict[str, int] = {
    "users": 843_757,
    "lookups": 2_599_190,
    "companies": 260_000_001,
    "people": 1_300_000_001,
    "deals": 55_000_001,
    "notes": 890_000_001,
    "comments": 31_000_001,
    "calendar_entries": 720_000_001,
    "documents": 18_000_001,
}

_ADDRESS = "address_1 TEXT, address_2 TEXT, city TEXT, state TEXT, postal_code TEXT, country TEXT"
_NEXT = (
    "next_entry_id INTEGER, next_entry_name TEXT, next_entry_due TEXT, next_entry_all_day INTEGER"
)
_ACTIVITY = "first_activity_at INTEGER, last_activity_at INTEGER"

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    first_name TEXT, last_name TEXT, email TEXT, level INTEGER NOT NULL DEFAULT 1,
    is_account_admin INTEGER NOT NULL DEFAULT 0, time_zone TEXT NOT NULL,
    api_key TEXT NOT NULL UNIQUE, w2lid TEXT, team_id INTEGER, manager_id INTEGER,
    mobile_number TEXT, mobile_country_code TEXT, work_phone TEXT, deleted_at INTEGER,
    last_seen_at INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);

-- Every small admin table (stages, sources, tags, custom field labels, searches,
-- webhooks, ...) in one place: the fields of a row are a JSON object.
CREATE TABLE IF NOT EXISTS lookups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL, data TEXT NOT NULL,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS companies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT, description TEXT, email TEXT, web TEXT, fax TEXT, {_ADDRESS},
    phone1 TEXT, phone2 TEXT, phone3 TEXT, phone4 TEXT,
    phone1_desc TEXT, phone2_desc TEXT, phone3_desc TEXT, phone4_desc TEXT,
    twitter TEXT, linked_in_url TEXT, facebook_url TEXT, instant_message TEXT,
    owner_id INTEGER, created_by_user_id INTEGER, updated_by_user_id INTEGER,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    import_id INTEGER, imported_at INTEGER, is_sample INTEGER NOT NULL DEFAULT 0,
    image_thumb_url TEXT, is_customer INTEGER NOT NULL DEFAULT 0,
    shared_user_ids TEXT NOT NULL DEFAULT '[]', tag_ids TEXT NOT NULL DEFAULT '[]',
    custom_fields TEXT NOT NULL DEFAULT '{{}}', {_NEXT}, {_ACTIVITY}
);

CREATE TABLE IF NOT EXISTS people (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL DEFAULT 'Contact', first_name TEXT, last_name TEXT,
    position TEXT, summary TEXT, relationship TEXT, is_key_contact INTEGER,
    phone TEXT, mobile TEXT, fax TEXT, home_phone TEXT, email TEXT, email2 TEXT,
    home_email TEXT, website TEXT, twitter TEXT, linked_in_url TEXT, facebook_url TEXT,
    instant_message TEXT,
    home_address_1 TEXT, home_address_2 TEXT, home_city TEXT, home_state TEXT,
    home_postal_code TEXT, home_country TEXT,
    work_address_1 TEXT, work_address_2 TEXT, work_city TEXT, work_state TEXT,
    work_postal_code TEXT, work_country TEXT,
    user_id INTEGER, created_by_user_id INTEGER, updated_by_user_id INTEGER,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, viewed_at INTEGER,
    converted_at INTEGER, company_id INTEGER, lead_status_id INTEGER,
    lead_source_id INTEGER, tag_ids TEXT NOT NULL DEFAULT '[]',
    shared_user_ids TEXT NOT NULL DEFAULT '[]', custom_fields TEXT NOT NULL DEFAULT '{{}}',
    unsubscribed INTEGER NOT NULL DEFAULT 0, bounced INTEGER NOT NULL DEFAULT 0,
    last_emailed_at INTEGER, is_sample INTEGER NOT NULL DEFAULT 0, image_thumb_url TEXT,
    {_NEXT}, {_ACTIVITY}
);

CREATE TABLE IF NOT EXISTS deals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT, summary TEXT, user_id INTEGER, created_by_user_id INTEGER,
    updated_by_user_id INTEGER, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    is_archived INTEGER NOT NULL DEFAULT 0, is_sample INTEGER NOT NULL DEFAULT 0,
    source_id INTEGER, primary_contact_id INTEGER, company_id INTEGER,
    deal_pipeline_id INTEGER, deal_stage_id INTEGER, status INTEGER, probability INTEGER,
    value_cents INTEGER, expected_close_date TEXT, expected_close_date_event_id INTEGER,
    closed_time INTEGER, deal_loss_reason_id INTEGER, deal_loss_reason_notes TEXT,
    deal_won_reason_id INTEGER, deal_won_reason_notes TEXT, revenue_type_id INTEGER,
    import_id INTEGER, {_ADDRESS},
    shared_user_ids TEXT NOT NULL DEFAULT '[]', tag_ids TEXT NOT NULL DEFAULT '[]',
    product_line_ids TEXT NOT NULL DEFAULT '[]', custom_fields TEXT NOT NULL DEFAULT '{{}}',
    stage_changed_at INTEGER, {_NEXT}, {_ACTIVITY}
);

CREATE TABLE IF NOT EXISTS deal_people (
    deal_id INTEGER NOT NULL, person_id INTEGER NOT NULL, PRIMARY KEY (deal_id, person_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT, content TEXT, deal_id INTEGER, person_id INTEGER, company_id INTEGER,
    user_id INTEGER, created_by_user_id INTEGER, note_category_id INTEGER,
    notify_user_ids TEXT NOT NULL DEFAULT '[]', is_sent_message INTEGER,
    is_private INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    note_id INTEGER NOT NULL, user_id INTEGER, comment TEXT, edited_by_user_id INTEGER,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS calendar_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL, name TEXT, description TEXT, owner_id INTEGER,
    created_by_user_id INTEGER, category_id INTEGER,
    start_at INTEGER, end_at INTEGER, due_date TEXT, all_day INTEGER NOT NULL DEFAULT 0,
    complete INTEGER NOT NULL DEFAULT 0, completed_at INTEGER,
    active INTEGER NOT NULL DEFAULT 1, association_type TEXT, association_id INTEGER,
    company_id INTEGER, rrule TEXT, rdate TEXT, exrule TEXT, exdate TEXT,
    recurrence_end TEXT, base_entry_id INTEGER,
    part_of_recurring_series INTEGER NOT NULL DEFAULT 0,
    calendar_entry_priority_id INTEGER, calendar_entry_status_id INTEGER,
    -- when the entry falls due, for ordering and date conditions (tasks: the due day's
    -- start in the owner's zone; events: start_at; NULL for "someday" tasks)
    sort_at INTEGER,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT, owner_id INTEGER, deal_id INTEGER, person_id INTEGER, company_id INTEGER,
    calendar_entry_id INTEGER, document_type TEXT, upload_status INTEGER NOT NULL DEFAULT 1,
    upload_status_error_message TEXT, source_url TEXT, blob_key TEXT, size_bytes INTEGER,
    etag TEXT, tag_ids TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS blobs (
    key TEXT PRIMARY KEY, file_name TEXT NOT NULL, content_type TEXT NOT NULL,
    data BLOB NOT NULL
);

CREATE TABLE IF NOT EXISTS tombstones (
    entity TEXT NOT NULL, id INTEGER NOT NULL, deleted_at INTEGER NOT NULL,
    PRIMARY KEY (entity, id)
) WITHOUT ROWID;
"""

#: Indexes, created after a bulk load (faster than maintaining them row by row).
INDEXES = """
CREATE INDEX IF NOT EXISTS lookups_kind ON lookups (kind, id);
CREATE INDEX IF NOT EXISTS companies_updated ON companies (updated_at, id);
CREATE INDEX IF NOT EXISTS companies_name ON companies (name COLLATE NOCASE, id);
CREATE INDEX IF NOT EXISTS companies_owner ON companies (owner_id, updated_at);
CREATE INDEX IF NOT EXISTS people_updated ON people (updated_at, id);
CREATE INDEX IF NOT EXISTS people_last_name ON people (last_name COLLATE NOCASE, id);
CREATE INDEX IF NOT EXISTS people_company ON people (company_id);
CREATE INDEX IF NOT EXISTS people_owner ON people (user_id, updated_at);
CREATE INDEX IF NOT EXISTS deals_updated ON deals (updated_at, id);
CREATE INDEX IF NOT EXISTS deals_stage ON deals (deal_stage_id, updated_at);
CREATE INDEX IF NOT EXISTS deals_name ON deals (name COLLATE NOCASE, id);
CREATE INDEX IF NOT EXISTS deals_value ON deals (value_cents, id);
CREATE INDEX IF NOT EXISTS deals_company ON deals (company_id, updated_at);
CREATE INDEX IF NOT EXISTS deals_owner ON deals (user_id, updated_at);
CREATE INDEX IF NOT EXISTS deals_close ON deals (expected_close_date, id);
CREATE INDEX IF NOT EXISTS deal_people_person ON deal_people (person_id, deal_id);
CREATE INDEX IF NOT EXISTS notes_updated ON notes (updated_at, id);
CREATE INDEX IF NOT EXISTS notes_deal ON notes (deal_id);
CREATE INDEX IF NOT EXISTS notes_person ON notes (person_id);
CREATE INDEX IF NOT EXISTS notes_company ON notes (company_id);
CREATE INDEX IF NOT EXISTS comments_note ON comments (note_id, id);
CREATE INDEX IF NOT EXISTS calendar_updated ON calendar_entries (updated_at, id);
CREATE INDEX IF NOT EXISTS calendar_association
    ON calendar_entries (association_type, association_id);
CREATE INDEX IF NOT EXISTS calendar_base ON calendar_entries (base_entry_id);
CREATE INDEX IF NOT EXISTS calendar_sort ON calendar_entries (sort_at, id);
CREATE INDEX IF NOT EXISTS documents_updated ON documents (updated_at, id);
CREATE INDEX IF NOT EXISTS tombstones_time ON tombstones (entity, deleted_at, id);
"""
