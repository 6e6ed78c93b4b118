"""The undo and redo stacks of local edits (what ``EditService.undo_last`` takes back).

A step remembers enough to take one edit back while it has not been sent: the values
before and after of the fields an update changed (and which of them it queued), the op
id of a create or delete, or the store's undo token once a step has been undone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from crmdesk.domain.entities import Entity
from crmdesk.domain.errors import CrmError
from crmdesk.domain.fields import JSON, same_value
from crmdesk.domain.outbox import OpKind, OpState
from crmdesk.domain.patch import read_field
from crmdesk.store import Session
from crmdesk.store.errors import UnknownOperationError

#: How many edits can be taken back; older ones fall off the bottom.
DEPTH = 100


class UndoError(CrmError):
    """An edit that cannot be taken back (sent already, being sent, changed since)."""


@dataclass(frozen=True, slots=True)
class UndoStep:
    """One local edit as the undo stack keeps it."""

    kind: OpKind
    entity: Entity
    record_id: int
    title: str
    labels: tuple[str, ...] = ()  # field labels of an update, for the description
    before: Mapping[str, JSON] = field(default_factory=dict)
    after: Mapping[str, JSON] = field(default_factory=dict)
    queued: frozenset[str] = frozenset()  # fields of ``after`` that waited to be sent
    op_id: str | None = None  # the create / delete entry
    token: int | None = None  # the store's undo token of a discard this step made

    @property
    def description(self) -> str:
        """ "change to Value of “Acme deal”", "new deal “Acme”", "deletion of ..."."""
        what = f"{self.entity.label.lower()} “{self.title}”"
        if self.kind is OpKind.CREATE:
            return f"new {what}"
        if self.kind is OpKind.DELETE:
            return f"deletion of {what}"
        if len(self.labels) == 1:
            fields = self.labels[0]
        elif len(self.labels) == 2:
            fields = " and ".join(self.labels)
        else:
            fields = f"{len(self.labels)} fields"
        return f"change to {fields} of “{self.title}”"

    def with_(self, **changes: object) -> UndoStep:
        """A copy with some attributes changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


class UndoStack:
    """Undo and redo stacks; a new edit clears redo."""

    def __init__(self, depth: int = DEPTH) -> None:
        self._undo: list[UndoStep] = []
        self._redo: list[UndoStep] = []
        self._depth = depth

    def record(self, step: UndoStep) -> None:
        """A new edit: it can be undone, and nothing can be redone any more."""
        self._undo.append(step)
        del self._undo[: -self._depth]
        self._redo.clear()

    def clear_redo(self) -> None:
        """Forget redo steps (an edit that is not itself undoable, e.g. a discard)."""
        self._redo.clear()

    @property
    def can_undo(self) -> bool:
        """True if there is a step to undo."""
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        """True if there is a step to redo."""
        return bool(self._redo)

    def peek_undo(self) -> UndoStep | None:
        """The step ``undo`` would take, or None."""
        return self._undo[-1] if self._undo else None

    def peek_redo(self) -> UndoStep | None:
        """The step ``redo`` would take, or None."""
        return self._redo[-1] if self._redo else None

    def pop_undo(self) -> UndoStep:
        """Take the top undo step (IndexError when empty)."""
        return self._undo.pop()

    def pop_redo(self) -> UndoStep:
        """Take the top redo step (IndexError when empty)."""
        return self._redo.pop()

    def push_undo(self, step: UndoStep) -> None:
        """Put a step back on the undo stack without touching redo (a redo done)."""
        self._undo.append(step)

    def push_redo(self, step: UndoStep) -> None:
        """Put a step on the redo stack (an undo done)."""
        self._redo.append(step)


# ---------------------------------------------------------------------- titles


