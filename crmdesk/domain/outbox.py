"""Queued local changes (the outbox), their counts, and conflicts with the values that lost
- as the store records them and the UI shows them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from crmdesk.domain.entities import Entity
from crmdesk.domain.errors import FieldError
from crmdesk.domain.fields import JSON


class OpKind(StrEnum):
    """What a queued change does."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class OpState(StrEnum):
    """Where a queued change stands. Only a server confirmation removes it from the queue."""

    PENDING = "pending"  # waiting for its turn (or for next_attempt_at after a failure)
    SENDING = "sending"  # a request is in flight; found at start-up it means "outcome unknown"
    NEEDS_ATTENTION = "needs_attention"  # the server refused it (422, 403): edit or discard
    CONFLICT = "conflict"  # the same field changed on the server too: choose mine or theirs
    DELETED_ON_SERVER = "deleted_on_server"  # recreate the record, or discard the change

    @property
    def blocked(self) -> bool:
        """True if the change waits for the user, not for the network."""
        return self in (OpState.NEEDS_ATTENTION, OpState.CONFLICT, OpState.DELETED_ON_SERVER)


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One user intent, in queue order (``seq``); ``op_id`` is a stable UUID."""

    seq: int
    op_id: str
    entity: Entity
    record_id: int
    kind: OpKind
    patch: Mapping[str, JSON] = field(default_factory=dict)
    base: Mapping[str, JSON] = field(default_factory=dict)
    base_updated_at: str | None = None
    state: OpState = OpState.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    created_at: datetime | None = None
    parent_id: int | None = None  # e.g. the deal a comment/note hangs off (may be local)
    field_errors: tuple[FieldError, ...] = ()  # why the server refused it (needs attention)


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    """How many queued changes are in each state (for the status bar)."""

    pending: int = 0
    sending: int = 0
    needs_attention: int = 0
    deleted_on_server: int = 0
    waiting_for_parent: int = 0
    open_conflicts: int = 0

    @property
    def total(self) -> int:
        """Every queued change."""
        return self.pending + self.sending + self.needs_attention + self.deleted_on_server


class Resolution(StrEnum):
    """How the user resolves a conflict."""

    MINE = "mine"
    THEIRS = "theirs"


@dataclass(frozen=True, slots=True)
class Conflict:
    """One field in conflict."""

    id: int
    entity: Entity
    record_id: int
    field: str
    base: JSON
    mine: JSON
    theirs: JSON
    changed_by: str | None
    changed_at: str | None
    open: bool
    resolution: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class HistoryItem:
    """A value that lost (to a conflict resolution or a discard), kept to be restored."""

    id: int
    entity: Entity
    record_id: int
    field: str
    value: JSON
    reason: str
    detail: str | None
    created_at: datetime
    restored_at: datetime | None
