"""Users, ``/admin/users``, ``/profile`` and ``/account`` (reference section 4.8)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmdesk.sandbox.catalog import CURRENCIES
from crmdesk.sandbox.clock import is_zone
from crmdesk.sandbox.crud import body_attributes
from crmdesk.sandbox.db import Row
from crmdesk.sandbox.fields import Kind, Problems, as_bool, blank, coerce, fd
from crmdesk.sandbox.http import (
    Ctx,
    context,
    empty_response,
    forbidden,
    invalid,
    json_response,
    not_found,
)
from crmdesk.sandbox.listing import envelope, page_of, paginate_list
from crmdesk.sandbox.lookups import ACCOUNT_LISTS, CUSTOM_ENTITIES
from crmdesk.sandbox.resources.lookup_shapes import lookup_shape
from crmdesk.sandbox.shapes import currency, full_name, ts

FIELDS = {
    spec.name: spec
    for spec in (
        fd("first_name"),
        fd("last_name"),
        fd("email"),
        fd("time_zone"),
        fd("mobile_number"),
        fd("mobile_country_code"),
        fd("work_phone"),
        fd("level", Kind.INT, minimum=1, maximum=3),
        fd("is_account_admin", Kind.BOOL),
        fd("team_id", Kind.REF, "teams"),
        fd("manager_id", Kind.REF, "users"),
    )
}

FEATURES = {
    "allow_unregistered_app": True,
    "customer_management": True,
    "multi_currency": False,
    "private_notes": True,
    "sms_support": None,
    "teams": True,
}


def _masked_key(user: Row) -> str:
    # Other users' keys are shown as non-working placeholders (the real API lists keys).
    return "sbx_" + hashlib.sha256(f"mask:{user['api_key']}".encode()).hexdigest()[:28]


def user_shape(ctx: Ctx, u: Row) -> Row:
    """The full user object; only the requesting user sees their own working key."""
    catalog = ctx.state.catalog
    admin = bool(u["is_account_admin"])
    team = catalog.lookup("teams", u["team_id"])
    return {
        "id": u["id"],
        "account_id": catalog.settings.get("id"),
        "first_name": u["first_name"],
        "last_name": u["last_name"],
        "full_name": full_name(u["first_name"], u["last_name"]),
        "name": None,
        "email": u["email"],
        "other_emails": [],
        "level": u["level"],
        "is_account_admin": admin,
        "is_backend_admin": False,
        "is_allowed_to_delete": True,
        "is_allowed_to_export": admin,
        "is_allowed_to_send_campaigns": admin,
        "is_allowed_to_manage_email_sequences": admin,
        "is_allowed_to_create_company_via_shortcut": True,
        "is_allowed_to_merge_records": admin,
        "can_change_company_owner": admin,
        "read_only": False,
        "team_id": u["team_id"],
        "manager_id": u["manager_id"],
        "visible_teams": [{"id": team["id"], "name": team.get("name")}] if team else [],
        "time_zone": u["time_zone"],
        "date_format": catalog.settings.get("date_format", "us"),
        "time_format": catalog.settings.get("time_format", "US"),
        "csv_column_separator": ",",
        "csv_decimal_mark": ".",
        "w2lid": u["w2lid"],
        "api_key": u["api_key"] if u["id"] == ctx.user_id else _masked_key(u),
        "mfa_enabled": False,
        "mfa_requested_at": None,
        "mobile_number": u["mobile_number"],
        "mobile_country_code": u["mobile_country_code"],
        "work_phone": u["work_phone"],
        "receives_sms_reminders": False,
        "deleted_at": ts(ctx, u["deleted_at"]),
        "data_reassigned_at": None,
        "last_seen_at": ts(ctx, u["last_seen_at"]),
        "created_at": ts(ctx, u["created_at"]),
        "updated_at": ts(ctx, u["updated_at"]),
        "avatar_thumb_url": None,
        "currency": currency(ctx, full=True),
        "commission_rate": 0,
        "features": dict(FEATURES),
    }


def _matches(ctx: Ctx, u: Row) -> bool:
    conditions = ctx.query.get("conditions")
    conditions = conditions if isinstance(conditions, dict) else {}

    def flag(name: str) -> bool | None:
        value = conditions.get(name)
        try:
            return as_bool(value[0] if isinstance(value, list) and value else value)
        except ValueError:
            return None

    if u["deleted_at"] is not None and not flag("including_inactive"):
        return False
    admin = flag("admin")
    if admin is not None and bool(u["is_account_admin"]) != admin:
        return False
    email = conditions.get("email")
    if isinstance(email, str) and email and email.lower() not in (u["email"] or "").lower():
        return False
    level = conditions.get("user_level")
    if level not in (None, ""):
        levels = level if isinstance(level, list) else str(level).split(",")
        if str(u["level"]) not in {str(v).strip() for v in levels}:
            return False
    return True


async def users_collection(request: Request) -> Response:
    """GET ``/users`` and ``/admin/users``; POST ``/admin/users`` (admins)."""
    ctx = context(request)
    if request.method == "POST":
        if not ctx.is_admin:
            raise forbidden("Only account administrators can add users")
        attrs = await body_attributes(request, "user")
        user_id = _write_user(ctx, attrs, None)
        return json_response(user_shape(ctx, ctx.state.catalog.users[user_id]))
    users = [user_shape(ctx, u) for u in ctx.state.catalog.users.values() if _matches(ctx, u)]
    page = page_of(ctx)
    entries, total = paginate_list(users, page)
    return json_response(envelope(entries, page, total))


async def users_member(request: Request) -> Response:
    """GET one user; PUT/DELETE (deactivate) under ``/admin/users`` by admins."""
    ctx = context(request)
    user = ctx.state.catalog.users.get(int(request.path_params["id"]))
    if user is None:
        raise not_found("User")
    if request.method == "GET":
        return json_response(user_shape(ctx, user))
    if not ctx.is_admin or not request.url.path.startswith("/api/v3/admin/"):
        raise forbidden("Only account administrators can change users")
    if request.method == "PUT":
        attrs = await body_attributes(request, "user")
        _write_user(ctx, attrs, user)
        return json_response(user_shape(ctx, ctx.state.catalog.users[user["id"]]))
    if user["id"] == ctx.user_id:
        raise forbidden("You cannot deactivate yourself")
    with ctx.state.db.transaction():
        stamp = ctx.state.stamp(user["updated_at"])
        ctx.state.db.update("users", user["id"], {"deleted_at": stamp, "updated_at": stamp})
    ctx.state.catalog.reload()
    return empty_response()


def _write_user(ctx: Ctx, attrs: Row, existing: Row | None) -> int:
    problems = Problems()
    values: Row = {}
    for name, raw in attrs.items():
        spec = FIELDS.get(name)
        if spec is None:
            continue
        ok, value = coerce(spec, raw, ctx.tz, ctx.state.catalog.exists, problems)
        if ok:
            values[spec.target] = value
    if "time_zone" in values and not is_zone(str(values["time_zone"])):
        problems.add("time_zone", "is not a known time zone")
    merged = {**(existing or {"time_zone": ctx.user["time_zone"], "level": 1}), **values}
    for name in ("first_name", "last_name", "email"):
        if blank(merged.get(name)):
            problems.add(name, "can't be blank")
    if problems:
        raise invalid(problems)
    db = ctx.state.db
    with db.transaction():
        if existing is None:
            stamp = ctx.state.stamp()
            row = {k: v for k, v in merged.items() if k in FIELDS}
            row["is_account_admin"] = int(bool(row.get("is_account_admin")))
            row.update(
                api_key=secrets.token_hex(16),
                w2lid=secrets.token_hex(6),
                created_at=stamp,
                updated_at=stamp,
            )
            user_id = db.insert("users", row)
        else:
            user_id = existing["id"]
            changes = {
                k: (int(v) if isinstance(v, bool) else v)
                for k, v in values.items()
                if existing.get(k) != (int(v) if isinstance(v, bool) else v)
            }
            if changes:
                changes["updated_at"] = ctx.state.stamp(existing["updated_at"])
                db.update("users", user_id, changes)
    ctx.state.catalog.reload()
    return user_id


async def profile(request: Request) -> Response:
    """GET ``/profile``: the requesting user plus the account key."""
    ctx = context(request)
    body = user_shape(ctx, ctx.user)
    body["account_key"] = ctx.state.catalog.settings.get("account_key")
    body["active_announcements"] = []
    return json_response(body)


def account_shape(ctx: Ctx) -> Row:
    """The ``/account`` object with the embedded lookup lists."""
    catalog = ctx.state.catalog
    settings = catalog.settings
    cur = catalog.currency()
    body: Row = {
        "id": settings.get("id"),
        "company_name": settings.get("company_name"),
        "currency_id": cur["id"],
        "currency": dict(cur),
        "currency_symbol": cur["symbol"],
        "selected_currencies": [cur["id"]],
        "currencies": [{"id": c["id"], "name": c["name"]} for c in CURRENCIES],
        "date_format": settings.get("date_format", "us"),
        "time_format": settings.get("time_format", "US"),
        "visibility_settings": settings.get("visibility_settings"),
        "plan": settings.get("plan"),
        "license_count": settings.get("license_count"),
        "calendar_entry_recurring_end_date_months": settings.get(
            "calendar_entry_recurring_end_date_months", 12
        ),
        "calendar_entry_task_due_date_required": bool(
            settings.get("calendar_entry_task_due_date_required")
        ),
        "allow_unregistered_app": True,
    }
    for kind in ACCOUNT_LISTS:
        body[kind] = [lookup_shape(ctx, kind, row, in_account=True) for row in catalog.rows(kind)]
    categories = catalog.rows("note_categories")
    body["note_categories"] = [
        lookup_shape(ctx, "note_categories", r, True) for r in categories if not r.get("system")
    ]
    body["note_categories_with_system_categories"] = [
        {**lookup_shape(ctx, "note_categories", r, True), "system_category": bool(r.get("system"))}
        for r in categories
    ]
    body["users"] = [
        {
            "id": u["id"],
            "first_name": u["first_name"],
            "last_name": u["last_name"],
            "full_name": full_name(u["first_name"], u["last_name"]),
            "email": u["email"],
        }
        for u in catalog.users.values()
        if u["deleted_at"] is None
    ]
    body["inactive_users"] = [
        {"id": u["id"], "first_name": u["first_name"], "last_name": u["last_name"]}
        for u in catalog.users.values()
        if u["deleted_at"] is not None
    ]
    for entity in CUSTOM_ENTITIES:
        body[f"{entity}_custom_field_labels"] = [
            lookup_shape(ctx, "custom_field_labels", r) for r in catalog.custom_labels(entity)
        ]
    body["custom_field_groups"] = [
        lookup_shape(ctx, "custom_field_groups", r) for r in catalog.rows("custom_field_groups")
    ]
    body["forms"] = _forms(ctx)
    return body


def _forms(ctx: Ctx) -> dict[str, Any]:
    labels = {
        e: [f"custom_label_{r['id']}" for r in ctx.state.catalog.custom_labels(e)]
        for e in CUSTOM_ENTITIES
    }
    return {
        "company": [
            "name",
            "owner_id",
            "phone1",
            "email",
            "web",
            "address_1",
            "city",
            "state",
            "postal_code",
            "country",
            "description",
            *labels["company"],
        ],
        "deal": [
            "name",
            "company_id",
            "primary_contact_id",
            "value",
            "deal_stage_id",
            "expected_close_date",
            "user_id",
            "source_id",
            "summary",
            *labels["deal"],
        ],
        "person": [
            "first_name",
            "last_name",
            "company_id",
            "position",
            "email",
            "phone",
            "mobile",
            "user_id",
            "lead_status_id",
            "lead_source_id",
            *labels["person"],
        ],
        "calendar_task": ["name", "due_date", "category_id", "owner_id", "association_id"],
        "calendar_event": [
            "name",
            "start_time",
            "end_time",
            "all_day",
            "category_id",
            "owner_id",
            "association_id",
        ],
    }


async def account(request: Request) -> Response:
    """GET ``/account``."""
    return json_response(account_shape(context(request)))


def routes() -> list[BaseRoute]:
    """Users, admin users, profile and account."""
    return [
        Route("/users", users_collection, methods=["GET"]),
        Route("/users/{id:int}", users_member, methods=["GET"]),
        Route("/admin/users", users_collection, methods=["GET", "POST"]),
        Route("/admin/users/{id:int}", users_member, methods=["GET", "PUT", "DELETE"]),
        Route("/profile", profile, methods=["GET"]),
        Route("/account", account, methods=["GET"]),
    ]
