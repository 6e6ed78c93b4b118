"""Bulk loading (a first full sync): sort indexes and the search index built at the end.

A row stored through ten sort indexes and the full-text triggers dirties a random page of
most of those indexes; with one transaction per pulled page of 200 rows, at a million
deals that is ~1,500 pages rewritten per commit, and SQLite alone stores 4,600 rows/s.
Building the same indexes once after the load stores 50,000 rows/s (bench_store.py).

``begin`` drops the entity's sort indexes and search-index triggers and keeps their SQL in
``meta`` (same transaction). Indexes that filters, foreign keys and the rename triggers
use stay, and so do sort indexes of columns with few values (cheap to keep up). ``step``
restores one piece per call, each in its own transaction so that local edits get the
writer in between: one index each, then the search index (rebuilt from the table, which
also mends whatever changed while the triggers were off) with its triggers.
A crash in between leaves the ``meta`` row; ``Store.open`` finishes the work.

While an entity is in bulk mode its sorts scan the table and its search finds only what
was indexed before: the load is meant to be short and followed by ``Store.end_bulk``.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from crmdesk.domain.entities import Entity
from crmdesk.store.columns import TABLES, EntityTable

_KEY = "bulk:"
CHECKPOINT_PAGES = 1000  # SQLite's default
BULK_CHECKPOINT_PAGES = 10_000  # a 40 MB write-ahead log between checkpoints


def _sort_index_names(table: EntityTable) -> set[str]:
    # A column of few values (status, owner) keeps its index: a first sync pulls in id
    # order, so each row lands at the end of its value's run, on a page already in hand.
    names = {f"{table.table}_by_{c.name}" for c in table.columns if c.sort and not c.few}
    return names | {f"{table.table}_by_{d.name}" for d in table.derived if d.sort and not d.few}


def _trigger_names(table: EntityTable) -> set[str]:
    if not table.fts:
        return set()
    return {f"{table.fts_table}_{event}" for event in ("insert", "delete", "update")}


def pending(conn: sqlite3.Connection) -> list[Entity]:
    """Entities whose bulk load has not been finished."""
    rows = conn.execute("SELECT key FROM meta WHERE key LIKE 'bulk:%' ORDER BY key").fetchall()
    by_table = {t.table: t.entity for t in TABLES.values()}
    tables = [key.removeprefix(_KEY) for (key,) in rows]
    return [by_table[name] for name in tables if name in by_table]


def begin(conn: sqlite3.Connection, entity: Entity) -> bool:
    """Put ``entity`` in bulk mode (inside a write transaction); False if it already was."""
    table = TABLES[entity]
    key = _KEY + table.table
    # Fewer checkpoints while pages pour in: a page rewritten by many commits (an index's
    # last page) is copied back once per checkpoint, not once per commit (-5 µs a row).
    conn.execute(f"PRAGMA wal_autocheckpoint = {BULK_CHECKPOINT_PAGES}")
    if conn.execute("SELECT 1 FROM meta WHERE key = ?", (key,)).fetchone() is not None:
        return False
    wanted = _sort_index_names(table) | _trigger_names(table)
    found = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? AND type IN "
        "('index', 'trigger') AND sql IS NOT NULL ORDER BY name",
        (table.table,),
    ).fetchall()
    kept = [(kind, name, sql) for kind, name, sql in found if name in wanted]
    state = {
        "indexes": [[name, sql] for kind, name, sql in kept if kind == "index"],
        "triggers": [[name, sql] for kind, name, sql in kept if kind == "trigger"],
        "fts": table.fts_table if table.fts else None,
    }
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(state)))
    for kind, name, _ in kept:
        conn.execute(f"DROP {kind.upper()} IF EXISTS {name}")
    return True


def step(conn: sqlite3.Connection, entity: Entity) -> bool:
    """Restore the next piece of ``entity``'s indexes (inside a write transaction).

    Returns True while more remain; the last step leaves bulk mode.
    """
    key = _KEY + TABLES[entity].table
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    if row is None:
        return False
    state: dict[str, Any] = json.loads(row[0])
    if state["indexes"]:
        _, sql = state["indexes"].pop(0)
        conn.execute(sql.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
        conn.execute("UPDATE meta SET value = ? WHERE key = ?", (json.dumps(state), key))
        return True
    fts = state["fts"]
    if fts:
        conn.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
    for name, sql in state["triggers"]:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
        conn.execute(sql)
    conn.execute("DELETE FROM meta WHERE key = ?", (key,))
    if not pending(conn):
        conn.execute(f"PRAGMA wal_autocheckpoint = {CHECKPOINT_PAGES}")
    return False
