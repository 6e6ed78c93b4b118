"""The generic record resource: list / show / create / update / delete over one table.

A ``Resource`` declares its table, wire fields, conditions, sorts, shape and a few hooks;
``resource_routes`` turns it into Starlette routes. Every write runs in one transaction
(a 422 raised half-way rolls everything back) and stamps ``updated_at``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmdesk.sandbox.conditions import Compiler, ConditionError, Where, compile_conditions
from crmdesk.sandbox.db import Row
from crmdesk.sandbox.fields import FieldDef, Kind, Problems, blank, coerce
from crmdesk.sandbox.http import (
    ApiError,
    Ctx,
    context,
    empty_response,
    invalid,
    invalid_field,
    json_response,
    not_found,
    read_body,
    unwrap,
)
from crmdesk.sandbox.listing import Page, apply_attrs, envelope, order_by, page_of, select_page

Shaper = Callable[[Ctx, list[Row], str], list[Row]]
#: (ctx, stored values, existing row or None, raw attributes, problems)
Prepare = Callable[[Ctx, Row, Row | None, Row, Problems], None]
#: (ctx, merged row, problems)
Validate = Callable[[Ctx, Row, Problems], None]
#: (ctx, record id, virtual values) -> True if links changed
SyncLinks = Callable[[Ctx, int, Row], bool]
#: (ctx, row before or None, row after)
AfterWrite = Callable[[Ctx, Row | None, Row], None]
#: (ctx, row) -> a body to answer with instead of 204, or None
OnDelete = Callable[[Ctx, Row], Any]
ListExtras = Callable[[Ctx, Where], dict[str, Any]]
Filter = Callable[[Ctx, Where], None]

_columns_cache: dict[tuple[int, str], frozenset[str]] = {}


def table_columns(ctx: Ctx, table: str) -> frozenset[str]:
    """Column names of a table (cached per connection)."""
    key = (id(ctx.state.db.conn), table)
    found = _columns_cache.get(key)
    if found is None:
        found = frozenset(
            row[1] for row in ctx.state.db.conn.execute(f"PRAGMA table_info({table})")
        )
        _columns_cache[key] = found
    return found


@dataclass(frozen=True, slots=True)
class Resource:
    """A record collection served under ``/<table>``."""

    entity: str
    table: str
    wrapper: str
    fields: tuple[FieldDef, ...]
    shape: Shaper
    conditions: dict[str, Compiler] = field(default_factory=dict)
    sorts: dict[str, str] = field(default_factory=dict)
    default_sort: str = "-updated_at"
    associations: dict[str, str] = field(default_factory=dict)
    custom: bool = False
    defaults: Callable[[Ctx], Row] | None = None
    prepare: Prepare | None = None
    validate: Validate | None = None
    sync_links: SyncLinks | None = None
    after_write: AfterWrite | None = None
    on_delete: OnDelete | None = None
    list_extras: ListExtras | None = None
    #: (ctx, created row, whole request body): siblings of the wrapper (todo templates).
    on_created: Callable[[Ctx, Row, Row], None] | None = None
    base_filter: Filter | None = None
    by_user_columns: tuple[str, ...] = ("created_by_user_id", "updated_by_user_id")
    tombstone: bool = True

    @property
    def field_map(self) -> dict[str, FieldDef]:
        """Writable fields by wire name and alias."""
        found: dict[str, FieldDef] = {}
        for spec in self.fields:
            found[spec.name] = spec
            for alias in spec.aliases:
                found[alias] = spec
        return found

    @property
    def labels(self) -> str:
        """Human name used in messages (``Deal``)."""
        return self.entity.replace("_", " ").capitalize()


# ---------------------------------------------------------------------- input


def coerce_attributes(
    ctx: Ctx, res: Resource, attrs: Row, existing: Row | None, problems: Problems
) -> Row:
    """Stored values of every known key of ``attrs`` (unknown keys are ignored)."""
    values: Row = {}
    exists = ctx.state.catalog.exists
    for name, raw in attrs.items():
        spec = res.field_map.get(name)
        if spec is None:
            continue
        ok, value = coerce(spec, raw, ctx.tz, exists, problems)
        if ok:
            values[spec.target] = value
    if res.custom and "custom_fields" in attrs:
        custom = coerce_custom_fields(ctx, res.entity, attrs["custom_fields"], problems)
        stored = json.loads(existing["custom_fields"]) if existing else {}
        stored.update(custom)
        values["custom_fields"] = {k: v for k, v in stored.items() if v is not None}
    return values


def coerce_custom_fields(ctx: Ctx, entity: str, raw: Any, problems: Problems) -> Row:
    """``{"custom_label_<id>": value}`` -> ``{"<id>": stored value}`` by field type."""
    if not isinstance(raw, dict):
        problems.add("custom_fields", "must be an object")
        return {}
    catalog = ctx.state.catalog
    labels = {label["id"]: label for label in catalog.custom_labels(entity)}
    found: Row = {}
    for key, value in raw.items():
        suffix = str(key).removeprefix("custom_label_")
        if not suffix.isdigit() or int(suffix) not in labels:
            continue  # unknown labels are ignored like any unknown key
        label = labels[int(suffix)]
        field_type = label.get("field_type", "text")
        name = f"custom_label_{suffix}"
        if field_type == "dropdown" or field_type == "multi_select":
            entry_ids = {e["id"] for e in catalog.dropdown_entries(label["id"])}
            kind = Kind.REF if field_type == "dropdown" else Kind.REFS
            spec = FieldDef(name, kind, "custom_field_label_dropdown_entries")
            ok, stored = coerce(spec, value, ctx.tz, _member_of(entry_ids), problems)
        else:
            kind = {
                "boolean": Kind.BOOL,
                "currency": Kind.DECIMAL,
                "numeric": Kind.DECIMAL,
                "date": Kind.DATE,
            }.get(field_type, Kind.TEXT)
            ok, stored = coerce(FieldDef(name, kind), value, ctx.tz, catalog.exists, problems)
        if ok:
            found[suffix] = None if stored == [] else stored
    return found


def _member_of(ids: set[int]) -> Callable[[str, int], bool]:
    return lambda _ref, wanted: wanted in ids


def check_required_custom(ctx: Ctx, entity: str, merged: Row, problems: Problems) -> None:
    """422 for required custom fields left empty."""
    stored = merged.get("custom_fields")
    values = json.loads(stored) if isinstance(stored, str) else (stored or {})
    for label in ctx.state.catalog.custom_labels(entity):
        if label.get("is_required") and blank(values.get(str(label["id"]))):
            problems.add(f"custom_label_{label['id']}", "can't be blank", label.get("name"))


def _stored(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        # The same spelling as the seed writes, so unchanged values compare equal.
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    if isinstance(value, bool):
        return int(value)
    return value


# ---------------------------------------------------------------------- handlers


def list_where(ctx: Ctx, res: Resource, forced: Row | None = None) -> Where:
    """The WHERE of a list request: base filter, saved search, conditions, associations."""
    where = Where()
    if res.base_filter is not None:
        res.base_filter(ctx, where)
    conditions = ctx.query.get("conditions")
    conditions = dict(conditions) if isinstance(conditions, dict) else {}
    search = saved_search_query(ctx, res)
    if search is not None:
        conditions = {**search, **conditions}
    labels = (
        {label["id"]: label for label in ctx.state.catalog.custom_labels(res.entity)}
        if res.custom
        else None
    )
    try:
        compile_conditions(where, conditions, res.conditions, ctx.tz, labels)
    except ConditionError as error:
        raise invalid_field(f"conditions[{error.key}]", error.msg) from None
    params = {**{k: v for k, v in ctx.query.items() if k in res.associations}, **(forced or {})}
    for name, value in params.items():
        clause = res.associations.get(name)
        if clause is None or value in ("", None):
            continue
        if isinstance(value, list):
            value = value[0]
        if not str(value).strip().isdigit():
            raise invalid_field(name, "is not a valid id")
        where.add(clause, int(value))
    return where


def saved_search_query(ctx: Ctx, res: Resource) -> Row | None:
    """The saved search of ``search_id`` as conditions (EMULATION, section 8 item 11)."""
    raw = ctx.query.get("search_id")
    if raw in (None, ""):
        return None
    if not str(raw).isdigit():
        raise invalid_field("search_id", "is not a valid id")
    search = ctx.state.catalog.lookup("searches", int(str(raw)))
    if search is None:
        raise not_found("Search")
    expected = {
        "deals": "deals",
        "people": "people",
        "companies": "companies",
        "notes": "activities",
        "calendar_entries": "todos",
    }.get(res.table)
    if search.get("search_type") != expected:
        raise invalid_field("search_id", f"is a search of {search.get('search_type')}")
    query = search.get("query")
    return dict(query) if isinstance(query, dict) else {}


def _sort_param(ctx: Ctx, res: Resource) -> Any:
    sort = ctx.query.get("sort")
    if sort in (None, "") and ctx.query.get("search_id"):
        search = ctx.state.catalog.lookup("searches", int(str(ctx.query["search_id"])))
        sort = search.get("sort") if search else None
    return sort


def run_list(ctx: Ctx, res: Resource, forced: Row | None = None) -> Row:
    """The whole list answer (envelope, plus ``totals`` where the resource has them)."""
    where = list_where(ctx, res, forced)
    order = order_by(_sort_param(ctx, res), res.table, res.sorts, res.default_sort)
    page: Page = page_of(ctx)
    rows, total = select_page(ctx.state.db, res.table, where, order, page)
    body = envelope(apply_attrs(ctx, res.shape(ctx, rows, "list")), page, total)
    if res.list_extras is not None:
        body.update(res.list_extras(ctx, where))
    return body


def fetch(ctx: Ctx, res: Resource, record_id: int) -> Row:
    """A record by id, or 404."""
    row = ctx.state.db.get(res.table, record_id)
    if row is None:
        raise not_found(res.labels)
    return row


def create_record(ctx: Ctx, res: Resource, attrs: Row, fixed: Row | None = None) -> Row:
    """Validate and insert a record (``fixed`` values win over the body); returns the row."""
    db = ctx.state.db
    columns = table_columns(ctx, res.table)
    problems = Problems()
    with db.transaction():
        values = coerce_attributes(ctx, res, attrs, None, problems)
        if res.prepare is not None:
            res.prepare(ctx, values, None, attrs, problems)
        merged: Row = res.defaults(ctx) if res.defaults is not None else {}
        merged.update(values)
        merged.update(fixed or {})
        if res.validate is not None:
            res.validate(ctx, merged, problems)
        if res.custom:
            check_required_custom(ctx, res.entity, merged, problems)
        if problems:
            raise invalid(problems)
        stamp = ctx.state.stamp()
        row = {k: _stored(v) for k, v in merged.items() if k in columns and k != "id"}
        row.setdefault("created_at", stamp)
        row["updated_at"] = stamp
        for name in res.by_user_columns:
            if name in columns:
                row.setdefault(name, ctx.user_id)
        record_id = db.insert(res.table, row)
        virtual = {k: v for k, v in merged.items() if k not in columns}
        if res.sync_links is not None:
            res.sync_links(ctx, record_id, virtual)
        stored = fetch(ctx, res, record_id)
        if res.after_write is not None:
            res.after_write(ctx, None, stored)
        return fetch(ctx, res, record_id)


def update_record(ctx: Ctx, res: Resource, record_id: int, attrs: Row) -> Row:
    """Validate and apply a partial update; returns the stored row."""
    db = ctx.state.db
    columns = table_columns(ctx, res.table)
    problems = Problems()
    with db.transaction():
        existing = fetch(ctx, res, record_id)
        values = coerce_attributes(ctx, res, attrs, existing, problems)
        if res.prepare is not None:
            res.prepare(ctx, values, existing, attrs, problems)
        merged = {**existing, **values}
        if res.validate is not None:
            res.validate(ctx, merged, problems)
        if res.custom:
            check_required_custom(ctx, res.entity, merged, problems)
        if problems:
            raise invalid(problems)
        changes = {
            k: _stored(v)
            for k, v in values.items()
            if k in columns and k not in ("id", "created_at") and _stored(v) != existing.get(k)
        }
        virtual = {k: v for k, v in values.items() if k not in columns}
        links_changed = res.sync_links(ctx, record_id, virtual) if res.sync_links else False
        if changes or links_changed:
            changes["updated_at"] = ctx.state.stamp(existing["updated_at"])
            if "updated_by_user_id" in res.by_user_columns and "updated_by_user_id" in columns:
                changes["updated_by_user_id"] = ctx.user_id
            db.update(res.table, record_id, changes)
            stored = fetch(ctx, res, record_id)
            if res.after_write is not None:
                res.after_write(ctx, existing, stored)
        return fetch(ctx, res, record_id)


def delete_record(ctx: Ctx, res: Resource, record_id: int) -> Any:
    """Delete (with tombstone); returns the hook's body or None (204)."""
    db = ctx.state.db
    with db.transaction():
        existing = fetch(ctx, res, record_id)
        body = res.on_delete(ctx, existing) if res.on_delete is not None else None
        if db.get(res.table, record_id) is not None:
            db.delete(
                res.table, record_id, res.entity if res.tombstone else None, ctx.state.stamp()
            )
    return body


