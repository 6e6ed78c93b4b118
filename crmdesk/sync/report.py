"""What one sync run did, and why it stopped early (if it did)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from crmdesk.domain.entities import Entity
from crmdesk.domain.errors import CrmError


class StopReason(StrEnum):
    """Why a sync run ended before doing everything it set out to do."""

    OFFLINE = "offline"  # the server could not be reached
    PAUSED = "paused"  # the key was refused (401/406), or there is no key
    SERVER = "server"  # the server kept failing (5xx) or answered nonsense
    LOCAL = "local"  # the local database failed (disk full, locked...)
    STOPPED = "stopped"  # the app is closing
    ERROR = "error"  # something unexpected (a bug): logged with its traceback


class SyncStopped(CrmError):
    """A sync run could not go on; ``reason`` says why, ``str()`` says it in plain words."""

    def __init__(self, reason: StopReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(slots=True)
class SyncReport:
    """Counts of one run (``crmdesk sync --json`` prints them)."""

    pulled: dict[str, int] = field(default_factory=dict)  # records stored per collection
    deleted: dict[str, int] = field(default_factory=dict)  # server deletions applied
    pushed: int = 0  # queued changes the server confirmed (or that needed no request)
    adopted: int = 0  # lost-reply creates found on the server instead of sent again
    conflicts: int = 0  # fields that became conflicts in this run
    needs_attention: int = 0  # changes the server refused in this run
    deleted_on_server: int = 0  # changes whose record is gone on the server
    pending: int = 0  # changes still queued when the run ended
    requests: int = 0  # HTTP requests made
    rate_limited: int = 0  # 429 replies seen
    seconds: float = 0.0
    complete: bool = False  # True when the push and the pull both finished
    stopped: StopReason | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)  # things worth telling the user

    def count_pulled(self, entity: Entity, n: int) -> None:
        """Add ``n`` stored records of ``entity``."""
        if n:
            self.pulled[entity.collection] = self.pulled.get(entity.collection, 0) + n

    def count_deleted(self, entity: Entity, n: int) -> None:
        """Add ``n`` applied server deletions of ``entity``."""
        if n:
            self.deleted[entity.collection] = self.deleted.get(entity.collection, 0) + n

    def as_json(self) -> dict[str, Any]:
        """The report as plain JSON values."""
        return {
            "pulled": dict(self.pulled),
            "deleted": dict(self.deleted),
            "pushed": self.pushed,
            "adopted": self.adopted,
            "conflicts": self.conflicts,
            "needs_attention": self.needs_attention,
            "deleted_on_server": self.deleted_on_server,
            "pending": self.pending,
            "requests": self.requests,
            "rate_limited": self.rate_limited,
            "seconds": round(self.seconds, 3),
            "complete": self.complete,
            "stopped": None if self.stopped is None else self.stopped.value,
            "error": self.error,
            "notes": list(self.notes),
        }
