"""Money and decimal values.

The API sends amounts as decimal strings (``"5000.0"``), sometimes as integers (``0``), and
the deprecated ``value_in_cents`` as an integer. Floats never enter: they would round.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


def parse_decimal(value: object) -> Decimal | None:
    """Decimal from a decimal string, an int or a float; None for null or "".

    Raises ValueError for text that is not a finite number (NaN and infinities included).
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    else:
        raise ValueError(f"not a number: {value!r}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def decimal_to_wire(value: Decimal) -> str:
    """Canonical decimal string for a request body: no exponent, no trailing zeros."""
    # Decimal.normalize() would round to the context's 28 digits; trim the text instead.
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in a currency (ISO code such as ``USD``; None when unknown)."""

    amount: Decimal
    currency: str | None = None
