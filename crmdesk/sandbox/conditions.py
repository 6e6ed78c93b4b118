"""``conditions[...]`` filters: each key of a resource compiles to an SQL clause.

Value forms (Rails nested params): scalar (text match / equality), list (id set), range
``{from, to}`` or ``{from_date, to_date}``, boolean flag. Date ranges are read in the
requesting user's time zone and are inclusive at both ends (reference section 8 item 6:
EMULATION of undocumented behaviour). Unknown keys are ignored, as clients expect.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta, tzinfo
from typing import Any

from crmdesk.sandbox.clock import parse_input_date, parse_input_datetime, start_of_day
from crmdesk.sandbox.fields import as_bool, as_decimal, as_int


class ConditionError(ValueError):
    """A condition value that cannot be read (answered with 422)."""

    def __init__(self, key: str, msg: str) -> None:
        super().__init__(f"{key} {msg}")
        self.key = key
        self.msg = msg


@dataclass(slots=True)
class Where:
    """An SQL WHERE under construction."""

    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, clause: str, *params: Any) -> None:
        """AND one clause."""
        self.clauses.append(clause)
        self.params.extend(params)

    def sql(self) -> str:
        """``WHERE ...`` or an empty string."""
        return (" WHERE " + " AND ".join(f"({c})" for c in self.clauses)) if self.clauses else ""


#: A condition compiler: (where, value, tz, key) -> None.
Compiler = Callable[[Where, Any, tzinfo, str], None]


def _values(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [v for v in value if v not in ("", None)]
    if isinstance(value, dict):
        return [v for v in value.values() if v not in ("", None)]
    if isinstance(value, str) and "," in value:
        return [part.strip() for part in value.split(",") if part.strip()]
    return [] if value in ("", None) else [value]


def _ints(value: Any, key: str) -> list[int]:
    try:
        found = [as_int(v) for v in _values(value)]
    except ValueError:
        raise ConditionError(key, "must be a list of ids") from None
    return [v for v in found if v is not None]


def text(*columns: str) -> Compiler:
    """Case-insensitive substring match on any of ``columns``."""

    def compile_(where: Where, value: Any, tz: tzinfo, key: str) -> None:
        needles = [str(v) for v in _values(value)] if isinstance(value, list) else [str(value)]
        needles = [n for n in needles if n.strip()]
        if not needles:
            return
        parts = []
        for needle in needles:
            pattern = (
                "%"
                + needle.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                + "%"
            )
            for column in columns:
                parts.append(f"{column} LIKE ? ESCAPE '\\'")
                where.params.append(pattern)
        where.clauses.append(" OR ".join(parts))

    return compile_


def equals_text(column: str) -> Compiler:
    """Exact (case-insensitive) match against one or several values."""

    def compile_(where: Where, value: Any, tz: tzinfo, key: str) -> None:
        wanted = [str(v) for v in _values(value)]
        if wanted:
            marks = ",".join("?" * len(wanted))
            where.add(f"{column} COLLATE NOCASE IN ({marks})", *wanted)

    return compile_


def ids(column: str) -> Compiler:
    """Membership in a set of ids (scalar, list or comma-separated)."""

    def compile_(where: Where, value: Any, tz: tzinfo, key: str) -> None:
        wanted = _ints(value, key)
        if wanted:
            where.add(f"{column} IN ({','.join('?' * len(wanted))})", *wanted)

    return compile_


def json_ids(column: str) -> Compiler:
    """Overlap between a JSON id array column and a set of ids (tags, collaborators)."""

    def compile_(where: Where, value: Any, tz: tzinfo, key: str) -> None:
        wanted = _ints(value, key)
        if wanted:
            marks = ",".join("?" * len(wanted))
            where.add(
                f"EXISTS (SELECT 1 FROM json_each({column}) WHERE value IN ({marks}))", *wanted
            )

    return compile_


def number_range(column: str, scale: int = 1) -> Compiler:
    """``{from, to}`` (inclusive) or an exact number; ``scale`` converts units (cents)."""

    def compile_(where: Where, value: Any, tz: tzinfo, key: str) -> None:
        try:
            if isinstance(value, dict):
                low = as_decimal(value.get("from", value.get("min")))
                high = as_decimal(value.get("to", value.get("max")))
                if low is not None:
                    where.add(f"{column} >= ?", float(low * scale))
                if high is not None:
                    where.add(f"{column} <= ?", float(high * scale))
                return
            numbers = [as_decimal(v) for v in _values(value)]
        except ValueError:
            raise ConditionError(key, "must be a number or a from/to range") from None
        wanted = [float(n * scale) for n in numbers if n is not None]
        if wanted:
            where.add(f"{column} IN ({','.join('?' * len(wanted))})", *wanted)

    return compile_


def _bounds(value: Any, tz: tzinfo, key: str) -> tuple[int | None, int | None]:
    """Inclusive epoch bounds of a date/time range condition value."""
    if isinstance(value, dict):
        low_text = value.get("from_date", value.get("from"))
        high_text = value.get("to_date", value.get("to"))
    else:
        low_text = high_text = value
    low = high = None
    if low_text not in (None, ""):
        parsed = parse_input_datetime(low_text, tz)
        if parsed is None:
            raise ConditionError(key, "from_date is not a date or time")
        low = parsed[0]
    if high_text not in (None, ""):
        parsed = parse_input_datetime(high_text, tz)
        if parsed is None:
            raise ConditionError(key, "to_date is not a date or time")
        stamp, has_time = parsed
        if has_time:
            high = stamp
        else:
            day = date.fromisoformat(parse_input_date(high_text) or "1970-01-01")
            high = start_of_day(day + timedelta(days=1), tz) - 1
    return low, high


def time_range(column: str) -> Compiler:
    """A range over an epoch-seconds column, read in the user's zone, inclusive."""

    def compile_(where: Where, value: Any, tz: tzinfo, key: str) -> None:
        low, high = _bounds(value, tz, key)
        if low is not None:
            where.add(f"{column} >= ?", low)
        if high is not None:
            where.add(f"{column} <= ?", high)

    return compile_


