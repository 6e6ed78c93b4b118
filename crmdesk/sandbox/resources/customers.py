"""Customers (companies flagged as customers, reference 4.3) and ``/admin/features``."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmdesk.sandbox.crud import body_attributes
from crmdesk.sandbox.db import Row
from crmdesk.sandbox.fields import Problems
from crmdesk.sandbox.http import Ctx, context, forbidden, json_response
from crmdesk.sandbox.resources.admin import lookup_routes


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
    """``/customers`` and ``/admin/features/:id``."""
    return [
        *lookup_routes("customers", "/customers", hook=_customer_hook, on_delete=_customer_deleted),
        *_feature_routes(),
    ]
