"""Recurring series of calendar entries: materialising the occurrences of a base entry.

Occurrences are matched by day (so a new time of day keeps their ids), or by exact time for
rules with several occurrences a day; occurrences on days that remain keep their ids and
their completion, the others are deleted (tombstoned).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from crmdesk.sandbox import recurrence
from crmdesk.sandbox.clock import local_date, start_of_day, zone
from crmdesk.sandbox.db import Row
from crmdesk.sandbox.http import Ctx, invalid_field

TASK, EVENT = "CalendarTask", "CalendarEvent"
#: Fields a base entry passes on to its occurrences (completion stays per occurrence).
PROPAGATED = (
    "type",
    "name",
    "description",
    "owner_id",
    "category_id",
    "all_day",
    "active",
    "association_type",
    "association_id",
    "company_id",
    "calendar_entry_priority_id",
)


def status_of(ctx: Ctx, status_type: str) -> int | None:
    """Id of the account's first entry status of a type (``todo``, ``custom``, ``done``)."""
    for row in ctx.state.catalog.rows("calendar_entry_statuses"):
        if row.get("status_type") == status_type:
            return int(row["id"])
    return None


def owner_zone(ctx: Ctx, owner_id: int | None) -> tzinfo:
    """Time zone of an entry's owner (dates of tasks and series are theirs)."""
    owner = ctx.state.catalog.users.get(owner_id) if owner_id is not None else None
    return zone(owner["time_zone"]) if owner else ctx.tz


def sort_at(ctx: Ctx, row: Row) -> int | None:
    """When an entry falls due: an event's start, a task's due day in its owner's zone."""
    if row.get("type") == EVENT:
        return row.get("start_at")
    due = row.get("due_date")
    if not due:
        return None
    return start_of_day(datetime.fromisoformat(due).date(), owner_zone(ctx, row.get("owner_id")))


def _local_start(ctx: Ctx, row: Row, tz: tzinfo) -> datetime:
    if row["type"] == EVENT:
        return datetime.fromtimestamp(row["start_at"], tz).replace(tzinfo=None)
    return datetime.fromisoformat(row["due_date"])


def sync_series(ctx: Ctx, base: Row) -> None:
    """Materialise the occurrences of a base entry (and drop the ones no longer due)."""
    db = ctx.state.db
    existing = db.rows("SELECT * FROM calendar_entries WHERE base_entry_id = ?", (base["id"],))
    wanted: list[datetime] = []
    tz = owner_zone(ctx, base["owner_id"])
    if base["part_of_recurring_series"] and sort_at(ctx, base) is not None:
        start = _local_start(ctx, base, tz)
        months = int(ctx.state.catalog.settings.get("calendar_entry_recurring_end_date_months", 12))
        today = local_date(ctx.state.stamp(), tz)
        until = recurrence.horizon(start, today, base["recurrence_end"], months)
        try:
            wanted = recurrence.expand(
                start,
                rrule=base["rrule"],
                rdate=base["rdate"],
                exrule=base["exrule"],
                exdate=base["exdate"],
                until=until,
                tz=tz,
            )
        except recurrence.RecurrenceError as error:
            raise invalid_field(error.field, error.msg) from None
    duration = (
        (base["end_at"] - base["start_at"]) if base["type"] == EVENT and base["end_at"] else 0
    )
    # Occurrences are matched by day (so a new time of day keeps their ids), or by exact
    # time for rules with several occurrences a day.
    daily = len({m.date() for m in wanted}) == len(wanted)
    by_day = {_occurrence_key(row, tz, daily): row for row in existing}
    at = ctx.state.stamp()
    keep: set[int] = set()
    for moment in wanted:
        values = {name: base[name] for name in PROPAGATED}
        if base["type"] == EVENT:
            start_at = int(moment.replace(tzinfo=tz).timestamp())
            values.update(start_at=start_at, end_at=start_at + duration, due_date=None)
        else:
            values.update(start_at=None, end_at=None, due_date=moment.date().isoformat())
        values["sort_at"] = sort_at(ctx, {**values})
        current = by_day.get(moment.date() if daily else moment)
        if current is None:
            values.update(
                base_entry_id=base["id"],
                part_of_recurring_series=1,
                complete=0,
                created_by_user_id=ctx.user_id,
                created_at=at,
                updated_at=at,
                calendar_entry_status_id=status_of(ctx, "todo"),
            )
            keep.add(db.insert("calendar_entries", values))
            continue
        keep.add(current["id"])
        changes = {
            k: v
            for k, v in values.items()
            if current.get(k) != (int(v) if isinstance(v, bool) else v)
        }
        if changes:
            changes["updated_at"] = ctx.state.stamp(current["updated_at"])
            db.update(
                "calendar_entries",
                current["id"],
                {k: (int(v) if isinstance(v, bool) else v) for k, v in changes.items()},
            )
    for row in existing:
        if row["id"] not in keep:
            db.delete("calendar_entries", row["id"], "calendar_entry", at)


def _occurrence_key(row: Row, tz: tzinfo, daily: bool) -> Any:
    if row["type"] == EVENT and row["start_at"] is not None:
        moment = datetime.fromtimestamp(row["start_at"], tz).replace(tzinfo=None)
    elif row["due_date"]:
        moment = datetime.fromisoformat(row["due_date"])
    else:
        return None
    return moment.date() if daily else moment
