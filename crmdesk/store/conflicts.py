"""Conflicts (a field changed here and on the server) and the history of lost values.

While a conflict is open the record shows *my* value, marked as a conflict, and nothing is
sent for that field. Taking mine queues an update on top of the server's value; taking
theirs drops mine. Either way the losing value goes to the history, from which it can be
restored later (as a new local edit).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from crmdesk.domain.entities import Entity
from crmdesk.domain.fields import JSON
from crmdesk.domain.merge import FieldConflict
from crmdesk.domain.outbox import Conflict, HistoryItem, OpKind, OpState, Resolution
from crmdesk.store.errors import StoreError, UnknownOperationError

if TYPE_CHECKING:
    from crmdesk.store.session import Session


def _dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


_CONFLICT = (
    "SELECT id, entity, record_id, field, base, mine, theirs, changed_by, changed_at, state, "
    "resolution, created_at FROM conflicts"
)
_HISTORY = (
    "SELECT id, entity, record_id, field, value, reason, detail, created_at, restored_at "
    "FROM history"
)


class Conflicts:
    """Records, lists and resolves conflicts; keeps and restores lost values."""

    def __init__(self, session: Session) -> None:
        self._s = session
        self._conn: sqlite3.Connection = session.conn

    def record(
        self,
        op_id: str,
        theirs: Mapping[str, Any],
        conflicts: Sequence[FieldConflict],
        *,
        changed_by: str | None = None,
        changed_at: str | None = None,
    ) -> list[int]:
        """The engine found ``conflicts`` while sending update ``op_id``.

        Stores ``theirs`` as the server JSON, opens one conflict per field (mine stays
        visible), and takes those fields out of the entry, which now stands on the
        server's version and goes out with its other fields (or disappears if none are
        left). Returns the conflict ids.
        """
        entry = self._s.outbox.get(op_id)
        if entry.kind is not OpKind.UPDATE:
            raise StoreError("Only an update can be in conflict.")
        entity, rid = entry.entity, entry.record_id
        now = self._s.now()
        ids = []
        for conflict in conflicts:
            for old_id, old_mine in self._conn.execute(
                "SELECT id, mine FROM conflicts WHERE entity = ? AND record_id = ? AND field = ? "
                "AND state = 'open'",
                (entity.value, rid, conflict.field),
            ).fetchall():
                self._close(old_id, "superseded")
                self._history(entity, rid, conflict.field, json.loads(old_mine), "superseded", None)
            cur = self._conn.execute(
                "INSERT INTO conflicts (entity, record_id, field, base, mine, theirs, "
                "theirs_updated_at, changed_by, changed_at, op_id, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    entity.value,
                    rid,
                    conflict.field,
                    json.dumps(conflict.base),
                    json.dumps(conflict.mine),
                    json.dumps(conflict.theirs),
                    theirs.get("updated_at"),
                    changed_by,
                    changed_at,
                    op_id,
                    now,
                ),
            )
            ids.append(int(cur.lastrowid or 0))
        lost = {c.field for c in conflicts}
        patch = {k: v for k, v in entry.patch.items() if k not in lost}
        base = {k: v for k, v in entry.base.items() if k not in lost}
        if patch:
            self._s.outbox.rewrite(
                op_id,
                patch,
                base,
                base_updated_at=theirs.get("updated_at"),
                state=OpState.PENDING.value,
                next_attempt_at=None,
            )
        else:
            self._s.outbox.remove(op_id)
        self._s.records.set_server(entity, rid, theirs)
        return ids

    def _close(self, conflict_id: int, resolution: str) -> None:
        self._conn.execute(
            "UPDATE conflicts SET state = 'resolved', resolution = ?, resolved_at = ? WHERE id = ?",
            (resolution, self._s.now(), conflict_id),
        )

    def _history(
        self, entity: Entity, rid: int, name: str, value: JSON, reason: str, detail: str | None
    ) -> None:
        self._conn.execute(
            "INSERT INTO history (entity, record_id, field, value, reason, detail, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (entity.value, rid, name, json.dumps(value), reason, detail, self._s.now()),
        )

    def _conflict(self, row: Sequence[Any]) -> Conflict:
        return Conflict(
            id=row[0],
            entity=Entity(row[1]),
            record_id=row[2],
            field=row[3],
            base=json.loads(row[4]) if row[4] is not None else None,
            mine=json.loads(row[5]) if row[5] is not None else None,
            theirs=json.loads(row[6]) if row[6] is not None else None,
            changed_by=row[7],
            changed_at=row[8],
            open=row[9] == "open",
            resolution=row[10],
            created_at=_dt(row[11]) or datetime.now(UTC),
        )

    def get(self, conflict_id: int) -> Conflict:
        """Conflict ``conflict_id``."""
        row = self._conn.execute(f"{_CONFLICT} WHERE id = ?", (conflict_id,)).fetchone()
        if row is None:
            raise UnknownOperationError(f"There is no conflict {conflict_id}.")
        return self._conflict(row)

    def open_conflicts(
        self, entity: Entity | None = None, record_id: int | None = None
    ) -> list[Conflict]:
        """Open conflicts, oldest first, optionally of one entity or record."""
        sql = f"{_CONFLICT} WHERE state = 'open'"
        args: list[Any] = []
        if entity is not None:
            sql += " AND entity = ?"
            args.append(entity.value)
        if record_id is not None:
            sql += " AND record_id = ?"
            args.append(record_id)
        return [self._conflict(r) for r in self._conn.execute(sql + " ORDER BY id", args)]

    def resolve(self, conflict_id: int, take: Resolution) -> str | None:
        """Resolve a conflict. Mine: an update with my value is queued on top of the
        server's (returns its op_id). Theirs: my value is dropped. The loser is kept in
        the history."""
        conflict = self.get(conflict_id)
        if not conflict.open:
            raise StoreError("This conflict is already resolved.")
        self._close(conflict_id, take.value)
        entity, rid = conflict.entity, conflict.record_id
        if take is Resolution.THEIRS:
            self._history(
                entity,
                rid,
                conflict.field,
                conflict.mine,
                "conflict_mine_lost",
                conflict.changed_by,
            )
            self._s.records.refresh(entity, rid)
            return None
        self._history(
            entity,
            rid,
            conflict.field,
            conflict.theirs,
            "conflict_theirs_lost",
            conflict.changed_by,
        )
        self._s.records.refresh(entity, rid)
        return self._s.edits.update(entity, rid, {conflict.field: conflict.mine})

    def history(
        self, entity: Entity | None = None, record_id: int | None = None
    ) -> list[HistoryItem]:
        """Lost values, newest first."""
        sql = f"{_HISTORY} WHERE 1"
        args: list[Any] = []
        if entity is not None:
            sql += " AND entity = ?"
            args.append(entity.value)
        if record_id is not None:
            sql += " AND record_id = ?"
            args.append(record_id)
        return [
            HistoryItem(
                id=r[0],
                entity=Entity(r[1]),
                record_id=r[2],
                field=r[3],
                value=json.loads(r[4]) if r[4] is not None else None,
                reason=r[5],
                detail=r[6],
                created_at=_dt(r[7]) or datetime.now(UTC),
                restored_at=_dt(r[8]),
            )
            for r in self._conn.execute(sql + " ORDER BY id DESC", args)
        ]

    def restore(self, history_id: int) -> str | None:
        """Bring a lost value back as a new local edit; returns the op_id it went into."""
        row = self._conn.execute(
            "SELECT entity, record_id, field, value FROM history WHERE id = ?", (history_id,)
        ).fetchone()
        if row is None:
            raise UnknownOperationError(f"There is no history item {history_id}.")
        entity = Entity(row[0])
        op_id = self._s.edits.update(entity, row[1], {row[2]: json.loads(row[3])})
        self._conn.execute(
            "UPDATE history SET restored_at = ? WHERE id = ?", (self._s.now(), history_id)
        )
        return op_id
