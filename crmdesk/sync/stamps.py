"""Server timestamps: parsing ``updated_at`` values and keeping pull cursors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from crmdesk.domain.timefmt import parse_timestamp


def stamp_of(record: Mapping[str, Any]) -> datetime | None:
    """The record's ``updated_at`` as an aware datetime (None if absent or unreadable)."""
    value = record.get("updated_at")
    if not isinstance(value, str):
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None


def latest(records: Iterable[Mapping[str, Any]], start: datetime | None = None) -> datetime | None:
    """The newest ``updated_at`` among ``records`` (and ``start``)."""
    best = start
    for record in records:
        moment = stamp_of(record)
        if moment is not None and (best is None or moment > best):
            best = moment
    return best


def same_stamp(a: str | None, b: str | None) -> bool:
    """True if two ``updated_at`` texts name the same moment (spellings may differ)."""
    if a is None or b is None:
        return a is b
    if a == b:
        return True
    try:
        return parse_timestamp(a) == parse_timestamp(b)
    except ValueError:
        return False


def to_text(moment: datetime) -> str:
    """A cursor as stored (ISO 8601, UTC)."""
    return moment.astimezone(UTC).isoformat()


def from_text(text: str | None) -> datetime | None:
    """A stored cursor back as a datetime (None when unset or unreadable)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
