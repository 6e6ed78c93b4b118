"""Web-to-lead: the HTML form post that creates a lead (reference 4.14, changelog 2016-08-19,
2017-09-01, 2018-05-09).

Not a JSON API: a form posts to ``/web_lead`` on the app host (here: the sandbox root, no
api_key), identified by a user's ``w2lid``. The sandbox creates a ``Lead`` owned by
``assign_to_id`` (when it names an active user) or by the ``w2lid`` user, with lead source
"Website", then redirects (302) to ``thank_you_page`` or the referrer;
``developer_mode=true`` answers a diagnostic page instead. ``prevent_duplicates`` matches on
e-mail and adds a note to the existing lead instead of creating one. ``notification_ignore``
is accepted (the sandbox sends no notification e-mail). Person fields are posted under their
API names, bare or as ``lead[...]`` / ``person[...]`` (EMULATION: the real field table was
not retrievable), including ``linked_in_url``.
"""

from __future__ import annotations

import html
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from crmdesk.sandbox.clock import zone
from crmdesk.sandbox.crud import create_record
from crmdesk.sandbox.db import Row
from crmdesk.sandbox.http import ApiError, Ctx
from crmdesk.sandbox.params import nest, parse_query
from crmdesk.sandbox.resources import people
from crmdesk.sandbox.state import SandboxState

CONTROL_FIELDS = (
    "w2lid",
    "assign_to_id",
    "prevent_duplicates",
    "thank_you_page",
    "developer_mode",
    "notification_ignore",
)


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


async def web_lead(request: Request) -> Response:
    """POST /web_lead (form-encoded or multipart)."""
    state: SandboxState = request.scope["sandbox.state"]
    if request.headers.get("content-type", "").startswith("multipart/"):
        form = await request.form()
        params = nest((k, v) for k, v in form.multi_items() if isinstance(v, str))
    else:
        params = parse_query(await request.body())
    fields: Row = {}
    for nested in ("lead", "person"):
        if isinstance(params.get(nested), dict):
            fields.update(params[nested])
    fields.update(
        {k: v for k, v in params.items() if k not in CONTROL_FIELDS and not isinstance(v, dict)}
    )
    catalog = state.catalog
    owner = next(
        (
            u
            for u in catalog.users.values()
            if u["w2lid"] == params.get("w2lid") and u["deleted_at"] is None
        ),
        None,
    )
    if owner is None:
        return HTMLResponse("<h1>Unknown web-to-lead form (w2lid)</h1>", status_code=404)
    assigned = str(params.get("assign_to_id") or "")
    if assigned.isdigit() and int(assigned) in catalog.users:
        candidate = catalog.users[int(assigned)]
        if candidate["deleted_at"] is None:
            owner = candidate
    ctx = Ctx(state, owner, zone(owner["time_zone"]), "", {})
    attrs = {k: v for k, v in fields.items() if k in people.RESOURCE.field_map}
    attrs.update(type="Lead", user_id=owner["id"])
    source = next(
        (r["id"] for r in catalog.rows("lead_sources") if r.get("name") == "Website"), None
    )
    if source is not None:
        attrs.setdefault("lead_source_id", source)
    email = str(attrs.get("email") or "").strip()
    existing = None
    if _flag(params.get("prevent_duplicates")) and email:
        existing = state.db.row(
            "SELECT * FROM people WHERE type = 'Lead' AND lower(email) = lower(?)"
            " ORDER BY id LIMIT 1",
            (email,),
        )
    try:
        if existing is not None:
            lines = [f"{k}: {v}" for k, v in fields.items() if v not in ("", None)]
            with state.db.transaction():
                stamp = state.stamp()
                state.db.insert(
                    "notes",
                    {
                        "content": "Web-to-lead form submitted again:\n" + "\n".join(lines),
                        "person_id": existing["id"],
                        "user_id": owner["id"],
                        "created_by_user_id": owner["id"],
                        "created_at": stamp,
                        "updated_at": stamp,
                    },
                )
            person = existing
        else:
            person = create_record(ctx, people.RESOURCE, attrs)
    except ApiError as error:
        if _flag(params.get("developer_mode")):
            return HTMLResponse(
                f"<h1>Lead not created</h1><pre>{html.escape(str(error.body))}</pre>",
                status_code=422,
            )
        return HTMLResponse("<h1>Please check the form</h1>", status_code=422)
    if _flag(params.get("developer_mode")):
        received = "".join(
            f"<li>{html.escape(str(k))}: {html.escape(str(v))}</li>" for k, v in params.items()
        )
        action = "updated" if existing is not None else "created"
        return HTMLResponse(
            f"<h1>Developer mode</h1><p>Lead {person['id']} {action}, owner {owner['id']}.</p>"
            f"<ul>{received}</ul>"
        )
    target = str(params.get("thank_you_page") or request.headers.get("referer") or "/")
    return RedirectResponse(target, status_code=302)


def routes() -> list[BaseRoute]:
    """The web-to-lead form target."""
    return [Route("/web_lead", web_lead, methods=["POST"])]
