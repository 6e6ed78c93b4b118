"""Companies: ``/companies`` and their object shape (reference section 4.3)."""

from __future__ import annotations

from crmdesk.sandbox import conditions as c
from crmdesk.sandbox.crud import Resource
from crmdesk.sandbox.db import Row
from crmdesk.sandbox.effects import cascade_delete
from crmdesk.sandbox.fields import Kind, Problems, blank, fd
from crmdesk.sandbox.http import Ctx, query_flag
from crmdesk.sandbox.shapes import (
    MISSING_COMPANY_IMAGE,
    currency,
    custom_fields,
    day,
    flag,
    full_name,
    id_list,
    lookups_mini,
    maps_url,
    total,
    ts,
)

_TEXT = (
    "name",
    "description",
    "email",
    "web",
    "fax",
    "address_1",
    "address_2",
    "city",
    "state",
    "postal_code",
    "country",
    "phone1",
    "phone2",
    "phone3",
    "phone4",
    "phone1_desc",
    "phone2_desc",
    "phone3_desc",
    "phone4_desc",
    "twitter",
    "linked_in_url",
    "facebook_url",
    "instant_message",
    "image_thumb_url",
)

FIELDS = (
    *(fd(name) for name in _TEXT),
    fd("owner_id", Kind.REF, "users"),
    fd("tag_ids", Kind.REFS, "company_tags"),
    fd("shared_user_ids", Kind.REFS, "users"),
)


def find_or_create_company(ctx: Ctx, name: str) -> int:
    """Id of the company called ``name`` (case-insensitive), created if there is none."""
    db = ctx.state.db
    found = db.scalar(
        "SELECT id FROM companies WHERE name = ? COLLATE NOCASE ORDER BY id LIMIT 1",
        (name.strip(),),
    )
    if found is not None:
        return int(found)
    stamp = ctx.state.stamp()
    return db.insert(
        "companies",
        {
            "name": name.strip(),
            "owner_id": ctx.user_id,
            "created_by_user_id": ctx.user_id,
            "updated_by_user_id": ctx.user_id,
            "created_at": stamp,
            "updated_at": stamp,
        },
    )


def _defaults(ctx: Ctx) -> Row:
    return {"owner_id": ctx.user_id}


def _validate(ctx: Ctx, row: Row, problems: Problems) -> None:
    if blank(row.get("name")):
        problems.add("name", "can't be blank")


def _prepare(ctx: Ctx, values: Row, existing: Row | None, attrs: Row, problems: Problems) -> None:
    # deliver_reassignment_email (2016-02-23) only decides whether an e-mail goes out; the
    # sandbox sends none, so the flag is accepted and has no effect.
    query_flag(ctx, "deliver_reassignment_email")


def _on_delete(ctx: Ctx, row: Row) -> None:
    cascade_delete(ctx, "Company", row["id"])


def _totals(ctx: Ctx, ids: list[int]) -> dict[int, tuple[int, int]]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = ctx.state.db.conn.execute(
        f"SELECT company_id, SUM(CASE WHEN closed_time IS NULL THEN value_cents END),"
        f" SUM(CASE WHEN probability = 100 THEN value_cents END) FROM deals"
        f" WHERE company_id IN ({marks}) GROUP BY company_id",
        ids,
    ).fetchall()
    return {r[0]: (r[1] or 0, r[2] or 0) for r in rows}


