"""What the conflict, history and deleted-on-server dialogs show, as display text.

    views = ConflictViews(store)
    view = views.conflict(Entity.DEAL, 42)      # fields in conflict: original/mine/theirs
    views.lost_values(Entity.DEAL, 42)          # values that lost, to restore
    views.deleted(Entity.DEAL, 42)              # my parked changes of a record gone there

Values are formatted the way the detail pane formats them (names for ids, money with the
record's currency, dates and times in the user's formats and time zone). The dialogs act
through the EditService (resolve, restore, recreate, discard); this module only reads.

What the store lets us show about the automatic merge: the fields of mine that are still
queued in the update that ran into the conflict ("being sent"). Once that update has been
confirmed, and for fields only the server changed, the store keeps no trace of the merge
(the previous server copy is replaced), so those are not listed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crmdesk.domain.entities import Entity
from crmdesk.domain.fields import JSON, FieldSet, FieldSpec, FieldType
from crmdesk.domain.outbox import Conflict, OpKind, OpState
from crmdesk.domain.timefmt import parse_timestamp
from crmdesk.services.formatting import DisplayFormats
from crmdesk.services.record_detail import RecordNames, format_value
from crmdesk.store import Session, Store

#: Shown for an empty value (an empty cell would read as "nothing to see").
EMPTY = "(empty)"

#: Why a value is in the history, in words.
REASONS = {
    "conflict_mine_lost": "Your value; the server's was kept",
    "conflict_theirs_lost": "The server's value; yours was kept",
    "superseded": "Your earlier value in a conflict, replaced by a newer edit",
    "discarded": "A change you discarded",
}


@dataclass(frozen=True, slots=True)
class ConflictField:
    """One field changed here and on the server, as text."""

    conflict_id: int
    field: str
    label: str
    original: str
    mine: str
    theirs: str
    changed_by: str  # the user who changed it on the server; "" when not known
    changed_at: str  # when, in the user's time zone; "" when not known


@dataclass(frozen=True, slots=True)
class MergedField:
    """A field changed on one side only, merged without asking."""

    field: str
    label: str
    value: str
    side: str  # "mine": my value goes to the server; "theirs": the server's was taken
    note: str  # e.g. "being sent"


@dataclass(frozen=True, slots=True)
class ConflictView:
    """Everything the conflict dialog shows for one record."""

    entity: Entity
    record_id: int
    title: str
    fields: tuple[ConflictField, ...]
    merged: tuple[MergedField, ...]

    @property
    def changed_by(self) -> str:
        """Who changed the record on the server ("" if unknown or several people)."""
        names = {f.changed_by for f in self.fields if f.changed_by}
        return names.pop() if len(names) == 1 else ""


@dataclass(frozen=True, slots=True)
class LostValue:
    """A value that lost (a conflict, a discard), kept to be restored."""

    history_id: int
    field: str
    label: str
    value: str
    reason: str
    when: str
    restored: bool


@dataclass(frozen=True, slots=True)
class ParkedChange:
    """One field of a change that waits because the record is gone on the server."""

    field: str
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class DeletedView:
    """A record deleted on the server while I had changes to it."""

    entity: Entity
    record_id: int
    title: str
    changes: tuple[ParkedChange, ...]
    op_ids: tuple[str, ...]  # the queued changes "Discard my changes" drops, in queue order
    deleted: bool  # False: the record is (no longer) marked deleted on the server


def _title(entity: Entity, data: Mapping[str, Any], rid: int) -> str:
    if entity is Entity.PERSON:
        parts = [data.get("first_name"), data.get("last_name")]
        joined = " ".join(p for p in parts if isinstance(p, str) and p)
        return joined or str(data.get("full_name") or f"#{rid}")
    return str(data.get("name") or data.get("title") or f"#{rid}")


def _moment(stamp: str | None, formats: DisplayFormats) -> str:
    if not stamp:
        return ""
    try:
        return formats.datetime(parse_timestamp(stamp))
    except ValueError:
        return stamp


class _Text:
    """Formats values of one record like the detail pane (one name cache per read)."""

    def __init__(self, session: Session, entity: Entity, data: Mapping[str, Any]) -> None:
        lookups = session.lookups
        self.formats = DisplayFormats.from_settings(lookups.get("profile"), lookups.get("account"))
        self.fields: FieldSet = session.fieldset(entity)
        self.names = RecordNames(session)
        currency = data.get("currency")
        self.currency = currency.get("code") if isinstance(currency, Mapping) else None

    def spec(self, name: str) -> FieldSpec:
        return self.fields.get(name) or FieldSpec(
            name, name.replace("_", " ").capitalize(), FieldType.TEXT
        )

    def label(self, name: str) -> str:
        return self.spec(name).label

    def value(self, name: str, value: JSON) -> str:
        spec = self.spec(name)
        if spec.type is FieldType.BOOLEAN and value is False:
            return "No"
        text = format_value(spec, value, self.formats, self.names, self.currency)
        return text or EMPTY


class ConflictViews:
    """Reads conflicts, lost values and parked changes of one record (small reads on the
    calling thread, like ``EditService.conflicts``)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def conflict(self, entity: Entity, record_id: int) -> ConflictView:
        """The open conflicts of a record with the fields merged without asking."""
        session = self._store.read()
        record = session.records.get(entity, record_id)
        data = record.data if record is not None else {}
        text = _Text(session, entity, data)
        conflicts = session.conflicts.open_conflicts(entity, record_id)
        fields = tuple(self._field(session, text, c) for c in conflicts)
        return ConflictView(
            entity,
            record_id,
            _title(entity, data, record_id),
            fields,
            self._merged(session, text, conflicts),
        )

    def _field(self, session: Session, text: _Text, conflict: Conflict) -> ConflictField:
        return ConflictField(
            conflict_id=conflict.id,
            field=conflict.field,
            label=text.label(conflict.field),
            original=text.value(conflict.field, conflict.base),
            mine=text.value(conflict.field, conflict.mine),
            theirs=text.value(conflict.field, conflict.theirs),
            changed_by=conflict.changed_by or self._author(session, conflict),
            changed_at=_moment(conflict.changed_at, text.formats),
        )

    @staticmethod
    def _author(session: Session, conflict: Conflict) -> str:
        """Who made the server's change, from the server copy - only while that copy is
        still the one the conflict was found against (a later change may be someone
        else's, or my own merged fields)."""
        record = session.records.get(conflict.entity, conflict.record_id)
        server = record.server if record is not None else None
        row = session.conn.execute(
            "SELECT theirs_updated_at FROM conflicts WHERE id = ?", (conflict.id,)
        ).fetchone()
        if not server or row is None or server.get("updated_at") != row[0]:
            return ""
        user = server.get("updated_by_user")
        if isinstance(user, Mapping):
            parts = [user.get("first_name"), user.get("last_name")]
            name = " ".join(p for p in parts if isinstance(p, str) and p)
            if name:
                return name
        uid = server.get("updated_by_user_id")
        return RecordNames(session).record("users", uid) if isinstance(uid, int) else ""

    @staticmethod
    def _merged(
        session: Session, text: _Text, conflicts: list[Conflict]
    ) -> tuple[MergedField, ...]:
        """My other fields of the update that ran into the conflicts, while still queued."""
        op_ids = {
            row[0]
            for c in conflicts
            if (
                row := session.conn.execute(
                    "SELECT op_id FROM conflicts WHERE id = ?", (c.id,)
                ).fetchone()
            )
            is not None
            and row[0]
        }
        lost = {c.field for c in conflicts}
        out: list[MergedField] = []
        for op_id in sorted(op_ids):
            entry = session.outbox.find(op_id)
            if entry is None or entry.kind is not OpKind.UPDATE:
                continue
            note = "sent when the server is reached" if entry.state.blocked else "being sent"
            for name, value in entry.patch.items():
                if name not in lost:
                    out.append(
                        MergedField(name, text.label(name), text.value(name, value), "mine", note)
                    )
        return tuple(out)

    def lost_values(self, entity: Entity, record_id: int) -> list[LostValue]:
        """The record's values that lost, newest first."""
        session = self._store.read()
        record = session.records.get(entity, record_id)
        text = _Text(session, entity, record.data if record is not None else {})
        return [
            LostValue(
                history_id=item.id,
                field=item.field,
                label=text.label(item.field),
                value=text.value(item.field, item.value),
                reason=REASONS.get(item.reason, item.reason.replace("_", " ").capitalize()),
                when=text.formats.datetime(item.created_at),
                restored=item.restored_at is not None,
            )
            for item in session.conflicts.history(entity, record_id)
        ]

    def deleted(self, entity: Entity, record_id: int) -> DeletedView:
        """A record deleted on the server: my changes to it that wait."""
        session = self._store.read()
        record = session.records.get(entity, record_id)
        data = record.data if record is not None else {}
        text = _Text(session, entity, data)
        entries = session.outbox.entries(entity=entity, record_id=record_id)
        changes: dict[str, ParkedChange] = {}
        for entry in entries:
            for name, value in entry.patch.items():
                changes[name] = ParkedChange(name, text.label(name), text.value(name, value))
        gone = any(e.state is OpState.DELETED_ON_SERVER for e in entries) or (
            record is not None and record.sync.value == "deleted_on_server"
        )
        return DeletedView(
            entity,
            record_id,
            _title(entity, data, record_id),
            tuple(changes.values()),
            tuple(e.op_id for e in entries),
            gone,
        )
