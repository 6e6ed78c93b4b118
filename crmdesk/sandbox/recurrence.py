"""Recurring calendar entries: expand ``rrule``/``rdate``/``exrule``/``exdate`` (RFC 5545,
through python-dateutil) into the dates of a series.

Rules are evaluated on local wall-clock time in the owner's zone, so "every Monday at
09:00" stays at 09:00 across daylight-saving changes. The base entry is the first
occurrence; the other occurrences are materialised as entries of their own.
EMULATION (reference section 8 item 9): the expansion horizon is ``recurrence_end`` or the
account's ``calendar_entry_recurring_end_date_months`` (12) after the later of the series
start and today.
"""

from __future__ import annotations

import re
import warnings
from datetime import UTC, date, datetime, time, tzinfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rruleset, rrulestr

from crmdesk.sandbox.clock import parse_input_datetime

#: Largest number of occurrences a series may have (a guard against FREQ=MINUTELY).
MAX_OCCURRENCES = 1000

_UNTIL = re.compile(r"UNTIL=(\d{8})(?:T(\d{6}))?(Z)?", re.IGNORECASE)
_PREFIX = re.compile(r"^(?:RDATE|EXDATE)[^:]*:", re.IGNORECASE)
_BASIC_DATE = re.compile(r"^\d{8}$")
_BASIC_DATETIME = re.compile(r"^(\d{8})T(\d{6})(Z?)$", re.IGNORECASE)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class RecurrenceError(ValueError):
    """A recurrence field that cannot be read; ``field`` names it."""

    def __init__(self, field: str, msg: str) -> None:
        super().__init__(f"{field} {msg}")
        self.field = field
        self.msg = msg


def _rule_lines(text: str, tz: tzinfo) -> list[str]:
    lines = []
    for raw in re.split(r"[\r\n]+", text.strip()):
        line = raw.strip()
        if not line:
            continue
        line = re.sub(r"^(?:RRULE|EXRULE):", "", line, flags=re.IGNORECASE)

        def local_until(match: re.Match[str]) -> str:
            day, clock, zulu = match.group(1), match.group(2), match.group(3)
            if clock is None:
                return f"UNTIL={day}T235959"
            if zulu:
                moment = datetime.strptime(day + clock, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
                return "UNTIL=" + moment.astimezone(tz).strftime("%Y%m%dT%H%M%S")
            return f"UNTIL={day}T{clock}"

        lines.append(_UNTIL.sub(local_until, line))
    return lines


def parse_dates(text: str | None, tz: tzinfo, field: str) -> list[datetime | date]:
    """RDATE/EXDATE values: local naive datetimes, or dates for whole-day values."""
    if not text or not text.strip():
        return []
    found: list[datetime | date] = []
    for raw in re.split(r"[,\r\n]+", text):
        item = _PREFIX.sub("", raw.strip())
        if not item:
            continue
        basic = _BASIC_DATETIME.match(item)
        if _BASIC_DATE.match(item):
            found.append(datetime.strptime(item, "%Y%m%d").date())
        elif basic:
            moment = datetime.strptime(basic.group(1) + basic.group(2), "%Y%m%d%H%M%S")
            if basic.group(3):
                moment = moment.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)
            found.append(moment)
        elif _ISO_DATE.match(item):
            found.append(date.fromisoformat(item))
        else:
            parsed = parse_input_datetime(item, tz)
            if parsed is None:
                raise RecurrenceError(field, f"has a value that is not a date: {item!r}")
            found.append(datetime.fromtimestamp(parsed[0], tz).replace(tzinfo=None))
    return found


def expand(
    start: datetime,
    *,
    rrule: str | None,
    rdate: str | None,
    exrule: str | None,
    exdate: str | None,
    until: datetime,
    tz: tzinfo,
) -> list[datetime]:
    """Local naive start times of the occurrences after ``start`` (which is the base).

    ``start`` and ``until`` are local naive datetimes. Raises RecurrenceError for rules
    that do not parse or produce more than ``MAX_OCCURRENCES`` occurrences.
    """
    series = rruleset()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # COUNT with UNTIL
        for field, text, add in (("rrule", rrule, series.rrule), ("exrule", exrule, series.exrule)):
            for line in _rule_lines(text or "", tz):
                if not re.search(r"(?:^|;)(?:COUNT|UNTIL)=", line, re.IGNORECASE):
                    # Bound open rules: an EXRULE that removes every occurrence would
                    # otherwise make the iteration below search forever.
                    line = f"{line};UNTIL={until:%Y%m%dT%H%M%S}"
                try:
                    add(rrulestr(line, dtstart=start, ignoretz=True))  # type: ignore[arg-type]
                except (ValueError, KeyError, TypeError) as error:
                    raise RecurrenceError(
                        field, f"is not a valid recurrence rule ({error})"
                    ) from None
    for extra in parse_dates(rdate, tz, "rdate"):
        series.rdate(
            extra if isinstance(extra, datetime) else datetime.combine(extra, start.time())
        )
    excluded = parse_dates(exdate, tz, "exdate")
    excluded_times = {e for e in excluded if isinstance(e, datetime)}
    excluded_days = {e for e in excluded if not isinstance(e, datetime)}
    found: list[datetime] = []
    # Iterate lazily (``between`` would expand a whole FREQ=MINUTELY year first).
    for moment in series:
        if moment > until or len(found) > MAX_OCCURRENCES:
            break
        if moment <= start or moment in excluded_times or moment.date() in excluded_days:
            continue
        found.append(moment)
    if len(found) > MAX_OCCURRENCES:
        raise RecurrenceError(
            "rrule", f"would create more than {MAX_OCCURRENCES} entries before the series ends"
        )
    return found


def horizon(start: datetime, today: date, recurrence_end: str | None, months: int) -> datetime:
    """Local naive end of materialisation: ``recurrence_end`` or ``months`` ahead."""
    if recurrence_end:
        return datetime.combine(date.fromisoformat(recurrence_end), time(23, 59, 59))
    later = max(start.date(), today)
    return datetime.combine(later + relativedelta(months=months), time(23, 59, 59))


def check(text: str | None, tz: tzinfo, field: str) -> None:
    """Raise RecurrenceError if a rule field does not parse."""
    if field in ("rdate", "exdate"):
        parse_dates(text, tz, field)
        return
    anchor = datetime(2026, 1, 1, 9, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for line in _rule_lines(text or "", tz):
            try:
                rrulestr(line, dtstart=anchor, ignoretz=True)
            except (ValueError, KeyError, TypeError) as error:
                raise RecurrenceError(field, f"is not a valid recurrence rule ({error})") from None
