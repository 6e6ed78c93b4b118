"""Helpers shared by the object shapes: timestamps, money, custom fields, mini objects."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote_plus

from crmdesk.sandbox.clock import format_date, format_ts
from crmdesk.sandbox.db import Row
from crmdesk.sandbox.fields import cents_text
from crmdesk.sandbox.http import Ctx

MISSING_PERSON_IMAGE = "//assets.pipelinecrm.com/current/webpack/images/thumb/missing.png"
MISSING_COMPANY_IMAGE = "//assets.pipelinecrm.com/current/webpack/images/thumb/missing_company.png"


def ts(ctx: Ctx, epoch: int | None) -> str | None:
    """A stored epoch second in the requesting user's zone."""
    return format_ts(epoch, ctx.tz)


def day(iso: str | None) -> str | None:
    """A stored ``YYYY-MM-DD`` as ``YYYY/MM/DD``."""
    return format_date(iso)


def money(cents: int | None) -> str | None:
    """Integer cents as the API's decimal string (``"5000.0"``)."""
    return cents_text(cents)


def total(cents: int | None) -> int | str:
    """A total: the integer 0 when zero, else a decimal string (section 8 item 18)."""
    if not cents:
        return 0
    return cents_text(cents) or 0


def flag(value: Any) -> bool:
    """A stored 0/1 as a JSON boolean."""
    return bool(value)


def opt_flag(value: Any) -> bool | None:
    """A stored 0/1/NULL as true/false/null."""
    return None if value is None else bool(value)


def id_list(text: str | None) -> list[int]:
    """A stored JSON id array."""
    if not text or text == "[]":
        return []
    loaded = json.loads(text)
    return loaded if isinstance(loaded, list) else []


def custom_fields(ctx: Ctx, entity: str, stored: str | None) -> Row:
    """``{"custom_label_<id>": value}`` for every label of ``entity`` (null when empty)."""
    values = json.loads(stored) if stored and stored != "{}" else {}
    out: Row = {}
    for label in ctx.state.catalog.custom_labels(entity):
        value = values.get(str(label["id"]))
        kind = label.get("field_type")
        if kind == "multi_select":
            value = value or []
        elif kind == "date" and value is not None:
            value = format_date(value)
        out[f"custom_label_{label['id']}"] = value
    return out


def lookup_mini(ctx: Ctx, kind: str, row_id: int | None, *keys: str) -> Row | None:
    """``{id, name, ...keys}`` of a lookup row, or None."""
    row = ctx.state.catalog.lookup(kind, row_id)
    if row is None:
        return None
    mini: Row = {"id": row["id"], "name": row.get("name")}
    for key in keys:
        mini[key] = row.get(key)
    return mini


def lookups_mini(ctx: Ctx, kind: str, ids: Iterable[int]) -> list[Row]:
    """Mini objects of several lookup rows (unknown ids left out)."""
    return [m for m in (lookup_mini(ctx, kind, i) for i in ids) if m is not None]


def currency(ctx: Ctx, with_id: bool = False, full: bool = False) -> Row:
    """The account currency as records carry it."""
    cur = ctx.state.catalog.currency()
    if full:
        return dict(cur)
    shape: Row = {"code": cur["code"], "symbol": cur["symbol"], "name": cur["name"]}
    if with_id:
        shape = {"id": cur["id"], **shape}
    return shape


def maps_url(*parts: str | None) -> str | None:
    """A Google Maps link for an address, or None when there is no address."""
    text = ", ".join(p for p in parts if p)
    if not text:
        return None
    return "https://maps.google.com/maps?q=" + quote_plus(text)


def full_name(first: str | None, last: str | None) -> str:
    """``first last`` without stray spaces."""
    return " ".join(p for p in (first, last) if p)
