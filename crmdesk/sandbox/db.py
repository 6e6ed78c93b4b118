"""The sandbox database: one SQLite connection owned by the server's event-loop thread.

Every request is handled start to finish on that thread without awaiting inside a
transaction, so requests never interleave half-way and no locking is needed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from crmdesk.sandbox.schema import ID_BASES, INDEXES, SCHEMA, SCHEMA_VERSION

Row = dict[str, Any]


class SandboxDataError(RuntimeError):
    """The --db file is not a sandbox database this version can serve."""


class Database:
    """A thin layer over sqlite3: dict rows, transactions, meta values, tombstones."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.existed = path != ":memory:" and Path(path).exists() and Path(path).stat().st_size > 0
        # The connection is created on the caller's thread (start-up, seeding) and then used
        # only by the server thread; never by two threads at once.
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA cache_size = -65536")
        self._depth = 0

    def take_over(self) -> None:
        """Switch to WAL (files only): called once the file is known to be ours."""
        if self.path != ":memory:":
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")

    # ------------------------------------------------------------------ set-up
    def is_initialised(self) -> bool:
        """True if the schema and a seeded data set are present."""
        found = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        ).fetchone()
        return found is not None and self.meta("seeded") == "1"

    def has_tables(self) -> bool:
        """True if the file holds any table at all."""
        return bool(self.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table'"))

    def create_schema(self) -> None:
        """Create every table and set each id sequence to its base."""
        self.conn.executescript(SCHEMA)
        with self.transaction():
            for table, base in ID_BASES.items():
                self.conn.execute("DELETE FROM sqlite_sequence WHERE name = ?", (table,))
                self.conn.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, base - 1)
                )
            self.set_meta("schema_version", str(SCHEMA_VERSION))

    def create_indexes(self) -> None:
        """Create the indexes (after a bulk load) and refresh the planner's statistics."""
        self.conn.executescript(INDEXES)
        self.conn.execute("ANALYZE")

    def check_version(self) -> None:
        """Refuse a database written by an incompatible sandbox version."""
        version = self.meta("schema_version")
        if version != str(SCHEMA_VERSION):
            raise SandboxDataError(
                f"{self.path} is not a sandbox database of schema version {SCHEMA_VERSION}"
                f" (found {version!r}); use another --db file"
            )

    def close(self) -> None:
        """Close the connection (the data of ``:memory:`` is gone afterwards)."""
        self.conn.close()

    # ------------------------------------------------------------------ transactions
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE .. COMMIT (ROLLBACK on error); nested uses join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield self.conn
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self.conn
        except BaseException:
            self._depth = 0
            self.conn.execute("ROLLBACK")
            raise
        self._depth = 0
        self.conn.execute("COMMIT")

    # ------------------------------------------------------------------ reads
    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """All rows of a query as dicts."""
        cursor = self.conn.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]

    def row(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of a query as a dict, or None."""
        cursor = self.conn.execute(sql, params)
        values = cursor.fetchone()
        if values is None:
            return None
        return dict(zip([column[0] for column in cursor.description], values, strict=True))

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row, or None."""
        found = self.conn.execute(sql, params).fetchone()
        return None if found is None else found[0]

    def get(self, table: str, record_id: int) -> Row | None:
        """A record by id."""
        return self.row(f"SELECT * FROM {table} WHERE id = ?", (record_id,))

    def get_many(self, table: str, ids: Iterable[int], columns: str = "*") -> dict[int, Row]:
        """Records by id (missing ids are left out)."""
        wanted = sorted({int(i) for i in ids if i is not None})
        found: dict[int, Row] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for record in self.rows(f"SELECT {columns} FROM {table} WHERE id IN ({marks})", chunk):
                found[record["id"]] = record
        return found

    def deal_people(self, by: str, ids: Iterable[int]) -> dict[int, list[int]]:
        """The links between deals and people, from one side: ``by="deal_id"`` gives each
        deal's person ids, ``by="person_id"`` each person's deal ids (in id order)."""
        other = {"deal_id": "person_id", "person_id": "deal_id"}[by]
        wanted = sorted({int(i) for i in ids})
        linked: dict[int, list[int]] = {i: [] for i in wanted}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for key, value in self.conn.execute(
                f"SELECT {by}, {other} FROM deal_people WHERE {by} IN"
                f" ({','.join('?' * len(chunk))}) ORDER BY {by}, {other}",
                chunk,
            ):
                linked[key].append(value)
        return linked

    # ------------------------------------------------------------------ writes
    def insert(self, table: str, values: Row) -> int:
        """Insert a row; returns its id."""
        names = list(values)
        marks = ",".join("?" * len(names))
        cursor = self.conn.execute(
            f"INSERT INTO {table} ({','.join(names)}) VALUES ({marks})",
            [values[name] for name in names],
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def update(self, table: str, record_id: int, values: Row) -> None:
        """Set columns of one row."""
        if not values:
            return
        assignments = ",".join(f"{name} = ?" for name in values)
        self.conn.execute(
            f"UPDATE {table} SET {assignments} WHERE id = ?", [*values.values(), record_id]
        )

    def delete(self, table: str, record_id: int, entity: str | None, at: int) -> None:
        """Delete a row and, for a synced entity, leave a tombstone."""
        self.conn.execute(f"DELETE FROM {table} WHERE id = ?", (record_id,))
        if entity is not None:
            self.conn.execute(
                "INSERT OR REPLACE INTO tombstones (entity, id, deleted_at) VALUES (?, ?, ?)",
                (entity, record_id, at),
            )

    # ------------------------------------------------------------------ meta
    def meta(self, key: str) -> str | None:
        """A meta value (seed, scale, secrets, account settings)."""
        value = self.scalar("SELECT value FROM meta WHERE key = ?", (key,))
        return None if value is None else str(value)

    def set_meta(self, key: str, value: str) -> None:
        """Store a meta value."""
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def meta_json(self, key: str) -> Any:
        """A meta value stored as JSON (None if absent)."""
        value = self.meta(key)
        return None if value is None else json.loads(value)
