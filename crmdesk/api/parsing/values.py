"""Scalar readers for JSON values from the API: tolerant, and fast on the common forms.

Each reader returns None (or an empty tuple) for a value it cannot read instead of raising:
the record keeps its raw JSON, so nothing is lost, and one odd field does not cost a whole
page. Timestamps in the API's own form ``2026/08/05 09:01:14 -0400`` take a slicing fast
path (the bulk of a pull); every other accepted form goes through ``crmdesk.domain.timefmt``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any

from crmdesk.domain.money import parse_decimal
from crmdesk.domain.records import Currency, CustomValue
from crmdesk.domain.timefmt import parse_date, parse_timestamp

_ZONES: dict[str, tzinfo] = {}


def _zone(offset: str) -> tzinfo | None:
    zone = _ZONES.get(offset)
    if zone is None:
        sign = offset[0]
        digits = offset[1:]
        if sign not in "+-" or len(digits) != 4 or not digits.isdigit():
            return None
        minutes = int(digits[:2]) * 60 + int(digits[2:])
        zone = timezone(timedelta(minutes=-minutes if sign == "-" else minutes))
        _ZONES[offset] = zone
    return zone


def timestamp(value: Any) -> datetime | None:
    """An aware datetime from any API timestamp form; None for null or garbage."""
    if value is None:
        return None
    if type(value) is str and len(value) == 25 and value[4] == "/" and value[19] == " ":
        zone = _zone(value[20:])
        if zone is not None:
            try:
                return datetime(
                    int(value[0:4]),
                    int(value[5:7]),
                    int(value[8:10]),
                    int(value[11:13]),
                    int(value[14:16]),
                    int(value[17:19]),
                    tzinfo=zone,
                )
            except ValueError:
                return None
    if not isinstance(value, str):
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None


def is_date_only(value: Any) -> bool:
    """True for a bare date string (``2026/08/05``), as tasks echo in ``start_time``."""
    return isinstance(value, str) and len(value.strip()) <= 10


def day(value: Any) -> date | None:
    """A date from ``YYYY/MM/DD`` or ``YYYY-MM-DD`` (a time part is ignored)."""
    if value is None:
        return None
    if type(value) is str and len(value) == 10 and value[4] in "/-":
        try:
            return date(int(value[0:4]), int(value[5:7]), int(value[8:10]))
        except ValueError:
            return None
    try:
        return parse_date(value)
    except ValueError:
        return None


def decimal(value: Any) -> Decimal | None:
    """A Decimal from a decimal string or an integer (never via float rounding)."""
    if value is None:
        return None
    if type(value) is str:
        try:
            result = Decimal(value)
        except ArithmeticError:
            pass
        else:
            if result.is_finite():
                return result
    try:
        return parse_decimal(value)
    except ValueError:
        return None


def integer(value: Any) -> int | None:
    """An int from an int or a string of digits; None otherwise (booleans included)."""
    if type(value) is int:
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def ids(value: Any) -> Any:
    """``id_tuple(value)``, typed ``Any`` so it fills fields of NewType ids (``DealId``...)."""
    return id_tuple(value)


def id_tuple(value: Any) -> tuple[int, ...]:
    """A tuple of ints from a JSON list; elements that are not ids are skipped."""
    if not value or not isinstance(value, list):
        return ()
    out = []
    for item in value:
        number = item if type(item) is int else integer(item)
        if number is not None:
            out.append(number)
    return tuple(out)


def text(value: Any) -> str | None:
    """A string, or None; numbers are turned into text."""
    if value is None or type(value) is str:
        return value
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    return None


def flag(value: Any, default: bool = False) -> bool:
    """A boolean; ``"true"``/``"1"`` strings accepted, anything else gives ``default``."""
    if value is True or value is False:
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
    if type(value) is int:
        return value != 0
    return default


def optional_flag(value: Any) -> bool | None:
    """A boolean, or None when absent/unreadable."""
    if value is None:
        return None
    result = flag(value, default=False)
    return result if flag(value, default=True) == result else None


def ref(value: Any) -> Any:
    """``integer(value)``, typed ``Any`` so it fills NewType id fields."""
    return integer(value)


def nested_id(record: Mapping[str, Any], key: str, obj_key: str) -> Any:
    """``record[key]``, or the ``id`` of the convenience object ``record[obj_key]`` (int|None)."""
    value = record.get(key)
    if value.__class__ is int:
        return value
    if value is not None:
        return integer(value)
    obj = record.get(obj_key)
    if isinstance(obj, dict):
        return integer(obj.get("id"))
    return None


def nested_text(record: Mapping[str, Any], obj_key: str, field: str = "name") -> str | None:
    """``record[obj_key][field]`` when that object exists."""
    obj = record.get(obj_key)
    if isinstance(obj, dict):
        return text(obj.get(field))
    return None


_CURRENCIES: dict[tuple[Any, ...], Currency] = {}


def currency(value: Any) -> Currency | None:
    """A Currency from ``{"code", "symbol", "name", "id", "decimal_places"}``; shared instances."""
    if not isinstance(value, dict):
        return None
    code = value.get("code")
    if not isinstance(code, str):
        return None
    key = (
        code,
        value.get("symbol"),
        value.get("name"),
        value.get("id"),
        value.get("decimal_places"),
    )
    found = _CURRENCIES.get(key)
    if found is None:
        places = integer(value.get("decimal_places"))
        found = Currency(
            code=code,
            symbol=text(value.get("symbol")) or "",
            name=text(value.get("name")) or "",
            decimal_places=2 if places is None else places,
            id=integer(value.get("id")),
        )
        if len(_CURRENCIES) < 1000:
            _CURRENCIES[key] = found
    return found


def _multi(value: Any) -> tuple[int, ...]:
    return id_tuple(value) if isinstance(value, list) else ()


def _untyped(value: Any) -> CustomValue:
    """A value of an unknown field type, kept in a typed slot where one fits."""
    if isinstance(value, bool | str | int):
        return value
    if isinstance(value, list):
        return id_tuple(value)
    if isinstance(value, float):
        return decimal(value)
    return None


_CUSTOM_READERS: dict[str | None, Callable[[Any], CustomValue]] = {
    "currency": decimal,
    "numeric": decimal,
    "date": day,
    "boolean": optional_flag,
    "dropdown": integer,
    "multi_select": _multi,
    "text": text,
}


def custom_value(value: Any, field_type: str | None) -> CustomValue:
    """A custom field value typed by its label's ``field_type`` (None: kept as sent)."""
    if value is None:
        return None
    return _CUSTOM_READERS.get(field_type, _untyped)(value)


def custom_fields(value: Any, types: Mapping[str, str]) -> dict[str, CustomValue]:
    """``custom_fields`` typed by the known labels (``{"custom_label_7": "date", ...}``)."""
    if not value or not isinstance(value, dict):
        return {}
    readers, get_type = _CUSTOM_READERS.get, types.get
    return {
        key: None if raw is None else readers(get_type(key), _untyped)(raw)
        for key, raw in value.items()
    }
