"""Errors of the local store, each with a message fit to show to a person."""

from __future__ import annotations

import sqlite3

from crmdesk.domain.errors import CrmError


class StoreError(CrmError):
    """Base of every store error."""


class StoreFullError(StoreError):
    """The disk is full: the change was not saved (nothing partial was kept)."""


class StoreReadOnlyError(StoreError):
    """The database file or its folder cannot be written."""


class StoreLockedError(StoreError):
    """Another program holds the database locked for longer than the busy timeout."""


class StoreCorruptError(StoreError):
    """The database file is damaged or is not a crmdesk database."""


class StoreVersionError(StoreError):
    """The database was written by a newer crmdesk than this one."""


class StoreUnavailableError(StoreError):
    """This Python's SQLite lacks something the store needs (FTS5, a recent version)."""


class UnknownRecordError(StoreError, KeyError):
    """A record id the store does not have."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class UnknownOperationError(StoreError, KeyError):
    """An outbox op_id (or undo token, conflict id, history id) the store does not have."""

    def __str__(self) -> str:
        return str(self.args[0])


def translate(error: sqlite3.Error, path: str) -> StoreError:
    """A typed, readable store error for an sqlite3 error raised while using ``path``."""
    code = getattr(error, "sqlite_errorcode", None)
    text = str(error).lower()
    if code == sqlite3.SQLITE_FULL or "database or disk is full" in text:
        return StoreFullError(
            f"The disk holding {path} is full, so the change was not saved. "
            "Free some space and try again; nothing was lost."
        )
    if code == sqlite3.SQLITE_READONLY or "readonly" in text or "read-only" in text:
        return StoreReadOnlyError(
            f"The local database {path} cannot be written (read-only file, folder or disk)."
        )
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in text:
        return StoreLockedError(
            f"The local database {path} is locked by another program (is crmdesk already "
            "running for this account?). Close it and try again."
        )
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB) or "malformed" in text:
        return StoreCorruptError(
            f"The local database {path} is damaged. Move it aside and sync again to rebuild "
            "it; changes that were not yet sent are in that file."
        )
    if code == sqlite3.SQLITE_CANTOPEN or "unable to open" in text:
        return StoreReadOnlyError(f"The local database {path} cannot be opened: {error}")
    return StoreError(f"The local database {path} failed: {error}")
