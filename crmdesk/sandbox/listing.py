"""Lists: pagination, sort, ``attrs``, the envelope, and the page query itself.

Pagination follows the recordings: ``page`` (1-based) and ``per_page`` (default and maximum
200; larger values clamp to 200, values below 1 fall back to the default; reference
section 8 items 1-2). A page past the end answers 200 with empty ``entries`` and the real
``total``/``pages``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from crmdesk.sandbox.conditions import Where
from crmdesk.sandbox.db import Database, Row
from crmdesk.sandbox.http import Ctx

DEFAULT_PER_PAGE = 200
MAX_PER_PAGE = 200


@dataclass(frozen=True, slots=True)
class Page:
    """Requested page and page size after clamping."""

    page: int
    per_page: int

    @property
    def offset(self) -> int:
        """Rows to skip."""
        return (self.page - 1) * self.per_page

    def envelope(self, total: int) -> dict[str, Any]:
        """The ``pagination`` object."""
        return {
            "page": self.page,
            "page_var": "page",
            "per_page": self.per_page,
            "pages": max(1, math.ceil(total / self.per_page)),
            "total": total,
        }


def _int_param(value: Any) -> int | None:
    if isinstance(value, list):
        value = value[-1] if value else None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def page_of(ctx: Ctx, default_per_page: int = DEFAULT_PER_PAGE) -> Page:
    """The page asked for in the query string."""
    page = _int_param(ctx.query.get("page"))
    per_page = _int_param(ctx.query.get("per_page"))
    if per_page is None or per_page < 1:
        per_page = default_per_page
    return Page(max(1, page or 1), min(per_page, MAX_PER_PAGE))


def order_by(sort: Any, table: str, columns: dict[str, str], default: str) -> str:
    """ORDER BY for ``sort=[-]table.column`` (unknown columns fall back to ``default``).

    EMULATION (section 8 item 14): the default order is ``-<table>.updated_at``; ties are
    broken by id so pages never overlap.
    """
    text = sort if isinstance(sort, str) else default
    parts = []
    for item in text.split(","):
        item = item.strip()
        descending = item.startswith("-")
        name = item.lstrip("-").strip()
        if " " in name:  # saved searches carry "-won_value alias"
            name = name.split(" ")[0]
        if "." in name:
            prefix, name = name.split(".", 1)
            if prefix != table:
                continue
        column = columns.get(name)
        if column is not None:
            parts.append(f"{column} {'DESC' if descending else 'ASC'}")
    if not parts:
        return order_by(default, table, columns, default) if text != default else "id DESC"
    direction = "DESC" if parts[-1].endswith("DESC") else "ASC"
    return ", ".join([*parts, f"id {direction}"])


def select_page(
    db: Database, table: str, where: Where, order: str, page: Page
) -> tuple[list[Row], int]:
    """Rows of one page (in order) and the total number of matches."""
    sql_where = where.sql()
    total = int(db.scalar(f"SELECT count(*) FROM {table}{sql_where}", where.params) or 0)
    if page.offset >= total:
        return [], total
    # Pick the ids first: the sort can then run on an index without reading whole rows.
    id_rows = db.conn.execute(
        f"SELECT id FROM {table}{sql_where} ORDER BY {order} LIMIT ? OFFSET ?",
        [*where.params, page.per_page, page.offset],
    ).fetchall()
    ids = [found[0] for found in id_rows]
    by_id = db.get_many(table, ids)
    return [by_id[i] for i in ids if i in by_id], total


def apply_attrs(ctx: Ctx, entries: list[Row]) -> list[Row]:
    """``attrs=a,b``: keep only those top-level keys (and always ``id``).

    EMULATION (section 8 item 12): unknown names are ignored.
    """
    attrs = ctx.query.get("attrs")
    if isinstance(attrs, list):
        attrs = ",".join(str(a) for a in attrs)
    if not isinstance(attrs, str) or not attrs.strip():
        return entries
    wanted = {name.strip() for name in attrs.split(",") if name.strip()} | {"id"}
    return [{key: value for key, value in entry.items() if key in wanted} for entry in entries]


def envelope(entries: Sequence[Row], page: Page, total: int) -> dict[str, Any]:
    """The list answer ``{"entries": [...], "pagination": {...}}``."""
    return {"entries": list(entries), "pagination": page.envelope(total)}


def paginate_list(items: list[Any], page: Page) -> tuple[list[Any], int]:
    """One page of an in-memory list and its total."""
    return items[page.offset : page.offset + page.per_page], len(items)


Shaper = Callable[[Ctx, list[Row], str], list[Row]]
