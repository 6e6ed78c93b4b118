"""Admin lookup tables (section 4.11), custom field labels/groups/dropdown entries
(4.12), webhooks (4.13), saved searches (4.9), account notifications (4.10), customers.

All are rows of the ``lookups`` table served by one generic implementation; only account
admins may write the ``/admin`` ones (403 otherwise).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmdesk.sandbox.clock import format_iso_utc
from crmdesk.sandbox.crud import body_attributes
from crmdesk.sandbox.db import Row
from crmdesk.sandbox.fields import Problems, blank, coerce
from crmdesk.sandbox.http import (
    ApiError,
    Ctx,
    context,
    empty_response,
    forbidden,
    invalid,
    invalid_field,
    json_response,
    not_found,
)
from crmdesk.sandbox.listing import envelope, page_of, paginate_list
from crmdesk.sandbox.lookups import CUSTOM_CLASS, CUSTOM_ENTITIES, KINDS, LookupKind
from crmdesk.sandbox.shapes import ts

SYSTEM_NOTE_CATEGORIES = (
    "Deal",
    "CalendarEvent",
    "CalendarTask",
    "Email",
    "Trackable Email Action",
    "Customer",
    "Company",
    "Person",
)


# ---------------------------------------------------------------------- shapes


def lookup_shape(ctx: Ctx, kind: str, row: Row, in_account: bool = False) -> Row:
    """The wire object of a lookup row."""
    spec = KINDS[kind]
    catalog = ctx.state.catalog
    account_id = catalog.settings.get("id")
    if kind == "webhooks":
        return webhook_shape(ctx, row)
    if kind == "customers":
        from crmdesk.sandbox.resources.companies import customer_shape

        return customer_shape(ctx, row)
    item: Row = {"id": row["id"]}
    for field in spec.fields:
        value = row.get(field.target)
        if field.kind.value == "datetime":
            value = ts(ctx, value)
        item[field.name] = value
    if spec.account_id or (in_account and kind == "deal_stages"):
        item["account_id"] = account_id
    if kind in ("deal_tags", "company_tags"):
        item["user_id"] = row.get("user_id")
    elif kind == "deal_statuses" or kind == "note_categories":
        item["editable"] = bool(row.get("editable", True))
    elif kind == "deal_pipelines":
        _pipeline_extras(ctx, row, item)
    elif kind == "calendar_entry_statuses":
        item["in_use"] = bool(
            ctx.state.db.scalar(
                "SELECT 1 FROM calendar_entries WHERE calendar_entry_status_id = ? LIMIT 1",
                (row["id"],),
            )
        )
    elif kind == "teams":
        item["height"], item["depth"] = _team_levels(ctx, row)
        item["permissions"] = row.get("permissions") or _DEFAULT_PERMISSIONS
    elif kind == "todo_templates":
        items = [
            r for r in catalog.rows("todo_template_items") if r.get("todo_template_id") == row["id"]
        ]
        item["todo_template_types"] = [{"id": row["id"], "template_type": row.get("template_type")}]
        item["todo_template_items"] = [
            {
                **lookup_shape(ctx, "todo_template_items", r),
                "event_category": _mini(
                    catalog.lookup("event_categories", r.get("event_category_id"))
                ),
            }
            for r in items
        ]
    elif kind == "custom_field_labels":
        _label_extras(ctx, row, item)
    elif kind == "custom_field_groups":
        item["type"] = f"{CUSTOM_CLASS.get(row.get('entity', ''), '')}CustomFieldGroup"
        item["custom_field_group_permissions"] = []
    elif kind == "searches":
        item["user_id"] = row.get("user_id")
    elif kind == "account_notifications":
        item["account_id"] = row.get("account_id")
        item["user_id"] = row.get("user_id")
        item["seen"] = bool(row.get("seen"))
    if in_account:
        if kind == "lead_sources":
            item["people_count"] = ctx.state.db.scalar(
                "SELECT count(*) FROM people WHERE lead_source_id = ?", (row["id"],)
            )
            item["is_system_lead_source"] = bool(row.get("system"))
        elif kind == "event_categories":
            item["is_system_category"] = bool(row.get("system"))
    if spec.timestamps:
        item["created_at"] = ts(ctx, row["created_at"])
        item["updated_at"] = ts(ctx, row["updated_at"])
    return item


_DEFAULT_PERMISSIONS = {
    "member": {
        "company": {"visibility_level": "all"},
        "deal": {"visibility_level": "all"},
        "person": {"visibility_level": "all"},
    },
    "*": {"person": {"use_deal_association": False}},
}


def _mini(row: Row | None) -> Row | None:
    return None if row is None else {"id": row["id"], "name": row.get("name")}


def _pipeline_extras(ctx: Ctx, row: Row, item: Row) -> None:
    count = int(
        ctx.state.db.scalar("SELECT count(*) FROM deals WHERE deal_pipeline_id = ?", (row["id"],))
        or 0
    )
    stages = [
        s for s in ctx.state.catalog.rows("deal_stages") if s.get("deal_pipeline_id") == row["id"]
    ]
    lost = next((s for s in stages if s.get("percent") == 0), None)
    won = next((s for s in stages if s.get("percent") == 100), None)
    item["has_deals"] = count > 0
    item["count_deals"] = count
    item["lost_stage"] = {"stage": _stage(lost)}
    item["won_stage"] = {"stage": _stage(won)}


def _stage(stage: Row | None) -> Row | None:
    if stage is None:
        return None
    return {"id": stage["id"], "name": stage.get("name"), "percent": stage.get("percent")}


def _team_levels(ctx: Ctx, row: Row) -> tuple[int, int]:
    teams = ctx.state.catalog.lookups.get("teams", {})
    depth, parent, seen = 0, row.get("parent_id"), set()
    while parent is not None and parent in teams and parent not in seen:
        seen.add(parent)
        depth += 1
        parent = teams[parent].get("parent_id")

    def height(team_id: int, trail: frozenset[int]) -> int:
        children = [
            t for t in teams.values() if t.get("parent_id") == team_id and t["id"] not in trail
        ]
        return 0 if not children else 1 + max(height(c["id"], trail | {c["id"]}) for c in children)

    return height(row["id"], frozenset({row["id"]})), depth


def _label_extras(ctx: Ctx, row: Row, item: Row) -> None:
    entity = row.get("entity", "deal")
    item["type"] = f"{CUSTOM_CLASS.get(entity, 'Deal')}CustomFieldLabel"
    item["output_type"] = row.get("field_type")
    item["report_behavior"] = None
    item["locked"] = bool(row.get("locked"))
    item["record_type"] = entity
    if row.get("field_type") in ("dropdown", "multi_select"):
        item["custom_field_label_dropdown_entries"] = [
            {
                **lookup_shape(ctx, "custom_field_label_dropdown_entries", e),
                "account_id": ctx.state.catalog.settings.get("id"),
            }
            for e in ctx.state.catalog.dropdown_entries(row["id"])
        ]
    item["custom_field_permissions"] = []


def webhook_shape(ctx: Ctx, row: Row) -> Row:
    """A webhook (timestamps in ISO 8601 UTC, as recorded)."""
    name = f"crmdesk sandbox {row.get('event_model')}:{row.get('event_action')}"
    return {
        "id": row["id"],
        "name": name,
        "description": f"{name} => {row.get('url')}",
        "url": row.get("url"),
        "failure_email": row.get("failure_email"),
        "event_model": row.get("event_model"),
        "event_action": row.get("event_action"),
        "is_activated": bool(row.get("is_activated", True)),
        "account_id": ctx.state.catalog.settings.get("id"),
        "app_id": None,
        "last_run_at": None,
        "updated_by": row.get("updated_by"),
        "debug_enabled": bool(row.get("debug_enabled")),
        "event_elapsed_time_subject": None,
        "event_elapsed_time_value": None,
        "event_elapsed_time_unit": None,
        "event_column": None,
        "event_column_delta": None,
        "event_trigger_time": None,
        "automation_folder_id": None,
        "source": "user",
        "position": row.get("position", row["id"]),
        "created_at": format_iso_utc(row["created_at"]),
        "updated_at": format_iso_utc(row["updated_at"]),
    }


# ---------------------------------------------------------------------- storage


def insert_lookup(ctx: Ctx, kind: str, data: Row) -> int:
    """Insert a lookup row (no validation) and refresh the cache."""
    stamp = ctx.state.stamp()
    row_id = ctx.state.db.insert(
        "lookups",
        {"kind": kind, "data": json.dumps(data), "created_at": stamp, "updated_at": stamp},
    )
    ctx.state.catalog.reload()
    return row_id


def _save(ctx: Ctx, kind: str, row_id: int | None, data: Row, previous: int | None) -> int:
    db = ctx.state.db
    stamp = ctx.state.stamp(previous)
    stored = {k: v for k, v in data.items() if k not in ("id", "created_at", "updated_at")}
    if row_id is None:
        row_id = db.insert(
            "lookups",
            {"kind": kind, "data": json.dumps(stored), "created_at": stamp, "updated_at": stamp},
        )
    else:
        db.conn.execute(
            "UPDATE lookups SET data = ?, updated_at = ? WHERE id = ?",
            (json.dumps(stored), stamp, row_id),
        )
    ctx.state.catalog.reload()
    return row_id


#: Hooks per kind: (ctx, values, existing or None, problems) before saving.
Hook = Callable[[Ctx, Row, Row | None, Problems], None]


def _coerce(ctx: Ctx, spec: LookupKind, attrs: Row, problems: Problems) -> Row:
    values: Row = {}
    for name, raw in attrs.items():
        field = spec.field_map.get(name)
        if field is None:
            continue
        ok, value = coerce(field, raw, ctx.tz, ctx.state.catalog.exists, problems)
        if ok:
            values[field.target] = value
    return values


def write_lookup(
    ctx: Ctx,
    kind: str,
    attrs: Row,
    existing: Row | None,
    fixed: Row | None = None,
    hook: Hook | None = None,
) -> Row:
    """Validate and save a lookup row; returns the stored row (from the cache)."""
    spec = KINDS[kind]
    problems = Problems()
    if existing is not None and existing.get("editable") is False:
        raise invalid_field("base", "This is a system value and cannot be changed")
    with ctx.state.db.transaction():
        values = _coerce(ctx, spec, attrs, problems)
        values.update(fixed or {})
        if hook is not None:
            hook(ctx, values, existing, problems)
        merged = {**(existing or {}), **values}
        for name in spec.required:
            if blank(merged.get(name)):
                problems.add(name, "can't be blank")
        if problems:
            raise invalid(problems)
        row_id = _save(
            ctx,
            kind,
            existing["id"] if existing else None,
            merged,
            existing["updated_at"] if existing else None,
        )
    found = ctx.state.catalog.lookup(kind, row_id)
    assert found is not None
    return found


def delete_lookup(ctx: Ctx, kind: str, row: Row) -> None:
    """Delete a lookup row (system rows refuse with 422)."""
    if row.get("editable") is False or row.get("system"):
        raise invalid_field("base", "This is a system value and cannot be deleted")
    with ctx.state.db.transaction():
        ctx.state.db.conn.execute("DELETE FROM lookups WHERE id = ?", (row["id"],))
        if kind == "custom_field_labels":
            ctx.state.db.conn.execute(
                "DELETE FROM lookups WHERE kind = 'custom_field_label_dropdown_entries'"
                " AND json_extract(data, '$.custom_field_label_id') = ?",
                (row["id"],),
            )
    ctx.state.catalog.reload()


# ---------------------------------------------------------------------- routes


def _visible(ctx: Ctx, kind: str, row: Row) -> bool:
    if kind == "note_categories" and row.get("system"):
        return False
    if kind == "searches":
        return row.get("user_id") == ctx.user_id or bool(row.get("is_shared"))
    if kind == "account_notifications":
        return row.get("user_id") in (None, ctx.user_id)
    return True


def _filter(ctx: Ctx, kind: str, rows: list[Row], entity: str | None) -> list[Row]:
    rows = [r for r in rows if _visible(ctx, kind, r)]
    if entity is not None:
        rows = [r for r in rows if r.get("entity") == entity]
    conditions = ctx.query.get("conditions")
    if isinstance(conditions, dict) and kind == "custom_field_label_dropdown_entries":
        wanted = conditions.get("custom_field_label_id")
        if wanted not in (None, ""):
            wanted_ids = {
                int(w)
                for w in (wanted if isinstance(wanted, list) else [wanted])
                if str(w).isdigit()
            }
            rows = [r for r in rows if r.get("custom_field_label_id") in wanted_ids]
    return rows


def _find(ctx: Ctx, kind: str, row_id: int, entity: str | None) -> Row:
    row = ctx.state.catalog.lookup(kind, row_id)
    if (
        row is None
        or not _visible(ctx, kind, row)
        or (entity is not None and row.get("entity") != entity)
    ):
        raise not_found(KINDS[kind].wrapper.replace("_", " ").capitalize())
    return row


def _check_write(ctx: Ctx, spec: LookupKind) -> None:
    if spec.admin_only_writes and not ctx.is_admin:
        raise forbidden("Only account administrators can change account settings")


def _list_body(ctx: Ctx, kind: str, rows: list[Row]) -> Any:
    spec = KINDS[kind]
    shaped = [lookup_shape(ctx, kind, r) for r in rows]
    if kind == "webhooks":
        return {"webhooks": shaped}
    if not spec.paginated:
        return {"entries": shaped}
    page = page_of(ctx)
    entries, total = paginate_list(shaped, page)
    return envelope(entries, page, total)


def lookup_routes(
    kind: str,
    path: str,
    wrapper: str | None = None,
    entity: str | None = None,
    hook: Hook | None = None,
    on_delete: Callable[[Ctx, Row], Any] | None = None,
) -> list[BaseRoute]:
    """CRUD routes of one lookup kind at ``path`` (``entity`` narrows custom field kinds)."""
    spec = KINDS[kind]
    body_key = wrapper or spec.wrapper

    def fixed_for(ctx: Ctx) -> Row:
        fixed: Row = {}
        if entity is not None:
            fixed["entity"] = entity
        if kind in ("searches", "account_notifications", "deal_tags", "company_tags"):
            fixed["user_id"] = ctx.user_id
        if kind == "webhooks":
            fixed["updated_by"] = ctx.user_id
        return fixed

    async def collection(request: Request) -> Response:
        ctx = context(request)
        if request.method == "POST":
            _check_write(ctx, spec)
            attrs = await body_attributes(request, body_key)
            row = write_lookup(ctx, kind, attrs, None, fixed_for(ctx), hook)
            return json_response(lookup_shape(ctx, kind, row))
        rows = _filter(ctx, kind, ctx.state.catalog.rows(kind), entity)
        return json_response(_list_body(ctx, kind, rows))

    async def member(request: Request) -> Response:
        ctx = context(request)
        row = _find(ctx, kind, int(request.path_params["id"]), entity)
        if request.method == "GET":
            return json_response(lookup_shape(ctx, kind, row))
        _check_write(ctx, spec)
        if request.method == "PUT":
            attrs = await body_attributes(request, body_key)
            fixed = {"updated_by": ctx.user_id} if kind == "webhooks" else {}
            updated = write_lookup(ctx, kind, attrs, row, fixed, hook)
            return json_response(lookup_shape(ctx, kind, updated))
        body = on_delete(ctx, row) if on_delete is not None else None
        delete_lookup(ctx, kind, row)
        return empty_response() if body is None else json_response(body)

    return [
        Route(path, collection, methods=["GET", "POST"]),
        Route(f"{path}/{{id:int}}", member, methods=["GET", "PUT", "DELETE"]),
    ]


def _label_hook(ctx: Ctx, values: Row, existing: Row | None, problems: Problems) -> None:
    if existing is None and values.get("entity") is None:
        # The generic /admin/custom_field_labels path takes the kind from "type".
        problems.add(
            "type",
            "must be DealCustomFieldLabel, PersonCustomFieldLabel or CompanyCustomFieldLabel",
        )
    if (
        existing is not None
        and "field_type" in values
        and values["field_type"] != existing.get("field_type")
    ):
        problems.add("field_type", "cannot be changed once the field exists")
    if existing is None and "position" not in values:
        same = ctx.state.catalog.custom_labels(str(values.get("entity")))
        values["position"] = len(same) + 1


def _entity_from_type(attrs_type: Any, suffix: str) -> str | None:
    for entity, name in CUSTOM_CLASS.items():
        if attrs_type == f"{name}{suffix}":
            return entity
    return None


def _generic_custom_routes(kind: str, path: str, suffix: str, hook: Hook | None) -> list[BaseRoute]:
    """``/admin/custom_field_labels`` and ``/admin/custom_field_groups`` (all entities)."""
    spec = KINDS[kind]
    inner = lookup_routes(kind, path, hook=hook)

    async def collection(request: Request) -> Response:
        ctx = context(request)
        if request.method == "POST":
            _check_write(ctx, spec)
            attrs = await body_attributes(request, spec.wrapper)
            entity = _entity_from_type(attrs.get("type"), suffix)
            fixed = {"entity": entity} if entity else {}
            row = write_lookup(ctx, kind, attrs, None, fixed, hook)
            return json_response(lookup_shape(ctx, kind, row))
        rows = _filter(ctx, kind, ctx.state.catalog.rows(kind), None)
        return json_response(_list_body(ctx, kind, rows))

    return [Route(path, collection, methods=["GET", "POST"]), inner[1]]


def _notification_hook(ctx: Ctx, values: Row, existing: Row | None, problems: Problems) -> None:
    # The server ignores "seen" unless "read_at" comes with it (NANGO's note).
    if "seen" in values and "read_at" not in values:
        values.pop("seen")
    if existing is None:
        values.setdefault("seen", False)
        values.setdefault("account_id", ctx.state.catalog.settings.get("id"))


def _customer_hook(ctx: Ctx, values: Row, existing: Row | None, problems: Problems) -> None:
    if existing is not None:
        return
    company_id = values.get("company_id")
    if company_id is None:
        return
    if any(r.get("company_id") == company_id for r in ctx.state.catalog.rows("customers")):
        problems.add("company_id", "is already a customer")
        return
    values.setdefault("owner_id", ctx.user_id)
    values.setdefault("health_score", 75)
    _set_customer(ctx, int(company_id), True)


def _set_customer(ctx: Ctx, company_id: int, on: bool) -> None:
    """Flag a company as customer (or not); converting leaves a "Customer" system note."""
    from crmdesk.sandbox.effects import bump

    db = ctx.state.db
    db.conn.execute("UPDATE companies SET is_customer = ? WHERE id = ?", (int(on), company_id))
    bump(ctx, "companies", [company_id])
    if on:
        category = next(
            (
                r["id"]
                for r in ctx.state.catalog.rows("note_categories")
                if r.get("name") == "Customer" and r.get("system")
            ),
            None,
        )
        stamp = ctx.state.stamp()
        db.insert(
            "notes",
            {
                "content": "converted this company to a customer",
                "company_id": company_id,
                "user_id": ctx.user_id,
                "created_by_user_id": ctx.user_id,
                "note_category_id": category,
                "created_at": stamp,
                "updated_at": stamp,
            },
        )


def _customer_deleted(ctx: Ctx, row: Row) -> Any:
    # Recorded: DELETE /customers/:id answers 200 {"success": true}, not 204.
    if row.get("company_id") is not None:
        with ctx.state.db.transaction():
            _set_customer(ctx, int(row["company_id"]), False)
    return {"success": True}


def _feature_routes() -> list[BaseRoute]:
    """``/admin/features/:id``: integration plumbing, kept minimal (section 4.11)."""

    async def feature(request: Request) -> Response:
        ctx = context(request)
        name = request.path_params["name"]
        db = ctx.state.db
        stored = db.meta_json("features") or {}
        providers = stored.get(name)
        if request.method != "GET":
            if not ctx.is_admin:
                raise forbidden("Only account administrators can change features")
            providers = list(providers or [])
            if request.method == "PUT":
                body = await body_attributes(request, "feature")
                provider = body.get("provider", body)
                if isinstance(provider, dict):
                    providers = [
                        p
                        for p in providers
                        if p.get("provider_key") != provider.get("provider_key")
                    ]
                    providers.append(provider)
            else:
                key = request.query_params.get("provider_key")
                providers = [p for p in providers if p.get("provider_key") != key]
            stored[name] = providers or None
            with db.transaction():
                db.set_meta("features", json.dumps(stored))
        return json_response({"id": name, "providers": providers or None})

    return [Route("/admin/features/{name}", feature, methods=["GET", "PUT", "DELETE"])]


def routes() -> list[BaseRoute]:
    """Every lookup route."""
    found: list[BaseRoute] = []
    for kind, _spec in KINDS.items():
        if kind in (
            "custom_field_labels",
            "custom_field_groups",
            "searches",
            "account_notifications",
            "customers",
        ):
            continue
        found.extend(lookup_routes(kind, f"/admin/{kind}"))
    for entity in CUSTOM_ENTITIES:
        found.extend(
            lookup_routes(
                "custom_field_labels",
                f"/admin/{entity}_custom_field_labels",
                f"{entity}_custom_field_label",
                entity,
                _label_hook,
            )
        )
        found.extend(
            lookup_routes(
                "custom_field_groups",
                f"/admin/{entity}_custom_field_groups",
                f"{entity}_custom_field_group",
                entity,
            )
        )
    found.extend(
        _generic_custom_routes(
            "custom_field_labels", "/admin/custom_field_labels", "CustomFieldLabel", _label_hook
        )
    )
    found.extend(
        _generic_custom_routes(
            "custom_field_groups", "/admin/custom_field_groups", "CustomFieldGroup", None
        )
    )
    found.extend(lookup_routes("searches", "/searches"))
    found.extend(
        lookup_routes("customers", "/customers", hook=_customer_hook, on_delete=_customer_deleted)
    )
    found.extend(_feature_routes())
    found.extend(
        lookup_routes("account_notifications", "/account_notifications", hook=_notification_hook)
    )
    return found


__all__ = ["SYSTEM_NOTE_CATEGORIES", "ApiError", "insert_lookup", "lookup_shape", "routes"]
