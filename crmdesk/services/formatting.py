"""How values are shown: money with its currency, dates in the user's format, times in
the user's time zone. Pure functions over the account's settings; no I/O."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Symbols of common currencies; other codes are shown as "KES 1,250.00".
CURRENCY_SYMBOLS = {
    "USD": "$",
    "CAD": "CA$",
    "AUD": "A$",
    "NZD": "NZ$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CNY": "CN¥",
    "INR": "₹",
    "BRL": "R$",
    "MXN": "MX$",
    "CHF": "CHF ",
    "ZAR": "R ",
}
#: currencies shown and typed without decimal places
NO_CENTS = frozenset({"JPY", "KRW", "CLP", "ISK", "VND"})

# Pipeline CRM's profile "date_format" values (as far as known) -> strftime patterns.
_DATE_PATTERNS = {
    "us": "%m/%d/%Y",
    "eu": "%d/%m/%Y",
    "uk": "%d/%m/%Y",
    "international": "%d/%m/%Y",
    "intl": "%d/%m/%Y",
    "iso": "%Y-%m-%d",
}


def _zone(name: Any) -> tzinfo | None:
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class DisplayFormats:
    """The user's display settings. ``from_settings`` reads them from /profile and /account."""

    date_pattern: str = "%Y-%m-%d"
    time_pattern: str = "%H:%M"
    zone: tzinfo | None = None  # None: the computer's local time zone
    default_currency: str | None = None
    _days: dict[int, str] = field(default_factory=dict, compare=False, repr=False)
    _dates: dict[int, str] = field(default_factory=dict, compare=False, repr=False)
    _today: list[float] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def from_settings(
        cls, profile: Mapping[str, Any] | None, account: Mapping[str, Any] | None = None
    ) -> DisplayFormats:
        """Formats for a user (profile) of an account; sensible defaults when unknown."""
        profile = profile or {}
        account = account or {}
        date_key = str(profile.get("date_format") or account.get("date_format") or "").lower()
        time_key = str(profile.get("time_format") or account.get("time_format") or "").lower()
        currency = profile.get("currency") or account.get("currency")
        code = currency.get("code") if isinstance(currency, Mapping) else None
        return cls(
            date_pattern=_DATE_PATTERNS.get(date_key, "%Y-%m-%d"),
            time_pattern="%I:%M %p" if time_key == "us" else "%H:%M",
            zone=_zone(profile.get("time_zone")),
            default_currency=code if isinstance(code, str) else None,
        )

    def money(self, amount: float | Decimal | None, code: str | None) -> str:
        """``$12,500.00``; ``KES 1,250.00`` for codes without a known symbol; "" for None."""
        if amount is None:
            return ""
        code = (code or self.default_currency or "").upper()
        places = 0 if code in NO_CENTS else 2
        number = f"{abs(amount):,.{places}f}"
        sign = "-" if amount < 0 else ""
        symbol = CURRENCY_SYMBOLS.get(code)
        if symbol is not None:
            return f"{sign}{symbol}{number}"
        return f"{sign}{code} {number}" if code else f"{sign}{number}"

    def day(self, number: int | None) -> str:
        """A ``YYYYMMDD`` day number (the store's date column) in the user's date format."""
        if number is None:
            return ""
        found = self._days.get(number)
        if found is None:
            try:
                found = date(number // 10000, number // 100 % 100, number % 100).strftime(
                    self.date_pattern
                )
            except ValueError:
                found = str(number)
            if len(self._days) < 20_000:
                self._days[number] = found
        return found

    def date(self, value: date | None) -> str:
        """A date in the user's format."""
        return "" if value is None else value.strftime(self.date_pattern)

    def moment(self, epoch: int | float | None) -> str:
        """UTC epoch seconds as date and time in the user's time zone."""
        if epoch is None:
            return ""
        when = datetime.fromtimestamp(epoch, UTC).astimezone(self.zone)
        return when.strftime(f"{self.date_pattern} {self.time_pattern}")

    def moment_short(self, epoch: int | float | None) -> str:
        """Like ``moment`` but only the time for today and only the date otherwise (the
        way mail clients list messages: narrow columns, exact value in the detail)."""
        if epoch is None:
            return ""
        today = self._today
        if not today or not today[0] <= epoch < today[1]:
            if today and epoch < today[0] and time.time() < today[1]:
                # an earlier day: one string per local date, cached (tables repeat dates)
                when = datetime.fromtimestamp(epoch, self.zone)
                ordinal = when.toordinal()
                found = self._dates.get(ordinal)
                if found is None:
                    found = self._dates[ordinal] = when.strftime(self.date_pattern)
                return found
            self._refresh_today()
            today = self._today
            if not today[0] <= epoch < today[1]:
                when = datetime.fromtimestamp(epoch, self.zone)
                return when.strftime(self.date_pattern)
        when = datetime.fromtimestamp(epoch, self.zone)
        return when.strftime(self.time_pattern)

    def _refresh_today(self) -> None:
        now = datetime.now(self.zone)
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        end = start + timedelta(days=1)
        self._today[:] = [start.timestamp(), end.timestamp()]
        if len(self._dates) > 50_000:
            self._dates.clear()

    def datetime(self, value: datetime | None) -> str:
        """An aware datetime in the user's time zone."""
        if value is None:
            return ""
        return value.astimezone(self.zone).strftime(f"{self.date_pattern} {self.time_pattern}")

    def number(self, value: float | Decimal | int | None) -> str:
        """A plain number with thousands separators, no needless decimals."""
        if value is None:
            return ""
        if isinstance(value, int) or value == int(value):
            return f"{int(value):,}"
        return f"{value:,.2f}"


def stage_colour(percent: int | None) -> str:
    """A colour for a stage from its win percent: red (lost) through amber to green (won)."""
    if percent is None:
        return "#9aa0a6"
    if percent <= 0:
        return "#d9534f"
    if percent >= 100:
        return "#3f9c48"
    # hue from 30 (amber) to 130 (green) in HSL, at fixed saturation/lightness
    hue = 30 + percent
    return _hsl(hue, 0.62, 0.48)


def _hsl(hue: float, sat: float, light: float) -> str:
    c = (1 - abs(2 * light - 1)) * sat
    x = c * (1 - abs((hue / 60) % 2 - 1))
    m = light - c / 2
    r, g, b = {
        0: (c, x, 0.0),
        1: (x, c, 0.0),
        2: (0.0, c, x),
        3: (0.0, x, c),
        4: (x, 0.0, c),
        5: (c, 0.0, x),
    }[int(hue // 60) % 6]
    return "#{:02x}{:02x}{:02x}".format(*(round((v + m) * 255) for v in (r, g, b)))
