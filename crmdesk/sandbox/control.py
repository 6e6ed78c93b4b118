"""The loopback-only control path ``/_sandbox/...`` (outside /api/v3) and served files.

* ``GET /_sandbox/health``: pid, scale, record counts.
* ``GET|PUT /_sandbox/faults``: read or replace the injected faults (JSON body with the
  fields of ``Faults``; a PUT replaces all of them, missing ones reset to "off").
* ``PUT /_sandbox/rate_limit``: ``{"rate_limit": "10/5" | null, "mode": "bucket"|"window"}``.
* ``POST /_sandbox/files?name=a.pdf&content_type=application/pdf``: park the body at a
  loopback URL (answers ``{"url": ...}``) to create a document from.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmdesk.sandbox import files
from crmdesk.sandbox.http import ApiError, json_response
from crmdesk.sandbox.options import Faults, RateLimit
from crmdesk.sandbox.state import SandboxState


def _state(request: Request) -> SandboxState:
    state: SandboxState = request.scope["sandbox.state"]
    return state


def faults_from_json(body: Any) -> Faults:
    """Faults from a JSON object (unknown keys refused with 422)."""
    if not isinstance(body, dict):
        raise ApiError(422, {"error": "faults must be a JSON object"})
    known = {f.name for f in dataclasses.fields(Faults)}
    unknown = sorted(set(body) - known)
    if unknown:
        raise ApiError(422, {"error": f"unknown fault settings: {', '.join(unknown)}"})
    values = dict(body)
    for name in ("error_statuses", "methods"):
        if name in values:
            values[name] = tuple(values[name])
    try:
        return Faults(**values)
    except (TypeError, ValueError) as error:
        raise ApiError(422, {"error": str(error)}) from None


def faults_to_json(faults: Faults) -> dict[str, Any]:
    """JSON form of the current faults."""
    body = dataclasses.asdict(faults)
    body["error_statuses"] = list(faults.error_statuses)
    body["methods"] = list(faults.methods)
    return body


async def _body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw or b"{}")
    except json.JSONDecodeError:
        raise ApiError(400, {"error": "body must be JSON"}) from None


async def health(request: Request) -> Response:
    """Liveness and a summary of the data."""
    state = _state(request)
    db = state.db
    counts = {
        table: db.scalar(f"SELECT count(*) FROM {table}")
        for table in ("deals", "people", "companies", "notes", "calendar_entries", "documents")
    }
    return json_response(
        {
            "ok": True,
            "pid": os.getpid(),
            "scale": db.meta("scale"),
            "seed": db.meta("seed"),
            "counts": counts,
            "requests_served": state.requests_served,
            "rate_limit": str(state.limiter.limit) if state.limiter.limit else None,
            "rate_limit_mode": state.limiter.mode,
        }
    )


async def faults(request: Request) -> Response:
    """Read or replace the injected faults."""
    state = _state(request)
    if request.method == "PUT":
        state.set_faults(faults_from_json(await _body(request)))
    return json_response(faults_to_json(state.faults))


async def rate_limit(request: Request) -> Response:
    """Change the rate limit at run time."""
    state = _state(request)
    body = await _body(request)
    if not isinstance(body, dict):
        raise ApiError(422, {"error": "body must be a JSON object"})
    try:
        limit = RateLimit.parse(body.get("rate_limit"))
    except ValueError as error:
        raise ApiError(422, {"error": str(error)}) from None
    mode = body.get("mode")
    if mode not in (None, "bucket", "window"):
        raise ApiError(422, {"error": "mode must be bucket or window"})
    state.limiter.configure(limit, mode)
    return json_response({"rate_limit": str(limit) if limit else None, "mode": state.limiter.mode})


def routes() -> list[BaseRoute]:
    """Control routes."""
    return [
        Route("/_sandbox/health", health, methods=["GET"]),
        Route("/_sandbox/faults", faults, methods=["GET", "PUT"]),
        Route("/_sandbox/rate_limit", rate_limit, methods=["PUT"]),
        *files.control_routes(),
    ]
