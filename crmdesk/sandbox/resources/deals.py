"""Deals: ``/deals`` and the deal object shape (reference section 4.1)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from crmdesk.sandbox import conditions as c
from crmdesk.sandbox.clock import local_date
from crmdesk.sandbox.conditions import Where
from crmdesk.sandbox.crud import Resource, create_record
from crmdesk.sandbox.db import Row
from crmdesk.sandbox.effects import bump, cascade_delete
from crmdesk.sandbox.fields import Kind, Problems, blank, decimal_text, fd
from crmdesk.sandbox.http import Ctx, invalid_field, query_flag
from crmdesk.sandbox.resources.companies import find_or_create_company
from crmdesk.sandbox.shapes import (
    currency,
    custom_fields,
    day,
    flag,
    id_list,
    lookup_mini,
    lookups_mini,
    money,
    total,
    ts,
)

_ADDRESS = ("address_1", "address_2", "city", "postal_code", "state", "country")

FIELDS = (
    fd("name"),
    fd("summary"),
    fd("user_id", Kind.REF, "users"),
    fd("status", Kind.REF, "deal_statuses"),
    fd("expected_close_date", Kind.DATE),
    fd("closed_time", Kind.DATETIME),
    fd("is_archived", Kind.BOOL),
    fd("value", Kind.MONEY, column="value_cents"),
    fd("value_in_cents", Kind.INT, column="value_cents"),
    fd("primary_contact_id", Kind.REF, "people"),
    fd("person_ids", Kind.REFS, "people"),
    fd("company_id", Kind.REF, "companies"),
    fd("company_name"),
    fd("probability", Kind.INT, minimum=0, maximum=100),
    fd("deal_stage_id", Kind.REF, "deal_stages"),
    fd("deal_pipeline_id", Kind.REF, "deal_pipelines"),
    fd("deal_loss_reason_id", Kind.REF, "deal_loss_reasons"),
    fd("deal_loss_reason_notes"),
    fd("deal_won_reason_id", Kind.REF, "deal_won_reasons"),
    fd("deal_won_reason_notes"),
    fd("source_id", Kind.REF, "lead_sources", aliases=("deal_source",)),
    fd("tag_ids", Kind.REFS, "deal_tags"),
    fd("shared_user_ids", Kind.REFS, "users"),
    fd("revenue_type_id", Kind.REF, "revenue_types"),
    fd("product_line_ids", Kind.REFS, "product_lines", aliases=("deal_product_lines_ids",)),
    *(fd(name) for name in _ADDRESS),
)


def default_pipeline_id(ctx: Ctx) -> int | None:
    """The account's default pipeline."""
    pipelines = ctx.state.catalog.rows("deal_pipelines")
    for pipeline in pipelines:
        if pipeline.get("default"):
            return int(pipeline["id"])
    return int(pipelines[0]["id"]) if pipelines else None


def _defaults(ctx: Ctx) -> Row:
    return {"user_id": ctx.user_id, "deal_pipeline_id": default_pipeline_id(ctx)}


def _prepare(ctx: Ctx, values: Row, existing: Row | None, attrs: Row, problems: Problems) -> None:
    catalog = ctx.state.catalog
    # deliver_assignment_email only decides whether an e-mail goes out: accepted, no effect.
    query_flag(ctx, "deliver_assignment_email")
    name = values.pop("company_name", None)
    if name and "company_id" not in values:
        values["company_id"] = find_or_create_company(ctx, str(name))
    stage_id = values.get("deal_stage_id")
    if "deal_stage_id" in values and (existing is None or existing["deal_stage_id"] != stage_id):
        values["stage_changed_at"] = ctx.state.stamp()
        stage = catalog.lookup("deal_stages", stage_id)
        if stage is not None:
            # Setting a stage sets the probability from the stage's percent (recorded).
            values.setdefault("probability", stage.get("percent"))
            if stage.get("deal_pipeline_id") is not None:
                values["deal_pipeline_id"] = stage["deal_pipeline_id"]
    if "probability" in values:
        probability = values["probability"]
        closed = existing["closed_time"] if existing else None
        if probability in (0, 100) and "closed_time" not in values and closed is None:
            # A probability of 0 or 100 closes the deal (NANGO's description of the field).
            values["closed_time"] = ctx.state.stamp()
        elif probability not in (0, 100) and "closed_time" not in values and closed is not None:
            values["closed_time"] = None


def _validate(ctx: Ctx, row: Row, problems: Problems) -> None:
    # EMULATION (section 8 item 21): a deal needs a name.
    if blank(row.get("name")):
        problems.add("name", "can't be blank")


