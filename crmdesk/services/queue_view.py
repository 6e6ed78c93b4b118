"""The queue as people read it: for each queued change, the record, what it changes
(old -> new, formatted the way the detail pane shows values) and where it stands.

    view = QueueView(store)
    for item in view.items(browse.formats()):
        print(item.title, item.kind_text, item.changes_text, item.state_text)

Reads only (one read session, a few small queries): the queue is short.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from crmdesk.domain.entities import Entity
from crmdesk.domain.fields import FieldSet
from crmdesk.domain.outbox import Conflict, OpKind, OpState, OutboxEntry
from crmdesk.services.formatting import DisplayFormats
from crmdesk.services.queue_types import FieldChange, QueueItem, QueueState
from crmdesk.services.record_detail import RecordNames, format_value
from crmdesk.services.undo import title_of
from crmdesk.store import Session, Store


def _in_words(seconds: float) -> str:
    if seconds < 60:
        return "in a few seconds"
    if seconds < 3600:
        return f"in {round(seconds / 60)} min"
    return f"in {seconds / 3600:.1f} h"


class _Builder:
    """Builds the items of one read session (caches names and records)."""

    def __init__(self, session: Session, formats: DisplayFormats, now: datetime) -> None:
        self._s = session
        self._formats = formats
        self._now = now
        self._names = RecordNames(session)
        self._fieldsets: dict[Entity, FieldSet] = {}
        self._records: dict[tuple[Entity, int], Mapping[str, Any]] = {}
        self._extra: dict[str, tuple[str | None, str | None]] = {
            op_id: (deps, snapshot)
            for op_id, deps, snapshot in session.conn.execute(
                "SELECT op_id, deps, snapshot FROM outbox"
            )
        }

    def load(self, wanted: list[tuple[Entity, int]]) -> None:
        """Read the records of ``wanted`` in one query per entity."""
        by_entity: dict[Entity, set[int]] = {}
        for entity, rid in wanted:
            by_entity.setdefault(entity, set()).add(rid)
        for entity, ids in by_entity.items():
            for rid, record in self._s.records.get_many(entity, ids).items():
                self._records[(entity, rid)] = record.data

    def _fields(self, entity: Entity) -> FieldSet:
        found = self._fieldsets.get(entity)
        if found is None:
            found = self._fieldsets[entity] = self._s.fieldset(entity)
        return found

    def _data(self, entity: Entity, rid: int, op_id: str = "") -> Mapping[str, Any]:
        data = self._records.get((entity, rid))
        if data is None:
            record = self._s.records.get(entity, rid)
            data = record.data if record is not None else None
        if data is not None:
            return data
        snapshot = self._extra.get(op_id, (None, None))[1]
        kept = json.loads(snapshot).get("server") if snapshot else None
        return kept if isinstance(kept, Mapping) else {}

    def _text(self, entity: Entity, name: str, value: Any, data: Mapping[str, Any]) -> str:
        spec = self._fields(entity).get(name)
        if spec is None:
            return "" if value is None else str(value)
        currency = data.get("currency")
        code = currency.get("code") if isinstance(currency, Mapping) else None
        return format_value(spec, value, self._formats, self._names, code)

    def _label(self, entity: Entity, name: str) -> str:
        spec = self._fields(entity).get(name)
        return spec.label if spec is not None else name

    def entry(self, entry: OutboxEntry) -> QueueItem:
        entity, rid = entry.entity, entry.record_id
        data = self._data(entity, rid, entry.op_id)
        changes = tuple(
            FieldChange(
                name,
                self._label(entity, name),
                None
                if entry.kind is OpKind.CREATE
                else self._text(entity, name, entry.base.get(name), data),
                self._text(entity, name, value, data),
            )
            for name, value in entry.patch.items()
            if not (entry.kind is OpKind.CREATE and value in (None, "", []))
        )
        state, words = self._state(entry)
        detail = "\n".join(
            f"{self._label(entity, e.field)}: {e.message}" for e in entry.field_errors
        )
        return QueueItem(
            op_id=entry.op_id,
            entity=entity,
            record_id=rid,
            title=title_of(entity, data, rid),
            kind=entry.kind,
            state=state,
            state_text=words,
            changes=changes,
            made_at=entry.created_at,
            made_text=self._when(entry.created_at),
            detail=detail,
        )

    def _when(self, moment: datetime | None) -> str:
        """The time for today, the date otherwise (the panel's column is narrow)."""
        return "" if moment is None else self._formats.moment_short(moment.timestamp())

    def _state(self, entry: OutboxEntry) -> tuple[QueueState, str]:
        if entry.state is OpState.SENDING:
            return QueueState.SENDING, "Sending…"
        if entry.state is OpState.NEEDS_ATTENTION:
            why = entry.last_error or "the server refused it"
            return QueueState.NEEDS_ATTENTION, f"Needs attention: {why}"
        if entry.state is OpState.CONFLICT:
            return QueueState.CONFLICT, "Conflict: changed here and on the server"
        if entry.state is OpState.DELETED_ON_SERVER:
            return QueueState.DELETED_ON_SERVER, "Deleted on the server"
        deps = self._extra.get(entry.op_id, (None, None))[0]
        if deps:
            return QueueState.WAITING_FOR_PARENT, self._parents(json.loads(deps))
        if entry.last_error:
            # when comes first: the server's message can be long and the column is narrow
            when = ""
            if entry.next_attempt_at is not None:
                seconds = (entry.next_attempt_at - self._now).total_seconds()
                when = ", next try now" if seconds <= 0 else f", next try {_in_words(seconds)}"
            return QueueState.FAILED, f"Failed{when}: {entry.last_error}"
        return QueueState.WAITING, "Waiting to be sent"

    def _parents(self, ids: list[int]) -> str:
        names = []
        for rid in ids:
            row = self._s.conn.execute(
                "SELECT entity FROM outbox WHERE record_id = ? AND kind = 'create'", (rid,)
            ).fetchone()
            if row is not None:
                entity = Entity(row[0])
                title = title_of(entity, self._data(entity, rid), rid)
                names.append(f"the new {entity.label.lower()} “{title}”")
        what = " and ".join(names) or "a new record it refers to"
        return f"Waiting for its parent: {what} goes first"

    def conflicts(self, conflicts: list[Conflict]) -> list[QueueItem]:
        by_record: dict[tuple[Entity, int], list[Conflict]] = {}
        for conflict in conflicts:
            by_record.setdefault((conflict.entity, conflict.record_id), []).append(conflict)
        items = []
        for (entity, rid), found in by_record.items():
            data = self._data(entity, rid)
            changes = tuple(
                FieldChange(
                    c.field,
                    self._label(entity, c.field),
                    self._text(entity, c.field, c.theirs, data),
                    self._text(entity, c.field, c.mine, data),
                )
                for c in found
            )
            who = found[0].changed_by
            detail = "\n".join(
                f"{ch.label}: server has {ch.old or '(empty)'}, you have {ch.new or '(empty)'}"
                for ch in changes
            )
            items.append(
                QueueItem(
                    op_id="",
                    entity=entity,
                    record_id=rid,
                    title=title_of(entity, data, rid),
                    kind=None,
                    state=QueueState.CONFLICT,
                    state_text="Conflict: changed here and on the server"
                    + (f" (by {who})" if who else ""),
                    changes=changes,
                    made_at=found[0].created_at,
                    made_text=self._when(found[0].created_at),
                    detail=detail,
                )
            )
        return items


class QueueView:
    """The queued changes of one store, as ``QueueItem`` rows (open conflicts first)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def items(
        self, formats: DisplayFormats | None = None, now: datetime | None = None
    ) -> list[QueueItem]:
        """Open conflicts (one row per record), then queued changes in queue order."""
        return build_items(self._store.read(), formats, now)

    async def load(self, formats: DisplayFormats | None = None) -> list[QueueItem]:
        """``items`` read off the calling thread (a long queue takes tens of ms)."""
        return await self._store.call(lambda session: build_items(session, formats, None))


def build_items(
    session: Session, formats: DisplayFormats | None, now: datetime | None
) -> list[QueueItem]:
    """The queue's items as one session sees it."""
    builder = _Builder(session, formats or DisplayFormats(), now or datetime.now(UTC))
    open_conflicts = session.conflicts.open_conflicts()
    entries = session.outbox.entries()
    builder.load(
        [(c.entity, c.record_id) for c in open_conflicts]
        + [(e.entity, e.record_id) for e in entries]
    )
    return builder.conflicts(open_conflicts) + [builder.entry(e) for e in entries]
