"""Schema versions and in-place upgrades (``PRAGMA user_version``).

Each version is a frozen SQL file in ``sql/`` (``v1.sql``, ``v2.sql``, ...). A new database
runs them all; an older one runs the ones it lacks, each in its own transaction, so a crash
mid-upgrade leaves the last complete version. Never edit a released file: add the next one.
"""

from __future__ import annotations

import sqlite3
from importlib import resources

from crmdesk.store.errors import StoreVersionError

LATEST = 4


def _script(version: int) -> str:
    return (resources.files("crmdesk.store") / "sql" / f"v{version}.sql").read_text("utf-8")


def version_of(conn: sqlite3.Connection) -> int:
    """The schema version of an open database (0 for an empty one)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int = LATEST) -> int:
    """Upgrade ``conn``'s database to ``target``; returns the version it started from.

    The connection must be in autocommit mode (``isolation_level=None``).
    """
    start = version_of(conn)
    if start > LATEST:
        raise StoreVersionError(
            f"This database was written by a newer crmdesk (schema {start}, this one knows "
            f"{LATEST}). Update crmdesk to open it."
        )
    for version in range(start + 1, target + 1):
        try:
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{_script(version)}\nPRAGMA user_version = {version};\nCOMMIT;"
            )
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return start
