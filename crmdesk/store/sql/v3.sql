-- crmdesk local store, schema version 3: record shapes (see codec.py). A record blob names
-- the list of its keys here and stores only the values; never changed once written.

CREATE TABLE zshapes (id INTEGER PRIMARY KEY, entity TEXT NOT NULL, keys TEXT NOT NULL);