def shape(ctx: Ctx, rows: list[Row], view: str) -> list[Row]:
    """Company objects; GET-one and writes add owner name, totals, currency, customer."""
    catalog = ctx.state.catalog
    show = view != "list"
    totals = _totals(ctx, [r["id"] for r in rows]) if show else {}
    customers = {row.get("company_id"): row for row in catalog.rows("customers")} if show else {}
    out = []
    for r in rows:
        owner = catalog.users.get(r["owner_id"])
        item: Row = {
            "id": r["id"],
            "name": r["name"],
            "description": r["description"],
            "email": r["email"],
            "web": r["web"],
            "fax": r["fax"],
            "address_1": r["address_1"],
            "address_2": r["address_2"],
            "city": r["city"],
            "state": r["state"],
            "postal_code": r["postal_code"],
            "country": r["country"],
            "phone1": r["phone1"],
            "phone2": r["phone2"],
            "phone3": r["phone3"],
            "phone4": r["phone4"],
            "phone1_desc": r["phone1_desc"],
            "phone2_desc": r["phone2_desc"],
            "phone3_desc": r["phone3_desc"],
            "phone4_desc": r["phone4_desc"],
            "twitter": r["twitter"],
            "twitter_url": f"https://twitter.com/{r['twitter'].lstrip('@')}"
            if r["twitter"]
            else None,
            "linked_in_url": r["linked_in_url"],
            "facebook_url": r["facebook_url"],
            "instant_message": r["instant_message"],
            "owner_id": r["owner_id"],
            "owner": catalog.user_mini(r["owner_id"]),
            "created_at": ts(ctx, r["created_at"]),
            "updated_at": ts(ctx, r["updated_at"]),
            "import_id": r["import_id"],
            "is_sample": flag(r["is_sample"]),
            "next_entry_id": r["next_entry_id"],
            "next_entry_name": r["next_entry_name"],
            "next_entry_due": day(r["next_entry_due"]),
            "next_entry_all_day": None
            if r["next_entry_all_day"] is None
            else bool(r["next_entry_all_day"]),
            "image_thumb_url": r["image_thumb_url"] or MISSING_COMPANY_IMAGE,
            "image_mobile_url": r["image_thumb_url"] or MISSING_COMPANY_IMAGE,
            "shared_user_ids": id_list(r["shared_user_ids"]),
            "project_shared_user_ids": [],
            "is_customer": flag(r["is_customer"]),
            "custom_fields": custom_fields(ctx, "company", r["custom_fields"]),
            "tag_ids": id_list(r["tag_ids"]),
            "tags": lookups_mini(ctx, "company_tags", id_list(r["tag_ids"])),
        }
        if show:
            pipeline, won = totals.get(r["id"], (0, 0))
            customer = customers.get(r["id"])
            item.update(
                {
                    "owner_name": full_name(owner["first_name"], owner["last_name"])
                    if owner
                    else None,
                    "owner_manager_id": owner["manager_id"] if owner else None,
                    "address_google_maps_url": maps_url(
                        r["address_1"], r["city"], r["state"], r["postal_code"], r["country"]
                    ),
                    "currency": currency(ctx, full=True),
                    "total_pipeline": total(pipeline),
                    "won_deals_total": total(won),
                    "milestones": [],
                }
            )
            if customer is not None:
                item["customer"] = customer_shape(ctx, customer)
            item["possible_notify_user_ids"] = catalog.active_user_ids()
        out.append(item)
    return out


def customer_shape(ctx: Ctx, row: Row) -> Row:
    """A customer object (a company flagged as customer)."""
    owner = ctx.state.catalog.users.get(int(row.get("owner_id") or 0))
    score = row.get("health_score")
    return {
        "id": row["id"],
        "health_score": score,
        "company_id": row.get("company_id"),
        "created_at": ts(ctx, row["created_at"]),
        "updated_at": ts(ctx, row["updated_at"]),
        "health_score_description": _health(score),
        "days_in_health": max(0, (ctx.state.stamp() - row["updated_at"]) // 86400),
        "owner": {
            "id": owner["id"],
            "full_name": full_name(owner["first_name"], owner["last_name"]),
        }
        if owner
        else None,
    }


def _health(score: object) -> str | None:
    if not isinstance(score, int):
        return None
    return "Healthy" if score >= 70 else "At risk" if score >= 40 else "Unhealthy"


CONDITIONS = {
    "company_id": c.ids("id"),
    "company_name": c.text("name"),
    "company_description": c.text("description"),
    "company_email": c.text("email"),
    "company_phone": c.text("phone1", "phone2", "phone3", "phone4"),
    "company_fax": c.text("fax"),
    "company_address": c.text("address_1"),
    "company_address2": c.text("address_2"),
    "company_city": c.text("city"),
    "company_state": c.text("state"),
    "company_zip": c.text("postal_code"),
    "company_country": c.text("country"),
    "company_web": c.text("web"),
    "company_created": c.time_range("created_at"),
    "company_modified": c.time_range("updated_at"),
    "company_imported_at": c.time_range("imported_at"),
    "company_is_customer": c.yes_no("is_customer"),
    "company_owner": c.ids("owner_id"),
    "company_tag": c.json_ids("tag_ids"),
}

SORTS = {
    "id": "id",
    "name": "name COLLATE NOCASE",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "city": "city COLLATE NOCASE",
    "state": "state COLLATE NOCASE",
    "country": "country COLLATE NOCASE",
    "owner_id": "owner_id",
    "email": "email COLLATE NOCASE",
}

RESOURCE = Resource(
    entity="company",
    table="companies",
    wrapper="company",
    fields=FIELDS,
    shape=shape,
    conditions=CONDITIONS,
    sorts=SORTS,
    associations={
        "deal_id": "id IN (SELECT company_id FROM deals WHERE id = ?)",
        "person_id": "id IN (SELECT company_id FROM people WHERE id = ?)",
    },
    custom=True,
    defaults=_defaults,
    prepare=_prepare,
    validate=_validate,
    on_delete=_on_delete,
)
