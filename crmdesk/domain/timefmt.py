"""The API's date and time formats.

The server renders timestamps as ``2026/08/05 09:01:14 -0400`` in the requesting user's time
zone and dates as ``2026/08/05``; it accepts ``2026-08-05`` and ``2026-08-05 09:01:14`` on
input, and webhooks use ISO 8601 UTC (``2023-05-25T16:55:27.530Z``). Parsers here accept all
of them so that a value read back from any source compares equal.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

_TS = re.compile(
    r"^\s*(\d{4})[/-](\d{1,2})[/-](\d{1,2})"  # date
    r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?)?"  # optional time
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*$"  # optional offset
)


def parse_timestamp(text: str, default_tz: tzinfo = UTC) -> datetime:
    """Parse any of the API's timestamp forms into an aware datetime.

    A value without an offset is read in ``default_tz``. Raises ValueError on anything else.
    """
    match = _TS.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"not a timestamp: {text!r}")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0").ljust(6, "0"))
    tz = default_tz if offset is None else _parse_offset(offset)
    return datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        micro,
        tzinfo=tz,
    )


def _parse_offset(offset: str) -> tzinfo:
    if offset == "Z":
        return UTC
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    minutes = sign * (int(digits[:2]) * 60 + int(digits[2:]))
    return timezone(timedelta(minutes=minutes))


def format_timestamp(value: datetime, tz: tzinfo | None = None) -> str:
    """Render an aware datetime the way the API does (``YYYY/MM/DD HH:MM:SS -0400``)."""
    if value.tzinfo is None:
        raise ValueError("format_timestamp needs an aware datetime")
    local = value.astimezone(tz) if tz is not None else value
    return local.strftime("%Y/%m/%d %H:%M:%S %z")


def format_timestamp_input(value: datetime) -> str:
    """Render a datetime for a request body or a `from_date` condition (UTC, no offset)."""
    if value.tzinfo is None:
        raise ValueError("format_timestamp_input needs an aware datetime")
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


_DATE = re.compile(r"^\s*(\d{4})[/-](\d{1,2})[/-](\d{1,2})")


def parse_date(text: str) -> date:
    """Parse ``YYYY/MM/DD`` or ``YYYY-MM-DD`` (a trailing time part is ignored)."""
    match = _DATE.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"not a date: {text!r}")
    year, month, day = (int(part) for part in match.groups())
    return date(year, month, day)


def format_date_input(value: date) -> str:
    """Render a date for a request body (``YYYY-MM-DD``)."""
    return value.isoformat()
