"""Conflicts: recorded per field, resolved both ways, losers kept in the history."""

from __future__ import annotations

from crmdesk.domain.entities import Entity
from crmdesk.domain.fields import FieldSet
from crmdesk.domain.merge import three_way_merge
from crmdesk.domain.sync_status import RecordSync
from crmdesk.store import Resolution, Store
from tests.unit.store.conftest import deal, later

D = Entity.DEAL


def conflicted(store: Store) -> tuple[str, int]:
    """Deal 1 edited here (name, value) while the server changed the name too."""
    store.write_sync(lambda s: s.records.upsert_server(D, [deal(1)]))
    op = store.write_sync(lambda s: s.edits.update(D, 1, {"name": "Mine", "value": "5"}))
    entry = store.write_sync(lambda s: s.outbox.mark_sending(op))
    theirs = later(deal(1), "2026/03/03 10:00:00 -0000", name="Theirs", updated_by_user_id=2)
    merge = three_way_merge(entry.base, entry.patch, theirs, FieldSet(D))
    assert [c.field for c in merge.conflicts] == ["name"]
    assert dict(merge.to_send) == {"value": "5"}
    (cid,) = store.write_sync(
        lambda s: s.conflicts.record(
            op, theirs, merge.conflicts, changed_by="Bob Basic", changed_at=theirs["updated_at"]
        )
    )
    return op, cid


def test_a_conflict_keeps_mine_visible_and_sends_the_other_fields(store: Store) -> None:
    op, cid = conflicted(store)
    record = store.read().records.get(D, 1)
    assert record is not None
    assert record.sync is RecordSync.CONFLICT
    assert record.data["name"] == "Mine"
    assert record.server["name"] == "Theirs"
    (entry,) = store.read().outbox.ready()
    assert entry.op_id == op
    assert dict(entry.patch) == {"value": "5"}
    assert entry.base_updated_at == "2026/03/03 10:00:00 -0000"
    (conflict,) = store.read().conflicts.open_conflicts(D, 1)
    assert (conflict.id, conflict.base, conflict.mine, conflict.theirs) == (
        cid,
        "Deal 1",
        "Mine",
        "Theirs",
    )
    assert conflict.changed_by == "Bob Basic"
    assert store.read().outbox.counts().open_conflicts == 1
    # a pull does not bring back theirs while the conflict is open
    store.write_sync(
        lambda s: s.records.upsert_server(
            D, [later(deal(1), "2026/03/04 10:00:00 -0000", name="Theirs")]
        )
    )
    assert store.read().records.get(D, 1).data["name"] == "Mine"  # type: ignore[union-attr]


def test_take_mine_queues_an_update_on_top_of_theirs(store: Store) -> None:
    op, cid = conflicted(store)
    store.write_sync(lambda s: s.outbox.mark_sending(op))
    store.write_sync(
        lambda s: s.outbox.confirm(
            op, later(deal(1), "2026/03/05 10:00:00 -0000", name="Theirs", value="5.0")
        )
    )
    new_op = store.write_sync(lambda s: s.conflicts.resolve(cid, Resolution.MINE))
    (entry,) = store.read().outbox.entries()
    assert entry.op_id == new_op
    assert dict(entry.patch) == {"name": "Mine"}
    assert dict(entry.base) == {"name": "Theirs"}
    assert store.read().conflicts.open_conflicts() == []
    (lost,) = store.read().conflicts.history(D, 1)
    assert (lost.value, lost.reason) == ("Theirs", "conflict_theirs_lost")
    assert store.read().records.get(D, 1).sync is RecordSync.PENDING  # type: ignore[union-attr]


def test_take_theirs_drops_mine_and_history_can_restore_it(store: Store) -> None:
    op, cid = conflicted(store)
    store.write_sync(lambda s: s.conflicts.resolve(cid, Resolution.THEIRS))
    record = store.read().records.get(D, 1)
    assert record.data["name"] == "Theirs"  # type: ignore[union-attr]
    assert record.data["value"] == "5"  # type: ignore[union-attr]  # the merged field is still queued
    (lost,) = store.read().conflicts.history(D, 1)
    assert (lost.field, lost.value, lost.reason) == ("name", "Mine", "conflict_mine_lost")
    store.write_sync(lambda s: s.conflicts.restore(lost.id))
    assert store.read().records.get(D, 1).data["name"] == "Mine"  # type: ignore[union-attr]
    (entry,) = store.read().outbox.entries()
    assert entry.op_id == op
    assert dict(entry.patch) == {"value": "5", "name": "Mine"}
    assert store.read().conflicts.history(D, 1)[0].restored_at is not None


def test_a_conflict_on_every_field_removes_the_entry(store: Store) -> None:
    store.write_sync(lambda s: s.records.upsert_server(D, [deal(1)]))
    op = store.write_sync(lambda s: s.edits.update(D, 1, {"name": "Mine"}))
    entry = store.write_sync(lambda s: s.outbox.mark_sending(op))
    theirs = later(deal(1), "2026/03/03 10:00:00 -0000", name="Theirs")
    merge = three_way_merge(entry.base, entry.patch, theirs, FieldSet(D))
    store.write_sync(lambda s: s.conflicts.record(op, theirs, merge.conflicts))
    assert store.read().outbox.entries() == []
    assert store.read().records.get(D, 1).data["name"] == "Mine"  # type: ignore[union-attr]
