"""Writable fields: how an input value (JSON or form text) becomes a stored value.

Coercion collects every problem of a body before answering, so a 422 lists all of them in
the API's error shape ``[{"humanized_field", "field", "msg"}]``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import Enum
from typing import Any

from crmdesk.sandbox.clock import parse_input_date, parse_input_datetime


class Kind(Enum):
    """Type of a writable field."""

    TEXT = "text"
    INT = "int"
    BOOL = "bool"
    DATE = "date"  # stored YYYY-MM-DD
    DATETIME = "datetime"  # stored epoch seconds
    MONEY = "money"  # stored integer cents
    DECIMAL = "decimal"  # stored canonical decimal string
    REF = "ref"  # id of a record or lookup row (``ref`` names which)
    REFS = "refs"  # list of such ids, stored as a JSON array
    CHOICE = "choice"
    JSON = "json"  # free-form object, stored as JSON text


@dataclass(frozen=True, slots=True)
class FieldDef:
    """One writable field of a resource."""

    name: str
    kind: Kind = Kind.TEXT
    ref: str | None = None  # table ("companies") or lookup kind ("deal_stages")
    column: str | None = None  # stored column when it differs from the wire name
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    aliases: tuple[str, ...] = ()

    @property
    def target(self) -> str:
        """Column (or JSON key) the value is stored in."""
        return self.column or self.name


def fd(name: str, kind: Kind = Kind.TEXT, ref: str | None = None, **extra: Any) -> FieldDef:
    """Shorthand constructor."""
    return FieldDef(name, kind, ref, **extra)


def humanize(name: str) -> str:
    """Rails' ``humanize``: ``deal_stage_id`` -> ``Deal stage``."""
    text = name.removesuffix("_id").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@dataclass(slots=True)
class Problems:
    """Validation problems of one request."""

    items: list[dict[str, str]] = field(default_factory=list)

    def add(self, name: str, msg: str, humanized: str | None = None) -> None:
        """Record that ``name`` ``msg`` (e.g. "can't be blank")."""
        self.items.append(
            {"humanized_field": humanized or humanize(name), "field": name, "msg": msg}
        )

    def __bool__(self) -> bool:
        return bool(self.items)


#: Answers whether an id exists in a table or lookup kind.
Exists = Callable[[str, int], bool]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise ValueError


def as_int(value: Any) -> int | None:
    """Integer from an int or digit string; None for null/""; ValueError otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise ValueError


def as_bool(value: Any) -> bool | None:
    """Boolean from JSON or form text; None for null/""; ValueError otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "1", "yes", "t", "on"):
            return True
        if text in ("false", "0", "no", "f", "off"):
            return False
    raise ValueError


def as_decimal(value: Any) -> Decimal | None:
    """Decimal from a number or numeric string; None for null/""; ValueError otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError from None
    if not number.is_finite():
        raise ValueError
    return number


def decimal_text(number: Decimal) -> str:
    """Rails' BigDecimal rendering: at least one decimal (``"5000.0"``, ``"12.75"``)."""
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0")
        if text.endswith("."):
            text += "0"
    else:
        text += ".0"
    return "0.0" if text in ("-0.0",) else text


def cents_text(cents: int | None) -> str | None:
    """Integer cents -> ``"5000.0"``."""
    if cents is None:
        return None
    return decimal_text(Decimal(cents) / 100)


def as_id_list(value: Any) -> list[int]:
    """A list of ids from a JSON array, a form list, or a comma-separated string."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if isinstance(value, Mapping):
        value = list(value.values())
    if not isinstance(value, list):
        raise ValueError
    ids = [as_int(item) for item in value if item not in ("", None)]
    return sorted({i for i in ids if i is not None}, key=ids.index)


def coerce(
    spec: FieldDef, value: Any, tz: tzinfo, exists: Exists, problems: Problems
) -> tuple[bool, Any]:
    """Stored value of ``value`` for ``spec``: (True, value) or (False, None) on a problem."""
    name = spec.name
    try:
        kind = spec.kind
        if kind is Kind.TEXT:
            return True, _text(value)
        if kind is Kind.INT:
            number = as_int(value)
            if number is not None and (
                (spec.minimum is not None and number < spec.minimum)
                or (spec.maximum is not None and number > spec.maximum)
            ):
                problems.add(name, f"must be between {spec.minimum} and {spec.maximum}")
                return False, None
            return True, number
        if kind is Kind.BOOL:
            return True, as_bool(value)
        if kind is Kind.DATE:
            if value is None or value == "":
                return True, None
            parsed = parse_input_date(value)
            if parsed is None:
                problems.add(name, "is not a valid date")
                return False, None
            return True, parsed
        if kind is Kind.DATETIME:
            if value is None or value == "":
                return True, None
            stamp = parse_input_datetime(value, tz)
            if stamp is None:
                problems.add(name, "is not a valid date and time")
                return False, None
            return True, stamp[0]
        if kind is Kind.MONEY:
            amount = as_decimal(value)
            if amount is None:
                return True, None
            return True, int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if kind is Kind.DECIMAL:
            amount = as_decimal(value)
            return True, None if amount is None else decimal_text(amount)
        if kind is Kind.REF:
            ref_id = as_int(value)
            if ref_id is not None and spec.ref is not None and not exists(spec.ref, ref_id):
                problems.add(name, "is invalid")
                return False, None
            return True, ref_id
        if kind is Kind.REFS:
            ids = as_id_list(value)
            missing = [i for i in ids if spec.ref is not None and not exists(spec.ref, i)]
            if missing:
                problems.add(name, f"contains unknown ids: {', '.join(map(str, missing))}")
                return False, None
            return True, ids
        if kind is Kind.CHOICE:
            text = _text(value)
            if text is not None and text not in spec.choices:
                problems.add(name, "is not included in the list")
                return False, None
            return True, text
        # JSON
        if isinstance(value, str):
            value = json.loads(value)
        return True, value
    except (ValueError, TypeError, json.JSONDecodeError):
        problems.add(name, _expected(spec.kind))
        return False, None


def _expected(kind: Kind) -> str:
    return {
        Kind.INT: "is not a number",
        Kind.MONEY: "is not a number",
        Kind.DECIMAL: "is not a number",
        Kind.BOOL: "is not a boolean",
        Kind.REF: "is not a valid id",
        Kind.REFS: "must be a list of ids",
        Kind.JSON: "is not valid JSON",
    }.get(kind, "is invalid")


def blank(value: Any) -> bool:
    """Rails' ``blank?`` for the values we store."""
    return value is None or (isinstance(value, str) and not value.strip()) or value == []
