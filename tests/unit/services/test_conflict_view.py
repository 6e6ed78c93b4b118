"""The conflict view: fields in conflict, merged fields, lost values and parked changes of
a record deleted on the server, as display text, read from a real store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crmdesk.domain.entities import Entity
from crmdesk.domain.outbox import Resolution
from crmdesk.domain.sync_status import RecordSync
from crmdesk.services.conflict_view import EMPTY, ConflictViews
from crmdesk.store import Store
from tests.account_data import open_filled
from tests.conflict_support import delete_on_server, make_conflict

D = Entity.DEAL


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_filled(tmp_path / "store.db", deals=10, people=4, companies=2)
    try:
        yield opened
    finally:
        opened.close()


def test_a_conflict_shows_original_mine_theirs_as_the_detail_pane_would(store: Store) -> None:
    # deal 5: value 500, owner Ann (user 1 = 1 + 5 % 3 = 3 -> Cleo); I change value, owner
    # and name, the server (Bob) changes value and owner
    make_conflict(
        store,
        5,
        {"value": "1250.5", "user_id": 1, "name": "Mine"},
        {"value": "990", "user_id": 2},
    )
    # the push recorded who made the server's change
    assert {c.changed_by for c in store.read().conflicts.open_conflicts(D, 5)} == {"Bob Basic"}
    view = ConflictViews(store).conflict(D, 5)
    by_field = {f.field: f for f in view.fields}
    assert set(by_field) == {"value", "user_id"}
    value = by_field["value"]
    assert (value.label, value.original, value.mine, value.theirs) == (
        "Value",
        "$500.00",
        "$1,250.50",
        "$990.00",
    )
    owner = by_field["user_id"]
    assert (owner.original, owner.mine, owner.theirs) == ("Cleo Closer", "Ann Admin", "Bob Basic")
    assert value.changed_by == "Bob Basic"
    assert view.changed_by == "Bob Basic"
    assert value.changed_at == "02/20/2026 03:30 PM"  # the profile: US formats, UTC
    assert view.title == "Mine"
    # the name changed here only: merged, on its way to the server
    (merged,) = view.merged
    assert (merged.field, merged.label, merged.value, merged.side) == (
        "name",
        "Name",
        "Mine",
        "mine",
    )


def test_without_a_name_for_the_author_it_says_nothing_rather_than_guess(store: Store) -> None:
    make_conflict(store, 4, {"summary": "mine"}, {"summary": "theirs"}, by=None)
    (field,) = ConflictViews(store).conflict(D, 4).fields
    assert field.changed_by == ""
    assert (field.original, field.mine, field.theirs) == (EMPTY, "mine", "theirs")
    assert ConflictViews(store).conflict(D, 4).merged == ()


def test_lost_values_after_resolving_are_listed_newest_first(store: Store) -> None:
    make_conflict(store, 5, {"value": "1250.5", "user_id": 1}, {"value": "990", "user_id": 2})
    views = ConflictViews(store)
    ids = {f.field: f.conflict_id for f in views.conflict(D, 5).fields}
    store.write_sync(lambda s: s.conflicts.resolve(ids["value"], Resolution.THEIRS))
    store.write_sync(lambda s: s.conflicts.resolve(ids["user_id"], Resolution.MINE))
    lost = views.lost_values(D, 5)
    assert [(v.label, v.value, v.restored) for v in lost] == [
        ("Owner", "Bob Basic", False),
        ("Value", "$1,250.50", False),
    ]
    assert lost[1].reason == "Your value; the server's was kept"
    assert lost[0].when  # a local time
    store.write_sync(lambda s: s.conflicts.restore(lost[1].history_id))
    assert views.lost_values(D, 5)[1].restored


def test_a_record_deleted_on_the_server_lists_my_parked_changes(store: Store) -> None:
    op = delete_on_server(store, 3, {"value": "42", "expected_close_date": "2026-09-30"})
    view = ConflictViews(store).deleted(D, 3)
    assert view.deleted
    assert view.op_ids == (op,)
    assert {(c.label, c.value) for c in view.changes} == {
        ("Value", "$42.00"),
        ("Expected close", "09/30/2026"),
    }


def test_discarding_the_last_change_of_a_deleted_record_removes_it_and_undo_returns_it(
    store: Store,
) -> None:
    op = delete_on_server(store, 3, {"value": "42"})
    token = store.write_sync(lambda s: s.edits.discard(op))
    assert store.read().records.get(D, 3) is None
    assert store.read().outbox.entries() == []
    store.write_sync(lambda s: s.edits.undo(token))
    record = store.read().records.get(D, 3)
    assert record is not None
    assert record.sync is RecordSync.DELETED_ON_SERVER
    assert record.data["value"] == "42"
    assert [e.op_id for e in store.read().outbox.entries()] == [op]
