"""Editing records offline-first: every change is one local transaction, synced later.

    record_id = await edits.create(Entity.DEAL, {"name": "Big one", "value": "5000"})
    op_id = await edits.update(Entity.DEAL, record_id, {"value": "6000"})
    patch = edits.parse(Entity.DEAL, {"Value": "6,000.50", "expected_close_date": "2026-03-31"})

Each call validates first (unknown field names, values that do not fit, the record rules
of ``check_record``) and raises a ``CrmError`` with a message fit to show - nothing is
written then. Otherwise the record and its outbox entry are written in one transaction on
the store's writer thread, and the call returns at once (a few milliseconds): it never
waits for the server. A ``ChangeSet`` (cause ``LOCAL_EDIT`` or ``RESOLUTION``, with the
caller's ``initiator``) goes out on the event bus, and the sync service is told that
changes are queued (it pushes them soon).

Ids: a record created here has a negative id until the server confirms it; the change set
of that confirmation carries ``remapped`` {local id: server id}.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, tzinfo
from typing import Any, TypeVar

from crmdesk.domain.changes import ChangeCause, ChangeSet
from crmdesk.domain.entities import BROWSABLE, Entity
from crmdesk.domain.errors import CrmError, FieldError, FieldValueError, ValidationError
from crmdesk.domain.fields import JSON, FieldSet, check_record, parse_input
from crmdesk.domain.outbox import (
    Conflict,
    HistoryItem,
    OpKind,
    OutboxCounts,
    OutboxEntry,
    Resolution,
)
from crmdesk.domain.patch import apply_patch, read_field
from crmdesk.services.events import EventBus
from crmdesk.services.undo import (
    UndoError,
    UndoStack,
    UndoStep,
    redo_in,
    title_of,
    undo_in,
    update_step,
)
from crmdesk.store import Session, Store
from crmdesk.store.errors import UnknownOperationError

T = TypeVar("T")

#: Entities that can be edited here (users are managed in the web app).
EDITABLE = (
    Entity.DEAL,
    Entity.PERSON,
    Entity.COMPANY,
    Entity.NOTE,
    Entity.COMMENT,
    Entity.CALENDAR_ENTRY,
    Entity.DOCUMENT,
)


class EditError(CrmError):
    """A change that cannot be made here (an entity that is read-only in crmdesk)."""


def _check_editable(entity: Entity) -> None:
    if entity not in EDITABLE:
        raise EditError(f"{entity.plural_label} cannot be changed from crmdesk.")


def validate_fields(fields: FieldSet, values: Mapping[str, JSON]) -> None:
    """UnknownFieldError / FieldValueError unless every key is an editable field."""
    for name in values:
        spec = fields.spec(name)
        if not spec.editable:
            raise FieldValueError(name, "this field cannot be edited")


def flat_values(fields: FieldSet, record: Mapping[str, Any]) -> dict[str, JSON]:
    """``{field: value}`` of every field of ``fields`` in a record (custom fields too)."""
    return {spec.name: read_field(record, spec.name) for spec in fields}


class EditService:
    """Create, update, delete, discard, undo, resolve and recreate - all offline-first."""

    def __init__(
        self,
        store: Store,
        bus: EventBus,
        *,
        on_queued: Callable[[], None] | None = None,
        on_retry: Callable[[], None] | None = None,
        zone: tzinfo = UTC,
    ) -> None:
        """``on_queued`` is called after every change that queued something (the sync
        service's "push soon"), ``on_retry`` after "Retry now" (push now); ``zone`` reads
        typed date-times without an offset."""
        self._store = store
        self._bus = bus
        self._on_queued = on_queued
        self._on_retry = on_retry
        self.undo_stack = UndoStack()
        self._undone: dict[int, tuple[Entity, int]] = {}
        self.zone = zone

    # ------------------------------------------------------------------ fields

    def fields(self, entity: Entity) -> FieldSet:
        """The editable fields of ``entity``, custom fields included (a small read)."""
        return self._store.read().fieldset(entity)

    def parse(self, entity: Entity, texts: Mapping[str, str | None]) -> dict[str, JSON]:
        """What a person typed, by field name or label, as a patch of wire values.

        Raises UnknownFieldError (with suggestions) or FieldValueError naming the field
        and the expected form.
        """
        fields = self.fields(entity)
        patch: dict[str, JSON] = {}
        for name, text in texts.items():
            spec = fields.find(name)
            patch[spec.name] = parse_input(spec, text, self.zone)
        return patch

    # ------------------------------------------------------------------ plumbing

    async def _write(
        self,
        fn: Callable[[Session], T],
        changes: Callable[[T], ChangeSet | None],
        *,
        queued: bool = True,
        undo: Callable[[T], None] | None = None,
    ) -> T:
        result = await self._store.write(fn)
        if undo is not None:  # before the change set: its receivers ask can_undo
            undo(result)
        change_set = changes(result)
        if change_set is not None:
            self._bus.publish_changes(change_set)
        if queued and self._on_queued is not None:
            self._on_queued()
        return result

    # ------------------------------------------------------------------ edits

    async def create(
        self,
        entity: Entity,
        values: Mapping[str, JSON],
        *,
        parent_id: int | None = None,
        initiator: object | None = None,
    ) -> int:
        """Queue a new record; returns its local (negative) id.

        ``parent_id`` is the note of a new comment. ValidationError lists every broken
        record rule (a deal without a name, an event without start and end...).
        """
        _check_editable(entity)
        if entity is Entity.COMMENT and parent_id is None:
            raise ValidationError([FieldError("note_id", "A comment needs the note it is on")])

        def work(session: Session) -> tuple[int, UndoStep]:
            fields = session.fieldset(entity)
            validate_fields(fields, values)
            errors = check_record(entity, values, fields)
            if errors:
                raise ValidationError(errors)
            if parent_id is not None:
                session.records.require(Entity.NOTE, parent_id)
            rid = session.edits.create(entity, values, parent_id=parent_id)
            entry = session.outbox.entries(entity=entity, record_id=rid)[0]
            return rid, UndoStep(
                OpKind.CREATE, entity, rid, title_of(entity, values, rid), op_id=entry.op_id
            )

        rid, _ = await self._write(
            work,
            lambda r: ChangeSet.of(entity, [r[0]], ChangeCause.LOCAL_EDIT, initiator),
            undo=lambda r: self.undo_stack.record(r[1]),
        )
        return rid

    async def update(
        self,
        entity: Entity,
        record_id: int,
        patch: Mapping[str, JSON],
        *,
        initiator: object | None = None,
    ) -> str | None:
        """Queue changed fields of a record; returns the outbox entry they went into, or
        None when nothing changed. UnknownRecordError for an id the store does not have.
        A field with an open conflict is thereby resolved: the new value wins."""
        _check_editable(entity)

        def work(session: Session) -> tuple[str | None, UndoStep | None]:
            fields = session.fieldset(entity)
            validate_fields(fields, patch)
            record = session.records.require(entity, record_id)
            after = flat_values(fields, apply_patch(record.data, patch))
            touched = set(patch)
            if {"first_name", "last_name"} & touched:
                touched.add("last_name")  # the "first or last name" rule reports last_name
            errors = [e for e in check_record(entity, after, fields) if e.field in touched]
            if errors:
                raise ValidationError(errors)
            # Typing into a field in conflict decides it: the new value goes out on top of
            # the server's (whose value is kept in the history).
            for conflict in session.conflicts.open_conflicts(entity, record_id):
                if conflict.field in patch:
                    session.conflicts.resolve(conflict.id, Resolution.MINE)
            op_id = session.edits.update(entity, record_id, patch)
            return op_id, update_step(session, entity, record.id, record.data, patch)

        op_id, _ = await self._write(
            work,
            lambda _: ChangeSet.of(entity, [record_id], ChangeCause.LOCAL_EDIT, initiator),
            undo=lambda r: None if r[1] is None else self.undo_stack.record(r[1]),
        )
        return op_id

    async def delete(
        self, entity: Entity, record_id: int, *, initiator: object | None = None
    ) -> str | int | None:
        """Delete a record: it leaves the tables at once and the delete is queued.

        Returns the delete's op_id, or - for a record the server never saw - the undo
        token of dropping it (``undo`` brings it back)."""
        _check_editable(entity)

        def work(session: Session) -> tuple[str | int | None, UndoStep]:
            record = session.records.require(entity, record_id)
            title = title_of(entity, record.data, record.id)
            result = session.edits.delete(entity, record_id)
            step = UndoStep(OpKind.DELETE, entity, record.id, title)
            if isinstance(result, str):
                return result, step.with_(op_id=result)
            return result, step.with_(token=result)

        result, _ = await self._write(
            work,
            lambda _: ChangeSet.of(entity, [record_id], ChangeCause.LOCAL_EDIT, initiator),
            undo=lambda r: self.undo_stack.record(r[1]),
        )
        return result

    # ------------------------------------------------------------------ undo / redo

    @property
    def can_undo(self) -> bool:
        """True if there is a local edit to take back."""
        return self.undo_stack.can_undo

    @property
    def can_redo(self) -> bool:
        """True if there is an undone edit to do again."""
        return self.undo_stack.can_redo

    def undo_text(self) -> str:
        """ "Undo change to Value of “Acme deal”" (just "Undo" when there is nothing)."""
        step = self.undo_stack.peek_undo()
        return f"Undo {step.description}" if step is not None else "Undo"

    def redo_text(self) -> str:
        """ "Redo change to Value of “Acme deal”" (just "Redo" when there is nothing)."""
        step = self.undo_stack.peek_redo()
        return f"Redo {step.description}" if step is not None else "Redo"

    async def undo_last(self, *, initiator: object | None = None) -> UndoStep | None:
        """Take back the last local edit that has not been sent (one transaction); returns
        it, or None when there is nothing to undo. UndoError (the step is dropped) when it
        was sent or is being sent, or its value changed since."""
        return await self._step(
            self.undo_stack.pop_undo,
            undo_in,
            self.undo_stack.push_redo,
            self.undo_stack.push_undo,
            initiator,
        )

    async def redo_last(self, *, initiator: object | None = None) -> UndoStep | None:
        """Do the last undone edit again; None when there is nothing to redo."""
        return await self._step(
            self.undo_stack.pop_redo,
            redo_in,
            self.undo_stack.push_undo,
            self.undo_stack.push_redo,
            initiator,
        )

    async def _step(
        self,
        pop: Callable[[], UndoStep],
        apply: Callable[[Session, UndoStep], UndoStep],
        done: Callable[[UndoStep], None],
        put_back: Callable[[UndoStep], None],
        initiator: object | None,
    ) -> UndoStep | None:
        try:
            step = pop()
        except IndexError:
            return None
        try:
            await self._write(
                lambda s: apply(s, step),
                lambda _: ChangeSet.of(
                    step.entity, [step.record_id], ChangeCause.LOCAL_EDIT, initiator
                ),
                undo=done,
            )
        except UndoError:
            raise  # it can never succeed: the step stays dropped
        except BaseException:
            put_back(step)
            raise
        return step

    # ------------------------------------------------------------------ retry

    async def retry_now(self, op_id: str, *, initiator: object | None = None) -> None:
        """Make a waiting or failed change due now and ask sync to push at once."""
        await self._write(
            lambda s: s.outbox.retry_now(op_id),
            lambda e: ChangeSet.of(e.entity, [e.record_id], ChangeCause.RESOLUTION, initiator),
            queued=self._on_retry is None,
        )
        if self._on_retry is not None:
            self._on_retry()

    # ------------------------------------------------------------------ the queue

    async def discard(self, op_id: str, *, initiator: object | None = None) -> int:
        """Drop a queued change and undo its local effect; returns an undo token.

        Discarding a create also discards what waits on it (a note on that deal)."""

        def work(session: Session) -> tuple[int, OutboxEntry]:
            entry = session.outbox.get(op_id)
            return session.edits.discard(op_id), entry

        token, entry = await self._write(
            work,
            lambda r: ChangeSet.of(
                r[1].entity, [r[1].record_id], ChangeCause.RESOLUTION, initiator
            ),
            queued=False,
        )
        self._undone[token] = (entry.entity, entry.record_id)
        self.undo_stack.clear_redo()
        await self._refresh_queue()
        return token

    async def undo(self, token: int, *, initiator: object | None = None) -> None:
        """Undo a discard: the changes come back in their old queue positions."""
        record = self._undone.pop(token, None)

        def changes(_: None) -> ChangeSet:
            if record is not None:
                return ChangeSet.of(record[0], [record[1]], ChangeCause.RESOLUTION, initiator)
            return ChangeSet({}, ChangeCause.RESOLUTION, reset=frozenset(BROWSABLE))

        await self._write(lambda s: s.edits.undo(token), changes)

    async def resolve(
        self, conflict_id: int, take: Resolution | str, *, initiator: object | None = None
    ) -> str | None:
        """Resolve a conflict: ``mine`` queues my value on top of the server's (returns the
        op_id), ``theirs`` drops mine. The losing value is kept in the history."""
        choice = Resolution(take)

        def work(session: Session) -> tuple[Conflict, str | None]:
            conflict = session.conflicts.get(conflict_id)
            return conflict, session.conflicts.resolve(conflict_id, choice)

        _, op_id = await self._write(
            work,
            lambda r: ChangeSet.of(
                r[0].entity, [r[0].record_id], ChangeCause.RESOLUTION, initiator
            ),
            queued=choice is Resolution.MINE,
        )
        self.undo_stack.clear_redo()
        if choice is not Resolution.MINE:
            await self._refresh_queue()
        return op_id

    async def recreate(
        self, entity: Entity, record_id: int, *, initiator: object | None = None
    ) -> int:
        """A record deleted on the server becomes a new create with its current values;
        returns the new local id (its parked changes are folded in)."""

        def work(session: Session) -> int:
            return session.edits.recreate(entity, record_id)

        def changes(new_id: int) -> ChangeSet:
            ids = {entity: frozenset({record_id, new_id})}
            return ChangeSet(ids, ChangeCause.RESOLUTION, initiator=initiator)

        new_id = await self._write(work, changes)
        self.undo_stack.clear_redo()
        return new_id

    async def restore(self, history_id: int, *, initiator: object | None = None) -> str | None:
        """Bring a value that lost (a conflict, a discard) back as a new local edit."""

        def work(session: Session) -> tuple[HistoryItem, str | None]:
            item = next(
                (h for h in session.conflicts.history() if h.id == history_id),
                None,
            )
            if item is None:
                raise UnknownOperationError(f"There is no history item {history_id}.")
            return item, session.conflicts.restore(history_id)

        _, op_id = await self._write(
            work,
            lambda r: ChangeSet.of(
                r[0].entity, [r[0].record_id], ChangeCause.LOCAL_EDIT, initiator
            ),
        )
        self.undo_stack.clear_redo()
        return op_id

    async def _refresh_queue(self) -> None:
        if self._on_queued is not None:
            self._on_queued()

    # ------------------------------------------------------------------ reads

    def outbox(
        self, entity: Entity | None = None, record_id: int | None = None
    ) -> list[OutboxEntry]:
        """Queued changes in queue order (optionally of one record)."""
        return self._store.read().outbox.entries(entity=entity, record_id=record_id)

    def counts(self) -> OutboxCounts:
        """Queued changes per state, plus open conflicts."""
        return self._store.read().outbox.counts()

    def conflicts(
        self, entity: Entity | None = None, record_id: int | None = None
    ) -> list[Conflict]:
        """Open conflicts, oldest first."""
        return self._store.read().conflicts.open_conflicts(entity, record_id)

    def history(
        self, entity: Entity | None = None, record_id: int | None = None
    ) -> list[HistoryItem]:
        """Values that lost (conflicts, discards), newest first."""
        return self._store.read().conflicts.history(entity, record_id)
