"""The queue view: each queued change with its record, fields old -> new as the detail
pane shows them, and its state in words - on a real store file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crmdesk.domain.entities import Entity
from crmdesk.domain.errors import FieldError
from crmdesk.domain.merge import FieldConflict
from crmdesk.domain.outbox import OpKind, OpState
from crmdesk.services.formatting import DisplayFormats
from crmdesk.services.queue_types import QueueState
from crmdesk.services.queue_view import QueueView
from crmdesk.store import Store
from tests.account_data import open_filled

D = Entity.DEAL
FORMATS = DisplayFormats(date_pattern="%d/%m/%Y", zone=UTC, default_currency="USD")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_filled(tmp_path / "account" / "store.db")
    try:
        yield opened
    finally:
        opened.close()


def name_of(store: Store, rid: int) -> str:
    return store.read().records.get(D, rid).data["name"]  # type: ignore[union-attr]


def test_an_update_shows_its_fields_old_to_new_formatted(store: Store) -> None:
    name = name_of(store, 7)
    store.write_sync(
        lambda s: s.edits.update(D, 7, {"value": "1234.5", "expected_close_date": "2026/12/31"})
    )
    (item,) = QueueView(store).items(FORMATS)
    assert item.title == name
    assert (item.entity, item.record_id, item.kind, item.kind_text) == (
        D,
        7,
        OpKind.UPDATE,
        "Change",
    )
    changes = {c.label: (c.old, c.new) for c in item.changes}
    assert changes["Value"] == ("$700.00", "$1,234.50")
    assert changes["Expected close"][1] == "31/12/2026"
    assert "Value: $700.00 → $1,234.50" in item.changes_text
    assert item.state is QueueState.WAITING
    assert item.state_text == "Waiting to be sent"
    assert item.made_at is not None
    assert item.made_text
    assert item.can_retry
    assert item.can_discard
    assert not item.can_resolve


def test_states_in_words(store: Store) -> None:
    a = store.write_sync(lambda s: s.edits.update(D, 1, {"name": "A"}))
    b = store.write_sync(lambda s: s.edits.update(D, 2, {"name": "B"}))
    c = store.write_sync(lambda s: s.edits.update(D, 3, {"name": "C"}))
    d = store.write_sync(lambda s: s.edits.update(D, 4, {"name": "D"}))
    store.write_sync(lambda s: s.outbox.mark_sending(a))
    store.write_sync(lambda s: s.outbox.mark_sending(b))
    store.write_sync(lambda s: s.outbox.fail(b, "The server did not answer", retry_after=600))
    store.write_sync(
        lambda s: s.outbox.park(
            c, OpState.NEEDS_ATTENTION, "The server refused it", [FieldError("name", "is taken")]
        )
    )
    store.write_sync(lambda s: s.outbox.park(d, OpState.DELETED_ON_SERVER, "HTTP 404"))
    items = {i.op_id: i for i in QueueView(store).items(FORMATS)}
    assert items[a].state is QueueState.SENDING
    assert not items[a].can_discard
    assert items[b].state is QueueState.FAILED
    assert items[b].state_text.startswith("Failed, next try in ")
    assert items[b].state_text.endswith(": The server did not answer")
    assert items[c].state_text == "Needs attention: The server refused it"
    assert items[c].detail == "Name: is taken"
    assert items[d].state is QueueState.DELETED_ON_SERVER
    assert items[d].can_resolve
    assert not items[d].can_retry


def test_a_create_a_child_waiting_for_it_and_a_delete(store: Store) -> None:
    name = name_of(store, 9)
    rid = store.write_sync(lambda s: s.edits.create(D, {"name": "Brand new", "value": "50"}))
    store.write_sync(
        lambda s: s.edits.create(Entity.PERSON, {"last_name": "Lee", "deal_ids": [rid]})
    )
    store.write_sync(lambda s: s.edits.delete(D, 9))
    new, child, gone = QueueView(store).items(FORMATS)
    assert (new.kind_text, new.title) == ("New", "Brand new")
    assert {c.label: (c.old, c.new) for c in new.changes}["Value"] == (None, "$50.00")
    assert "Name: Brand new; Value: $50.00" in new.changes_text
    assert child.state is QueueState.WAITING_FOR_PARENT
    assert child.state_text == "Waiting for its parent: the new deal “Brand new” goes first"
    assert (gone.kind_text, gone.title, gone.changes_text) == ("Delete", name, "Delete the record")
    assert not gone.can_open


def test_open_conflicts_come_first_with_both_values(store: Store) -> None:
    op = store.write_sync(lambda s: s.edits.update(D, 5, {"value": "900"}))
    store.write_sync(lambda s: s.outbox.mark_sending(op))
    theirs = {
        **store.read().records.get(D, 5).server,
        "value": "800.0",
        "updated_at": "2026/02/02 10:00:00 -0000",
    }  # type: ignore[union-attr]
    store.write_sync(
        lambda s: s.conflicts.record(
            op, theirs, [FieldConflict("value", "500.0", "900", "800.0")], changed_by="Bob"
        )
    )
    (item,) = QueueView(store).items(FORMATS, now=datetime.now(UTC) + timedelta(seconds=1))
    assert item.kind is None
    assert item.kind_text == "Conflict"
    assert item.state is QueueState.CONFLICT
    assert item.state_text == "Conflict: changed here and on the server (by Bob)"
    assert item.detail == "Value: server has $800.00, you have $900.00"
    assert item.can_resolve
    assert not item.can_discard
