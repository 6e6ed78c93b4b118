"""Admin lookup tables (section 4.11), custom field labels/groups/dropdown entries
(4.12), webhooks (4.13), saved searches (4.9), account notifications (4.10).

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

from crmdesk.sandbox.crud import body_attributes
from crmdesk.sandbox.db import Row
from crmdesk.sandbox.fields import Problems, blank, coerce
from crmdesk.sandbox.http import (
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
from crmdesk.sandbox.resources.lookup_shapes import lookup_shape

# ---------------------------------------------------------------------- storage


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
        lookup_routes("account_notifications", "/account_notifications", hook=_notification_hook)
    )
    return found
