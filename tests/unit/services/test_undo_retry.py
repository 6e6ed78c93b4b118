"""Undo / redo of local edits not yet sent, and "Retry now", on a real store file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crmdesk.domain.changes import ChangeCause, ChangeSet
from crmdesk.domain.entities import Entity
from crmdesk.domain.outbox import OpKind, OpState
from crmdesk.services.edits import EditService
from crmdesk.services.events import EventBus
from crmdesk.services.undo import UndoError
from crmdesk.store import Store, StoreError
from tests.account_data import open_filled

D = Entity.DEAL


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_filled(tmp_path / "account" / "store.db")
    try:
        yield opened
    finally:
        opened.close()


class Rig:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.bus = EventBus()
        self.changes: list[ChangeSet] = []
        self.bus.subscribe_changes(self.changes.append)
        self.retries = 0
        self.edits = EditService(store, self.bus, on_retry=self._retried)

    def _retried(self) -> None:
        self.retries += 1

    def value(self, rid: int, name: str = "value") -> object:
        record = self.store.read().records.get(D, rid)
        return None if record is None else record.data.get(name)

    def queue(self) -> list:
        return self.store.read().outbox.entries()


@pytest.fixture
def rig(store: Store) -> Rig:
    return Rig(store)


def test_undo_of_an_update_cancels_the_queued_change_and_redo_brings_it_back(rig, aloop):
    name = rig.value(7, "name")
    before = rig.value(7)
    aloop.run(rig.edits.update(D, 7, {"value": "999"}))
    assert rig.edits.can_undo
    assert not rig.edits.can_redo
    assert rig.edits.undo_text() == f"Undo change to Value of “{name}”"
    assert len(rig.queue()) == 1
    rig.changes.clear()
    step = aloop.run(rig.edits.undo_last())
    assert step is not None
    assert step.kind is OpKind.UPDATE
    assert rig.value(7) == before
    assert rig.queue() == []  # nothing else changed: the queued change is gone
    assert [c.ids_of(D) for c in rig.changes] == [frozenset({7})]
    assert rig.changes[0].cause is ChangeCause.LOCAL_EDIT
    assert not rig.edits.can_undo
    assert rig.edits.can_redo
    assert rig.edits.redo_text() == f"Redo change to Value of “{name}”"
    aloop.run(rig.edits.redo_last())
    assert float(rig.value(7)) == 999  # type: ignore[arg-type]
    assert [e.patch for e in rig.queue()] == [{"value": "999"}]
    assert rig.edits.can_undo
    assert not rig.edits.can_redo


def test_undo_goes_back_one_edit_at_a_time_and_a_new_edit_clears_redo(rig, aloop):
    original = rig.value(3, "name")
    aloop.run(rig.edits.update(D, 3, {"name": "First"}))
    aloop.run(rig.edits.update(D, 3, {"name": "Second", "summary": "s"}))
    assert rig.edits.undo_text() == "Undo change to Name and Summary of “Second”"
    aloop.run(rig.edits.undo_last())
    assert rig.value(3, "name") == "First"
    assert [dict(e.patch) for e in rig.queue()] == [{"name": "First"}]
    aloop.run(rig.edits.update(D, 3, {"summary": "new"}))
    assert not rig.edits.can_redo  # a new edit clears redo
    aloop.run(rig.edits.undo_last())
    aloop.run(rig.edits.undo_last())
    assert rig.value(3, "name") == original
    assert rig.queue() == []
    assert aloop.run(rig.edits.undo_last()) is None  # nothing left


def test_an_edit_already_sent_or_being_sent_is_not_undone(rig, store, aloop):
    aloop.run(rig.edits.update(D, 5, {"value": "1234"}))
    (entry,) = rig.queue()
    store.write_sync(lambda s: s.outbox.mark_sending(entry.op_id))
    with pytest.raises(UndoError, match="being sent right now"):
        aloop.run(rig.edits.undo_last())
    assert float(rig.value(5)) == 1234  # type: ignore[arg-type]
    aloop.run(rig.edits.update(D, 5, {"value": "4321"}))
    store.write_sync(lambda s: s.outbox.requeue(entry.op_id))
    store.write_sync(lambda s: s.outbox.mark_sending(entry.op_id))
    server = dict(store.read().records.get(D, 5).server or {})  # type: ignore[union-attr]
    store.write_sync(
        lambda s: s.outbox.confirm(entry.op_id, {**server, "value": "1234", "updated_at": "x"})
    )
    assert len(rig.queue()) == 1  # the second edit still waits: it can be undone
    aloop.run(rig.edits.undo_last())
    assert float(rig.value(5)) == 1234  # type: ignore[arg-type]
    assert rig.queue() == []
    # the first one reached the server: refused in words, nothing written
    aloop.run(rig.edits.update(D, 6, {"value": "1"}))
    (entry,) = rig.queue()
    store.write_sync(lambda s: s.outbox.mark_sending(entry.op_id))
    server = dict(store.read().records.get(D, 6).server or {})  # type: ignore[union-attr]
    store.write_sync(lambda s: s.outbox.confirm(entry.op_id, {**server, "value": "1"}))
    rig.changes.clear()
    with pytest.raises(UndoError, match="already sent to the server"):
        aloop.run(rig.edits.undo_last())
    assert float(rig.value(6)) == 1  # type: ignore[arg-type]
    assert rig.queue() == []
    assert rig.changes == []


def test_undo_of_a_create_discards_it_and_redo_restores_the_same_record(rig, aloop):
    rid = aloop.run(rig.edits.create(D, {"name": "Brand new"}))
    assert rig.edits.undo_text() == "Undo new deal “Brand new”"
    aloop.run(rig.edits.undo_last())
    assert rig.value(rid, "name") is None
    assert rig.queue() == []
    aloop.run(rig.edits.redo_last())
    assert rig.value(rid, "name") == "Brand new"
    assert [(e.kind, e.record_id) for e in rig.queue()] == [(OpKind.CREATE, rid)]


def test_undo_of_a_delete_discards_the_queued_delete(rig, aloop):
    name = rig.value(9, "name")
    aloop.run(rig.edits.delete(D, 9))
    assert rig.value(9, "name") is None
    assert rig.edits.undo_text() == f"Undo deletion of deal “{name}”"
    aloop.run(rig.edits.undo_last())
    assert rig.value(9, "name") == name
    assert rig.queue() == []
    aloop.run(rig.edits.redo_last())
    assert rig.value(9, "name") is None
    assert [e.kind for e in rig.queue()] == [OpKind.DELETE]
    # a record the server never had: delete drops it, undo brings it back
    rid = aloop.run(rig.edits.create(D, {"name": "Local only"}))
    aloop.run(rig.edits.delete(D, rid))
    aloop.run(rig.edits.undo_last())
    assert rig.value(rid, "name") == "Local only"
    aloop.run(rig.edits.redo_last())
    assert rig.value(rid, "name") is None


def test_a_change_discarded_meanwhile_is_refused_not_rewritten(rig, aloop):
    aloop.run(rig.edits.update(D, 4, {"value": "77"}))
    (entry,) = rig.queue()
    token = aloop.run(rig.edits.discard(entry.op_id))
    with pytest.raises(UndoError, match="changed again since"):
        aloop.run(rig.edits.undo_last())
    assert rig.queue() == []
    aloop.run(rig.edits.undo(token))
    assert [e.op_id for e in rig.queue()] == [entry.op_id]


def test_retry_now_makes_a_failed_change_due_and_asks_sync_to_push(rig, store, aloop):
    aloop.run(rig.edits.update(D, 2, {"value": "5"}))
    (entry,) = rig.queue()
    store.write_sync(lambda s: s.outbox.mark_sending(entry.op_id))
    store.write_sync(lambda s: s.outbox.fail(entry.op_id, "HTTP 503", retry_after=600))
    assert store.read().outbox.ready() == []
    aloop.run(rig.edits.retry_now(entry.op_id))
    (ready,) = store.read().outbox.ready()
    assert ready.op_id == entry.op_id
    assert ready.next_attempt_at is None
    assert ready.last_error == "HTTP 503"  # kept for the record until it succeeds
    assert rig.retries == 1
    store.write_sync(lambda s: s.outbox.mark_sending(entry.op_id))
    with pytest.raises(StoreError, match="being sent"):
        aloop.run(rig.edits.retry_now(entry.op_id))
    assert rig.retries == 1


def test_retry_now_sends_a_refused_change_again_but_not_one_deleted_on_server(rig, store):
    a = store.write_sync(lambda s: s.edits.update(D, 1, {"name": "x"}))
    b = store.write_sync(lambda s: s.edits.update(D, 2, {"name": "y"}))
    store.write_sync(lambda s: s.outbox.park(a, OpState.NEEDS_ATTENTION, "HTTP 403"))
    store.write_sync(lambda s: s.outbox.park(b, OpState.DELETED_ON_SERVER, "HTTP 404"))
    again = store.write_sync(lambda s: s.outbox.retry_now(a))
    assert again.state is OpState.PENDING
    assert store.read().records.get(D, 1).sync.value == "pending"  # type: ignore[union-attr]
    with pytest.raises(StoreError, match="deleted on the server"):
        store.write_sync(lambda s: s.outbox.retry_now(b))
    assert store.read().outbox.get(b).state is OpState.DELETED_ON_SERVER


def test_a_field_that_met_a_server_change_is_resolved_not_undone(rig, store, aloop):
    from crmdesk.domain.merge import FieldConflict

    aloop.run(rig.edits.update(D, 8, {"value": "900"}))
    (entry,) = rig.queue()
    store.write_sync(lambda s: s.outbox.mark_sending(entry.op_id))
    theirs = {**store.read().records.get(D, 8).server, "value": "850.0"}  # type: ignore[union-attr]
    store.write_sync(
        lambda s: s.conflicts.record(
            entry.op_id, theirs, [FieldConflict("value", "800.0", "900", "850.0")]
        )
    )
    with pytest.raises(UndoError, match="resolve the conflict"):
        aloop.run(rig.edits.undo_last())
    assert len(store.read().conflicts.open_conflicts(D, 8)) == 1
