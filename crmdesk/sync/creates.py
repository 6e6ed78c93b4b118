"""Did my lost create land? Finding a create on the server by its fingerprint.

The API has no idempotency key, so a POST whose reply was lost (timeout after sending,
dropped connection, a crash between sending and recording the reply) is never sent again
blindly. The server is searched first for a record that matches the create: created since
the first attempt (minus a margin for clock skew), by the name or parent the create had,
with the same values in every fingerprint field, made by this user, and not already
adopted by another create of ours. Exactly one match is adopted as the server's copy;
several -> the oldest is adopted and the run says so; none -> the create is sent again.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from crmdesk.api.params import format_from_date
from crmdesk.domain.entities import Entity
from crmdesk.domain.fields import JSON, FieldSet, same_value
from crmdesk.domain.patch import read_field
from crmdesk.store.ledger import fingerprint
from crmdesk.sync.stamps import stamp_of
from crmdesk.sync.wire import Record, Wire

#: Documented text conditions that narrow the search: (condition key, field of the create).
_NARROWING: dict[Entity, tuple[tuple[str, str], ...]] = {
    Entity.DEAL: (("deal_name", "name"),),
    Entity.PERSON: (
        ("person_email", "email"),
        ("person_last_name", "last_name"),
        ("person_first_name", "first_name"),
    ),
    Entity.COMPANY: (("company_name", "name"),),
}


@dataclass(frozen=True, slots=True)
class CreateProbe:
    """What is known about one create whose outcome is unknown."""

    entity: Entity
    patch: Mapping[str, JSON]  # exactly what was sent
    parent_id: int | None  # a comment's note
    first_sent_at: datetime  # local clock


def search_conditions(probe: CreateProbe, zone: tzinfo, margin_start: datetime) -> dict[str, Any]:
    """``conditions`` for the candidates of ``probe``: changed since ``margin_start``.

    ``*_modified`` is the condition every synced collection documents (a record created
    then has been modified since then too); ``*_created`` is documented for deals, people
    and companies only. The creation time is checked on the candidates themselves."""
    key = probe.entity.modified_condition
    if key is None:
        raise ValueError(f"{probe.entity.plural_label} cannot be searched by time")
    conditions: dict[str, Any] = {key: {"from_date": format_from_date(margin_start, zone)}}
    for condition, name in _NARROWING.get(probe.entity, ()):
        value = probe.patch.get(name)
        if value not in (None, "") and not isinstance(value, bool):
            conditions[condition] = value
            break
    return conditions


def matches(
    probe: CreateProbe,
    candidate: Mapping[str, Any],
    fields: FieldSet,
    *,
    me: int | None,
    since: datetime,
    adopted: Collection[int],
) -> bool:
    """True if ``candidate`` can be the record ``probe`` created."""
    if candidate.get("id") in adopted:
        return False
    made = candidate.get("created_at")
    created = stamp_of({"updated_at": made}) if isinstance(made, str) else None
    if created is not None and created < since:
        return False
    author_key = "user_id" if probe.entity is Entity.COMMENT else "created_by_user_id"
    author = candidate.get(author_key)
    if me is not None and isinstance(author, int) and author != me:
        return False
    wanted = fingerprint(probe.entity, probe.patch, probe.parent_id)
    for name, value in wanted.items():
        if name == "parent_id":
            if candidate.get("note_id") not in (None, value):
                return False
            continue
        if not same_value(fields.get(name), read_field(candidate, name), value):
            return False
    return True


def oldest_first(candidates: list[Record]) -> list[Record]:
    """Candidates ordered by creation time, then id."""

    def key(record: Record) -> tuple[float, int]:
        made = record.get("created_at")
        moment = stamp_of({"updated_at": made}) if isinstance(made, str) else None
        return (moment.timestamp() if moment else 0.0, int(record["id"]))

    return sorted(candidates, key=key)


async def find_created(
    wire: Wire,
    probe: CreateProbe,
    fields: FieldSet,
    *,
    me: int | None,
    zone: tzinfo,
    since: datetime,
    adopted: Collection[int],
) -> list[Record]:
    """Server records that match ``probe``, oldest first (may raise ApiError)."""
    if probe.entity is Entity.COMMENT:
        if probe.parent_id is None:
            return []
        found = await wire.comments(probe.parent_id).all()
    else:
        conditions = search_conditions(probe, zone, since)
        found = await wire.listing(probe.entity, conditions=conditions, concurrency=2).all()
    hits = [r for r in found if matches(probe, r, fields, me=me, since=since, adopted=adopted)]
    return oldest_first(hits)