def _sync_links(ctx: Ctx, deal_id: int, virtual: Row) -> bool:
    db = ctx.state.db
    changed_people: set[int] = set()
    if "person_ids" in virtual:
        wanted = list(virtual["person_ids"] or [])
        current = {
            r[0]
            for r in db.conn.execute(
                "SELECT person_id FROM deal_people WHERE deal_id = ?", (deal_id,)
            )
        }
        for person_id in current - set(wanted):
            db.conn.execute(
                "DELETE FROM deal_people WHERE deal_id = ? AND person_id = ?", (deal_id, person_id)
            )
        for person_id in set(wanted) - current:
            db.conn.execute(
                "INSERT INTO deal_people (deal_id, person_id) VALUES (?, ?)", (deal_id, person_id)
            )
        changed_people = current.symmetric_difference(wanted)
    contact = db.scalar("SELECT primary_contact_id FROM deals WHERE id = ?", (deal_id,))
    if contact is not None:
        # The primary contact is always one of the deal's people.
        inserted = db.conn.execute(
            "INSERT OR IGNORE INTO deal_people (deal_id, person_id) VALUES (?, ?)",
            (deal_id, contact),
        ).rowcount
        if inserted:
            changed_people.add(contact)
    bump(ctx, "people", changed_people)
    return bool(changed_people)


def _on_delete(ctx: Ctx, row: Row) -> None:
    cascade_delete(ctx, "Deal", row["id"])


def _todo_template(ctx: Ctx, deal: Row, body: Row) -> None:
    """``todo_template_id`` (+ ``todo_template_user_id``) next to ``deal`` on create: the
    template's items become tasks of the new deal, due N days from today."""
    from crmdesk.sandbox.fields import as_int
    from crmdesk.sandbox.resources import calendar

    try:
        template_id = as_int(body.get("todo_template_id"))
        owner_id = as_int(body.get("todo_template_user_id")) or ctx.user_id
    except ValueError:
        raise invalid_field("todo_template_id", "is not a valid id") from None
    if template_id is None:
        return
    catalog = ctx.state.catalog
    if catalog.lookup("todo_templates", template_id) is None:
        raise invalid_field("todo_template_id", "is invalid")
    if owner_id not in catalog.users:
        raise invalid_field("todo_template_user_id", "is invalid")
    today = local_date(ctx.state.stamp(), ctx.tz)
    for item in catalog.rows("todo_template_items"):
        if item.get("todo_template_id") != template_id:
            continue
        due = today + timedelta(days=int(item.get("due_date") or 0))
        create_record(
            ctx,
            calendar.RESOURCE,
            {
                "type": "CalendarTask",
                "name": item.get("description") or "To-do",
                "due_date": due.isoformat(),
                "owner_id": owner_id,
                "category_id": item.get("event_category_id"),
                "calendar_entry_priority_id": item.get("calendar_entry_priority_id"),
                "association_type": "Deal",
                "association_id": deal["id"],
            },
        )


def _totals(ctx: Ctx, where: Where) -> dict[str, Any]:
    if not query_flag(ctx, "totals"):
        return {}
    cents = ctx.state.db.scalar(f"SELECT SUM(value_cents) FROM deals{where.sql()}", where.params)
    # EMULATION (section 8 items 13, 18): 0 as an integer, otherwise a decimal string.
    return {"totals": {"deal_value": total(int(cents or 0))}}


