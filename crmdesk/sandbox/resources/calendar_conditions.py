"""``conditions[...]`` of calendar entries (reference 1.6: WL's CalendarEntry list).

Day windows (``today``, ``late``, ``this_week`` ...) are read in the requesting user's
zone. EMULATION: weeks start on Monday; ``within=N`` means the next N days (a date range is
also accepted); inactive entries are hidden unless ``include_inactive``.
"""

from __future__ import annotations

from datetime import timedelta, tzinfo
from typing import Any

from crmdesk.sandbox import conditions as c
from crmdesk.sandbox.clock import local_date, now, start_of_day
from crmdesk.sandbox.conditions import Where
from crmdesk.sandbox.fields import as_bool
from crmdesk.sandbox.http import Ctx
from crmdesk.sandbox.resources.calendar_series import EVENT, TASK


def _day_window(days_from: int, days_to: int | None, week: bool = False) -> c.Compiler:
    """Entries due in a window of days relative to today (in the user's zone)."""

    def compile_(where: Where, value: Any, tz: tzinfo, key: str) -> None:
        if not _on(value):
            return
        today = local_date(now(), tz)
        if week:
            today = today - timedelta(days=today.weekday())  # weeks start on Monday
        low = start_of_day(today + timedelta(days=days_from), tz)
        if days_to is None:
            where.add("sort_at >= ?", low)
        else:
            where.add(
                "sort_at >= ? AND sort_at < ?",
                low,
                start_of_day(today + timedelta(days=days_to), tz),
            )

    return compile_


def _on(value: Any) -> bool:
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return as_bool(value) is not False and value not in (None, "")
    except ValueError:
        return str(value).lower() in ("yes", "y")


def _late(where: Where, value: Any, tz: tzinfo, key: str) -> None:
    if _on(value):
        where.add("complete = 0 AND sort_at < ?", start_of_day(local_date(now(), tz), tz))


def _within(where: Where, value: Any, tz: tzinfo, key: str) -> None:
    if isinstance(value, str) and value.strip().isdigit():
        today = local_date(now(), tz)
        where.add(
            "sort_at >= ? AND sort_at < ?",
            start_of_day(today, tz),
            start_of_day(today + timedelta(days=int(value) + 1), tz),
        )
        return
    c.time_range("sort_at")(where, value, tz, key)


def _bound(op: str) -> c.Compiler:
    def compile_(where: Where, value: Any, tz: tzinfo, key: str) -> None:
        low, high = c._bounds(value, tz, key)
        where.add(f"sort_at {op} ?", low if op == ">=" else high)

    return compile_


def _kind(where: Where, value: Any, tz: tzinfo, key: str) -> None:
    text = str(value[0] if isinstance(value, list) and value else value).lower()
    if text in ("task", "calendartask", "todo", "to-do"):
        where.add("type = ?", TASK)
    elif text in ("event", "calendarevent"):
        where.add("type = ?", EVENT)


CONDITIONS: dict[str, c.Compiler] = {
    "calendar_entry_id": c.ids("id"),
    "named": c.text("name"),
    "kind": _kind,
    "owner_id": c.ids("owner_id"),
    "completed": c.flag("complete = 1", "complete = 0"),
    "incomplete": c.flag("complete = 0", "complete = 1"),
    "late": _late,
    "today": _day_window(0, 1),
    "tomorrow": _day_window(1, 2),
    "this_week": _day_window(0, 7, week=True),
    "next_week": _day_window(7, 14, week=True),
    "future": _day_window(1, None),
    "within": _within,
    "starting_at": _bound(">="),
    "ending_at": _bound("<="),
    "someday": c.flag("sort_at IS NULL"),
    "recurrences_of": c.ids("base_entry_id"),
    "non_recurring": c.flag("part_of_recurring_series = 0"),
    "base_entries": c.flag("base_entry_id IS NULL AND part_of_recurring_series = 1"),
    "include_inactive": lambda where, value, tz, key: None,
    "calendar_entry_modified": c.time_range("updated_at"),
    "calendar_entry_created": c.time_range("created_at"),
    "category": c.ids("category_id"),
    "priority": c.ids("calendar_entry_priority_id"),
    "status": c.ids("calendar_entry_status_id"),
    "association_type": c.equals_text("association_type"),
}


def active_filter(ctx: Ctx, where: Where) -> None:
    conditions = ctx.query.get("conditions")
    flag = conditions.get("include_inactive") if isinstance(conditions, dict) else None
    if flag is None or not _on(flag):
        where.add("active = 1")
