"""Making conflicts and server-side deletions in a real store the way the sync engine does
(a pull brings a newer server copy, then push's ``prepare`` merges the queued change)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crmdesk.domain.entities import Entity
from crmdesk.store import Store
from crmdesk.sync.push import prepare

THEIRS_AT = "2026/02/20 15:30:00 -0000"


def make_conflict(
    store: Store,
    rid: int,
    mine: Mapping[str, Any],
    theirs: Mapping[str, Any],
    *,
    entity: Entity = Entity.DEAL,
    by: int | None = 2,
    at: str = THEIRS_AT,
) -> str:
    """Edit ``rid`` here (``mine``), let user ``by`` change it on the server (``theirs``),
    then run the push's merge; returns the queued change's op_id."""
    op = store.write_sync(lambda s: s.edits.update(entity, rid, dict(mine)))
    assert op is not None
    record = store.read().records.get(entity, rid)
    assert record is not None
    assert record.server is not None
    newer = {**record.server, **theirs, "updated_at": at}
    if by is not None:
        newer["updated_by_user_id"] = by
    store.write_sync(lambda s: s.records.upsert_server(entity, [newer]))
    store.write_sync(lambda s: prepare(s, op))
    return op


def delete_on_server(store: Store, rid: int, changes: Mapping[str, Any], entity=Entity.DEAL) -> str:
    """Edit ``rid`` here, then see it deleted on the server; returns the parked op_id."""
    op = store.write_sync(lambda s: s.edits.update(entity, rid, dict(changes)))
    assert op is not None
    store.write_sync(lambda s: s.records.deleted_on_server(entity, [rid]))
    return op
