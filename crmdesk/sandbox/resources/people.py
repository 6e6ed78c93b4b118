"""People (contacts and leads): ``/people`` and the person shape (reference section 4.2)."""

from __future__ import annotations

from crmdesk.sandbox import conditions as c
from crmdesk.sandbox.crud import Resource
from crmdesk.sandbox.db import Row
from crmdesk.sandbox.effects import bump, cascade_delete
from crmdesk.sandbox.fields import Kind, Problems, blank, fd
from crmdesk.sandbox.http import Ctx, query_flag
from crmdesk.sandbox.resources.companies import find_or_create_company
from crmdesk.sandbox.shapes import (
    MISSING_PERSON_IMAGE,
    currency,
    custom_fields,
    day,
    flag,
    full_name,
    id_list,
    lookup_mini,
    lookups_mini,
    maps_url,
    opt_flag,
    total,
    ts,
)

_ADDRESS = ("address_1", "address_2", "city", "state", "postal_code", "country")
_TEXT = (
    "first_name",
    "last_name",
    "summary",
    "phone",
    "home_phone",
    "mobile",
    "position",
    "website",
    "email",
    "email2",
    "home_email",
    "fax",
    "image_thumb_url",
    "twitter",
    "linked_in_url",
    "facebook_url",
    "instant_message",
    "relationship",
    *(f"home_{n}" for n in _ADDRESS),
    *(f"work_{n}" for n in _ADDRESS),
)

FIELDS = (
    *(fd(name) for name in _TEXT),
    fd("full_name"),
    fd("company_id", Kind.REF, "companies"),
    fd("company_name"),
    fd("user_id", Kind.REF, "users"),
    fd("type", Kind.CHOICE, choices=("Contact", "Lead")),
    fd("lead_status_id", Kind.REF, "lead_statuses"),
    fd("lead_source_id", Kind.REF, "lead_sources"),
    fd("predefined_contacts_tag_ids", Kind.REFS, "predefined_contacts_tags", column="tag_ids"),
    fd("shared_user_ids", Kind.REFS, "users"),
    fd("is_key_contact", Kind.BOOL),
    fd("unsubscribed", Kind.BOOL),
    fd("bounced", Kind.BOOL),
    fd("deal_ids", Kind.REFS, "deals"),
)


def _defaults(ctx: Ctx) -> Row:
    return {"user_id": ctx.user_id, "type": "Contact"}


def _prepare(ctx: Ctx, values: Row, existing: Row | None, attrs: Row, problems: Problems) -> None:
    # check_for_duplicates / deliver_assignment_email: accepted; the sandbox neither
    # refuses duplicates nor sends e-mail.
    query_flag(ctx, "check_for_duplicates")
    name = values.pop("full_name", None)
    if name is not None and "first_name" not in values and "last_name" not in values:
        # full_name splits on the first space (recorded: "test person" -> test / person).
        first, _, last = str(name).strip().partition(" ")
        values["first_name"] = first or None
        values["last_name"] = last.strip() or None
    company = values.pop("company_name", None)
    if company and "company_id" not in values:
        values["company_id"] = find_or_create_company(ctx, str(company))
    for flag_name in ("unsubscribed", "bounced"):
        if flag_name in values and values[flag_name] is None:
            values[flag_name] = False
    if existing is not None and existing["type"] == "Lead" and values.get("type") == "Contact":
        values["converted_at"] = ctx.state.stamp()


def _validate(ctx: Ctx, row: Row, problems: Problems) -> None:
    if blank(row.get("first_name")) and blank(row.get("last_name")):
        problems.add("last_name", "can't be blank")


def _sync_links(ctx: Ctx, person_id: int, virtual: Row) -> bool:
    if "deal_ids" not in virtual:
        return False
    db = ctx.state.db
    wanted = set(virtual["deal_ids"] or [])
    current = {
        r[0]
        for r in db.conn.execute(
            "SELECT deal_id FROM deal_people WHERE person_id = ?", (person_id,)
        )
    }
    for deal_id in current - wanted:
        db.conn.execute(
            "DELETE FROM deal_people WHERE deal_id = ? AND person_id = ?", (deal_id, person_id)
        )
        db.conn.execute(
            "UPDATE deals SET primary_contact_id = NULL WHERE id = ? AND primary_contact_id = ?",
            (deal_id, person_id),
        )
    for deal_id in wanted - current:
        db.conn.execute(
            "INSERT INTO deal_people (deal_id, person_id) VALUES (?, ?)", (deal_id, person_id)
        )
    changed = current ^ wanted
    bump(ctx, "deals", changed)
    return bool(changed)


