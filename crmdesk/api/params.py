"""Query parameters: ``conditions[...]`` filters in Rails' nested form, and modified-since.

``conditions`` is a mapping from condition key to value:

* a scalar -> ``conditions[deal_name]=blah`` (True/False -> ``true``/``false``);
* a list, tuple or set -> ``conditions[deal_stage][]=2&conditions[deal_stage][]=3``;
* ``Range(a, b)`` -> ``[from]/[to]``; ``DateRange(a, b)`` -> ``[from_date]/[to_date]``
  (either end may be None);
* a nested mapping -> ``conditions[key][sub]=...`` (any depth).

Dates go out as ``YYYY-MM-DD``, datetimes as ``YYYY-MM-DD HH:MM:SS`` (already in the zone
the server expects - see ``modified_since``), Decimals without exponent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crmdesk.domain.entities import Entity
from crmdesk.domain.money import decimal_to_wire

Params = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Range:
    """A numeric range condition: ``[from]`` and/or ``[to]``."""

    start: Any = None
    end: Any = None


@dataclass(frozen=True, slots=True)
class DateRange:
    """A date/time range condition: ``[from_date]`` and/or ``[to_date]``."""

    start: date | datetime | str | None = None
    end: date | datetime | str | None = None


def scalar(value: Any) -> str:
    """One query value as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return decimal_to_wire(value)
    if value is None:
        return ""
    return str(value)


def nested(prefix: str, value: Any) -> Params:
    """Rails nested parameters for ``value`` under the key ``prefix``."""
    if isinstance(value, Range):
        return _pairs(prefix, (("from", value.start), ("to", value.end)))
    if isinstance(value, DateRange):
        return _pairs(prefix, (("from_date", value.start), ("to_date", value.end)))
    if isinstance(value, Mapping):
        out: Params = []
        for key, sub in value.items():
            out.extend(nested(f"{prefix}[{key}]", sub))
        return out
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [(f"{prefix}[]", scalar(item)) for item in items]
    return [(prefix, scalar(value))]


def _pairs(prefix: str, parts: Iterable[tuple[str, Any]]) -> Params:
    return [(f"{prefix}[{name}]", scalar(v)) for name, v in parts if v is not None]


def conditions_params(conditions: Mapping[str, Any] | None) -> Params:
    """``conditions[...]`` query pairs for a conditions mapping (None values are skipped)."""
    if not conditions:
        return []
    out: Params = []
    for key, value in conditions.items():
        if value is not None:
            out.extend(nested(f"conditions[{key}]", value))
    return out


def user_zone(time_zone: str | None) -> tzinfo:
    """The zone named by a user's ``time_zone`` (IANA name); UTC when unknown or missing."""
    if not time_zone:
        return UTC
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def format_from_date(moment: datetime, time_zone: str | tzinfo | None) -> str:
    """``moment`` as a ``*_modified[from_date]`` value: ``YYYY-MM-DD HH:MM:SS`` in the user's zone.

    The server reads these bounds in the requesting user's time zone (the one ``/profile``
    reports), not in UTC, so a UTC-rendered bound would be off by the user's offset.
    """
    if moment.tzinfo is None:
        raise ValueError("format_from_date needs an aware datetime")
    zone = time_zone if isinstance(time_zone, tzinfo) else user_zone(time_zone)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def modified_since(
    entity: Entity,
    moment: datetime,
    time_zone: str | tzinfo | None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """Conditions selecting records of ``entity`` changed at or after ``moment``."""
    key = entity.modified_condition
    if key is None:
        raise ValueError(f"the API has no modified condition for {entity.plural_label}")
    bounds: dict[str, str] = {"from_date": format_from_date(moment, time_zone)}
    if until is not None:
        bounds["to_date"] = format_from_date(until, time_zone)
    return {key: bounds}
