"""The shapes around records: list envelopes, wrapped objects, error bodies.

A list reply is ``{"entries": [...], "pagination": {"page", "pages", "per_page", "total"}}``;
``/admin/product_lines`` leaves ``pagination`` out and ``/admin/webhooks`` answers
``{"webhooks": [...]}``. Create/update replies are the bare object, though some clients
saw it wrapped (``{"deal": {...}}``). Error bodies come as a list of
``{humanized_field, field, msg}``, ``{"errors": ...}`` or ``{"error": ...}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crmdesk.api.parsing.records import RecordShapeError
from crmdesk.api.parsing.values import integer, text
from crmdesk.domain.errors import FieldError


@dataclass(frozen=True, slots=True)
class Envelope:
    """One page of a list reply, before its entries are parsed."""

    entries: list[Any]
    page: int
    pages: int
    per_page: int
    total: int
    totals: Mapping[str, Any] | None = None
    paginated: bool = True  # False: the endpoint returns everything at once


def envelope(body: Any, *, list_key: str = "entries", page: int = 1) -> Envelope:
    """Read a list reply; RecordShapeError if it is not one."""
    if isinstance(body, list):  # a bare array: everything, unpaginated
        return Envelope(body, 1, 1, len(body), len(body), paginated=False)
    if not isinstance(body, dict):
        raise RecordShapeError(f"expected a list reply, got {type(body).__name__}")
    entries = body.get(list_key)
    if entries is None and list_key == "entries":
        # /admin/webhooks: {"webhooks": [...]}; accept any single list-valued key
        lists = [v for v in body.values() if isinstance(v, list)]
        entries = lists[0] if len(lists) == 1 else None
    if not isinstance(entries, list):
        raise RecordShapeError(f"the list reply has no {list_key!r} array")
    totals = body.get("totals") if isinstance(body.get("totals"), dict) else None
    pagination = body.get("pagination")
    if not isinstance(pagination, dict):
        return Envelope(entries, 1, 1, len(entries), len(entries), totals, paginated=False)
    per_page = integer(pagination.get("per_page")) or max(len(entries), 1)
    total = integer(pagination.get("total"))
    pages = integer(pagination.get("pages"))
    if pages is None:
        pages = -(-total // per_page) if total is not None else page
    return Envelope(
        entries=entries,
        page=integer(pagination.get("page")) or page,
        pages=max(pages, 1),
        per_page=per_page,
        total=total if total is not None else len(entries),
        totals=totals,
    )


def unwrap(body: Any, wrapper: str) -> Any:
    """The object of a create/update/get reply, wrapped (``{"deal": {...}}``) or not."""
    if isinstance(body, dict) and "id" not in body and isinstance(body.get(wrapper), dict):
        return body[wrapper]
    return body


def field_errors(body: Any) -> list[FieldError]:
    """Field errors from any of the error body shapes the API is known or likely to use."""
    if isinstance(body, dict):
        if "errors" in body:
            return field_errors(body["errors"])
        if "error" in body:
            return field_errors(body["error"])
        if "msg" in body or "message" in body:
            return [_one(body)]
        # {"name": ["can't be blank"], "value": ["is not a number"]}
        out = []
        for name, messages in body.items():
            for message in messages if isinstance(messages, list) else [messages]:
                if isinstance(message, str):
                    human = str(name).replace("_", " ").capitalize()
                    out.append(FieldError(str(name), f"{human} {message}"))
        return out
    if isinstance(body, list):
        out = []
        for item in body:
            if isinstance(item, dict):
                out.append(_one(item))
            elif isinstance(item, str):
                out.append(FieldError("base", item))
        return out
    if isinstance(body, str) and body.strip():
        return [FieldError("base", body.strip())]
    return []


def _one(item: Mapping[str, Any]) -> FieldError:
    field = text(item.get("field")) or text(item.get("attribute")) or "base"
    message = text(item.get("msg")) or text(item.get("message")) or "is invalid"
    human = text(item.get("humanized_field"))
    if field == "base" or (human is not None and human.lower() == "base"):
        return FieldError("base", message)
    human = human or field.replace("_", " ").capitalize()
    return FieldError(field, f"{human} {message}")


def error_message(body: Any) -> str | None:
    """A one-line message from an error body, if it carries one."""
    errors = field_errors(body)
    return "; ".join(str(e) for e in errors) if errors else None