def _on_delete(ctx: Ctx, row: Row) -> None:
    cascade_delete(ctx, "Person", row["id"])


def _totals(ctx: Ctx, ids: list[int]) -> dict[int, tuple[int, int]]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = ctx.state.db.conn.execute(
        f"SELECT dp.person_id, SUM(CASE WHEN d.closed_time IS NULL THEN d.value_cents END),"
        f" SUM(CASE WHEN d.probability = 100 THEN d.value_cents END)"
        f" FROM deal_people dp JOIN deals d ON d.id = dp.deal_id"
        f" WHERE dp.person_id IN ({marks}) GROUP BY dp.person_id",
        ids,
    ).fetchall()
    return {r[0]: (r[1] or 0, r[2] or 0) for r in rows}


def shape(ctx: Ctx, rows: list[Row], view: str) -> list[Row]:
    """Person objects; GET-one and writes add owner name, currency, company address."""
    db = ctx.state.db
    catalog = ctx.state.catalog
    ids = [r["id"] for r in rows]
    deals_of = db.deal_people("person_id", ids)
    deal_names = db.get_many("deals", {d for ds in deals_of.values() for d in ds}, "id, name")
    company_columns = "id, name, address_1, address_2, city, state, postal_code, country"
    companies = db.get_many("companies", [r["company_id"] for r in rows], company_columns)
    totals = _totals(ctx, ids)
    show = view != "list"
    out = []
    for r in rows:
        company = companies.get(r["company_id"])
        tags = id_list(r["tag_ids"])
        owner = catalog.users.get(r["user_id"])
        work = [r[f"work_{n}"] for n in ("address_1", "city", "state", "postal_code", "country")]
        home = [r[f"home_{n}"] for n in ("address_1", "city", "state", "postal_code", "country")]
        company_address = (
            [company[n] for n in ("address_1", "city", "state", "postal_code", "country")]
            if company
            else []
        )
        pipeline, won = totals.get(r["id"], (0, 0))
        item: Row = {
            "id": r["id"],
            "type": r["type"],
            "first_name": r["first_name"],
            "last_name": r["last_name"],
            "full_name": full_name(r["first_name"], r["last_name"]),
            "position": r["position"],
            "summary": r["summary"],
            "relationship": r["relationship"],
            "is_key_contact": opt_flag(r["is_key_contact"]),
            **{
                name: r[name]
                for name in (
                    "phone",
                    "mobile",
                    "fax",
                    "home_phone",
                    "email",
                    "email2",
                    "home_email",
                    "website",
                    "twitter",
                    "linked_in_url",
                    "facebook_url",
                    "instant_message",
                )
            },
            **{f"home_{n}": r[f"home_{n}"] for n in _ADDRESS},
            **{f"work_{n}": r[f"work_{n}"] for n in _ADDRESS},
            "user_id": r["user_id"],
            "user": catalog.user_mini(r["user_id"]),
        }
        if show:
            item["owner"] = full_name(owner["first_name"], owner["last_name"]) if owner else None
        item.update(
            {
                "created_by_user_id": r["created_by_user_id"],
                "created_by_user": catalog.user_mini(r["created_by_user_id"]),
                "created_at": ts(ctx, r["created_at"]),
                "updated_at": ts(ctx, r["updated_at"]),
                "viewed_at": ts(ctx, r["viewed_at"]),
                "company_id": r["company_id"],
                "company_name": company["name"] if company else None,
            }
        )
        if company is not None:
            # Omitted (not null) for a person without a company (recorded).
            item["company"] = {"id": company["id"], "name": company["name"]}
        item.update(
            {
                "deal_ids": deals_of[r["id"]],
                "deals": [
                    {"id": d["id"], "name": d["name"]}
                    for d in (deal_names.get(i) for i in deals_of[r["id"]])
                    if d is not None
                ],
                "lead_status": lookup_mini(ctx, "lead_statuses", r["lead_status_id"], "hex_color"),
                "lead_source": lookup_mini(ctx, "lead_sources", r["lead_source_id"]),
                "predefined_contacts_tag_ids": tags,
                "predefined_contacts_tags": lookups_mini(ctx, "predefined_contacts_tags", tags),
                "custom_fields": custom_fields(ctx, "person", r["custom_fields"]),
                "unsubscribed": flag(r["unsubscribed"]),
                "bounced": flag(r["bounced"]),
                "last_emailed_at": ts(ctx, r["last_emailed_at"]),
                "is_sample": flag(r["is_sample"]),
                "next_entry_id": r["next_entry_id"],
                "next_entry_name": r["next_entry_name"],
                "next_entry_due": day(r["next_entry_due"]),
                "next_entry_all_day": None
                if r["next_entry_all_day"] is None
                else bool(r["next_entry_all_day"]),
                "image_thumb_url": r["image_thumb_url"] or MISSING_PERSON_IMAGE,
                "image_mobile_url": r["image_thumb_url"] or MISSING_PERSON_IMAGE,
                "work_address_google_maps_url": maps_url(*work),
                "home_address_google_maps_url": maps_url(*home),
                "company_address_google_maps_url": maps_url(*company_address),
                "has_work_address": any(work),
                "has_company_address": any(company_address),
                "shared_user_ids": id_list(r["shared_user_ids"]),
                "project_shared_user_ids": [],
                "date_of_first_activity": ts(ctx, r["first_activity_at"]),
                "days_since_last_activity": None
                if r["last_activity_at"] is None
                else max(0, (ctx.state.stamp() - r["last_activity_at"]) // 86400),
                "hours_to_first_activity": None
                if r["first_activity_at"] is None
                else f"{(r['first_activity_at'] - r['created_at']) / 3600:.1f}",
                "total_pipeline": total(pipeline),
                "won_deals_total": total(won),
            }
        )
        if show:
            item["has_home_address"] = any(home)
            item["currency"] = currency(ctx, full=True)
            for n in _ADDRESS:
                item[f"company_{n}"] = company[n] if company else None
            item["possible_notify_user_ids"] = catalog.active_user_ids()
        out.append(item)
    return out


CONDITIONS = {
    "person_id": c.ids("id"),
    "person_name": c.text("first_name", "last_name", "first_name || ' ' || last_name"),
    "person_first_name": c.text("first_name"),
    "person_last_name": c.text("last_name"),
    "person_full_name": c.text("first_name || ' ' || last_name"),
    "person_owner": c.ids("user_id"),
    "person_city": c.text("work_city", "home_city"),
    "person_state": c.text("work_state", "home_state"),
    "person_zip": c.text("work_postal_code", "home_postal_code"),
    "person_position": c.text("position"),
    "person_company_name": c.text(
        "(SELECT name FROM companies WHERE companies.id = people.company_id)"
    ),
    "lead_source": c.ids("lead_source_id"),
    "person_status": c.ids("lead_status_id"),
    "person_email": c.text("email", "email2", "home_email"),
    "person_phone": c.text("phone", "mobile", "home_phone"),
    "person_linked_in_url": c.text("linked_in_url"),
    "person_converted": c.time_range("converted_at"),
    "person_created": c.time_range("created_at"),
    "person_modified": c.time_range("updated_at"),
    "person_simple_search": c.text(
        "first_name || ' ' || last_name",
        "email",
        "phone",
        "mobile",
        "(SELECT name FROM companies WHERE companies.id = people.company_id)",
    ),
    "person_type": c.equals_text("type"),
    "person_tag": c.json_ids("tag_ids"),
    "person_is_key_contact": c.flag("is_key_contact = 1", "COALESCE(is_key_contact, 0) = 0"),
}

SORTS = {
    "id": "id",
    "first_name": "first_name COLLATE NOCASE",
    "last_name": "last_name COLLATE NOCASE",
    "full_name": "last_name COLLATE NOCASE, first_name COLLATE NOCASE",
    "name": "last_name COLLATE NOCASE, first_name COLLATE NOCASE",
    "email": "email COLLATE NOCASE",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "company_id": "company_id",
    "user_id": "user_id",
    "type": "type",
}

RESOURCE = Resource(
    entity="person",
    table="people",
    wrapper="person",
    fields=FIELDS,
    shape=shape,
    conditions=CONDITIONS,
    sorts=SORTS,
    associations={
        "deal_id": "id IN (SELECT person_id FROM deal_people WHERE deal_id = ?)",
        "company_id": "company_id = ?",
    },
    custom=True,
    defaults=_defaults,
    prepare=_prepare,
    validate=_validate,
    sync_links=_sync_links,
    on_delete=_on_delete,
)