async def body_attributes(request: Request, wrapper: str) -> Row:
    """The wrapped attributes of a request body."""
    return unwrap(await read_body(request), wrapper)


def resource_routes(res: Resource, path: str | None = None) -> list[BaseRoute]:
    """``/<table>`` (GET list, POST) and ``/<table>/{id}`` (GET, PUT, DELETE)."""
    base = path or res.table

    async def collection(request: Request) -> Response:
        ctx = context(request)
        if request.method == "POST":
            body = await read_body(request)
            with ctx.state.db.transaction():  # one transaction: a 422 leaves nothing behind
                row = create_record(ctx, res, unwrap(body, res.wrapper))
                if res.on_created is not None:
                    res.on_created(ctx, row, body)
                    row = fetch(ctx, res, row["id"])
            return json_response(res.shape(ctx, [row], "write")[0])
        return json_response(run_list(ctx, res))

    async def member(request: Request) -> Response:
        ctx = context(request)
        record_id = int(request.path_params["id"])
        if request.method == "GET":
            return json_response(res.shape(ctx, [fetch(ctx, res, record_id)], "show")[0])
        if request.method == "PUT":
            attrs = await body_attributes(request, res.wrapper)
            row = update_record(ctx, res, record_id, attrs)
            return json_response(res.shape(ctx, [row], "write")[0])
        body = delete_record(ctx, res, record_id)
        return empty_response() if body is None else json_response(body)

    return [
        Route(f"/{base}", collection, methods=["GET", "POST"]),
        Route(f"/{base}/{{id:int}}", member, methods=["GET", "PUT", "DELETE"]),
    ]


def sub_collection_route(parent: Resource, child: Resource, param: str) -> Route:
    """``/<parent>/{id}/<child>``: the child list filtered by ``param`` = parent id."""

    async def endpoint(request: Request) -> Response:
        ctx = context(request)
        parent_id = int(request.path_params["id"])
        fetch(ctx, parent, parent_id)
        return json_response(run_list(ctx, child, {param: parent_id}))

    return Route(f"/{parent.table}/{{id:int}}/{child.table}", endpoint, methods=["GET"])


def raise_if(problems: Problems) -> None:
    """Raise the 422 of ``problems`` if there are any."""
    if problems:
        raise invalid(problems)


__all__ = ["ApiError", "Resource", "resource_routes"]