def date_range(column: str) -> Compiler:
    """A range over a ``YYYY-MM-DD`` column, inclusive."""

    def compile_(where: Where, value: Any, tz: tzinfo, key: str) -> None:
        if isinstance(value, dict):
            low = value.get("from_date", value.get("from"))
            high = value.get("to_date", value.get("to"))
        else:
            low = high = value
        for bound, op in ((low, ">="), (high, "<=")):
            if bound in (None, ""):
                continue
            parsed = parse_input_date(bound)
            if parsed is None:
                raise ConditionError(key, "is not a date")
            where.add(f"{column} {op} ?", parsed)

    return compile_


def flag(true_sql: str, false_sql: str | None = None) -> Compiler:
    """A boolean switch: ``true`` adds ``true_sql``; ``false`` adds ``false_sql`` if any."""

    def compile_(where: Where, value: Any, tz: tzinfo, key: str) -> None:
        if isinstance(value, list):
            value = value[0] if value else None
        try:
            on = as_bool(value)
        except ValueError:
            # Saved searches store flags as ["Yes"] / ["No"].
            on = str(value).strip().lower() in ("yes", "y")
        if on is True:
            where.add(true_sql)
        elif on is False and false_sql is not None:
            where.add(false_sql)

    return compile_


def yes_no(column: str) -> Compiler:
    """``["Yes"]`` / ``["No"]`` (as saved searches store it) or true/false."""
    return flag(f"{column} = 1", f"{column} = 0")


def custom_field(label: dict[str, Any], column: str = "custom_fields") -> Compiler:
    """The condition of a custom field label, by its field type."""
    path = f"'$.\"{label['id']}\"'"
    expr = f"json_extract({column}, {path})"
    kind = label.get("field_type")
    if kind == "dropdown":
        return ids(expr)
    if kind == "multi_select":
        return json_ids(f"{column}, {path}")
    if kind in ("numeric", "currency"):
        return number_range(f"CAST({expr} AS REAL)")
    if kind == "date":
        return date_range(expr)
    if kind == "boolean":
        return flag(f"{expr} = 1", f"({expr} = 0 OR {expr} IS NULL)")
    return text(expr)


def compile_conditions(
    where: Where,
    conditions: dict[str, Any],
    table: dict[str, Compiler],
    tz: tzinfo,
    custom_labels: dict[int, dict[str, Any]] | None = None,
) -> None:
    """Add every known condition of ``conditions`` to ``where``."""
    for key, value in conditions.items():
        compiler = table.get(key)
        if compiler is None and custom_labels is not None and key.startswith("custom_label_"):
            label_id = as_int(key.removeprefix("custom_label_")) if key[13:].isdigit() else None
            label = custom_labels.get(label_id) if label_id is not None else None
            if label is not None:
                compiler = custom_field(label)
        if compiler is not None:
            compiler(where, value, tz, key)


def dumps_ids(values: list[int]) -> str:
    """JSON text of an id list (stored form)."""
    return json.dumps(values)
