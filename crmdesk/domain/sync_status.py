"""What the sync engine tells the UI about itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Connection(StrEnum):
    """Where the engine stands with the server."""

    IDLE = "idle"  # online, nothing running
    SYNCING = "syncing"
    OFFLINE = "offline"  # the server cannot be reached; edits keep queuing
    PAUSED = "paused"  # the key was refused (401): the queue waits for a new key


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """A snapshot of the engine's state; ``progress`` is 0..1 or None when unknown."""

    connection: Connection = Connection.IDLE
    phase: str = ""
    progress: float | None = None
    pending: int = 0
    needs_attention: int = 0
    conflicts: int = 0
    last_sync: datetime | None = None
    last_error: str | None = None


class RecordSync(StrEnum):
    """Where one record stands with the server; the tables show it per row."""

    SYNCED = "synced"
    PENDING = "pending"  # local changes are queued
    NOT_CREATED = "not_created"  # created here; the server does not have it yet
    CONFLICT = "conflict"  # a field changed here and on the server: choose one
    NEEDS_ATTENTION = "needs_attention"  # the server refused a change (see its errors)
    DELETED_ON_SERVER = "deleted_on_server"  # gone on the server; local changes are kept
