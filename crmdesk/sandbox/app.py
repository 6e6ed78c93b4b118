"""Assembles the sandbox ASGI application: API routes, control routes, document files."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount

from crmdesk.sandbox import control, files, weblead
from crmdesk.sandbox.crud import resource_routes, sub_collection_route
from crmdesk.sandbox.gate import API_PREFIX, Gate
from crmdesk.sandbox.http import ApiError, json_response
from crmdesk.sandbox.resources import (
    admin,
    calendar,
    companies,
    customers,
    deals,
    deleted,
    documents,
    notes,
    people,
    users,
)
from crmdesk.sandbox.state import SandboxState


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return json_response(exc.body, exc.status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = "Not found" if exc.status_code == 404 else exc.detail
    return json_response({"error": message}, exc.status_code)


def api_routes() -> list[BaseRoute]:
    """Every route under /api/v3 (more specific paths first)."""
    deal, person, company, note = (
        deals.RESOURCE,
        people.RESOURCE,
        companies.RESOURCE,
        notes.RESOURCE,
    )
    return [
        *deleted.routes(),
        # The 2012-08-07 sub-collections.
        sub_collection_route(deal, note, "deal_id"),
        sub_collection_route(deal, person, "deal_id"),
        sub_collection_route(person, deal, "person_id"),
        sub_collection_route(person, note, "person_id"),
        sub_collection_route(company, deal, "company_id"),
        sub_collection_route(company, person, "company_id"),
        sub_collection_route(company, note, "company_id"),
        # By analogy (reference 4.1/4.3): entries of a deal, person or company.
        sub_collection_route(deal, calendar.RESOURCE, "deal_id"),
        sub_collection_route(person, calendar.RESOURCE, "person_id"),
        sub_collection_route(company, calendar.RESOURCE, "company_id"),
        sub_collection_route(deal, documents.RESOURCE, "deal_id"),
        sub_collection_route(person, documents.RESOURCE, "person_id"),
        sub_collection_route(company, documents.RESOURCE, "company_id"),
        *resource_routes(deal),
        *resource_routes(person),
        *resource_routes(company),
        *notes.routes(),
        *calendar.routes(),
        *documents.routes(),
        *users.routes(),
        *admin.routes(),
        *customers.routes(),
    ]


def build_app(state: SandboxState) -> Gate:
    """The ASGI application of one sandbox."""
    handlers = {ApiError: _api_error, HTTPException: _http_error}
    api = Starlette(routes=[Mount(API_PREFIX, routes=api_routes())], exception_handlers=handlers)
    control_app = Starlette(routes=control.routes(), exception_handlers=handlers)
    served = Starlette(
        routes=[*files.file_routes(), *weblead.routes()], exception_handlers=handlers
    )
    return Gate(state, api, control_app, served)
