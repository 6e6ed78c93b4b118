"""``/<entity>/deleted?since=``: ids of deleted records, from tombstones.

EMULATION (reference section 6 and section 8 item 7): only a hand-edited 2015 fork
cassette shows ``/deals/deleted``; the sandbox serves it for every synced entity (switch
off with ``deleted_endpoint=False`` / ``--no-deleted-endpoint``). ``since`` takes an epoch
second, a date or ``YYYY-MM-DD HH:MM:SS`` (read in the user's zone); it is inclusive.
Entries are bare ids, oldest deletion first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from crmdesk.sandbox.clock import parse_input_datetime
from crmdesk.sandbox.http import ApiError, context, invalid_field, json_response
from crmdesk.sandbox.listing import envelope, page_of

ENTITIES = {
    "deals": "deal",
    "people": "person",
    "companies": "company",
    "notes": "note",
    "activities": "note",
    "calendar_entries": "calendar_entry",
    "documents": "document",
}


def routes() -> list[BaseRoute]:
    """One route per entity collection."""

    def endpoint_for(entity: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            ctx = context(request)
            if not ctx.state.options.deleted_endpoint:
                raise ApiError(404, {"error": "Not found"})
            since = ctx.query.get("since")
            after = 0
            if since not in (None, "", "0"):
                text = str(since).strip()
                if text.isdigit():
                    after = int(text)
                else:
                    parsed = parse_input_datetime(text, ctx.tz)
                    if parsed is None:
                        raise invalid_field("since", "is not a date, time or epoch second")
                    after = parsed[0]
            db = ctx.state.db
            total = int(
                db.scalar(
                    "SELECT count(*) FROM tombstones WHERE entity = ? AND deleted_at >= ?",
                    (entity, after),
                )
                or 0
            )
            page = page_of(ctx)
            ids = [
                row[0]
                for row in db.conn.execute(
                    "SELECT id FROM tombstones WHERE entity = ? AND deleted_at >= ?"
                    " ORDER BY deleted_at, id LIMIT ? OFFSET ?",
                    (entity, after, page.per_page, page.offset),
                )
            ]
            return json_response(envelope(ids, page, total))

        return endpoint

    return [
        Route(f"/{collection}/deleted", endpoint_for(entity), methods=["GET"])
        for collection, entity in ENTITIES.items()
    ]
