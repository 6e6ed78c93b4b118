"""Edits to recurring calendar entries, as plain string changes to their iCalendar fields.

A series is a base entry holding ``rrule`` / ``exdate`` (RFC 5545 text, with or without the
``RRULE:`` / ``EXDATE:`` line prefix). Two edits cover "delete one occurrence" and "delete
this and the following ones" without expanding the rule:

* ``add_exdate(exdate, when)`` excludes one occurrence (a date, or a UTC time);
* ``end_series_before(rrule, when)`` sets ``UNTIL`` just before an occurrence (and drops
  ``COUNT``, which RFC 5545 forbids next to ``UNTIL``).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_VALUE = re.compile(r"^\d{8}(T\d{6}Z?)?$")


def ical_value(when: date | datetime, style: str = "utc") -> str:
    """``when`` as an iCalendar value: ``date`` -> ``20260805``; datetimes by ``style``.

    ``style`` "utc" gives ``20260805T130000Z`` (aware datetimes only); "floating" gives the
    wall time ``20260805T090000``; "date" gives the date alone.
    """
    if not isinstance(when, datetime) or style == "date":
        return (when.date() if isinstance(when, datetime) else when).strftime("%Y%m%d")
    if style == "floating":
        return when.strftime("%Y%m%dT%H%M%S")
    if when.tzinfo is None:
        raise ValueError("a UTC iCalendar time needs an aware datetime")
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _style_of(values: list[str]) -> str | None:
    for value in values:
        if len(value) == 8:
            return "date"
        if value.endswith("Z"):
            return "utc"
        if "T" in value:
            return "floating"
    return None


def exdate_values(exdate: str | None) -> list[str]:
    """The individual values of an ``exdate`` field (any prefix and line layout)."""
    if not exdate:
        return []
    values: list[str] = []
    for line in exdate.replace("\r", "\n").split("\n"):
        line = line.strip()
        if not line:
            continue
        if ":" in line and line.split(":", 1)[0].upper().startswith("EXDATE"):
            line = line.split(":", 1)[1]
        values.extend(part.strip() for part in line.split(",") if part.strip())
    return values


def add_exdate(exdate: str | None, when: date | datetime) -> str:
    """``exdate`` with the occurrence at ``when`` excluded too (unchanged if already there).

    A date (a task's due date) is added as a date; a datetime as a UTC time
    (``20260805T130000Z``), which means one instant whatever zone the series is kept in -
    a floating local time would need the owner's zone, which the entry does not carry.
    The existing text keeps its layout; the value joins the last line unless that line
    declares the other value type, then it gets an ``EXDATE`` line of its own.
    """
    style = "utc" if isinstance(when, datetime) else "date"
    value = ical_value(when, style)
    existing = exdate_values(exdate)
    if value in existing:
        return exdate or value
    text = (exdate or "").strip()
    if not text:
        return value
    lines = text.replace("\r", "\n").split("\n")
    last = lines[-1].rstrip()
    header = last.split(":", 1)[0].upper() if ":" in last else ""
    if style == "date" and header and "VALUE=DATE" not in header:
        lines.append(f"EXDATE;VALUE=DATE:{value}")
    elif style == "utc" and "VALUE=DATE" in header and "VALUE=DATE-TIME" not in header:
        lines.append(f"EXDATE:{value}")
    else:
        lines[-1] = f"{last},{value}"
    return "\n".join(line for line in lines if line.strip())


def rrule_parts(rrule: str) -> tuple[str, list[tuple[str, str]]]:
    """Split a rule into its prefix (``"RRULE:"`` or ``""``) and ``(NAME, value)`` parts."""
    text = _rule_line(rrule)
    prefix = ""
    if text.upper().startswith("RRULE:"):
        prefix, text = text[:6], text[6:]
    parts = []
    for item in text.split(";"):
        if "=" in item:
            name, value = item.split("=", 1)
            parts.append((name.strip().upper(), value.strip()))
    return prefix, parts


def _rule_line(rrule: str) -> str:
    lines = [line.strip() for line in rrule.replace("\r", "\n").split("\n") if line.strip()]
    for line in lines:
        if line.upper().startswith("RRULE:"):
            return line
    return lines[0] if lines else ""


def end_series_before(rrule: str, when: date | datetime) -> str:
    """``rrule`` ending just before the occurrence at ``when`` (UNTIL set, COUNT dropped).

    For a date ``when`` the series ends the day before; for a datetime one second before,
    written in UTC unless the rule's existing UNTIL is a date or a floating time.
    """
    prefix, parts = rrule_parts(rrule)
    if not any(name == "FREQ" for name, _ in parts):
        raise ValueError(f"not a recurrence rule: {rrule!r}")
    old_until = next((v for n, v in parts if n == "UNTIL"), None)
    if isinstance(when, datetime):
        style = "utc"
        if old_until is not None and _VALUE.match(old_until):
            style = _style_of([old_until]) or "utc"
        if style == "floating" or when.tzinfo is None:
            until = ical_value(when - timedelta(seconds=1), "floating")
        elif style == "date":
            until = ical_value(when.date() - timedelta(days=1))
        else:
            until = ical_value(when - timedelta(seconds=1), "utc")
    else:
        until = ical_value(when - timedelta(days=1))
    kept = [(n, v) for n, v in parts if n not in ("UNTIL", "COUNT")]
    kept.append(("UNTIL", until))
    new_line = prefix + ";".join(f"{n}={v}" for n, v in kept)
    old_line = _rule_line(rrule)
    return rrule.replace(old_line, new_line, 1) if old_line else new_line
