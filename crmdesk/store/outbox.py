"""The outbox, as the sync engine sees it.

Contract for the engine (every method runs inside ``Store.write`` unless noted as a read):

1. ``ready(limit)`` (read) gives the entries that may be sent now, oldest first: the head
   of each record's queue (per-record FIFO), state pending, past its ``next_attempt_at``,
   and not waiting for a parent that is still only local. A blocked record never holds
   back another record.
2. ``mark_sending(op_id)`` before the request; it returns the entry as it is now - send
   exactly that (the user may have folded more edits into it until this moment).
3. Then exactly one of: ``confirm(op_id, reply)`` (the server accepted; creates re-map the
   local id everywhere), ``fail(op_id, error)`` (transient: retry later with backoff),
   ``park(op_id, state, error, field_errors)`` (422/403 -> needs attention, 404 -> deleted
   on server), ``record_conflict`` in ``conflicts``, or ``requeue(op_id)`` (not sent after
   all / an in-doubt request that did not land).
4. At start-up, ``in_doubt()`` (read) lists entries left ``sending`` by a crash: their
   outcome is unknown. Updates and deletes may simply be re-sent; a create must first be
   looked up with its ledger fingerprint (``ledger.for_op``) and then confirmed or
   requeued, never blindly re-sent.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from crmdesk.domain.changes import ChangeCause, ChangeSet
from crmdesk.domain.entities import Entity
from crmdesk.domain.errors import FieldError
from crmdesk.domain.fields import JSON
from crmdesk.domain.outbox import OpKind, OpState, OutboxCounts, OutboxEntry
from crmdesk.store.columns import REFERENCES
from crmdesk.store.errors import StoreError, UnknownOperationError

if TYPE_CHECKING:
    from crmdesk.store.session import Session

_COLUMNS = (
    "seq, op_id, entity, record_id, kind, patch, base, base_updated_at, state, attempts, "
    "next_attempt_at, last_error, created_at, parent_id, field_errors, deps, snapshot, sent_at"
)
#: Fields that may hold a local id (of any entity: local ids are unique across them).
REF_FIELDS = frozenset(r.field for r in REFERENCES) | {"association_id"}

BACKOFF_BASE_S = 2.0
BACKOFF_CAP_S = 300.0


def backoff_delay(attempts: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after the ``attempts``-th failure: capped exponential, full jitter."""
    ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(0, attempts - 1))
    return (rng or random).uniform(ceiling / 2, ceiling)


