"""The create ledger: every record created here, from local id to server id.

Its fingerprint answers "did my lost create land?": when a create's reply was lost, the
engine searches the server for a record matching these fields (created after
``first_sent_at``) before it sends the create again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from crmdesk.domain.entities import Entity
from crmdesk.domain.fields import JSON

if TYPE_CHECKING:
    from crmdesk.store.session import Session

#: The fields that identify a new record of each entity well enough to find it again.
FINGERPRINT_FIELDS: dict[Entity, tuple[str, ...]] = {
    Entity.DEAL: ("name", "user_id", "company_id", "value", "deal_stage_id"),
    Entity.PERSON: ("first_name", "last_name", "email", "company_id", "user_id"),
    Entity.COMPANY: ("name", "email", "owner_id"),
    Entity.NOTE: ("content", "deal_id", "person_id", "company_id", "note_category_id"),
    Entity.COMMENT: ("comment",),
    Entity.CALENDAR_ENTRY: ("type", "name", "start_time", "due_date", "association_id"),
    Entity.DOCUMENT: ("title", "url", "deal_id", "person_id", "company_id"),
    Entity.USER: ("email",),
}


class CreateState(StrEnum):
    """Where a create stands."""

    QUEUED = "queued"
    SENDING = "sending"  # sent at least once; if the outcome was lost, check before resending
    CREATED = "created"
    DISCARDED = "discarded"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One record created here."""

    local_id: int
    entity: Entity
    op_id: str
    state: CreateState
    fingerprint: Mapping[str, JSON]
    server_id: int | None
    created_at: datetime
    first_sent_at: datetime | None


def fingerprint(
    entity: Entity, values: Mapping[str, JSON], parent_id: int | None
) -> dict[str, Any]:
    """The identifying part of a create's values (plus the parent, e.g. a comment's note)."""
    found = {k: values[k] for k in FINGERPRINT_FIELDS.get(entity, ()) if values.get(k) is not None}
    if parent_id is not None:
        found["parent_id"] = parent_id
    return found


def _dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


class Ledger:
    """Reads and writes the create ledger."""

    def __init__(self, session: Session) -> None:
        self._s = session
        self._conn: sqlite3.Connection = session.conn

    def add(self, local_id: int, entity: Entity, op_id: str, print_: Mapping[str, Any]) -> None:
        """Record a new local create."""
        self._conn.execute(
            "INSERT INTO ledger (local_id, entity, op_id, state, fingerprint, created_at) "
            "VALUES (?, ?, ?, 'queued', ?, ?)",
            (local_id, entity.value, op_id, json.dumps(dict(print_)), self._s.now()),
        )

    def sending(self, local_id: int, now: float) -> None:
        """The create went out (again); the first time is kept for fingerprint searches."""
        self._conn.execute(
            "UPDATE ledger SET state = 'sending', first_sent_at = coalesce(first_sent_at, ?) "
            "WHERE local_id = ?",
            (now, local_id),
        )

    def created(self, local_id: int, server_id: int, now: float) -> None:
        """The server confirmed the create as ``server_id``."""
        self._conn.execute(
            "UPDATE ledger SET state = 'created', server_id = ?, confirmed_at = ? "
            "WHERE local_id = ?",
            (server_id, now, local_id),
        )

    def set_state(self, local_id: int, state: CreateState) -> None:
        """Change the state (discard and undo)."""
        self._conn.execute(
            "UPDATE ledger SET state = ? WHERE local_id = ?", (state.value, local_id)
        )

    def _entry(self, row: tuple[Any, ...]) -> LedgerEntry:
        return LedgerEntry(
            local_id=row[0],
            entity=Entity(row[1]),
            op_id=row[2],
            state=CreateState(row[3]),
            fingerprint=json.loads(row[4]),
            server_id=row[5],
            created_at=_dt(row[6]) or datetime.now(UTC),
            first_sent_at=_dt(row[7]),
        )

    _SELECT = (
        "SELECT local_id, entity, op_id, state, fingerprint, server_id, created_at, "
        "first_sent_at FROM ledger"
    )

    def get(self, local_id: int) -> LedgerEntry | None:
        """The ledger entry of a local id."""
        row = self._conn.execute(f"{self._SELECT} WHERE local_id = ?", (local_id,)).fetchone()
        return None if row is None else self._entry(tuple(row))

    def for_op(self, op_id: str) -> LedgerEntry | None:
        """The ledger entry of a create's op_id."""
        row = self._conn.execute(f"{self._SELECT} WHERE op_id = ?", (op_id,)).fetchone()
        return None if row is None else self._entry(tuple(row))

    def server_id(self, local_id: int) -> int | None:
        """The server id a local id became, if confirmed."""
        entry = self.get(local_id)
        return None if entry is None else entry.server_id

    def current_id(self, rid: int) -> int:
        """``rid``, or the server id it became when it is a local id whose create the
        server confirmed."""
        if rid >= 0:
            return rid
        server = self.server_id(rid)
        return rid if server is None else server

    def entries(self, state: CreateState | None = None) -> list[LedgerEntry]:
        """All entries (or those in ``state``), oldest first."""
        if state is None:
            rows = self._conn.execute(f"{self._SELECT} ORDER BY local_id DESC")
        else:
            rows = self._conn.execute(
                f"{self._SELECT} WHERE state = ? ORDER BY local_id DESC", (state.value,)
            )
        return [self._entry(tuple(r)) for r in rows]
