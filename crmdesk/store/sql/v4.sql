-- crmdesk local store, schema version 4: leaner search indexes (measured at 1M deals in
-- bench_store.py): prefix indexes of 1 and 2 characters (the first keystrokes of a search,
-- which are slow without one; longer prefixes are fast without), column-level detail (the
-- store's queries are ANDed prefix terms, no phrases) and no per-row size table (no
-- ranking): 63 MB instead of 94 MB per million deals. The indexes are rebuilt from their
-- tables. IF EXISTS: an entity in a bulk load has its triggers dropped (bulk.py).


DROP TRIGGER IF EXISTS deals_fts_insert;
DROP TRIGGER IF EXISTS deals_fts_delete;
DROP TRIGGER IF EXISTS deals_fts_update;
DROP TABLE deals_fts;
CREATE VIRTUAL TABLE deals_fts USING fts5(name, company_name, content='deals', content_rowid='id',
    prefix='1 2', detail=column, columnsize=0, tokenize='unicode61 remove_diacritics 2');
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
INSERT INTO deals_fts(deals_fts) VALUES ('rebuild');

DROP TRIGGER IF EXISTS people_fts_insert;
DROP TRIGGER IF EXISTS people_fts_delete;
DROP TRIGGER IF EXISTS people_fts_update;
DROP TABLE people_fts;
CREATE VIRTUAL TABLE people_fts USING fts5(name, company_name, contact, content='people', content_rowid='id',
    prefix='1 2', detail=column, columnsize=0, tokenize='unicode61 remove_diacritics 2');
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
INSERT INTO people_fts(people_fts) VALUES ('rebuild');

DROP TRIGGER IF EXISTS companies_fts_insert;
DROP TRIGGER IF EXISTS companies_fts_delete;
DROP TRIGGER IF EXISTS companies_fts_update;
DROP TABLE companies_fts;
CREATE VIRTUAL TABLE companies_fts USING fts5(name, contact, content='companies', content_rowid='id',
    prefix='1 2', detail=column, columnsize=0, tokenize='unicode61 remove_diacritics 2');
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
INSERT INTO companies_fts(companies_fts) VALUES ('rebuild');

DROP TRIGGER IF EXISTS notes_fts_insert;
DROP TRIGGER IF EXISTS notes_fts_delete;
DROP TRIGGER IF EXISTS notes_fts_update;
DROP TABLE notes_fts;
CREATE VIRTUAL TABLE notes_fts USING fts5(title, content, content='notes', content_rowid='id',
    prefix='1 2', detail=column, columnsize=0, tokenize='unicode61 remove_diacritics 2');
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
INSERT INTO notes_fts(notes_fts) VALUES ('rebuild');
