"""Opening the database file: pragmas, capability checks, integrity check."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from crmdesk.store.errors import (
    StoreCorruptError,
    StoreError,
    StoreUnavailableError,
    translate,
)

BUSY_TIMEOUT_MS = 5000
SCHEMA_RETRIES = 8  # waits 1, 2, 4 ... 64 ms: at most ~0.13 s in all


class ReaderConnection(sqlite3.Connection):
    """A read connection that survives the writer changing the schema under it.

    While the writer rebuilds indexes or recreates triggers (the end of a bulk load, a
    migration), preparing a query on a full-text table in another connection can fail with
    "vtable constructor failed": FTS5 reads its config while the schema cookie moves, and
    the SQLITE_SCHEMA retry SQLite does for ordinary statements does not cover it. The
    statement is sound; preparing it again once the writer's transaction has committed
    succeeds.
    """

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        for attempt in range(SCHEMA_RETRIES):
            try:
                return super().execute(sql, parameters)
            except sqlite3.OperationalError as error:
                if attempt + 1 == SCHEMA_RETRIES or not _schema_race(error):
                    raise
                time.sleep(0.001 * 2**attempt)  # let the writer's schema change commit
        raise AssertionError("unreachable")


def _schema_race(error: sqlite3.OperationalError) -> bool:
    text = str(error)
    return text.startswith("vtable constructor failed") or "schema has changed" in text


MIN_SQLITE = (3, 35, 0)  # row values, UPSERT ... DO UPDATE WHERE, RETURNING


def check_sqlite() -> None:
    """StoreUnavailableError unless this Python's SQLite is recent enough and has FTS5."""
    if sqlite3.sqlite_version_info < MIN_SQLITE:
        raise StoreUnavailableError(
            f"crmdesk needs SQLite {'.'.join(map(str, MIN_SQLITE))} or newer; this Python has "
            f"{sqlite3.sqlite_version}."
        )
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(x)")
    except sqlite3.OperationalError:
        raise StoreUnavailableError(
            "This Python's SQLite was built without full-text search (FTS5), which crmdesk "
            "needs for search. Use a Python whose sqlite3 module has FTS5."
        ) from None
    finally:
        probe.close()


def connect(path: Path, *, writer: bool, synchronous: str = "FULL") -> sqlite3.Connection:
    """A connection to ``path`` in autocommit mode with the store's pragmas.

    The writer creates the file and sets WAL mode; readers are ``query_only``. Errors are
    raised as typed StoreErrors.
    """
    name = str(path)
    try:
        if writer:
            conn = sqlite3.connect(name, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        else:
            uri = f"file:{path.as_posix()}?mode=rw"
            conn = sqlite3.connect(
                uri,
                uri=True,
                isolation_level=None,
                timeout=BUSY_TIMEOUT_MS / 1000,
                factory=ReaderConnection,
            )
    except sqlite3.Error as error:
        raise translate(error, name) from error
    try:
        _configure(conn, name, writer=writer, synchronous=synchronous)
    except BaseException:
        conn.close()  # a file that is not a database fails here: do not leak its handle
        raise
    return conn


def _configure(conn: sqlite3.Connection, name: str, *, writer: bool, synchronous: str) -> None:
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if writer:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"The local database {name} cannot use WAL mode ({mode}).")
            conn.execute(f"PRAGMA synchronous = {synchronous}")
            conn.execute("PRAGMA cache_size = -65536")  # 64 MB: bulk upserts touch many pages
        else:
            conn.execute("PRAGMA query_only = 1")
            conn.execute("PRAGMA cache_size = -16384")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA foreign_keys = OFF")
    except sqlite3.Error as error:
        raise translate(error, name) from error


def quick_check(conn: sqlite3.Connection, path: Path) -> None:
    """StoreCorruptError if SQLite's quick_check finds damage."""
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as error:
        raise translate(error, str(path)) from error
    problems = [str(row[0]) for row in rows if row[0] != "ok"]
    if problems:
        raise StoreCorruptError(
            f"The local database {path} is damaged ({problems[0]}). Move it aside and sync "
            "again to rebuild it; changes that were not yet sent are in that file."
        )
