"""What the Pending Changes panel shows of one queued change (plain values, no store):
the UI imports these; ``queue_view`` builds them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from crmdesk.domain.entities import Entity
from crmdesk.domain.outbox import OpKind


class QueueState(StrEnum):
    """Where a queued change stands, in the words the panel uses."""

    WAITING = "waiting"
    SENDING = "sending"
    FAILED = "failed"  # a transient failure; retried later (or now, on request)
    NEEDS_ATTENTION = "needs_attention"  # refused by the server: edit, retry or discard
    CONFLICT = "conflict"  # changed here and on the server: choose
    DELETED_ON_SERVER = "deleted_on_server"  # recreate or discard
    WAITING_FOR_PARENT = "waiting_for_parent"  # a new record it refers to goes first


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of a queued change, as display text."""

    name: str
    label: str
    old: str | None  # None: the record is new, there was no value before
    new: str

    @property
    def text(self) -> str:
        """ "Value: $100.00 → $999.00" ("(empty)" for an empty side); "Value: $5.00" for a
        new record."""
        if self.old is None:
            return f"{self.label}: {self.new or '(empty)'}"
        return f"{self.label}: {self.old or '(empty)'} → {self.new or '(empty)'}"


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One queued change (or one record's open conflicts) as the panel lists it."""

    op_id: str  # "" for a conflict row (it is resolved, not discarded)
    entity: Entity
    record_id: int
    title: str
    kind: OpKind | None  # None: a conflict row
    state: QueueState
    state_text: str
    changes: tuple[FieldChange, ...] = ()
    made_at: datetime | None = None
    made_text: str = ""
    detail: str = ""  # the server's field errors, the conflicting values...

    @property
    def kind_text(self) -> str:
        """ "New", "Change", "Delete" or "Conflict"."""
        if self.kind is None:
            return "Conflict"
        return {OpKind.CREATE: "New", OpKind.UPDATE: "Change", OpKind.DELETE: "Delete"}[self.kind]

    @property
    def changes_text(self) -> str:
        """Every field change on one line."""
        if self.kind is OpKind.DELETE:
            return "Delete the record"
        return "; ".join(c.text for c in self.changes)

    @property
    def can_retry(self) -> bool:
        """True if "Retry now" applies (a change waiting, failed or refused)."""
        return self.state in (QueueState.WAITING, QueueState.FAILED, QueueState.NEEDS_ATTENTION)

    @property
    def can_discard(self) -> bool:
        """True if the change can be dropped (not while it is being sent)."""
        return bool(self.op_id) and self.state is not QueueState.SENDING

    @property
    def can_resolve(self) -> bool:
        """True for a conflict or a record deleted on the server."""
        return self.state in (QueueState.CONFLICT, QueueState.DELETED_ON_SERVER)

    @property
    def can_open(self) -> bool:
        """True if the record is still in the tables (a queued delete took it out)."""
        return self.kind is not OpKind.DELETE
