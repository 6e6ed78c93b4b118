"""Time: the sandbox clock, the API's timestamp and date formats, input parsing.

Stored timestamps are whole epoch seconds (UTC). The API renders them as
``YYYY/MM/DD HH:MM:SS -0400`` in the *requesting user's* time zone and dates as
``YYYY/MM/DD``; it reads ``YYYY-MM-DD`` and ``YYYY-MM-DD HH:MM:SS`` (optionally with an
offset) on input, a value without an offset being in the user's zone.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_INPUT = re.compile(
    r"^\s*(\d{4})[/-](\d{1,2})[/-](\d{1,2})"
    r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"\s*(Z|UTC|[+-]\d{2}:?\d{2})?\s*$"
)


def now() -> int:
    """The current time in whole epoch seconds."""
    return int(time.time())


@lru_cache(maxsize=64)
def zone(name: str | None) -> tzinfo:
    """The tzinfo of an IANA zone name; UTC for an unknown or empty name."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def is_zone(name: str) -> bool:
    """True if ``name`` is a known IANA time zone."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def format_ts(epoch: int | None, tz: tzinfo) -> str | None:
    """``2026/08/05 09:01:14 -0400`` for an epoch second in ``tz``; None stays None."""
    if epoch is None:
        return None
    moment = datetime.fromtimestamp(epoch, tz)
    # Hand-built (not strftime): this runs for every timestamp of every listed record.
    return (
        f"{moment.year:04d}/{moment.month:02d}/{moment.day:02d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} "
        f"{_offset(moment.utcoffset())}"
    )


@lru_cache(maxsize=256)
def _offset(delta: timedelta | None) -> str:
    minutes = int(delta.total_seconds() // 60) if delta is not None else 0
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}{minutes % 60:02d}"


def format_iso_utc(epoch: int | None) -> str | None:
    """ISO 8601 UTC with milliseconds, the webhook format (``2023-05-25T16:55:27.000Z``)."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def format_date(iso: str | None) -> str | None:
    """Stored ``YYYY-MM-DD`` -> the API's ``YYYY/MM/DD``."""
    return None if iso is None else iso.replace("-", "/")


def parse_input_datetime(text: object, tz: tzinfo) -> tuple[int, bool] | None:
    """Epoch seconds of an input timestamp and whether it carried a time part.

    Accepts ``YYYY-MM-DD``, ``YYYY/MM/DD``, either with ``HH:MM[:SS]`` and an optional
    offset (``Z``, ``+0000``, ``-04:00``); without an offset the value is read in ``tz``.
    Returns None for anything else.
    """
    if not isinstance(text, str):
        return None
    match = _INPUT.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, offset = match.groups()
    try:
        value = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError:
        return None
    if offset is None:
        aware = value.replace(tzinfo=tz)
    elif offset in ("Z", "UTC"):
        aware = value.replace(tzinfo=UTC)
    else:
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        minutes = sign * (int(digits[:2]) * 60 + int(digits[2:]))
        aware = value.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    return int(aware.timestamp()), hour is not None


def parse_input_date(text: object) -> str | None:
    """``YYYY-MM-DD`` of an input date (``/`` or ``-``, a time part ignored), else None."""
    if isinstance(text, date) and not isinstance(text, datetime):
        return text.isoformat()
    if not isinstance(text, str):
        return None
    match = re.match(r"^\s*(\d{4})[/-](\d{1,2})[/-](\d{1,2})", text)
    if match is None:
        return None
    try:
        return date(*(int(part) for part in match.groups())).isoformat()
    except ValueError:
        return None


def local_date(epoch: int, tz: tzinfo) -> date:
    """The calendar date of an epoch second in ``tz``."""
    return datetime.fromtimestamp(epoch, tz).date()


def start_of_day(day: date, tz: tzinfo) -> int:
    """Epoch second of midnight at the start of ``day`` in ``tz``."""
    return int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp())
