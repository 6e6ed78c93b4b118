"""Request and response plumbing shared by every resource: errors, JSON, bodies, context."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from crmdesk.sandbox.clock import zone
from crmdesk.sandbox.db import Row
from crmdesk.sandbox.fields import Problems
from crmdesk.sandbox.params import Params, nest, parse_query

if TYPE_CHECKING:
    from crmdesk.sandbox.state import SandboxState

JSON_TYPE = "application/json; charset=utf-8"


class ApiError(Exception):
    """An error answer: status and JSON body."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body


def not_found(what: str = "Record") -> ApiError:
    """404 for an unknown or deleted id. EMULATION: the real body was never recorded."""
    return ApiError(404, {"error": f"{what} not found"})


def invalid(problems: Problems) -> ApiError:
    """422 with the list of problems (the shape of the recorded 403 login error)."""
    return ApiError(422, problems.items)


def invalid_field(name: str, msg: str) -> ApiError:
    """422 for a single field."""
    problems = Problems()
    problems.add(name, msg)
    return invalid(problems)


def forbidden(msg: str = "You are not allowed to do that") -> ApiError:
    """403 for an admin write by a non-admin user. EMULATION: body not recorded."""
    return ApiError(403, {"error": msg})


def json_response(body: Any, status: int = 200) -> Response:
    """A JSON answer with the API's content type and cache header."""
    return Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
        status_code=status,
        media_type=JSON_TYPE,
        headers={"cache-control": "no-store"},
    )


def empty_response(status: int = 204) -> Response:
    """A response without a body (DELETE answers 204)."""
    return Response(b"", status_code=status, headers={"cache-control": "no-store"})


@dataclass(slots=True)
class Ctx:
    """Who is asking and how to render: the requesting user, their zone, the host."""

    state: SandboxState
    user: Row
    tz: tzinfo
    base_url: str  # scheme://host:port of this request, for links the sandbox serves
    query: Params

    @property
    def user_id(self) -> int:
        """Id of the requesting user."""
        return int(self.user["id"])

    @property
    def is_admin(self) -> bool:
        """True for an account admin."""
        return bool(self.user["is_account_admin"])


def context(request: Request) -> Ctx:
    """The request context the gate attached (user resolved from the api_key)."""
    state: SandboxState = request.scope["sandbox.state"]
    user_id: int = request.scope["sandbox.user_id"]
    user = state.catalog.users[user_id]
    host = request.headers.get("host") or f"{state.host}:{state.port}"
    return Ctx(
        state=state,
        user=user,
        tz=zone(user["time_zone"]),
        base_url=f"{request.url.scheme}://{host}",
        query=parse_query(request.scope.get("query_string", b"")),
    )


async def read_body(request: Request) -> Params:
    """The parameters of a JSON or form body (multipart files excluded; see documents)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        form = await request.form()
        return nest((key, value) for key, value in form.multi_items() if isinstance(value, str))
    raw = await request.body()
    if not raw.strip():
        return {}
    if content_type == "application/x-www-form-urlencoded":
        return parse_query(raw)
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        # A form body sent without its content type still parses as one.
        if content_type != "application/json" and b"=" in raw:
            return parse_query(raw)
        raise ApiError(400, {"error": "The request body is not valid JSON"}) from None
    if not isinstance(body, dict):
        raise ApiError(400, {"error": "The request body must be a JSON object"})
    return body


def unwrap(body: Params, wrapper: str) -> Params:
    """The attributes inside ``{"<wrapper>": {...}}``.

    EMULATION: an unwrapped body is taken as the attributes themselves (Rails' params
    wrapper does the same for JSON); a wrapper that is not an object is a 422.
    """
    if wrapper in body:
        inner = body[wrapper]
        if not isinstance(inner, dict):
            raise invalid_field(wrapper, "must be an object")
        return inner
    return body


def query_int(ctx: Ctx, name: str) -> int | None:
    """An integer query parameter, or None; 422 when it is not a number."""
    value = ctx.query.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise invalid_field(name, "is not a number")


def query_flag(ctx: Ctx, name: str) -> bool:
    """A boolean query flag (``true``/``1``)."""
    value = ctx.query.get(name)
    return isinstance(value, str) and value.strip().lower() in ("true", "1", "yes")
