"""Outbox rules: one entry per intent, coalescing, ordering, engine transitions, ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmdesk.domain.entities import Entity
from crmdesk.domain.errors import FieldError
from crmdesk.domain.outbox import OpKind, OpState
from crmdesk.domain.sync_status import RecordSync
from crmdesk.store import CreateState, Store, StoreError, UnknownOperationError
from tests.unit.store.conftest import company, deal, later

D = Entity.DEAL


def seed(store: Store, *records: dict) -> None:
    store.write_sync(lambda s: s.records.upsert_server(D, list(records)))


def test_edit_and_outbox_entry_are_one_transaction(store: Store) -> None:
    seed(store, deal(1))
    op_id = store.write_sync(lambda s: s.edits.update(D, 1, {"name": "Renamed"}))
    reader = store.read()
    record = reader.records.get(D, 1)
    assert record is not None
    assert record.data["name"] == "Renamed"
    assert record.server is not None
    assert record.server["name"] == "Deal 1"
    assert record.sync is RecordSync.PENDING
    (entry,) = reader.outbox.entries()
    assert entry.op_id == op_id
    assert entry.kind is OpKind.UPDATE
    assert dict(entry.patch) == {"name": "Renamed"}
    assert dict(entry.base) == {"name": "Deal 1"}
    assert entry.base_updated_at == "2026/01/01 10:00:00 -0000"

    def edit_then_fail(s):
        s.edits.update(D, 1, {"name": "Never"})
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.write_sync(edit_then_fail)
    assert reader.records.get(D, 1).data["name"] == "Renamed"  # type: ignore[union-attr]
    assert len(reader.outbox.entries()) == 1


def test_ten_edits_of_one_field_coalesce_into_one_request(store: Store) -> None:
    seed(store, deal(1))
    for i in range(10):
        store.write_sync(lambda s, i=i: s.edits.update(D, 1, {"name": f"Name {i}"}))
    store.write_sync(lambda s: s.edits.update(D, 1, {"value": "5"}))
    (entry,) = store.read().outbox.entries()
    assert dict(entry.patch) == {"name": "Name 9", "value": "5"}
    assert dict(entry.base) == {"name": "Deal 1", "value": "100.0"}  # earliest bases kept


def test_editing_back_to_the_base_value_removes_the_change(store: Store) -> None:
    seed(store, deal(1))
    store.write_sync(lambda s: s.edits.update(D, 1, {"name": "X"}))
    store.write_sync(lambda s: s.edits.update(D, 1, {"name": "Deal 1"}))
    assert store.read().outbox.entries() == []
    assert store.read().records.get(D, 1).sync is RecordSync.SYNCED  # type: ignore[union-attr]
    assert store.write_sync(lambda s: s.edits.update(D, 1, {"value": "100"})) is None  # "100.0"


def test_an_edit_during_sending_gets_its_own_entry(store: Store) -> None:
    seed(store, deal(1))
    first = store.write_sync(lambda s: s.edits.update(D, 1, {"name": "A"}))
    sent = store.write_sync(lambda s: s.outbox.mark_sending(first))
    assert sent.state is OpState.SENDING
    assert sent.attempts == 1
    second = store.write_sync(lambda s: s.edits.update(D, 1, {"name": "B"}))
    assert second != first
    entries = store.read().outbox.entries()
    assert [e.op_id for e in entries] == [first, second]
    assert dict(entries[1].base) == {"name": "A"}  # what the user saw
    # per-record FIFO: B waits while A is in flight
    assert store.read().outbox.ready() == []
    reply = later(deal(1), "2026/01/02 10:00:00 -0000", name="A")
    store.write_sync(lambda s: s.outbox.confirm(first, reply))
    (ready,) = store.read().outbox.ready()
    assert ready.op_id == second
    assert ready.base_updated_at == "2026/01/02 10:00:00 -0000"  # rebased on our own write
    record = store.read().records.get(D, 1)
    assert record.server["name"] == "A"
    assert record.data["name"] == "B"


def test_ready_is_per_record_fifo_and_a_blocked_record_does_not_block_others(
    store: Store,
) -> None:
    seed(store, deal(1), deal(2), deal(3))
    a = store.write_sync(lambda s: s.edits.update(D, 1, {"name": "one"}))
    b = store.write_sync(lambda s: s.edits.update(D, 2, {"name": "two"}))
    c = store.write_sync(lambda s: s.edits.update(D, 3, {"name": "three"}))
    assert [e.op_id for e in store.read().outbox.ready()] == [a, b, c]
    store.write_sync(
        lambda s: s.outbox.park(a, OpState.NEEDS_ATTENTION, "422", [FieldError("name", "is taken")])
    )
    store.write_sync(lambda s: s.outbox.fail(b, "HTTP 503", retry_after=60))
    assert [e.op_id for e in store.read().outbox.ready()] == [c]
    failed = store.read().outbox.get(b)
    assert failed.last_error == "HTTP 503"
    assert failed.next_attempt_at is not None
    now = store.read().outbox.get(b).next_attempt_at.timestamp() + 1  # type: ignore[union-attr]
    assert [e.op_id for e in store.read().outbox.ready(now=now)] == [b, c]
    parked = store.read().outbox.get(a)
    assert parked.state is OpState.NEEDS_ATTENTION
    assert parked.field_errors == (FieldError("name", "is taken"),)
    assert store.read().records.get(D, 1).sync is RecordSync.NEEDS_ATTENTION  # type: ignore[union-attr]
    # editing a refused change folds into it and queues it again
    store.write_sync(lambda s: s.edits.update(D, 1, {"name": "one, fixed"}))
    fixed = store.read().outbox.get(a)
    assert fixed.state is OpState.PENDING
    assert fixed.field_errors == ()
    counts = store.read().outbox.counts()
    assert (counts.pending, counts.needs_attention, counts.total) == (3, 0, 3)


def test_backoff_grows_with_attempts(store: Store) -> None:
    seed(store, deal(1))
    op = store.write_sync(lambda s: s.edits.update(D, 1, {"name": "x"}))
    delays = []
    for _ in range(4):
        store.write_sync(lambda s: s.outbox.mark_sending(op))
        entry = store.write_sync(lambda s: s.outbox.fail(op, "timeout"))
        delays.append(entry.next_attempt_at.timestamp())  # type: ignore[union-attr]
        store.write_sync(lambda s: s.outbox.requeue(op))
    assert store.read().outbox.get(op).attempts == 4


def test_pull_never_overwrites_a_pending_field(store: Store) -> None:
    seed(store, deal(1))
    store.write_sync(lambda s: s.edits.update(D, 1, {"name": "Mine"}))
    newer = later(deal(1), "2026/02/01 10:00:00 -0000", name="Theirs", value="999.0")
    seed(store, newer)
    record = store.read().records.get(D, 1)
    assert record.data["name"] == "Mine"  # type: ignore[union-attr]
    assert record.data["value"] == "999.0"  # type: ignore[union-attr]
    assert record.server["name"] == "Theirs"  # type: ignore[union-attr]
    # an older copy never replaces a newer one
    seed(store, later(deal(2), "2026/03/01 10:00:00 -0000"))
    seed(store, later(deal(2), "2026/01/01 10:00:00 -0000", name="stale"))
    assert store.read().records.get(D, 2).data["name"] == "Deal 2"  # type: ignore[union-attr]


def test_create_offline_with_a_child_then_confirm_remaps_everything(store: Store) -> None:
    def make(s):
        deal_id = s.edits.create(D, {"name": "Offline deal"})
        note_id = s.edits.create(Entity.NOTE, {"content": "call back", "deal_id": deal_id})
        s.edits.update(D, deal_id, {"value": "10"})  # folds into the create
        return deal_id, note_id

    deal_id, note_id = store.write_sync(make)
    assert deal_id < 0
    assert note_id < 0
    assert deal_id != note_id
    reader = store.read()
    assert reader.records.get(D, deal_id).sync is RecordSync.NOT_CREATED  # type: ignore[union-attr]
    create, note_create = reader.outbox.entries()
    assert dict(create.patch) == {"name": "Offline deal", "value": "10"}
    assert [e.op_id for e in reader.outbox.ready()] == [create.op_id]  # the note waits
    assert reader.outbox.counts().waiting_for_parent == 1
    assert reader.search.ids(D, "offl") == [deal_id]
    ledger = reader.ledger.get(deal_id)
    assert ledger is not None
    assert ledger.fingerprint["name"] == "Offline deal"

    store.write_sync(lambda s: s.outbox.mark_sending(create.op_id))
    assert store.read().ledger.get(deal_id).state is CreateState.SENDING  # type: ignore[union-attr]
    reply = deal(501, "Offline deal", value="10.0")
    changes = store.write_sync(lambda s: s.outbox.confirm(create.op_id, reply))
    assert dict(changes.remapped) == {deal_id: 501}
    assert reader.records.get(D, deal_id) is None
    assert reader.records.get(D, 501).sync is RecordSync.SYNCED  # type: ignore[union-attr]
    assert reader.search.ids(D, "offl") == [501]
    assert reader.ledger.server_id(deal_id) == 501
    (ready,) = reader.outbox.ready()
    assert ready.op_id == note_create.op_id
    assert dict(ready.patch)["deal_id"] == 501
    assert [r.id for r in reader.records.related(Entity.NOTE, "deal_id", 501)] == [note_id]


def test_updates_to_a_record_whose_create_is_in_flight_follow_the_new_id(store: Store) -> None:
    rid = store.write_sync(lambda s: s.edits.create(D, {"name": "n"}))
    (create,) = store.read().outbox.entries()
    store.write_sync(lambda s: s.outbox.mark_sending(create.op_id))
    update = store.write_sync(lambda s: s.edits.update(D, rid, {"name": "n2"}))
    assert store.read().outbox.ready() == []
    reply = deal(77, "n", updated_at="2026/05/05 10:00:00 -0000")
    store.write_sync(lambda s: s.outbox.confirm(create.op_id, reply))
    (ready,) = store.read().outbox.ready()
    assert ready.op_id == update
    assert ready.record_id == 77
    assert ready.base_updated_at == "2026/05/05 10:00:00 -0000"
    assert store.read().records.get(D, 77).data["name"] == "n2"  # type: ignore[union-attr]


def test_a_create_already_pulled_is_merged_not_duplicated(store: Store) -> None:
    rid = store.write_sync(lambda s: s.edits.create(D, {"name": "dup?"}))
    (create,) = store.read().outbox.entries()
    store.write_sync(lambda s: s.outbox.mark_sending(create.op_id))
    seed(store, deal(900, "dup?"))  # the pull saw it land before the reply was handled
    store.write_sync(lambda s: s.outbox.confirm(create.op_id, deal(900, "dup?")))
    assert store.read().records.count(D) == 1
    assert store.read().records.get(D, rid) is None


def test_in_doubt_entries_survive_a_restart(db_path: Path, store: Store) -> None:
    seed(store, deal(1))
    op = store.write_sync(lambda s: s.edits.update(D, 1, {"name": "x"}))
    store.write_sync(lambda s: s.outbox.mark_sending(op))
    store.close()
    with Store.open(db_path) as reopened:
        (doubt,) = reopened.read().outbox.in_doubt()
        assert doubt.op_id == op
        assert doubt.state is OpState.SENDING
        reopened.write_sync(lambda s: s.outbox.requeue(op))
        assert [e.op_id for e in reopened.read().outbox.ready()] == [op]


def test_delete_of_a_never_sent_create_drops_it_with_undo(store: Store) -> None:
    rid = store.write_sync(lambda s: s.edits.create(D, {"name": "tmp"}))
    token = store.write_sync(lambda s: s.edits.delete(D, rid))
    assert isinstance(token, int)
    assert store.read().records.get(D, rid) is None
    assert store.read().outbox.entries() == []
    store.write_sync(lambda s: s.edits.undo(token))
    assert store.read().records.get(D, rid).data["name"] == "tmp"  # type: ignore[union-attr]
    assert store.read().ledger.get(rid).state is CreateState.QUEUED  # type: ignore[union-attr]


def test_delete_hides_the_row_folds_updates_and_discard_brings_all_back(store: Store) -> None:
    seed(store, deal(1))
    store.write_sync(lambda s: s.edits.update(D, 1, {"name": "edited"}))
    op = store.write_sync(lambda s: s.edits.delete(D, 1))
    (entry,) = store.read().outbox.entries()
    assert entry.kind is OpKind.DELETE
    assert entry.op_id == op
    assert store.read().records.get(D, 1) is None
    seed(store, later(deal(1), "2026/06/01 10:00:00 -0000"))  # a pull must not revive it
    assert store.read().records.get(D, 1) is None
    token = store.write_sync(lambda s: s.edits.discard(op))
    record = store.read().records.get(D, 1)
    assert record is not None
    assert record.data["name"] == "edited"
    assert [e.kind for e in store.read().outbox.entries()] == [OpKind.UPDATE]
    store.write_sync(lambda s: s.edits.undo(token))
    assert store.read().records.get(D, 1) is None
    assert [e.kind for e in store.read().outbox.entries()] == [OpKind.DELETE]
    store.write_sync(lambda s: s.outbox.mark_sending(op))
    store.write_sync(lambda s: s.outbox.confirm(op, None))
    assert store.read().outbox.entries() == []


def test_discard_keeps_the_values_in_history_and_undo_restores_order(store: Store) -> None:
    seed(store, deal(1), deal(2))
    a = store.write_sync(lambda s: s.edits.update(D, 1, {"name": "a"}))
    b = store.write_sync(lambda s: s.edits.update(D, 2, {"name": "b"}))
    token = store.write_sync(lambda s: s.edits.discard(a))
    assert store.read().records.get(D, 1).data["name"] == "Deal 1"  # type: ignore[union-attr]
    (item,) = store.read().conflicts.history(D, 1)
    assert (item.field, item.value, item.reason) == ("name", "a", "discarded")
    store.write_sync(lambda s: s.edits.undo(token))
    assert [e.op_id for e in store.read().outbox.entries()] == [a, b]
    assert store.read().conflicts.history(D, 1) == []
    with pytest.raises(UnknownOperationError):
        store.write_sync(lambda s: s.edits.undo(token))


def test_discarding_a_create_takes_its_children_along(store: Store) -> None:
    def make(s):
        parent = s.edits.create(Entity.COMPANY, {"name": "Newco"})
        s.edits.create(Entity.PERSON, {"first_name": "Pat", "company_id": parent})
        return parent

    parent = store.write_sync(make)
    (create, _child) = store.read().outbox.entries()
    token = store.write_sync(lambda s: s.edits.discard(create.op_id))
    assert store.read().outbox.entries() == []
    assert store.read().records.count(Entity.PERSON) == 0
    store.write_sync(lambda s: s.edits.undo(token))
    assert len(store.read().outbox.entries()) == 2
    assert store.read().records.get(Entity.COMPANY, parent) is not None


def test_sending_entries_cannot_be_discarded_or_sent_twice(store: Store) -> None:
    seed(store, deal(1))
    op = store.write_sync(lambda s: s.edits.update(D, 1, {"name": "x"}))
    store.write_sync(lambda s: s.outbox.mark_sending(op))
    with pytest.raises(StoreError):
        store.write_sync(lambda s: s.edits.discard(op))
    with pytest.raises(StoreError):
        store.write_sync(lambda s: s.outbox.mark_sending(op))


def test_deleted_on_server_keeps_local_edits_and_removes_clean_rows(store: Store) -> None:
    seed(store, deal(1), deal(2), deal(3))
    store.write_sync(lambda s: s.edits.update(D, 1, {"name": "keep me"}))
    result = store.write_sync(lambda s: s.records.deleted_on_server(D, [1, 2]))
    assert result.removed == {2}
    assert result.kept == {1}
    record = store.read().records.get(D, 1)
    assert record.sync is RecordSync.DELETED_ON_SERVER
    assert record.data["name"] == "keep me"
    (entry,) = store.read().outbox.entries()
    assert entry.state is OpState.DELETED_ON_SERVER
    assert store.read().outbox.ready() == []
    assert list(store.read().records.server_ids(D)) == [3]
    # recreate: a new local create with the current values
    new_id = store.write_sync(lambda s: s.edits.recreate(D, 1))
    assert new_id < 0
    (create,) = store.read().outbox.entries()
    assert create.kind is OpKind.CREATE
    assert create.patch["name"] == "keep me"


def test_sweep_removes_what_the_server_no_longer_lists(store: Store) -> None:
    seed(store, deal(1), deal(2), deal(3))
    result = store.write_sync(lambda s: s.records.sweep(D, [1, 3]))
    assert result.removed == {2}
    assert list(store.read().records.server_ids(D)) == [1, 3]


def test_a_404_on_update_marks_the_record_deleted_on_server(store: Store) -> None:
    seed(store, deal(1))
    op = store.write_sync(lambda s: s.edits.update(D, 1, {"name": "x"}))
    store.write_sync(lambda s: s.outbox.mark_sending(op))
    store.write_sync(lambda s: s.outbox.park(op, OpState.DELETED_ON_SERVER, "404"))
    assert store.read().records.get(D, 1).sync is RecordSync.DELETED_ON_SERVER  # type: ignore[union-attr]


def test_comment_waits_for_its_note(store: Store) -> None:
    def make(s):
        note = s.edits.create(Entity.NOTE, {"content": "n"})
        s.edits.create(Entity.COMMENT, {"comment": "c"}, parent_id=note)
        return note

    note = store.write_sync(make)
    note_op, comment_op = store.read().outbox.entries()
    assert [e.op_id for e in store.read().outbox.ready()] == [note_op.op_id]
    store.write_sync(lambda s: s.outbox.mark_sending(note_op.op_id))
    store.write_sync(lambda s: s.outbox.confirm(note_op.op_id, {"id": 40, "content": "n"}))
    (ready,) = store.read().outbox.ready()
    assert ready.op_id == comment_op.op_id
    assert ready.parent_id == 40
    assert store.read().ledger.server_id(note) == 40


def test_unknown_op_ids_are_reported(store: Store) -> None:
    with pytest.raises(UnknownOperationError):
        store.write_sync(lambda s: s.outbox.confirm("nope", None))
    seed(store, company(1, "Acme"))


def test_a_newer_server_copy_pulled_while_a_delete_waits_is_what_discarding_brings_back(
    store: Store,
) -> None:
    seed(store, deal(1))
    op = store.write_sync(lambda s: s.edits.delete(D, 1))
    seed(store, later(deal(1), "2026/06/01 10:00:00 -0000", name="Theirs"))
    seed(store, later(deal(1), "2026/05/01 10:00:00 -0000", name="Older"))  # never wins
    store.write_sync(lambda s: s.edits.discard(op))
    record = store.read().records.get(D, 1)
    assert record is not None
    assert record.data["name"] == "Theirs"
    assert record.server["updated_at"] == "2026/06/01 10:00:00 -0000"  # type: ignore[index]


def test_the_reply_to_an_update_sent_before_a_delete_is_kept_for_undo(store: Store) -> None:
    seed(store, deal(1))
    update = store.write_sync(lambda s: s.edits.update(D, 1, {"name": "Mine"}))
    store.write_sync(lambda s: s.outbox.mark_sending(update))
    delete = store.write_sync(lambda s: s.edits.delete(D, 1))  # while the PUT is in flight
    reply = later(deal(1), "2026/06/01 10:00:00 -0000", name="Mine")
    store.write_sync(lambda s: s.outbox.confirm(update, reply))
    store.write_sync(lambda s: s.edits.discard(delete))
    record = store.read().records.get(D, 1)
    assert record is not None
    assert record.server["name"] == "Mine"  # type: ignore[index]
    assert record.data["name"] == "Mine"
    assert record.sync is RecordSync.SYNCED
    # editing the name back is a change again, so it reaches the server
    assert store.write_sync(lambda s: s.edits.update(D, 1, {"name": "Deal 1"})) is not None


def test_deleting_a_record_whose_create_the_server_refused_drops_it(store: Store) -> None:
    rid = store.write_sync(lambda s: s.edits.create(Entity.COMPANY, {"name": "Refused"}))
    (create,) = store.read().outbox.entries()
    store.write_sync(lambda s: s.outbox.mark_sending(create.op_id))
    store.write_sync(lambda s: s.outbox.park(create.op_id, OpState.NEEDS_ATTENTION, "HTTP 422"))
    token = store.write_sync(lambda s: s.edits.delete(Entity.COMPANY, rid))
    assert isinstance(token, int)  # dropped (with undo), not a delete waiting forever
    assert store.read().outbox.entries() == []
    assert store.read().outbox.counts().total == 0
    store.write_sync(lambda s: s.edits.undo(token))
    (back,) = store.read().outbox.entries()
    assert (back.op_id, back.state) == (create.op_id, OpState.NEEDS_ATTENTION)


def test_edits_naming_a_local_id_after_its_create_was_confirmed_reach_the_server_record(
    store: Store,
) -> None:
    # A screen that has not yet heard of the confirmation still holds the local ids.
    C = Entity.COMPANY

    def make(s):
        return s.edits.create(C, {"name": "Newco"}), s.edits.create(Entity.NOTE, {"content": "n"})

    company_id, note_id = store.write_sync(make)
    seed(store, deal(1))
    company_op, note_op = [e.op_id for e in store.read().outbox.entries()]
    for op in (company_op, note_op):
        store.write_sync(lambda s, op=op: s.outbox.mark_sending(op))
    store.write_sync(lambda s: s.outbox.confirm(company_op, company(77, "Newco")))
    store.write_sync(lambda s: s.outbox.confirm(note_op, {"id": 88, "content": "n"}))

    assert store.read().records.get(C, company_id) is None  # reads name what is there
    assert store.write_sync(lambda s: s.records.require(C, company_id).id) == 77
    store.write_sync(lambda s: s.edits.update(C, company_id, {"name": "Newco Ltd"}))
    store.write_sync(lambda s: s.edits.update(D, 1, {"company_id": company_id}))
    store.write_sync(lambda s: s.edits.create(Entity.COMMENT, {"comment": "c"}, parent_id=note_id))
    renamed, linked, comment = store.read().outbox.entries()
    assert (renamed.record_id, dict(renamed.patch)) == (77, {"name": "Newco Ltd"})
    assert (linked.record_id, dict(linked.patch)) == (1, {"company_id": 77})
    assert comment.parent_id == 88
    assert [e.op_id for e in store.read().outbox.ready()] == [
        e.op_id for e in (renamed, linked, comment)
    ]
    assert store.read().records.get(D, 1).data["company_id"] == 77  # type: ignore[union-attr]
    store.write_sync(lambda s: s.edits.delete(C, company_id))
    assert store.read().records.get(C, 77) is None
