"""Calendar entries (tasks and events) with recurring series: ``/calendar_entries``
(reference section 4.6, changelog 2012-01-31).

A series is a base entry holding ``rrule``/``rdate``/``exrule``/``exdate``; its other
occurrences are materialised as entries with ``base_entry_id`` and
``part_of_recurring_series: true``. Editing the base's rule or exceptions re-materialises
(occurrences on dates that remain keep their ids and their completion). Deleting any entry
of a series destroys the whole series and answers 200 with the JSON array of destroyed ids
(occurrences, then the base); deleting a single entry answers 204.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmdesk.sandbox import recurrence
from crmdesk.sandbox.clock import local_date
from crmdesk.sandbox.conditions import Where
from crmdesk.sandbox.crud import Resource, resource_routes, run_list
from crmdesk.sandbox.db import Row
from crmdesk.sandbox.effects import ASSOCIATION_TABLES, bump, refresh_next_entry
from crmdesk.sandbox.fields import Kind, Problems, blank, fd
from crmdesk.sandbox.http import Ctx, context, json_response
from crmdesk.sandbox.resources.calendar_conditions import CONDITIONS, active_filter
from crmdesk.sandbox.resources.calendar_series import (
    EVENT,
    TASK,
    sort_at,
    status_of,
    sync_series,
)
from crmdesk.sandbox.shapes import day, lookup_mini, ts

RECURRENCE_FIELDS = ("rrule", "rdate", "exrule", "exdate", "recurrence_end")

FIELDS = (
    fd("type", Kind.CHOICE, choices=(TASK, EVENT)),
    fd("name"),
    fd("description"),
    fd("category_id", Kind.REF, "event_categories"),
    fd("start_time", Kind.DATETIME, column="start_at"),
    fd("end_time", Kind.DATETIME, column="end_at"),
    fd("all_day", Kind.BOOL),
    fd("due_date", Kind.DATE),
    fd("complete", Kind.BOOL),
    fd("association_type", Kind.CHOICE, choices=tuple(ASSOCIATION_TABLES)),
    fd("association_id", Kind.INT),
    fd("company_id", Kind.REF, "companies"),
    fd("owner_id", Kind.REF, "users"),
    fd("active", Kind.BOOL),
    fd("calendar_entry_priority_id", Kind.REF, "calendar_entry_priorities"),
    fd("calendar_entry_status_id", Kind.REF, "calendar_entry_statuses"),
    fd("rrule"),
    fd("rdate"),
    fd("exrule"),
    fd("exdate"),
    fd("recurrence_end", Kind.DATE),
)


def _defaults(ctx: Ctx) -> Row:
    return {
        "owner_id": ctx.user_id,
        "active": True,
        "complete": False,
        "calendar_entry_status_id": status_of(ctx, "todo"),
    }


def _prepare(ctx: Ctx, values: Row, existing: Row | None, attrs: Row, problems: Problems) -> None:
    merged = {**(existing or {}), **values}
    kind = merged.get("type")
    for name in RECURRENCE_FIELDS[:4]:
        if name in values:
            if blank(values[name]):
                values[name] = None
            else:
                try:
                    recurrence.check(values[name], ctx.tz, name)
                except recurrence.RecurrenceError as error:
                    problems.add(error.field, error.msg)
    occurrence = existing is not None and existing["base_entry_id"] is not None
    if occurrence and any(values.get(name) for name in RECURRENCE_FIELDS):
        problems.add("rrule", "can only be changed on the base entry of the series")
    if kind == TASK:
        if values.get("start_at") is not None and "due_date" not in values:
            # A task has no times; a start_time given for it is its due date.
            values["due_date"] = local_date(values["start_at"], ctx.tz).isoformat()
        if "start_at" in values or existing is None:
            values["start_at"] = None
            values["end_at"] = None
        if existing is None and values.get("all_day") is None:
            values["all_day"] = True
    elif existing is None and values.get("all_day") is None:
        values["all_day"] = False
    if "all_day" in values and values["all_day"] is None:
        values["all_day"] = False
    _association(ctx, values, existing, problems)
    if "complete" in values:
        done = bool(values["complete"])
        values["complete"] = done
        was = bool(existing["complete"]) if existing else False
        if done and not was:
            values["completed_at"] = ctx.state.stamp()
            values.setdefault("calendar_entry_status_id", status_of(ctx, "done"))
        elif not done and was:
            values["completed_at"] = None
            if existing and existing["calendar_entry_status_id"] == status_of(ctx, "done"):
                values.setdefault("calendar_entry_status_id", status_of(ctx, "todo"))
    if "active" in values and values["active"] is None:
        values["active"] = True
    merged = {**(existing or {}), **values}
    if merged.get("base_entry_id") is None:
        values["part_of_recurring_series"] = bool(merged.get("rrule") or merged.get("rdate"))
    values["sort_at"] = sort_at(ctx, merged)


def _association(ctx: Ctx, values: Row, existing: Row | None, problems: Problems) -> None:
    if "association_type" not in values and "association_id" not in values:
        return
    kind = values.get("association_type", existing["association_type"] if existing else None)
    record_id = values.get("association_id", existing["association_id"] if existing else None)
    if kind is None and record_id is None:
        values["association_type"] = values["association_id"] = None
        return
    if kind is None or record_id is None:
        problems.add("association_type" if kind is None else "association_id", "can't be blank")
        return
    table = ASSOCIATION_TABLES[kind]
    record = ctx.state.db.row(f"SELECT * FROM {table} WHERE id = ?", (record_id,))
    if record is None:
        problems.add("association_id", "is invalid")
        return
    values["association_type"], values["association_id"] = kind, record_id
    if "company_id" not in values:
        # The entry's company comes from what it is attached to (recorded for deals).
        values["company_id"] = record_id if kind == "Company" else record.get("company_id")


def _validate(ctx: Ctx, row: Row, problems: Problems) -> None:
    if blank(row.get("type")):
        problems.add("type", "can't be blank")
    if blank(row.get("name")):
        problems.add("name", "can't be blank")
    if row.get("type") == EVENT:
        if row.get("start_at") is None:
            problems.add("start_time", "can't be blank")
        if row.get("end_at") is None:
            problems.add("end_time", "can't be blank")
        if row.get("start_at") and row.get("end_at") and row["end_at"] < row["start_at"]:
            problems.add("end_time", "must be after the start time")
    elif (
        row.get("type") == TASK
        and not row.get("due_date")
        and ctx.state.catalog.settings.get("calendar_entry_task_due_date_required")
    ):
        problems.add("due_date", "can't be blank")
    if (row.get("rrule") or row.get("rdate")) and sort_at(ctx, row) is None:
        problems.add("rrule", "needs a start time or a due date to repeat from")


def _after_write(ctx: Ctx, before: Row | None, after: Row) -> None:
    if after["base_entry_id"] is None and (
        after["part_of_recurring_series"]
        or (before is not None and before["part_of_recurring_series"])
    ):
        sync_series(ctx, after)
    if after["complete"] and (before is None or not before["complete"]) and after["type"] == TASK:
        _completion_note(ctx, after)
    refresh_next_entry(ctx, after["association_type"], after["association_id"])
    if before is not None and (before["association_type"], before["association_id"]) != (
        after["association_type"],
        after["association_id"],
    ):
        refresh_next_entry(ctx, before["association_type"], before["association_id"])


def _completion_note(ctx: Ctx, entry: Row) -> None:
    """Completing a task leaves a system note (category CalendarTask), as recorded."""
    if entry["association_type"] is None:
        return
    category = next(
        (
            r["id"]
            for r in ctx.state.catalog.rows("note_categories")
            if r.get("name") == "CalendarTask" and r.get("system")
        ),
        None,
    )
    column = {"Deal": "deal_id", "Person": "person_id", "Company": "company_id"}[
        entry["association_type"]
    ]
    stamp = ctx.state.stamp()
    ctx.state.db.insert(
        "notes",
        {
            "content": f'completed task titled "{entry["name"]}"',
            column: entry["association_id"],
            "user_id": ctx.user_id,
            "created_by_user_id": ctx.user_id,
            "note_category_id": category,
            "created_at": stamp,
            "updated_at": stamp,
        },
    )


def _on_delete(ctx: Ctx, row: Row) -> Any:
    db = ctx.state.db
    at = ctx.state.stamp()
    if row["base_entry_id"] is None and not row["part_of_recurring_series"]:
        db.delete("calendar_entries", row["id"], "calendar_entry", at)
        destroyed = [row["id"]]
        body = None
    else:
        base_id = row["base_entry_id"] or row["id"]
        occurrences = [
            r[0]
            for r in db.conn.execute(
                "SELECT id FROM calendar_entries WHERE base_entry_id = ? ORDER BY id", (base_id,)
            )
        ]
        destroyed = [*occurrences, base_id]
        for entry_id in destroyed:
            db.delete("calendar_entries", entry_id, "calendar_entry", at)
        body = destroyed
    marks = ",".join("?" * len(destroyed))
    documents = [
        r[0]
        for r in db.conn.execute(
            f"SELECT id FROM documents WHERE calendar_entry_id IN ({marks})", destroyed
        )
    ]
    if documents:
        db.conn.execute(
            f"UPDATE documents SET calendar_entry_id = NULL WHERE id IN ({marks})".replace(
                marks, ",".join("?" * len(documents))
            ),
            documents,
        )
        bump(ctx, "documents", documents)
    refresh_next_entry(ctx, row["association_type"], row["association_id"])
    return body


# ---------------------------------------------------------------------- shape


def shape(ctx: Ctx, rows: list[Row], view: str) -> list[Row]:
    """Calendar entry objects."""
    db = ctx.state.db
    catalog = ctx.state.catalog
    wanted: dict[str, set[int]] = {kind: set() for kind in ASSOCIATION_TABLES}
    for r in rows:
        if r["association_type"] in wanted and r["association_id"] is not None:
            wanted[r["association_type"]].add(r["association_id"])
    minis: dict[tuple[str, int], Row] = {}
    for record in db.get_many("deals", wanted["Deal"], "id, name").values():
        minis[("Deal", record["id"])] = record
    for record in db.get_many(
        "people", wanted["Person"], "id, first_name, last_name, phone, mobile, email"
    ).values():
        minis[("Person", record["id"])] = record
    companies = db.get_many(
        "companies",
        wanted["Company"] | {r["company_id"] for r in rows if r["company_id"]},
        "id, name",
    )
    for record in companies.values():
        minis[("Company", record["id"])] = record
    out = []
    for r in rows:
        status = catalog.lookup("calendar_entry_statuses", r["calendar_entry_status_id"])
        item: Row = {
            "id": r["id"],
            "type": r["type"],
            "name": r["name"],
            "description": r["description"],
            "owner_id": r["owner_id"],
            "owner": catalog.user_mini(r["owner_id"]),
            "created_by_user_id": r["created_by_user_id"],
            "created_by_user": catalog.user_mini(r["created_by_user_id"]),
            "category_id": r["category_id"],
            "category": lookup_mini(ctx, "event_categories", r["category_id"]),
            # Tasks echo their due date here; events carry their start time.
            "start_time": ts(ctx, r["start_at"]) if r["type"] == EVENT else day(r["due_date"]),
            "end_time": ts(ctx, r["end_at"]) if r["type"] == EVENT else None,
            "all_day": bool(r["all_day"]),
            "due_date": day(r["due_date"]),
            "complete": bool(r["complete"]),
            "completed_at": ts(ctx, r["completed_at"]),
            "active": bool(r["active"]),
            "association_type": r["association_type"],
            "association_id": r["association_id"],
            "association": minis.get((r["association_type"], r["association_id"])),
            "company_id": r["company_id"],
            "associated_company": companies.get(r["company_id"]),
            "rrule": r["rrule"],
            "rdate": r["rdate"],
            "exrule": r["exrule"],
            "exdate": r["exdate"],
            "recurrence_end": day(r["recurrence_end"]),
            "base_entry_id": r["base_entry_id"],
            "part_of_recurring_series": bool(r["part_of_recurring_series"]),
            "google_calendar_id": None,
            "calendar_entry_priority_id": r["calendar_entry_priority_id"],
            "calendar_entry_status_id": r["calendar_entry_status_id"],
        }
        if status is not None:
            item["calendar_entry_status"] = {
                "id": status["id"],
                "name": status.get("name"),
                "position": status.get("position"),
                "hex_color": status.get("hex_color"),
                "status_type": status.get("status_type"),
            }
        item.update(
            {
                "calendar_entry_attendees": [],
                "parent_id": None,
                "subentry_status": None,
                "parent_calendar_entry": {},
                "sub_calendar_entries_count": 0,
                "sub_calendar_entries": [],
                "project_milestone_id": None,
                "project_milestone": None,
                "created_at": ts(ctx, r["created_at"]),
                "updated_at": ts(ctx, r["updated_at"]),
            }
        )
        out.append(item)
    return out


SORTS = {
    "id": "id",
    "name": "name COLLATE NOCASE",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "start_time": "sort_at",
    "due_date": "sort_at",
    "sort_at": "sort_at",
    "end_time": "end_at",
}

_COMPANY = "? IN (company_id, CASE WHEN association_type = 'Company' THEN association_id END)"

RESOURCE = Resource(
    entity="calendar_entry",
    table="calendar_entries",
    wrapper="calendar_entry",
    fields=FIELDS,
    shape=shape,
    conditions=CONDITIONS,
    sorts=SORTS,
    associations={
        "deal_id": "association_type = 'Deal' AND association_id = ?",
        "person_id": "association_type = 'Person' AND association_id = ?",
        "company_id": _COMPANY,
    },
    defaults=_defaults,
    prepare=_prepare,
    validate=_validate,
    after_write=_after_write,
    on_delete=_on_delete,
    base_filter=active_filter,
    by_user_columns=("created_by_user_id",),
)


def _typed_list(kind: str) -> Any:
    """EXTENSION: ``/calendar_tasks`` and ``/calendar_events`` (the official gem defines these
    collections; no recording shows them): the entry list narrowed to one type."""

    def only(ctx: Ctx, where: Where) -> None:
        active_filter(ctx, where)
        where.add("type = ?", kind)

    typed = dataclasses.replace(RESOURCE, base_filter=only)

    async def endpoint(request: Request) -> Response:
        return json_response(run_list(context(request), typed))

    return endpoint


def routes() -> list[BaseRoute]:
    """``/calendar_entries`` plus the ``/calendar_tasks`` and ``/calendar_events`` lists."""
    return [
        *resource_routes(RESOURCE),
        Route("/calendar_tasks", _typed_list(TASK), methods=["GET"]),
        Route("/calendar_events", _typed_list(EVENT), methods=["GET"]),
    ]