def _dt(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def local_refs(value: Any) -> set[int]:
    """Negative (local) ids inside a reference field value."""
    if isinstance(value, bool):
        return set()
    if isinstance(value, int):
        return {value} if value < 0 else set()
    if isinstance(value, list):
        return {v for v in value if isinstance(v, int) and not isinstance(v, bool) and v < 0}
    return set()


def dependencies(
    kind: OpKind, record_id: int, patch: Mapping[str, JSON], parent_id: int | None
) -> list[int]:
    """Local ids an entry waits for: parents referenced by the patch, its parent record,
    and its own record when it is not the create itself."""
    deps: set[int] = set()
    for name, value in patch.items():
        if name in REF_FIELDS:
            deps |= local_refs(value)
    if parent_id is not None and parent_id < 0:
        deps.add(parent_id)
    if record_id < 0 and kind is not OpKind.CREATE:
        deps.add(record_id)
    deps.discard(record_id) if kind is OpKind.CREATE else None
    return sorted(deps)


def replace_ref(value: Any, old: int, new: int) -> Any:
    """``value`` (an id or a list of ids) with ``old`` replaced by ``new``."""
    if isinstance(value, list):
        return [new if v == old else v for v in value]
    return new if value == old and not isinstance(value, bool) else value


class Outbox:
    """Queued local changes: reading them, and the sync engine's transitions."""

    def __init__(self, session: Session) -> None:
        self._s = session
        self._conn: sqlite3.Connection = session.conn

    # -------------------------------------------------------------- reads

    def _entry(self, row: Sequence[Any]) -> OutboxEntry:
        errors = tuple(FieldError(f, m) for f, m in json.loads(row[14] or "[]"))
        return OutboxEntry(
            seq=row[0],
            op_id=row[1],
            entity=Entity(row[2]),
            record_id=row[3],
            kind=OpKind(row[4]),
            patch=json.loads(row[5]),
            base=json.loads(row[6]),
            base_updated_at=row[7],
            state=OpState(row[8]),
            attempts=row[9],
            next_attempt_at=_dt(row[10]),
            last_error=row[11],
            created_at=_dt(row[12]),
            parent_id=row[13],
            field_errors=errors,
        )

    def get(self, op_id: str) -> OutboxEntry:
        """The entry ``op_id``; UnknownOperationError if it is gone (confirmed/discarded)."""
        row = self.row(op_id)
        return self._entry(row)

    def row(self, op_id: str) -> tuple[Any, ...]:
        """The raw row of ``op_id`` (store internals)."""
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM outbox WHERE op_id = ?", (op_id,)
        ).fetchone()
        if row is None:
            raise UnknownOperationError(f"There is no queued change {op_id}.")
        return tuple(row)

    def find(self, op_id: str) -> OutboxEntry | None:
        """The entry ``op_id`` or None."""
        try:
            return self.get(op_id)
        except UnknownOperationError:
            return None

    def entries(
        self,
        *,
        entity: Entity | None = None,
        record_id: int | None = None,
        states: Iterable[OpState] | None = None,
    ) -> list[OutboxEntry]:
        """Entries in queue order, optionally of one entity / record / set of states."""
        sql = f"SELECT {_COLUMNS} FROM outbox WHERE 1"
        args: list[Any] = []
        if entity is not None:
            sql += " AND entity = ?"
            args.append(entity.value)
        if record_id is not None:
            sql += " AND record_id = ?"
            args.append(record_id)
        if states is not None:
            wanted = [s.value for s in states]
            sql += f" AND state IN ({','.join('?' * len(wanted))})"
            args += wanted
        return [self._entry(r) for r in self._conn.execute(sql + " ORDER BY seq", args)]

    def ready(self, limit: int = 50, now: float | None = None) -> list[OutboxEntry]:
        """Entries that may be sent now, oldest first (see the module docstring)."""
        moment = self._s.now() if now is None else now
        sql = f"""
            SELECT {_COLUMNS} FROM outbox AS o
            WHERE o.seq = (SELECT min(i.seq) FROM outbox AS i
                           WHERE i.entity = o.entity AND i.record_id = o.record_id)
              AND o.state = 'pending' AND o.deps IS NULL
              AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?)
            ORDER BY o.seq LIMIT ?"""
        return [self._entry(r) for r in self._conn.execute(sql, (moment, limit))]

    def next_attempt_at(self) -> datetime | None:
        """When the earliest backed-off entry becomes due (for the engine's timer)."""
        row = self._conn.execute(
            "SELECT min(next_attempt_at) FROM outbox WHERE state = 'pending' AND deps IS NULL"
        ).fetchone()
        return _dt(row[0])

    def in_doubt(self) -> list[OutboxEntry]:
        """Entries found ``sending``: a request went out and its outcome is unknown."""
        return self.entries(states=[OpState.SENDING])

    def counts(self) -> OutboxCounts:
        """Queued changes per state, plus open conflicts."""
        by_state = dict(
            self._conn.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall()
        )
        waiting = self._conn.execute(
            "SELECT count(*) FROM outbox WHERE deps IS NOT NULL AND state = 'pending'"
        ).fetchone()[0]
        conflicts = self._conn.execute(
            "SELECT count(*) FROM conflicts WHERE state = 'open'"
        ).fetchone()[0]
        return OutboxCounts(
            pending=by_state.get(OpState.PENDING.value, 0),
            sending=by_state.get(OpState.SENDING.value, 0),
            needs_attention=by_state.get(OpState.NEEDS_ATTENTION.value, 0),
            deleted_on_server=by_state.get(OpState.DELETED_ON_SERVER.value, 0),
            waiting_for_parent=waiting,
            open_conflicts=conflicts,
        )

    # -------------------------------------------------------------- low-level writes

    def append(
        self,
        entity: Entity,
        record_id: int,
        kind: OpKind,
        patch: Mapping[str, JSON],
        base: Mapping[str, JSON],
        base_updated_at: str | None,
        *,
        parent_id: int | None = None,
        state: OpState = OpState.PENDING,
        snapshot: Mapping[str, Any] | None = None,
    ) -> str:
        """Add an entry at the end of the queue; returns its op_id (a UUID)."""
        import uuid

        op_id = str(uuid.uuid4())
        deps = dependencies(kind, record_id, patch, parent_id)
        self._conn.execute(
            "INSERT INTO outbox (op_id, entity, record_id, kind, patch, base, base_updated_at, "
            "state, created_at, parent_id, deps, snapshot) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                op_id,
                entity.value,
                record_id,
                kind.value,
                json.dumps(dict(patch)),
                json.dumps(dict(base)),
                base_updated_at,
                state.value,
                self._s.now(),
                parent_id,
                json.dumps(deps) if deps else None,
                None if snapshot is None else json.dumps(snapshot),
            ),
        )
        return op_id

    def rewrite(
        self, op_id: str, patch: Mapping[str, JSON], base: Mapping[str, JSON], **columns: Any
    ) -> None:
        """Replace an entry's patch and base (dependencies follow), plus other columns."""
        row = self.row(op_id)
        kind = OpKind(row[4])
        deps = dependencies(kind, row[3], patch, row[13])
        sets = ["patch = ?", "base = ?", "deps = ?"]
        args: list[Any] = [
            json.dumps(dict(patch)),
            json.dumps(dict(base)),
            json.dumps(deps) if deps else None,
        ]
        for name, value in columns.items():
            sets.append(f"{name} = ?")
            args.append(value)
        self._conn.execute(f"UPDATE outbox SET {', '.join(sets)} WHERE op_id = ?", (*args, op_id))

    def remove(self, op_id: str) -> None:
        """Delete an entry row (store internals; use confirm or discard)."""
        self._conn.execute("DELETE FROM outbox WHERE op_id = ?", (op_id,))

    # -------------------------------------------------------------- engine transitions

    def mark_sending(self, op_id: str) -> OutboxEntry:
        """Mark ``op_id`` in flight and return it as it is now: send exactly this."""
        entry = self.get(op_id)
        if entry.state is not OpState.PENDING:
            raise StoreError(f"Queued change {op_id} is {entry.state.value}, not pending.")
        now = self._s.now()
        self._conn.execute(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1, sent_at = ? "
            "WHERE op_id = ?",
            (now, op_id),
        )
        if entry.kind is OpKind.CREATE:
            self._s.ledger.sending(entry.record_id, now)
        return self.get(op_id)

    def retry_now(self, op_id: str) -> OutboxEntry:
        """The user's "Retry now": a waiting or failed change becomes due at once, and one
        the server refused (needs attention) is tried again as it is. A change being sent,
        in conflict or deleted on the server cannot be retried (StoreError says why)."""
        entry = self.get(op_id)
        if entry.state is OpState.SENDING:
            raise StoreError("This change is being sent right now.")
        if entry.state is OpState.CONFLICT:
            raise StoreError("This change is in conflict with the server: resolve it first.")
        if entry.state is OpState.DELETED_ON_SERVER:
            raise StoreError(
                "The record was deleted on the server: recreate it or discard the change."
            )
        self._conn.execute(
            "UPDATE outbox SET state = 'pending', next_attempt_at = NULL, field_errors = NULL "
            "WHERE op_id = ?",
            (op_id,),
        )
        self._s.records.refresh(entry.entity, entry.record_id)
        return self.get(op_id)

    def requeue(self, op_id: str) -> None:
        """Back to pending without a failure (it was not sent, or did not land)."""
        self._conn.execute(
            "UPDATE outbox SET state = 'pending', next_attempt_at = NULL WHERE op_id = ? "
            "AND state IN ('sending', 'pending')",
            (op_id,),
        )

    def fail(self, op_id: str, error: str, retry_after: float | None = None) -> OutboxEntry:
        """A transient failure: pending again, due after ``retry_after`` seconds (or the
        backoff for its attempt count); the error text is kept for the UI."""
        entry = self.get(op_id)
        delay = backoff_delay(max(1, entry.attempts)) if retry_after is None else retry_after
        self._conn.execute(
            "UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = ? "
            "WHERE op_id = ?",
            (self._s.now() + max(0.0, delay), error, op_id),
        )
        return self.get(op_id)

    def park(
        self,
        op_id: str,
        state: OpState,
        error: str,
        field_errors: Sequence[FieldError] = (),
    ) -> OutboxEntry:
        """Stop sending ``op_id`` until the user acts: needs attention (with the server's
        field errors) or deleted on server (the record is marked so too)."""
        if state not in (OpState.NEEDS_ATTENTION, OpState.DELETED_ON_SERVER):
            raise ValueError(f"cannot park in state {state}")
        entry = self.get(op_id)
        self._conn.execute(
            "UPDATE outbox SET state = ?, last_error = ?, field_errors = ? WHERE op_id = ?",
            (
                state.value,
                error,
                json.dumps([[e.field, e.message] for e in field_errors]),
                op_id,
            ),
        )
        if state is OpState.DELETED_ON_SERVER and entry.kind is OpKind.UPDATE:
            table = self._s.records
            self._conn.execute(
                f"UPDATE {_table(entry.entity)} SET gone = 1 WHERE id = ?", (entry.record_id,)
            )
            table.refresh(entry.entity, entry.record_id)
        else:
            self._s.records.refresh(entry.entity, entry.record_id)
        return self.get(op_id)

    def confirm(self, op_id: str, reply: Mapping[str, Any] | None) -> ChangeSet:
        """The server accepted ``op_id``: store its reply as the record's server JSON and
        drop the entry, in one transaction. A create's local id is re-mapped to the
        server id everywhere (row, later entries, children's references, search index)."""
        row = self.row(op_id)
        entry = self._entry(row)
        entity, rid = entry.entity, entry.record_id
        records = self._s.records
        if entry.kind is OpKind.DELETE:
            self.remove(op_id)
            records.delete_row(entity, rid)
            return ChangeSet.of(entity, [rid], ChangeCause.PUSH)
        if entry.kind is OpKind.CREATE:
            if reply is None or not isinstance(reply.get("id"), int):
                raise StoreError("A confirmed create needs the server's record with its id.")
            server_id = int(reply["id"])
            self.remove(op_id)
            self.remap(entity, rid, server_id)
            self._rebase_later(entity, server_id, entry.seq, None, reply.get("updated_at"))
            records.set_server(entity, server_id, reply)
            self._s.ledger.created(rid, server_id, self._s.now())
            ids = {entity: frozenset({server_id})}
            return ChangeSet(
                MappingProxyType(ids), ChangeCause.PUSH, remapped=MappingProxyType({rid: server_id})
            )
        current = records.get(entity, rid)
        server = dict(current.server or {}) if current is not None else {}
        if reply is not None:
            # Update replies lack some keys lists carry (activity analytics): keep those.
            server.update(reply)
        self.remove(op_id)
        self._rebase_later(entity, rid, entry.seq, entry.base_updated_at, server.get("updated_at"))
        if current is not None:
            records.set_server(entity, rid, server)
        elif reply is not None:
            self._s.edits.keep_server_copy(entity, rid, reply, merge=True)
        return ChangeSet.of(entity, [rid], ChangeCause.PUSH)

    def _rebase_later(self, entity: Entity, rid: int, seq: int, old: str | None, new: Any) -> None:
        """Later entries edited on the version we just changed now stand on our result."""
        if not isinstance(new, str):
            return
        self._conn.execute(
            "UPDATE outbox SET base_updated_at = ? WHERE entity = ? AND record_id = ? "
            "AND seq > ? AND base_updated_at IS ?",
            (new, entity.value, rid, seq, old),
        )

    def remap(self, entity: Entity, old: int, new: int) -> None:
        """Replace local id ``old`` of ``entity`` by server id ``new`` everywhere."""
        self._s.records.change_id(entity, old, new)
        self._conn.execute(
            "UPDATE outbox SET record_id = ? WHERE entity = ? AND record_id = ?",
            (new, entity.value, old),
        )
        self._conn.execute("UPDATE outbox SET parent_id = ? WHERE parent_id = ?", (new, old))
        for table in ("conflicts", "history"):
            self._conn.execute(
                f"UPDATE {table} SET record_id = ? WHERE entity = ? AND record_id = ?",
                (new, entity.value, old),
            )
        touched: set[tuple[Entity, int]] = set()
        waiting = self._conn.execute(
            "SELECT op_id, entity, record_id, patch, base FROM outbox WHERE deps IS NOT NULL"
        ).fetchall()
        for op_id, child, child_id, patch_text, base_text in waiting:
            patch = {
                k: replace_ref(v, old, new) if k in REF_FIELDS else v
                for k, v in json.loads(patch_text).items()
            }
            base = {
                k: replace_ref(v, old, new) if k in REF_FIELDS else v
                for k, v in json.loads(base_text).items()
            }
            self.rewrite(op_id, patch, base)
            touched.add((Entity(child), child_id))
        touched.add((entity, new))
        for child, child_id in touched:
            self._s.records.refresh(child, child_id)


def _table(entity: Entity) -> str:
    from crmdesk.store.columns import TABLES

    return TABLES[entity].table