def _analytics(ctx: Ctx, r: Row, now: int) -> Row:
    first, last = r["first_activity_at"], r["last_activity_at"]
    hours = None
    if first is not None:
        hours = decimal_text(round(Decimal(first - r["created_at"]) / 3600, 2))
    return {
        "date_of_first_activity": ts(ctx, first),
        "days_since_last_activity": None if last is None else max(0, (now - last) // 86400),
        "hours_to_first_activity": hours,
        "days_in_stage": None
        if r["stage_changed_at"] is None or r["deal_stage_id"] is None
        else max(0, (now - r["stage_changed_at"]) // 86400),
    }


def shape(ctx: Ctx, rows: list[Row], view: str) -> list[Row]:
    """Deal objects. Writes lack the activity analytics; GET-one adds notify ids."""
    db = ctx.state.db
    catalog = ctx.state.catalog
    ids = [r["id"] for r in rows]
    people_of = db.deal_people("deal_id", ids)
    person_ids = {p for ps in people_of.values() for p in ps}
    person_ids.update(r["primary_contact_id"] for r in rows if r["primary_contact_id"])
    people = db.get_many(
        "people",
        person_ids,
        "id, first_name, last_name, phone, mobile, home_phone, email, email2, home_email",
    )
    companies = db.get_many("companies", [r["company_id"] for r in rows], "id, name, is_customer")
    cur = currency(ctx, with_id=view == "write")
    # GET /people/:id/deals?include_notify_user_ids=true adds them to a list (JS client).
    wants_notify = view == "show" or query_flag(ctx, "include_notify_user_ids")
    notify = catalog.active_user_ids() if wants_notify else None
    now = ctx.state.stamp()
    out = []
    for r in rows:
        contact = people.get(r["primary_contact_id"])
        company = companies.get(r["company_id"])
        pipeline = catalog.lookup("deal_pipelines", r["deal_pipeline_id"])
        stage = catalog.lookup("deal_stages", r["deal_stage_id"])
        status = catalog.lookup("deal_statuses", r["status"])
        shared = id_list(r["shared_user_ids"])
        tags = id_list(r["tag_ids"])
        lines = id_list(r["product_line_ids"])
        item: Row = {
            "id": r["id"],
            "name": r["name"],
            "summary": r["summary"],
            "user_id": r["user_id"],
            "user": catalog.user_mini(r["user_id"]),
            "created_at": ts(ctx, r["created_at"]),
            "updated_at": ts(ctx, r["updated_at"]),
            "created_by_user_id": r["created_by_user_id"],
            "created_by_user": catalog.user_mini(r["created_by_user_id"]),
            "updated_by_user_id": r["updated_by_user_id"],
            "updated_by_user": catalog.user_mini(r["updated_by_user_id"]),
            "is_archived": flag(r["is_archived"]),
            "is_example": None,
            "is_sample": flag(r["is_sample"]),
            "source_id": r["source_id"],
        }
        source = lookup_mini(ctx, "lead_sources", r["source_id"])
        if source is not None:
            # The key is omitted, not null, when the deal has no source (recorded).
            item["source"] = source
        item.update(
            {
                "primary_contact_id": r["primary_contact_id"],
                "primary_contact": dict(contact) if contact else None,
                "person_ids": people_of[r["id"]],
                "people": [
                    {"id": p["id"], "first_name": p["first_name"], "last_name": p["last_name"]}
                    for p in (people.get(i) for i in people_of[r["id"]])
                    if p is not None
                ],
                "company_id": r["company_id"],
                "company": {
                    "id": company["id"],
                    "name": company["name"],
                    "is_customer": bool(company["is_customer"]),
                }
                if company
                else None,
                "deal_pipeline_id": r["deal_pipeline_id"],
                "deal_pipeline": {
                    "id": pipeline["id"],
                    "name": pipeline.get("name"),
                    "default": bool(pipeline.get("default")),
                }
                if pipeline
                else None,
                "deal_stage_id": r["deal_stage_id"],
                "deal_stage": {
                    "id": stage["id"],
                    "name": stage.get("name"),
                    "percent": stage.get("percent"),
                }
                if stage
                else None,
                "status": r["status"],
                "deal_status": {
                    "id": status["id"],
                    "name": status.get("name"),
                    "hex_color": status.get("hex_color"),
                }
                if status
                else None,
                "probability": r["probability"],
                "value": money(r["value_cents"]),
                "value_in_cents": r["value_cents"],
                "currency": cur,
                "expected_close_date": day(r["expected_close_date"]),
                "expected_close_date_event_id": r["expected_close_date_event_id"],
                "closed_time": ts(ctx, r["closed_time"]),
                "deal_loss_reason_id": r["deal_loss_reason_id"],
                "deal_loss_reason": lookup_mini(ctx, "deal_loss_reasons", r["deal_loss_reason_id"]),
                "deal_loss_reason_notes": r["deal_loss_reason_notes"],
                "deal_won_reason_id": r["deal_won_reason_id"],
                "deal_won_reason": lookup_mini(ctx, "deal_won_reasons", r["deal_won_reason_id"]),
                "deal_won_reason_notes": r["deal_won_reason_notes"],
                "revenue_type_id": r["revenue_type_id"],
                "revenue_type": lookup_mini(ctx, "revenue_types", r["revenue_type_id"]),
                "import_id": r["import_id"],
                "next_entry_id": r["next_entry_id"],
                "next_entry_name": r["next_entry_name"],
                "next_entry_due": day(r["next_entry_due"]),
                "next_entry_all_day": None
                if r["next_entry_all_day"] is None
                else bool(r["next_entry_all_day"]),
                **{name: r[name] for name in _ADDRESS},
                "shared_user_ids": shared,
                "project_shared_user_ids": [],
                "collaborators": catalog.users_mini(shared),
            }
        )
        if view != "write":
            item.update(_analytics(ctx, r, now))
        item.update(
            {
                "deal_copy": None,
                "custom_fields": custom_fields(ctx, "deal", r["custom_fields"]),
                "deal_product_lines_ids": lines,
                "product_lines": [
                    product_line_shape(ctx, line)
                    for line in (catalog.lookup("product_lines", i) for i in lines)
                    if line is not None
                ],
                "tag_ids": tags,
                "tags": lookups_mini(ctx, "deal_tags", tags),
            }
        )
        if notify is not None:
            item["possible_notify_user_ids"] = notify
        out.append(item)
    return out


def product_line_shape(ctx: Ctx, line: Row) -> Row:
    """A product line as embedded in a deal (with account id and timestamps)."""
    return {
        "id": line["id"],
        "name": line.get("name"),
        "account_id": ctx.state.catalog.settings.get("id"),
        "enabled_for_deals": bool(line.get("enabled_for_deals")),
        "enabled_for_people": bool(line.get("enabled_for_people")),
        "enabled_for_companies": bool(line.get("enabled_for_companies")),
        "created_at": ts(ctx, line["created_at"]),
        "updated_at": ts(ctx, line["updated_at"]),
    }


_PERSON = (
    "id IN (SELECT dp.deal_id FROM deal_people dp JOIN people p ON p.id = dp.person_id WHERE {})"
)


def _person(*columns: str) -> c.Compiler:
    """A text condition on any person of the deal."""
    inner = c.text(*columns)

    def compile_(where: Where, value: object, tz: Any, key: str) -> None:
        probe = Where()
        inner(probe, value, tz, key)
        if probe.clauses:
            where.add(_PERSON.format(probe.clauses[0]), *probe.params)

    return compile_


CONDITIONS = {
    "deal_id": c.ids("id"),
    "deal_name": c.text("name"),
    "deal_summary": c.text("summary"),
    "deal_percentage": c.number_range("probability"),
    "deal_probability": c.number_range("probability"),
    "deal_source": c.ids("source_id"),
    "deal_owner": c.ids("user_id"),
    "deal_value": c.number_range("value_cents", 100),
    "deal_stage": c.ids("deal_stage_id"),
    "deal_pipeline": c.ids("deal_pipeline_id"),
    "deal_status": c.ids("status"),
    "deal_tag": c.json_ids("tag_ids"),
    "deal_company": c.ids("company_id"),
    "deal_is_archived": c.flag("is_archived = 1", "is_archived = 0"),
    "deal_revenue_type": c.ids("revenue_type_id"),
    "exp_close": c.date_range("expected_close_date"),
    "deal_created": c.time_range("created_at"),
    "deal_modified": c.time_range("updated_at"),
    "deal_closed_time": c.time_range("closed_time"),
    "person_full_name": _person("p.first_name || ' ' || p.last_name"),
    "person_email": _person("p.email", "p.email2", "p.home_email"),
    "person_phone": _person("p.phone", "p.mobile", "p.home_phone"),
    "person_city": _person("p.work_city", "p.home_city"),
    "person_state": _person("p.work_state", "p.home_state"),
    "person_work_zip": _person("p.work_postal_code"),
    "person_zip": _person("p.work_postal_code", "p.home_postal_code"),
    "person_company_name": _person(
        "(SELECT name FROM companies WHERE companies.id = p.company_id)"
    ),
    "company_name": c.text("(SELECT name FROM companies WHERE companies.id = deals.company_id)"),
}

SORTS = {
    "id": "id",
    "name": "name COLLATE NOCASE",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "value": "value_cents",
    "value_in_cents": "value_cents",
    "expected_close_date": "expected_close_date",
    "closed_time": "closed_time",
    "probability": "probability",
    "deal_stage_id": "deal_stage_id",
    "status": "status",
    "user_id": "user_id",
    "company_id": "company_id",
}

RESOURCE = Resource(
    entity="deal",
    table="deals",
    wrapper="deal",
    fields=FIELDS,
    shape=shape,
    conditions=CONDITIONS,
    sorts=SORTS,
    associations={
        "person_id": "id IN (SELECT deal_id FROM deal_people WHERE person_id = ?)",
        "company_id": "company_id = ?",
    },
    custom=True,
    defaults=_defaults,
    prepare=_prepare,
    validate=_validate,
    sync_links=_sync_links,
    on_delete=_on_delete,
    list_extras=_totals,
    on_created=_todo_template,
)