def title_of(entity: Entity, data: Mapping[str, Any] | None, record_id: int) -> str:
    """A record's name as people know it ("Acme deal", "Ann Lee"; "Note #12" at worst)."""
    data = data or {}
    if entity is Entity.PERSON:
        parts = [data.get("first_name"), data.get("last_name")]
        joined = " ".join(p for p in parts if isinstance(p, str) and p)
        if joined:
            return joined
    for key in ("name", "full_name", "title", "content"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            text = " ".join(value.split())
            return text if len(text) <= 60 else text[:59] + "…"
    return f"{entity.label} #{record_id}"


# ---------------------------------------------------------------------- in a transaction
# These run inside ``Store.write`` (EditService calls them): check, then change, so that
# an undo either happens whole or raises UndoError and leaves everything as it was.

_UNSENT = (OpState.PENDING, OpState.NEEDS_ATTENTION, OpState.DELETED_ON_SERVER)


def queued_fields(session: Session, entity: Entity, rid: int) -> frozenset[str]:
    """Fields of ``rid`` that wait in an unsent queued change (one that may still fold)."""
    names: set[str] = set()
    for entry in session.outbox.entries(entity=entity, record_id=rid):
        if entry.state in _UNSENT:
            names |= set(entry.patch)
    return frozenset(names)


def update_step(
    session: Session,
    entity: Entity,
    rid: int,
    before: Mapping[str, Any],
    names: Mapping[str, JSON],
) -> UndoStep | None:
    """The undo step of an update just made to ``rid`` (whose data was ``before``), or
    None when it changed nothing."""
    record = session.records.get(entity, rid)
    if record is None:
        return None
    fields = session.fieldset(entity)
    old = {n: read_field(before, n) for n in names}
    new = {n: read_field(record.data, n) for n in names}
    changed = [n for n in names if not same_value(fields.get(n), old[n], new[n])]
    if not changed:
        return None
    labels = tuple(spec.label if (spec := fields.get(n)) else n for n in changed)
    return UndoStep(
        OpKind.UPDATE,
        entity,
        rid,
        title_of(entity, record.data, rid),
        labels,
        before={n: old[n] for n in changed},
        after={n: new[n] for n in changed},
        queued=queued_fields(session, entity, rid) & set(changed),
    )


def _refuse(step: UndoStep, verb: str, why: str) -> UndoError:
    return UndoError(f"Cannot {verb} the {step.description}: {why}")


def _swap_values(
    session: Session,
    step: UndoStep,
    verb: str,
    expect: Mapping[str, JSON],
    write: Mapping[str, JSON],
    queued: frozenset[str],
) -> frozenset[str]:
    """Check ``rid`` still holds ``expect`` with ``queued`` unsent, then write ``write``;
    returns the fields of ``write`` that now wait to be sent."""
    record = session.records.get(step.entity, step.record_id)
    if record is None:
        raise _refuse(step, verb, "the record is no longer here.")
    fields = session.fieldset(step.entity)
    for name, value in expect.items():
        if not same_value(fields.get(name), read_field(record.data, name), value):
            raise _refuse(step, verb, "the value was changed again since (or discarded).")
    entries = session.outbox.entries(entity=step.entity, record_id=step.record_id)
    unsent = queued_fields(session, step.entity, step.record_id)
    in_conflict = {c.field for c in session.conflicts.open_conflicts(step.entity, step.record_id)}
    for name in queued - unsent:
        states = {e.state for e in entries if name in e.patch}
        if OpState.SENDING in states:
            raise _refuse(step, verb, "it is being sent right now.")
        if name in in_conflict or OpState.CONFLICT in states:
            raise _refuse(step, verb, "it met a change on the server; resolve the conflict.")
        raise _refuse(step, verb, "it was already sent to the server. Change it back instead.")
    session.edits.update(step.entity, step.record_id, dict(write))
    return queued_fields(session, step.entity, step.record_id) & set(write)


def _discard_unsent(session: Session, step: UndoStep, verb: str, op_id: str) -> int:
    entry = session.outbox.find(op_id)
    if entry is None:
        raise _refuse(step, verb, "it was already sent to the server.")
    if entry.state is OpState.SENDING:
        raise _refuse(step, verb, "it is being sent right now.")
    return session.edits.discard(op_id)


def _take_back(session: Session, step: UndoStep, verb: str, token: int) -> None:
    try:
        session.edits.undo(token)
    except UnknownOperationError:
        raise _refuse(step, verb, "it cannot be brought back any more.") from None


def undo_in(session: Session, step: UndoStep) -> UndoStep:
    """Take ``step`` back; returns the step that redoes it. UndoError when it cannot."""
    if step.kind is OpKind.UPDATE:
        queued = _swap_values(session, step, "undo", step.after, step.before, step.queued)
        return step.with_(queued=queued)
    if step.op_id is not None:  # a queued create or delete: discard it
        return step.with_(token=_discard_unsent(session, step, "undo", step.op_id))
    if step.token is not None:  # a delete of a record the server never had
        _take_back(session, step, "undo", step.token)
        return step.with_(token=None)
    raise _refuse(step, "undo", "there is nothing left to take back.")


def redo_in(session: Session, step: UndoStep) -> UndoStep:
    """Do ``step`` again after ``undo_in``; returns the step that undoes it again."""
    if step.kind is OpKind.UPDATE:
        queued = _swap_values(session, step, "redo", step.before, step.after, step.queued)
        return step.with_(queued=queued)
    if step.token is not None and step.op_id is not None:  # put the discarded entry back
        _take_back(session, step, "redo", step.token)
        return step.with_(token=None)
    if step.kind is OpKind.DELETE:
        result = session.edits.delete(step.entity, step.record_id)
        if isinstance(result, str):
            return step.with_(op_id=result, token=None)
        return step.with_(op_id=None, token=result)
    raise _refuse(step, "redo", "there is nothing left to redo.")
